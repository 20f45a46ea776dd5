package network

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/internal/iampolicy"
	"github.com/eksplatform/eksplatform/components/irsa"
	"github.com/eksplatform/eksplatform/components/kube"
)

// CertManagerNamespace and service account of the cert-manager controller.
const (
	CertManagerNamespace      = "cert-manager"
	CertManagerServiceAccount = "cert-manager"
	// ClusterIssuerName is the ACME ClusterIssuer workloads reference.
	ClusterIssuerName = "acme"
)

// ACMEIssuer is an ACME ClusterIssuer solving DNS-01 through Route 53.
type ACMEIssuer struct {
	Email  string
	Server string
	// HostedZoneIDs are the zones the solver may write challenge records in.
	HostedZoneIDs []string
	// DNSZones are the domains the solver answers for.
	DNSZones []string
}

// CertManagerArgs configures cert-manager.
type CertManagerArgs struct {
	ClusterName        string
	Region             string
	Partition          string
	IRSA               irsa.Cluster
	KubernetesProvider pulumi.ProviderResource
	Chart              catalog.Chart
	Toleration         kube.Taint
	// Issuer is optional.
	Issuer  *ACMEIssuer
	WaitFor []pulumi.Resource
	Tags    map[string]string
}

// CertManager is cert-manager with its CRDs and the optional ClusterIssuer.
type CertManager struct {
	pulumi.ResourceState

	// IssuerRoleARN is the DNS-01 role, empty without an issuer.
	IssuerRoleARN pulumi.StringOutput
	Release       pulumi.Resource
}

// CertManagerDNS01Policy lets cert-manager write ACME challenge TXT records,
// and nothing else, in the named zones.
func CertManagerDNS01Policy(partition string, zoneIDs []string) string {
	return iampolicy.New(
		iampolicy.Statement{Sid: "ReadChanges", Effect: "Allow", Action: "route53:GetChange",
			Resource: fmt.Sprintf("arn:%s:route53:::change/*", partition)},
		iampolicy.Statement{Sid: "WriteChallenges", Effect: "Allow", Resource: HostedZoneARNs(partition, zoneIDs),
			Action: []string{"route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"},
			Condition: map[string]map[string]any{
				"ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": []string{"TXT"}},
				"ForAllValues:StringLike":   {"route53:ChangeResourceRecordSetsNormalizedRecordNames": []string{"_acme-challenge.*"}},
			}},
		iampolicy.Statement{Sid: "FindZones", Effect: "Allow", Action: "route53:ListHostedZonesByName", Resource: "*"},
	).JSON()
}

// NewCertManager installs cert-manager (with its CRDs) and, when asked, the
// ACME ClusterIssuer with its own Route 53 role.
func NewCertManager(ctx *pulumi.Context, name string, args *CertManagerArgs, opts ...pulumi.ResourceOption) (*CertManager, error) {
	if args == nil {
		return nil, fmt.Errorf("CertManager %s: args are required", name)
	}
	a := args
	var errs argcheck.Errors
	errs.Check(a.ClusterName != "" && a.Region != "" && a.Partition != "", "ClusterName, Region and Partition are required")
	errs.Check(a.KubernetesProvider != nil, "KubernetesProvider is required")
	errs.Check(a.Chart.Valid(), "Chart needs repository, chart and version")
	if i := a.Issuer; i != nil {
		errs.Check(i.Email != "" && i.Server != "", "Issuer needs Email and Server")
		errs.Check(len(i.HostedZoneIDs) > 0 && len(i.DNSZones) > 0, "Issuer needs HostedZoneIDs and DNSZones")
		errs.Check(a.IRSA.Valid(), "an Issuer needs IRSA for its Route 53 role")
	}
	if err := errs.Err("CertManager", name); err != nil {
		return nil, err
	}

	m := &CertManager{IssuerRoleARN: pulumi.String("").ToStringOutput()}
	if err := ctx.RegisterComponentResource("eksplatform:network:CertManager", name, m, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(m)

	tolerations := pulumi.ToArray(a.Toleration.Tolerations())
	values := pulumi.Map{
		"crds":            pulumi.Map{"enabled": pulumi.Bool(true), "keep": pulumi.Bool(true)},
		"tolerations":     tolerations,
		"webhook":         pulumi.Map{"tolerations": tolerations},
		"cainjector":      pulumi.Map{"tolerations": tolerations},
		"startupapicheck": pulumi.Map{"tolerations": tolerations},
		"serviceAccount":  pulumi.Map{"create": pulumi.Bool(true), "name": pulumi.String(CertManagerServiceAccount)},
		"securityContext": pulumi.Map{"fsGroup": pulumi.Int(1001)},
		"prometheus":      pulumi.Map{"enabled": pulumi.Bool(true)},
	}
	deps := append([]pulumi.Resource(nil), a.WaitFor...)
	if a.Issuer != nil {
		role, err := irsa.NewRole(ctx, name+"-dns01", irsa.RoleArgs{
			Cluster:         a.IRSA,
			Description:     "cert-manager DNS-01 of " + a.ClusterName + " (eksplatform)",
			ServiceAccounts: []string{CertManagerNamespace + "/" + CertManagerServiceAccount},
			Policy:          pulumi.String(CertManagerDNS01Policy(a.Partition, a.Issuer.HostedZoneIDs)),
			Tags:            a.Tags,
		}, parent)
		if err != nil {
			return nil, err
		}
		m.IssuerRoleARN = role.Arn
		values["serviceAccount"] = kube.ServiceAccountValues(CertManagerServiceAccount, role.Arn)
		deps = append(deps, role)
	}
	release, err := kube.NewRelease(ctx, name, kube.ReleaseArgs{
		Name:            "cert-manager",
		Namespace:       CertManagerNamespace,
		CreateNamespace: true,
		Chart:           a.Chart,
		Values:          values,
	}, a.KubernetesProvider, parent, pulumi.DependsOn(deps))
	if err != nil {
		return nil, err
	}
	m.Release = release

	if i := a.Issuer; i != nil {
		if _, err := apiextensions.NewCustomResource(ctx, name+"-"+ClusterIssuerName, &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String("cert-manager.io/v1"),
			Kind:       pulumi.String("ClusterIssuer"),
			Metadata:   kube.Meta(ClusterIssuerName, "", nil),
			OtherFields: kubernetes.UntypedArgs{"spec": map[string]any{
				"acme": map[string]any{
					"email":               i.Email,
					"server":              i.Server,
					"privateKeySecretRef": map[string]any{"name": ClusterIssuerName + "-account-key"},
					"solvers": []any{map[string]any{
						"selector": map[string]any{"dnsZones": i.DNSZones},
						"dns01":    map[string]any{"route53": map[string]any{"region": a.Region}},
					}},
				},
			}},
		}, parent, pulumi.Provider(a.KubernetesProvider), pulumi.DependsOn([]pulumi.Resource{release})); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(m, pulumi.Map{"issuerRoleArn": m.IssuerRoleARN}); err != nil {
		return nil, err
	}
	return m, nil
}
