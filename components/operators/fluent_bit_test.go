package operators

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/internal/mockengine"
)

const testPodLogs = "/aws/eks/" + testCluster + "/pods"

func withFluentBit(a *Args) {
	a.FluentBit = &FluentBitSettings{Chart: testChart, LogGroup: testPodLogs, RetentionDays: 90}
}

func TestFluentBitWritesOnlyItsLogGroup(t *testing.T) {
	t.Parallel()
	e := runOperators(t, withFluentBit)
	name := testCluster + "-fluent-bit"

	group := e.Must(t, "aws:cloudwatch/logGroup:LogGroup", name)
	assert.Equal(t, testPodLogs, group.In()["name"])
	assert.InDelta(t, 90, group.In()["retentionInDays"], 0, "retention from the environment")

	role := e.Must(t, "aws:iam/role:Role", name)
	policy := mockengine.InlinePolicy(t, role)
	require.Len(t, policy, 1)
	arn := "arn:aws:logs:eu-west-1:111122223333:log-group:" + testPodLogs
	assert.Equal(t, []string{arn, arn + ":log-stream:*"}, mockengine.Strings(policy[0].Resource), "the one log group and its streams")
	assert.Equal(t, []string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"}, mockengine.Strings(policy[0].Action),
		"no CreateLogGroup, no PutRetentionPolicy, no reads")
	assert.Equal(t, "system:serviceaccount:amazon-cloudwatch:aws-for-fluent-bit", mockengine.IRSASubjects(t, role, testIssuer))

	release := e.Must(t, "kubernetes:helm.sh/v3:Release", name)
	in := release.In()
	assert.Equal(t, "amazon-cloudwatch", in["namespace"])
	values := in["values"].(map[string]any)
	cw := values["cloudWatchLogs"].(map[string]any)
	assert.Equal(t, testPodLogs, cw["logGroupName"])
	assert.Equal(t, testRegion, cw["region"])
	assert.Equal(t, false, cw["autoCreateGroup"], "the log group is Pulumi's, with its retention")
	assert.Empty(t, cw["logGroupTemplate"], "no per-namespace groups the role could not write")
	// Fluent Bit's cloudwatch_logs refuses to start without log_stream_name
	// or log_stream_prefix ("Either 'log_stream_name' or 'log_stream_prefix'
	// is required"), and the chart renders the prefix only when it is set.
	assert.NotEmpty(t, cw["logStreamPrefix"], "a fallback stream prefix keeps the plugin starting")
	assert.NotContains(t, cw, "logStreamName", "name and prefix together are refused too")
	for _, other := range []string{"cloudWatch", "firehose", "kinesis", "elasticsearch", "opensearch", "s3"} {
		assert.Equal(t, map[string]any{"enabled": false}, values[other], other)
	}
	assert.Equal(t, []any{map[string]any{"operator": "Exists"}}, values["tolerations"], "logs of every node, the management nodes too")
	sa := values["serviceAccount"].(map[string]any)
	assert.Equal(t, role.Out()["arn"], sa["annotations"].(map[string]any)["eks.amazonaws.com/role-arn"])
	assert.Contains(t, release.DependsOn, group.URN, "the group exists before anything writes to it")
}

func TestFluentBitIsOffByDefaultAndRejectsBadArgs(t *testing.T) {
	t.Parallel()
	e := runOperators(t, nil)
	assert.Empty(t, e.ByType("aws:cloudwatch/logGroup:LogGroup"))

	for name, mod := range map[string]func(*FluentBitArgs){
		"retention":       func(a *FluentBitArgs) { a.RetentionDays = 45 },
		"foreign group":   func(a *FluentBitArgs) { a.LogGroup = "/aws/eks/other-cluster/pods" },
		"no chart":        func(a *FluentBitArgs) { a.Chart.Version = "" },
		"no cluster name": func(a *FluentBitArgs) { a.ClusterName = "" },
	} {
		err := mockengine.New(testCluster).Run(mockengine.WithProviders(testRegion, testAccount, func(ctx *pulumi.Context, p mockengine.Providers) error {
			a := &FluentBitArgs{ClusterName: testCluster, Region: testRegion, Partition: "aws", AccountID: testAccount,
				LogGroup: testPodLogs, RetentionDays: 30, IRSA: operatorsArgs(p, nil).IRSA, KubernetesProvider: p.Kubernetes, Chart: testChart}
			mod(a)
			_, err := NewFluentBit(ctx, "fb", a)
			return err
		}))
		assert.ErrorContains(t, err, "FluentBit fb", name)
	}
}
