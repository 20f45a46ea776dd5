package operators

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/internal/iampolicy"
	"github.com/eksplatform/eksplatform/components/irsa"
	"github.com/eksplatform/eksplatform/components/kube"
)

// external-secrets' namespace, service account and store name.
const (
	ExternalSecretsNamespace      = "external-secrets"
	ExternalSecretsServiceAccount = "external-secrets"
	SecretStoreName               = "aws-parameter-store"
)

// ExternalSecretsArgs configures external-secrets.
type ExternalSecretsArgs struct {
	ClusterName string
	Region      string
	Partition   string
	AccountID   string
	// SSMPathPrefix ("/eksplatform/<cluster>/") is the only path the store reads.
	SSMPathPrefix      string
	IRSA               irsa.Cluster
	KubernetesProvider pulumi.ProviderResource
	Chart              catalog.Chart
	Toleration         kube.Taint
	WaitFor            []pulumi.Resource
	Tags               map[string]string
}

// ExternalSecrets is external-secrets with a ClusterSecretStore for SSM Parameter Store.
type ExternalSecrets struct {
	pulumi.ResourceState

	RoleARN pulumi.StringOutput
}

// ExternalSecretsPolicy reads parameters under the prefix and nothing else;
// SecureString values decrypt only when SSM asks KMS on the store's behalf.
func ExternalSecretsPolicy(partition, region, account, prefix string) string {
	return iampolicy.New(
		iampolicy.Statement{
			Sid: "ReadParametersUnderPrefix", Effect: "Allow",
			Action:   []string{"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"},
			Resource: fmt.Sprintf("arn:%s:ssm:%s:%s:parameter/%s*", partition, region, account, strings.TrimPrefix(prefix, "/")),
		},
		iampolicy.Statement{
			Sid: "DecryptThroughSSM", Effect: "Allow", Action: "kms:Decrypt", Resource: "*",
			Condition: map[string]map[string]any{"StringEquals": {"kms:ViaService": "ssm." + region + ".amazonaws.com"}},
		},
	).JSON()
}

// NewExternalSecrets installs external-secrets and its ClusterSecretStore.
func NewExternalSecrets(ctx *pulumi.Context, name string, args *ExternalSecretsArgs, opts ...pulumi.ResourceOption) (*ExternalSecrets, error) {
	if args == nil {
		return nil, fmt.Errorf("ExternalSecrets %s: args are required", name)
	}
	a := args
	var errs argcheck.Errors
	errs.Check(a.ClusterName != "" && a.Region != "" && a.Partition != "" && a.AccountID != "", "ClusterName, Region, Partition and AccountID are required")
	errs.Check(strings.HasPrefix(a.SSMPathPrefix, "/") && strings.HasSuffix(a.SSMPathPrefix, "/") && len(a.SSMPathPrefix) > 1,
		"SSMPathPrefix must be a path like /eksplatform/<cluster>/, got %q", a.SSMPathPrefix)
	errs.Check(a.IRSA.Valid(), "IRSA needs the cluster's OIDC provider ARN and issuer URL")
	errs.Check(a.KubernetesProvider != nil, "KubernetesProvider is required")
	errs.Check(a.Chart.Valid(), "Chart needs repository, chart and version")
	if err := errs.Err("ExternalSecrets", name); err != nil {
		return nil, err
	}
	s := &ExternalSecrets{}
	if err := ctx.RegisterComponentResource("eksplatform:operators:ExternalSecrets", name, s, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(s)
	role, err := irsa.NewRole(ctx, name, irsa.RoleArgs{
		Cluster:         a.IRSA,
		Description:     "external-secrets of " + a.ClusterName + " (eksplatform)",
		ServiceAccounts: []string{ExternalSecretsNamespace + "/" + ExternalSecretsServiceAccount},
		Policy:          pulumi.String(ExternalSecretsPolicy(a.Partition, a.Region, a.AccountID, a.SSMPathPrefix)),
		Tags:            a.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	s.RoleARN = role.Arn
	tolerations := pulumi.ToArray(a.Toleration.Tolerations())
	release, err := kube.NewRelease(ctx, name, kube.ReleaseArgs{
		Name: "external-secrets", Namespace: ExternalSecretsNamespace, CreateNamespace: true, Chart: a.Chart,
		Values: pulumi.Map{
			"installCRDs":    pulumi.Bool(true),
			"serviceAccount": kube.ServiceAccountValues(ExternalSecretsServiceAccount, role.Arn),
			"tolerations":    tolerations,
			"webhook":        pulumi.Map{"tolerations": tolerations},
			"certController": pulumi.Map{"tolerations": tolerations},
		},
	}, a.KubernetesProvider, parent, pulumi.DependsOn(append([]pulumi.Resource{role}, a.WaitFor...)))
	if err != nil {
		return nil, err
	}
	// Without an auth block the store uses the controller's IRSA role.
	if _, err := apiextensions.NewCustomResource(ctx, name+"-"+SecretStoreName, &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("external-secrets.io/v1"),
		Kind:       pulumi.String("ClusterSecretStore"),
		Metadata:   kube.Meta(SecretStoreName, "", nil),
		OtherFields: kubernetes.UntypedArgs{"spec": map[string]any{
			"provider": map[string]any{"aws": map[string]any{"service": "ParameterStore", "region": a.Region}},
		}},
	}, parent, pulumi.Provider(a.KubernetesProvider), pulumi.DependsOn([]pulumi.Resource{release})); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"roleArn": s.RoleARN}); err != nil {
		return nil, err
	}
	return s, nil
}
