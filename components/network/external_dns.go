package network

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/internal/iampolicy"
	"github.com/eksplatform/eksplatform/components/irsa"
	"github.com/eksplatform/eksplatform/components/kube"
)

// ExternalDNSNamespace and service account of external-dns.
const (
	ExternalDNSNamespace      = "external-dns"
	ExternalDNSServiceAccount = "external-dns"
)

// ExternalDNSArgs configures external-dns.
type ExternalDNSArgs struct {
	ClusterName string
	Region      string
	Partition   string
	IRSA        irsa.Cluster
	// HostedZoneIDs are the only zones external-dns may change.
	HostedZoneIDs []string
	// DomainFilters limit which names it manages.
	DomainFilters []string
	// Policy is "sync" or "upsert-only".
	Policy             string
	KubernetesProvider pulumi.ProviderResource
	Chart              catalog.Chart
	Toleration         kube.Taint
	WaitFor            []pulumi.Resource
	Tags               map[string]string
}

// ExternalDNS keeps Route 53 records in step with Services and Ingresses.
type ExternalDNS struct {
	pulumi.ResourceState

	RoleARN pulumi.StringOutput
}

// HostedZoneARNs are the ARNs of Route 53 hosted zones (a global service).
func HostedZoneARNs(partition string, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = fmt.Sprintf("arn:%s:route53:::hostedzone/%s", partition, id)
	}
	return out
}

// ExternalDNSPolicy lets external-dns change records in the named zones only;
// listing zones is the one action that cannot be scoped.
func ExternalDNSPolicy(partition string, zoneIDs []string) string {
	return iampolicy.New(
		iampolicy.Statement{
			Sid: "ChangeRecordsInOwnZones", Effect: "Allow", Resource: HostedZoneARNs(partition, zoneIDs),
			Action: []string{"route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets", "route53:ListTagsForResource"},
		},
		iampolicy.Statement{Sid: "ListZones", Effect: "Allow", Action: "route53:ListHostedZones", Resource: "*"},
	).JSON()
}

// NewExternalDNS installs external-dns with a role limited to the zones.
func NewExternalDNS(ctx *pulumi.Context, name string, args *ExternalDNSArgs, opts ...pulumi.ResourceOption) (*ExternalDNS, error) {
	if args == nil {
		return nil, fmt.Errorf("ExternalDNS %s: args are required", name)
	}
	a := args
	var errs argcheck.Errors
	errs.Check(a.ClusterName != "" && a.Region != "" && a.Partition != "", "ClusterName, Region and Partition are required")
	errs.Check(len(a.HostedZoneIDs) > 0, "HostedZoneIDs is required: external-dns never gets route53 on every zone")
	errs.Check(len(a.DomainFilters) > 0, "DomainFilters is required")
	errs.Check(a.Policy == "sync" || a.Policy == "upsert-only", "Policy must be sync or upsert-only, got %q", a.Policy)
	errs.Check(a.IRSA.Valid(), "IRSA needs the cluster's OIDC provider ARN and issuer URL")
	errs.Check(a.KubernetesProvider != nil, "KubernetesProvider is required")
	errs.Check(a.Chart.Valid(), "Chart needs repository, chart and version")
	if err := errs.Err("ExternalDNS", name); err != nil {
		return nil, err
	}

	d := &ExternalDNS{}
	if err := ctx.RegisterComponentResource("eksplatform:network:ExternalDNS", name, d, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(d)
	role, err := irsa.NewRole(ctx, name, irsa.RoleArgs{
		Cluster:         a.IRSA,
		Description:     "external-dns of " + a.ClusterName + " (eksplatform)",
		ServiceAccounts: []string{ExternalDNSNamespace + "/" + ExternalDNSServiceAccount},
		Policy:          pulumi.String(ExternalDNSPolicy(a.Partition, a.HostedZoneIDs)),
		Tags:            a.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	d.RoleARN = role.Arn

	extraArgs := pulumi.Array{}
	for _, z := range a.HostedZoneIDs {
		extraArgs = append(extraArgs, pulumi.String("--zone-id-filter="+z))
	}
	if _, err := kube.NewRelease(ctx, name, kube.ReleaseArgs{
		Name:            "external-dns",
		Namespace:       ExternalDNSNamespace,
		CreateNamespace: true,
		Chart:           a.Chart,
		Values: pulumi.Map{
			"provider":   pulumi.Map{"name": pulumi.String("aws")},
			"policy":     pulumi.String(a.Policy),
			"registry":   pulumi.String("txt"),
			"txtOwnerId": pulumi.String(a.ClusterName),
			// Records of other clusters in a shared zone carry another owner id.
			"domainFilters":  pulumi.ToStringArray(a.DomainFilters),
			"extraArgs":      extraArgs,
			"sources":        pulumi.ToStringArray([]string{"service", "ingress"}),
			"env":            pulumi.Array{pulumi.Map{"name": pulumi.String("AWS_DEFAULT_REGION"), "value": pulumi.String(a.Region)}},
			"serviceAccount": kube.ServiceAccountValues(ExternalDNSServiceAccount, role.Arn),
			"tolerations":    pulumi.ToArray(a.Toleration.Tolerations()),
		},
	}, a.KubernetesProvider, parent, pulumi.DependsOn(append([]pulumi.Resource{role}, a.WaitFor...))); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{"roleArn": d.RoleARN}); err != nil {
		return nil, err
	}
	return d, nil
}
