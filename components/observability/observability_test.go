package observability

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/eksplatform/eksplatform/internal/mockengine"
)

const (
	testCluster   = "test-i01-aws-eu-west-1"
	testRegion    = "eu-west-1"
	testAccount   = "111122223333"
	testClusterSG = "sg-0123456789abcdef0"
	testQueue     = "test-i01-aws-eu-west-1-karpenter"
)

var (
	testSubnets = []string{"subnet-0a11aa11aa11aa111", "subnet-0b22bb22bb22bb222"}
	testARN     = "arn:aws:eks:eu-west-1:111122223333:cluster/" + testCluster
)

func args(p mockengine.Providers, mod func(*Args)) *Args {
	a := &Args{
		ClusterName: testCluster, Region: testRegion, Partition: "aws", AccountID: testAccount,
		ClusterARN: pulumi.String(testARN), VpcID: pulumi.String("vpc-0123456789abcdef0"),
		ClusterSecurityGroupID: pulumi.String(testClusterSG), PrivateSubnetIDs: pulumi.ToStringArray(testSubnets),
		KarpenterQueueName: pulumi.String(testQueue), KubernetesProvider: p.Kubernetes,
		Prometheus: &PrometheusArgs{RetentionDays: 400},
		Tags:       map[string]string{"team": "platform"},
	}
	if mod != nil {
		mod(a)
	}
	return a
}

func run(t *testing.T, mod func(*Args)) *mockengine.Engine {
	t.Helper()
	return mockengine.MustRun(t, testCluster, testRegion, testAccount, func(ctx *pulumi.Context, p mockengine.Providers) error {
		_, err := NewObservability(ctx, testCluster, args(p, mod), pulumi.Providers(p.AWS))
		return err
	})
}

func TestWorkspaceNamedAndTaggedForTheCluster(t *testing.T) {
	t.Parallel()
	e := run(t, nil)
	ws := e.Must(t, "aws:amp/workspace:Workspace", testCluster)
	assert.Equal(t, testCluster, ws.In()["alias"])
	assert.Equal(t, map[string]any{"team": "platform"}, ws.In()["tags"])
	cfg := e.Must(t, "aws:amp/workspaceConfiguration:WorkspaceConfiguration", testCluster)
	assert.Equal(t, ws.ID, cfg.In()["workspaceId"])
	assert.Equal(t, 400.0, cfg.In()["retentionPeriodInDays"], "the retention asked for")
	rules := e.Must(t, "aws:amp/ruleGroupNamespace:RuleGroupNamespace", testCluster+"-rules")
	assert.Equal(t, ws.ID, rules.In()["workspaceId"])
	assert.Equal(t, RuleNamespace, rules.In()["name"])
	assert.Equal(t, AlertRules(), rules.In()["data"], "the embedded rule file, unchanged")
}

func TestScraperReadsTheClusterThroughItsOwnSecurityGroup(t *testing.T) {
	t.Parallel()
	e := run(t, nil)
	ws := e.Must(t, "aws:amp/workspace:Workspace", testCluster)
	sg := e.Must(t, "aws:ec2/securityGroup:SecurityGroup", testCluster+"-scraper")
	egress := sg.In()["egress"].([]any)
	require.Len(t, egress, 1, "one way out")
	eg := egress[0].(map[string]any)
	assert.Equal(t, []any{testClusterSG}, eg["securityGroups"], "egress to the cluster security group only")
	assert.Equal(t, 443.0, eg["fromPort"])
	assert.Equal(t, 443.0, eg["toPort"])
	assert.Nil(t, sg.In()["ingress"], "nothing reaches the scraper")

	in := e.Must(t, "aws:ec2/securityGroupRule:SecurityGroupRule", testCluster+"-scraper-ingress").In()
	assert.Equal(t, "ingress", in["type"])
	assert.Equal(t, testClusterSG, in["securityGroupId"])
	assert.Equal(t, sg.ID, in["sourceSecurityGroupId"])
	assert.Equal(t, []any{443.0, 443.0}, []any{in["fromPort"], in["toPort"]})

	sc := e.Must(t, "aws:amp/scraper:Scraper", testCluster)
	src := sc.In()["source"].(map[string]any)["eks"].(map[string]any)
	assert.Equal(t, testARN, src["clusterArn"])
	assert.Equal(t, []any{testSubnets[0], testSubnets[1]}, src["subnetIds"])
	assert.Equal(t, []any{sg.ID}, src["securityGroupIds"])
	assert.Equal(t, ws.Out()["arn"], sc.In()["destination"].(map[string]any)["amp"].(map[string]any)["workspaceArn"])
	assert.Equal(t, ScrapeConfiguration(testCluster), sc.In()["scrapeConfiguration"])
	assert.Contains(t, sc.In()["scrapeConfiguration"], `cluster: "`+testCluster+`"`, "the cluster's name fills the placeholder")
	ingressRule, _ := e.Find("aws:ec2/securityGroupRule:SecurityGroupRule", testCluster+"-scraper-ingress")
	assert.Contains(t, sc.DependsOn, ingressRule.URN, "the scraper starts once the cluster admits it")
}

