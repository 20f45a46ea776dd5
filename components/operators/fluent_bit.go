package operators

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/internal/iampolicy"
	"github.com/eksplatform/eksplatform/components/irsa"
	"github.com/eksplatform/eksplatform/components/kube"
)

// aws-for-fluent-bit's namespace and service account.
const (
	FluentBitNamespace      = "amazon-cloudwatch"
	FluentBitServiceAccount = "aws-for-fluent-bit"
	// FluentBitFallbackStreamPrefix names the log streams of records the
	// stream template cannot place.
	FluentBitFallbackStreamPrefix = "fallback-"
)

// FluentBitArgs configures pod log forwarding.
type FluentBitArgs struct {
	ClusterName string
	Region      string
	Partition   string
	AccountID   string
	// LogGroup is the cluster's pod log group, /aws/eks/<cluster>/pods.
	LogGroup      string
	RetentionDays int
	IRSA          irsa.Cluster
	// KubernetesProvider, Chart: the aws-for-fluent-bit chart.
	KubernetesProvider pulumi.ProviderResource
	Chart              catalog.Chart
	WaitFor            []pulumi.Resource
	Tags               map[string]string
}

// FluentBit is aws-for-fluent-bit, its log group and its role.
type FluentBit struct {
	pulumi.ResourceState

	LogGroupARN pulumi.StringOutput
	RoleARN     pulumi.StringOutput
}

// FluentBitPolicy writes log streams of the one log group; it cannot create
// groups, change retention or read logs.
func FluentBitPolicy(partition, region, account, group string) string {
	arn := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s", partition, region, account, group)
	return iampolicy.New(iampolicy.Statement{
		Sid: "WriteThisClusterPodLogs", Effect: "Allow",
		Action:   []string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"},
		Resource: []string{arn, arn + ":log-stream:*"},
	}).JSON()
}

// NewFluentBit creates the pod log group with its retention, the IRSA role
// scoped to it, and the aws-for-fluent-bit DaemonSet on every node.
func NewFluentBit(ctx *pulumi.Context, name string, args *FluentBitArgs, opts ...pulumi.ResourceOption) (*FluentBit, error) {
	if args == nil {
		return nil, fmt.Errorf("FluentBit %s: args are required", name)
	}
	a := args
	var errs argcheck.Errors
	errs.Check(a.ClusterName != "" && a.Region != "" && a.Partition != "" && a.AccountID != "", "ClusterName, Region, Partition and AccountID are required")
	errs.Check(strings.HasPrefix(a.LogGroup, "/aws/eks/"+a.ClusterName+"/"), "LogGroup must be under /aws/eks/%s/, got %q", a.ClusterName, a.LogGroup)
	errs.Check(slices.Contains(catalog.LogRetentionDays, a.RetentionDays), "RetentionDays must be a CloudWatch Logs retention, got %d", a.RetentionDays)
	errs.Check(a.IRSA.Valid(), "IRSA needs the cluster's OIDC provider ARN and issuer URL")
	errs.Check(a.KubernetesProvider != nil, "KubernetesProvider is required")
	errs.Check(a.Chart.Valid(), "Chart needs repository, chart and version")
	if err := errs.Err("FluentBit", name); err != nil {
		return nil, err
	}
	f := &FluentBit{}
	if err := ctx.RegisterComponentResource("eksplatform:operators:FluentBit", name, f, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(f)
	group, err := cloudwatch.NewLogGroup(ctx, name, &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(a.LogGroup),
		RetentionInDays: pulumi.Int(a.RetentionDays),
		Tags:            pulumi.ToStringMap(a.Tags),
	}, parent)
	if err != nil {
		return nil, err
	}
	f.LogGroupARN = group.Arn
	role, err := irsa.NewRole(ctx, name, irsa.RoleArgs{
		Cluster:         a.IRSA,
		Description:     "aws-for-fluent-bit of " + a.ClusterName + " (eksplatform): writes " + a.LogGroup,
		ServiceAccounts: []string{FluentBitNamespace + "/" + FluentBitServiceAccount},
		Policy:          pulumi.String(FluentBitPolicy(a.Partition, a.Region, a.AccountID, a.LogGroup)),
		Tags:            a.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	f.RoleARN = role.Arn
	off := pulumi.Map{"enabled": pulumi.Bool(false)}
	if _, err := kube.NewRelease(ctx, name, kube.ReleaseArgs{
		Name: "aws-for-fluent-bit", Namespace: FluentBitNamespace, CreateNamespace: true, Chart: a.Chart,
		Values: pulumi.Map{
			"serviceAccount": kube.ServiceAccountValues(FluentBitServiceAccount, role.Arn),
			"cloudWatchLogs": pulumi.Map{
				"enabled":      pulumi.Bool(true),
				"region":       pulumi.String(a.Region),
				"logGroupName": pulumi.String(a.LogGroup),
				// One group: no per-namespace groups the role could not write.
				"logGroupTemplate": pulumi.String(""),
				// The plugin refuses to start without log_stream_name or
				// log_stream_prefix, and the chart renders the prefix only
				// when it is not empty: streams the template cannot name
				// (records without Kubernetes metadata) go to fallback-<tag>.
				"logStreamPrefix":   pulumi.String(FluentBitFallbackStreamPrefix),
				"logStreamTemplate": pulumi.String("$kubernetes['namespace_name'].$kubernetes['pod_name'].$kubernetes['container_name']"),
				"autoCreateGroup":   pulumi.Bool(false),
			},
			"cloudWatch":    off,
			"firehose":      off,
			"kinesis":       off,
			"elasticsearch": off,
			"opensearch":    off,
			"s3":            off,
			// A log agent runs on every node, the tainted management nodes included.
			"tolerations":       pulumi.Array{pulumi.Map{"operator": pulumi.String("Exists")}},
			"priorityClassName": pulumi.String("system-node-critical"),
		},
	}, a.KubernetesProvider, parent, pulumi.DependsOn(append([]pulumi.Resource{group, role}, a.WaitFor...))); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(f, pulumi.Map{"logGroupArn": f.LogGroupARN, "roleArn": f.RoleARN}); err != nil {
		return nil, err
	}
	return f, nil
}
