package observability

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// queueAlarm watches karpenter's interruption queue: SQS's
// ApproximateNumberOfMessagesVisible is a CloudWatch metric, not a
// Prometheus one, so this alert is a CloudWatch alarm. A backlog means
// karpenter does not drain the Spot interruptions, rebalance and health
// events it must act on within the two-minute warning.
func queueAlarm(ctx *pulumi.Context, name string, a *Args, parent pulumi.ResourceOption) (*cloudwatch.MetricAlarm, error) {
	return cloudwatch.NewMetricAlarm(ctx, name+"-karpenter-queue-depth", &cloudwatch.MetricAlarmArgs{
		Name: pulumi.String(a.ClusterName + "-karpenter-interruption-queue-depth"),
		AlarmDescription: pulumi.Sprintf("karpenter of %s is not draining its interruption queue: more than %d messages visible for %d minutes (eksplatform)",
			a.ClusterName, QueueDepthThreshold, QueueDepthPeriod*QueueDepthPeriods/60),
		Namespace:          pulumi.String("AWS/SQS"),
		MetricName:         pulumi.String("ApproximateNumberOfMessagesVisible"),
		Dimensions:         pulumi.StringMap{"QueueName": a.KarpenterQueueName},
		Statistic:          pulumi.String("Maximum"),
		Period:             pulumi.Int(QueueDepthPeriod),
		EvaluationPeriods:  pulumi.Int(QueueDepthPeriods),
		DatapointsToAlarm:  pulumi.Int(QueueDepthPeriods),
		ComparisonOperator: pulumi.String("GreaterThanThreshold"),
		Threshold:          pulumi.Float64(QueueDepthThreshold),
		// An idle queue sends no data points: that is the healthy case.
		TreatMissingData: pulumi.String("notBreaching"),
		Tags:             pulumi.ToStringMap(a.Tags),
	}, parent)
}