func TestScraperIsAKubernetesUserWithReadOnlyAccess(t *testing.T) {
	t.Parallel()
	e := run(t, nil)
	sc := e.Must(t, "aws:amp/scraper:Scraper", testCluster)
	roleARN := sc.Out()["roleArn"].(string)
	require.NotEmpty(t, roleARN)
	entry := e.Must(t, "aws:eks/accessEntry:AccessEntry", testCluster+"-scraper").In()
	assert.Equal(t, roleARN, entry["principalArn"], "the role AMP made for this scraper")
	assert.Equal(t, ScraperUser, entry["userName"])
	assert.Equal(t, testCluster, entry["clusterName"])
	assert.Empty(t, e.ByType("aws:eks/accessPolicyAssociation:AccessPolicyAssociation"), "no EKS access policy: RBAC alone")

	role := e.Must(t, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", testCluster+"-scraper")
	assert.Equal(t, e.KubernetesProviderURN(), role.Provider)
	for _, r := range role.In()["rules"].([]any) {
		for _, v := range r.(map[string]any)["verbs"].([]any) {
			assert.Contains(t, []any{"get", "list", "watch"}, v, "read only")
		}
	}
	binding := e.Must(t, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", testCluster+"-scraper").In()
	assert.Equal(t, ScraperClusterRole, binding["roleRef"].(map[string]any)["name"])
	assert.Equal(t, []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": ScraperUser}}, binding["subjects"])
}

// Every path the scrape configuration reads must be granted by the ClusterRole.
func TestClusterRoleGrantsWhatTheScrapeConfigurationReads(t *testing.T) {
	t.Parallel()
	var cfg struct {
		ScrapeConfigs []struct {
			JobName        string `yaml:"job_name"`
			MetricsPath    string `yaml:"metrics_path"`
			RelabelConfigs []struct {
				TargetLabel string `yaml:"target_label"`
				Replacement string `yaml:"replacement"`
			} `yaml:"relabel_configs"`
		} `yaml:"scrape_configs"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(ScrapeConfiguration(testCluster)), &cfg))
	require.NotEmpty(t, cfg.ScrapeConfigs)
	e := run(t, nil)
	granted := map[string]bool{}
	for _, r := range e.Must(t, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", testCluster+"-scraper").In()["rules"].([]any) {
		rule := r.(map[string]any)
		for _, u := range mockengine.Strings(rule["nonResourceURLs"]) {
			granted["url:"+u] = true
		}
		for _, g := range mockengine.Strings(rule["apiGroups"]) {
			for _, res := range mockengine.Strings(rule["resources"]) {
				granted[g+"/"+res] = true
			}
		}
	}
	for _, job := range cfg.ScrapeConfigs {
		path := job.MetricsPath
		for _, rc := range job.RelabelConfigs {
			if rc.TargetLabel == "__metrics_path__" {
				path = rc.Replacement
			}
		}
		var need string
		switch {
		case path == "":
			need = "url:/metrics"
		case strings.HasPrefix(path, "/api/v1/nodes/"):
			need = "/nodes/proxy"
		case strings.HasPrefix(path, "/apis/metrics.eks.amazonaws.com/v1/kcm/"):
			need = "metrics.eks.amazonaws.com/kcm/metrics"
		case strings.HasPrefix(path, "/apis/metrics.eks.amazonaws.com/v1/ksh/"):
			need = "metrics.eks.amazonaws.com/ksh/metrics"
		default:
			t.Errorf("job %s reads %s, which this test does not know", job.JobName, path)
			continue
		}
		assert.True(t, granted[need], "job %s reads %q: the ClusterRole must grant %s", job.JobName, path, need)
	}
}

func TestQueueAlarmWatchesKarpentersQueue(t *testing.T) {
	t.Parallel()
	e := run(t, nil)
	in := e.Must(t, "aws:cloudwatch/metricAlarm:MetricAlarm", testCluster+"-karpenter-queue-depth").In()
	assert.Equal(t, "AWS/SQS", in["namespace"])
	assert.Equal(t, "ApproximateNumberOfMessagesVisible", in["metricName"])
	assert.Equal(t, map[string]any{"QueueName": testQueue}, in["dimensions"])
	assert.Equal(t, "GreaterThanThreshold", in["comparisonOperator"])
	assert.Equal(t, float64(QueueDepthThreshold), in["threshold"])
	assert.Equal(t, "notBreaching", in["treatMissingData"], "an idle queue is healthy")
	assert.Equal(t, testCluster+"-karpenter-interruption-queue-depth", in["name"])
	assert.Equal(t, map[string]any{"team": "platform"}, in["tags"])
}

func TestWithoutPrometheusOnlyTheAlarm(t *testing.T) {
	t.Parallel()
	e := run(t, func(a *Args) { a.Prometheus = nil; a.ClusterARN = nil; a.KubernetesProvider = nil })
	e.Must(t, "aws:cloudwatch/metricAlarm:MetricAlarm", testCluster+"-karpenter-queue-depth")
	for _, typ := range []string{"aws:amp/workspace:Workspace", "aws:amp/scraper:Scraper", "aws:eks/accessEntry:AccessEntry", "aws:ec2/securityGroup:SecurityGroup"} {
		assert.Empty(t, e.ByType(typ), typ)
	}
}

func TestEveryResourceIsTheComponentsChild(t *testing.T) {
	t.Parallel()
	e := run(t, nil)
	comp := e.Must(t, "eksplatform:observability:Observability", testCluster)
	n := 0
	for _, r := range e.Resources() {
		if r.Custom && !strings.HasPrefix(r.Type, "pulumi:providers:") {
			n++
			assert.Equal(t, comp.URN, r.Parent, "%s %s", r.Type, r.Name)
		}
	}
	assert.Equal(t, 10, n, "alarm, workspace, its configuration, rules, security group and rule, scraper, access entry, ClusterRole, binding")
}

func TestBadArgumentsAreNamed(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		mod  func(*Args)
		want []string
	}{
		"retention":  {func(a *Args) { a.Prometheus.RetentionDays = 2000 }, []string{"Prometheus.RetentionDays must be between 1 and 1095, got 2000"}},
		"no queue":   {func(a *Args) { a.KarpenterQueueName = nil }, []string{"KarpenterQueueName is required"}},
		"no network": {func(a *Args) { a.ClusterSecurityGroupID, a.PrivateSubnetIDs = nil, nil }, []string{"ClusterSecurityGroupID is required with Prometheus", "PrivateSubnetIDs is required with Prometheus"}},
		"no cluster": {func(a *Args) { a.ClusterName = "" }, []string{"ClusterName is required"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := mockengine.New(testCluster).Run(mockengine.WithProviders(testRegion, testAccount, func(ctx *pulumi.Context, p mockengine.Providers) error {
				_, err := NewObservability(ctx, testCluster, args(p, tc.mod))
				return err
			}))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "Observability "+testCluster+": invalid args")
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// TestRuleFileStructure checks the rule file's shape in this module (the
// PromQL and templates are parsed by Prometheus itself in ./promcheck, a
// module of its own): known fields only, every rule an alert with an
// expression, a duration, a severity and a summary.
func TestRuleFileStructure(t *testing.T) {
	t.Parallel()
	var doc struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(AlertRules()))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&doc))
	require.Len(t, doc.Groups, 1)
	seen := map[string]bool{}
	for _, r := range doc.Groups[0].Rules {
		assert.NotEmpty(t, r.Alert)
		assert.False(t, seen[r.Alert], "%s twice", r.Alert)
		seen[r.Alert] = true
		assert.NotEmpty(t, r.Expr, r.Alert)
		assert.Regexp(t, `^[0-9]+[smh]$`, r.For, r.Alert)
		assert.Contains(t, []string{"critical", "warning"}, r.Labels["severity"], r.Alert)
		assert.NotEmpty(t, r.Annotations["summary"], r.Alert)
	}
	for _, want := range []string{"NodeNotReady", "AddonPodNotReady"} {
		assert.True(t, seen[want], want)
	}
	var scrape map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(ScrapeConfiguration(testCluster)), &scrape))
	assert.NotContains(t, ScrapeConfiguration(testCluster), "{cluster}")
}
