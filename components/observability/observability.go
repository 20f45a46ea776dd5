package observability

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/components/internal/argcheck"
)

// The reviewed data the component loads.
var (
	//go:embed data/scrape.yaml
	scrapeConfig string
	//go:embed data/rules.yaml
	alertRules string
)

// ScrapeConfiguration is the managed scraper's configuration for a cluster:
// data/scrape.yaml with the cluster's name in its external labels.
func ScrapeConfiguration(cluster string) string {
	return strings.ReplaceAll(scrapeConfig, "{cluster}", cluster)
}

// AlertRules is the rule file loaded into every workspace (data/rules.yaml).
func AlertRules() string { return alertRules }

// Names the scraper's Kubernetes identity goes by (AWS's documented names).
const (
	ScraperUser        = "aps-collector-user"
	ScraperClusterRole = "aps-collector-role"
	// RuleNamespace is the rule group namespace of the fleet's alert rules.
	RuleNamespace = "eksplatform-fleet"
)

// Retention bounds of an Amazon Managed Service for Prometheus workspace
// (WorkspaceConfiguration retentionPeriodInDays; AMP's default is 150).
const (
	DefaultRetentionDays = 150
	MinRetentionDays     = 1
	MaxRetentionDays     = 1095
)

// Karpenter interruption queue alarm: messages karpenter has not consumed.
// The queue keeps a message 300 s (operators.NewKarpenter), so a backlog that
// lasts three five-minute periods means karpenter is not reading it.
const (
	QueueDepthThreshold = 10
	QueueDepthPeriod    = 300
	QueueDepthPeriods   = 3
)

// Args configures the observability of one cluster.
type Args struct {
	ClusterName string
	Region      string
	Partition   string
	AccountID   string
	// ClusterARN, ClusterSecurityGroupID and PrivateSubnetIDs come from the
	// foundation and the VPC: the scraper runs in the cluster's private
	// subnets and reaches the API server through the cluster security group.
	ClusterARN             pulumi.StringInput
	VpcID                  pulumi.StringInput
	ClusterSecurityGroupID pulumi.StringInput
	PrivateSubnetIDs       pulumi.StringArrayInput
	// KarpenterQueueName is karpenter's interruption queue, alarmed on.
	KarpenterQueueName pulumi.StringInput
	// KubernetesProvider applies the scraper's ClusterRole and binding.
	KubernetesProvider pulumi.ProviderResource
	// Prometheus turns on the workspace and the scraper; nil for none.
	Prometheus *PrometheusArgs
	// WaitFor are what the in-cluster objects wait for (the foundation's Ready).
	WaitFor []pulumi.Resource
	Tags    map[string]string
}

// PrometheusArgs configures the workspace.
type PrometheusArgs struct {
	// RetentionDays keeps samples this long (MinRetentionDays..MaxRetentionDays).
	RetentionDays int
}

// Observability is the component.
type Observability struct {
	pulumi.ResourceState

	// WorkspaceID, WorkspaceARN and PrometheusEndpoint are empty without the
	// Prometheus option.
	WorkspaceID        pulumi.StringOutput
	WorkspaceARN       pulumi.StringOutput
	PrometheusEndpoint pulumi.StringOutput
	// ScraperRoleARN is the role AMP made for the scraper (its access entry's principal).
	ScraperRoleARN pulumi.StringOutput
	// QueueAlarmName is the CloudWatch alarm on the interruption queue.
	QueueAlarmName pulumi.StringOutput
}

func (a *Args) check(name string) error {
	var errs argcheck.Errors
	errs.Check(a.ClusterName != "", "ClusterName is required")
	errs.Check(a.Region != "", "Region is required")
	errs.Check(a.Partition != "", "Partition is required")
	errs.Check(a.KarpenterQueueName != nil, "KarpenterQueueName is required: the interruption queue alarm watches it")
	for i, r := range a.WaitFor {
		errs.Check(r != nil, "WaitFor[%d] is nil", i)
	}
	if p := a.Prometheus; p != nil {
		errs.Check(a.ClusterARN != nil, "ClusterARN is required with Prometheus: the scraper's source")
		errs.Check(a.VpcID != nil, "VpcID is required with Prometheus: the scraper's security group lives in it")
		errs.Check(a.ClusterSecurityGroupID != nil, "ClusterSecurityGroupID is required with Prometheus: it admits the scraper on 443")
		errs.Check(a.PrivateSubnetIDs != nil, "PrivateSubnetIDs is required with Prometheus: the scraper's network interfaces go there")
		errs.Check(a.KubernetesProvider != nil, "KubernetesProvider is required with Prometheus: the scraper's ClusterRole and binding")
		errs.Check(p.RetentionDays >= MinRetentionDays && p.RetentionDays <= MaxRetentionDays,
			"Prometheus.RetentionDays must be between %d and %d, got %d", MinRetentionDays, MaxRetentionDays, p.RetentionDays)
	}
	return errs.Err("Observability", name)
}

// NewObservability creates the cluster's alarm and, with the Prometheus
// option, its workspace, scraper and alert rules.
func NewObservability(ctx *pulumi.Context, name string, a *Args, opts ...pulumi.ResourceOption) (*Observability, error) {
	if a == nil {
		return nil, fmt.Errorf("Observability %s: args are required", name)
	}
	if err := a.check(name); err != nil {
		return nil, err
	}
	o := &Observability{}
	if err := ctx.RegisterComponentResource("eksplatform:observability:Observability", name, o, opts...); err != nil {
		return nil, err
	}
	empty := pulumi.String("").ToStringOutput()
	o.WorkspaceID, o.WorkspaceARN, o.PrometheusEndpoint, o.ScraperRoleARN = empty, empty, empty, empty

	alarm, err := queueAlarm(ctx, name, a, pulumi.Parent(o))
	if err != nil {
		return nil, err
	}
	o.QueueAlarmName = alarm.Name
	if a.Prometheus != nil {
		if err := o.prometheus(ctx, name, a); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(o, pulumi.Map{
		"workspaceId": o.WorkspaceID, "prometheusEndpoint": o.PrometheusEndpoint,
		"scraperRoleArn": o.ScraperRoleARN, "queueAlarm": o.QueueAlarmName,
	}); err != nil {
		return nil, err
	}
	return o, nil
}
