package stacks

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/policy"
	"github.com/eksplatform/eksplatform/contract"
	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/internal/mockengine"
)

const envDir = "../environments"

func loadFleet(t testing.TB) *environments.Fleet {
	t.Helper()
	fleet, err := environments.Load(envDir)
	require.NoError(t, err)
	return fleet
}

func cluster(t testing.TB, name string) *environments.Cluster {
	t.Helper()
	c, ok := loadFleet(t).Cluster(name)
	require.True(t, ok, name)
	return c
}

func TestProviderIsPinnedToTheClusterAccountAndRegion(t *testing.T) {
	t.Parallel()
	c := *cluster(t, "prod-i02-aws-us-west-2")
	c.DeployRoleARN = ""
	e := mockengine.New(c.Name)
	require.NoError(t, e.Run(Cluster(&c)))
	providers := e.ByType("pulumi:providers:aws")
	require.Len(t, providers, 1)
	in := providers[0].In()
	assert.Equal(t, "us-west-2", in["region"])
	assert.Equal(t, []any{"345678901234"}, in["allowedAccountIds"])
	assert.NotContains(t, in, "assumeRole", "no deploy role: the ambient credentials")
}

func TestDeployRoleIsAssumed(t *testing.T) {
	t.Parallel()
	c := *cluster(t, "np-i01-aws-us-east-2")
	c.DeployRoleARN = "arn:aws:iam::123456789012:role/eksplatform-deploy"
	e := mockengine.New(c.Name)
	require.NoError(t, e.Run(Cluster(&c)))
	in := e.ByType("pulumi:providers:aws")[0].In()
	assert.Equal(t, map[string]any{"roleArn": c.DeployRoleARN, "sessionName": "eksplatform-np-i01-aws-us-east-2"}, in["assumeRole"])
}

func TestStackNameMustBeTheClusterName(t *testing.T) {
	t.Parallel()
	c := cluster(t, "np-i01-aws-us-east-2")
	err := mockengine.New("another-stack").Run(Cluster(c))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `stack "another-stack" runs cluster "np-i01-aws-us-east-2"`)
}

func TestFromEnvironmentsRunsTheStacksCluster(t *testing.T) {
	t.Parallel()
	e := mockengine.New("prod-i01-aws-us-east-2")
	require.NoError(t, e.Run(FromEnvironments(envDir)))
	cl := e.ByType("eks:index:Cluster")
	require.Len(t, cl, 1)
	assert.Equal(t, "prod-i01-aws-us-east-2", cl[0].In()["name"])

	err := mockengine.New("nope").Run(FromEnvironments(envDir))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `stack "nope" is not a cluster of ../environments`)
	assert.Contains(t, err.Error(), "sbx-i01-aws-us-east-1", "the error lists the stacks that exist")
}

// TestSynthIsDeterministic synthesizes every example cluster several times:
// registration runs concurrently, so anything order-dependent (such as a
// dependency on a component, which means whichever of its children exist at
// that moment) shows up as a difference between runs.
func TestSynthIsDeterministic(t *testing.T) {
	t.Parallel()
	for _, c := range loadFleet(t).Clusters() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			synthTwice(t, c)
		})
	}
}

func synthTwice(t *testing.T, c *environments.Cluster) {
	var first []byte
	for i := range 6 {
		doc, err := Synth(c)
		require.NoError(t, err)
		b, err := doc.JSON()
		require.NoError(t, err)
		if i == 0 {
			first = b
			continue
		}
		assert.True(t, bytes.Equal(first, b), "run %d differs from run 0", i)
	}
	assert.True(t, bytes.HasSuffix(first, []byte("}\n")))
}

func TestSynthDocument(t *testing.T) {
	t.Parallel()
	c := cluster(t, "np-i01-aws-us-east-2")
	doc, err := Synth(c)
	require.NoError(t, err)
	assert.Equal(t, "np-i01-aws-us-east-2", doc.Cluster)
	assert.Equal(t, "nonprod", doc.Role)
	require.NotEmpty(t, doc.Resources)
	for i := 1; i < len(doc.Resources); i++ {
		assert.Less(t, doc.Resources[i-1].URN, doc.Resources[i].URN, "sorted by URN")
	}
	types := map[string]int{}
	for _, r := range doc.Resources {
		types[r.Type]++
		assert.True(t, strings.HasPrefix(r.URN, "urn:pulumi:np-i01-aws-us-east-2::eksplatform::"), r.URN)
		if r.Type != "pulumi:providers:aws" && strings.HasPrefix(r.Type, "aws:") {
			assert.Equal(t, "urn:pulumi:np-i01-aws-us-east-2::eksplatform::pulumi:providers:aws::np-i01-aws-us-east-2", r.Provider, r.URN)
		}
	}
	assert.Equal(t, 1, types["eks:index:Cluster"])
	assert.Equal(t, 6, types["aws:eks/addon:Addon"], "the five base addons and Container Insights (nonprod turns it on)")
	assert.Equal(t, 1, types["aws:eks/nodeGroup:NodeGroup"])
	assert.Equal(t, 1, types["aws:kms/key:Key"])
	assert.Equal(t, 6, types["aws:ec2/subnet:Subnet"])
}

func TestSynthRendersSecretsAsPlaceholders(t *testing.T) {
	t.Parallel()
	doc, err := Synth(cluster(t, "np-i01-aws-us-east-2"))
	require.NoError(t, err)
	b, err := doc.JSON()
	require.NoError(t, err)
	// The kubeconfig is the cluster's only secret; it is an output, never an
	// input, and must not leak through any resource's inputs.
	assert.NotContains(t, string(b), "certificate-authority-data")
	assert.NotContains(t, string(b), "get-token")
}

// BenchmarkSynthCluster synthesizes one full cluster under the mock engine.
func BenchmarkSynthCluster(b *testing.B) {
	c := cluster(b, "prod-i01-aws-us-east-2")
	b.ReportAllocs()
	for b.Loop() {
		doc, err := Synth(c)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := doc.JSON(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAnAdoptedVPCsSubnetsAreSelectedByID: the stack does not tag subnets
// it does not own, so karpenter's EC2NodeClass and the ALB's
// IngressClassParams name an adopted VPC's subnets by id; a created VPC's
// carry the tags and are found by them.
func TestAnAdoptedVPCsSubnetsAreSelectedByID(t *testing.T) {
	t.Parallel()
	c := *cluster(t, "np-i01-aws-us-east-2")
	c.VPC = environments.VPC{ID: "vpc-0a1b2c3d4e5f60718",
		PrivateSubnetIDs: []string{"subnet-0a11aa11aa11aa111", "subnet-0b22bb22bb22bb222"},
		PublicSubnetIDs:  []string{"subnet-0c33cc33cc33cc333", "subnet-0d44dd44dd44dd444"}}
	e := mockengine.New(c.Name)
	require.NoError(t, e.Run(Cluster(&c)))
	class := e.ByType("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
	require.Len(t, class, 1)
	spec := class[0].In()["spec"].(map[string]any)
	assert.Equal(t, []any{map[string]any{"id": "subnet-0a11aa11aa11aa111"}, map[string]any{"id": "subnet-0b22bb22bb22bb222"}}, spec["subnetSelectorTerms"])
	params := e.ByType("kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams")
	require.Len(t, params, 1)
	assert.Equal(t, map[string]any{"ids": []any{"subnet-0c33cc33cc33cc333", "subnet-0d44dd44dd44dd444"}},
		params[0].In()["spec"].(map[string]any)["subnets"], "internet-facing: the public subnets")

	created := mockengine.New("np-i01-aws-us-east-2")
	require.NoError(t, created.Run(Cluster(cluster(t, "np-i01-aws-us-east-2"))))
	spec = created.ByType("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")[0].In()["spec"].(map[string]any)
	assert.Equal(t, []any{map[string]any{"tags": map[string]any{"karpenter.sh/discovery": "np-i01-aws-us-east-2"}}}, spec["subnetSelectorTerms"])
	assert.NotContains(t, created.ByType("kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams")[0].In()["spec"], "subnets")
}

// TestEveryOutputIsExported keeps the stack's outputs and the program's
// contract in step: across the example fleet the program exports exactly
// contract.Names, each at most once per stack, and every stack exports all
// but the outputs of optional layers (EFS, fluent-bit, observability).
func TestEveryOutputIsExported(t *testing.T) {
	t.Parallel()
	optional := map[string]bool{contract.EFSFileSystemID: true, contract.EFSStorageClass: true, contract.PodLogGroup: true,
		contract.ContainerInsights: true, contract.PrometheusWorkspaceID: true, contract.PrometheusEndpoint: true}
	union := map[string]bool{}
	for _, c := range loadFleet(t).Clusters() {
		var mu sync.Mutex
		seen := map[string]int{}
		e := mockengine.New(c.Name)
		require.NoError(t, e.Run(clusterProgram(c, func(_ *pulumi.Context, name string, _ pulumi.Input) {
			mu.Lock()
			defer mu.Unlock()
			seen[name]++
		})))
		for _, n := range contract.Names {
			if !optional[n] {
				assert.Equal(t, 1, seen[n], "%s exports %s once", c.Name, n)
			}
		}
		for n, count := range seen {
			assert.Contains(t, contract.Names, n, "%s exports %s, which the contract does not name", c.Name, n)
			assert.LessOrEqual(t, count, 1, "%s exports %s twice", c.Name, n)
			union[n] = true
		}
	}
	for _, n := range contract.Names {
		assert.True(t, union[n], "no example cluster exports %s", n)
	}
}

// TestEveryFactIsPublishedOnce: each example cluster has one SSM parameter
// per fact of the contract (the EFS id from the storage layer), each holds
// what the stack's output of the same fact holds, and the parameters output
// names exactly those.
func TestEveryFactIsPublishedOnce(t *testing.T) {
	t.Parallel()
	for _, c := range loadFleet(t).Clusters() {
		var mu sync.Mutex
		outputs := map[string]pulumi.Input{}
		e := mockengine.New(c.Name)
		require.NoError(t, e.Run(clusterProgram(c, func(_ *pulumi.Context, name string, v pulumi.Input) {
			mu.Lock()
			defer mu.Unlock()
			outputs[name] = v
		})))
		byName := map[string]mockengine.Resource{}
		for _, p := range e.ByType("aws:ssm/parameter:Parameter") {
			n := p.In()["name"].(string)
			if strings.HasPrefix(n, contract.ParameterPrefix(c.Name)) {
				_, dup := byName[n]
				assert.False(t, dup, "%s: %s twice", c.Name, n)
				byName[n] = p
			}
		}
		names, err := mockengine.Await(outputs[contract.Parameters].(pulumi.StringMap).ToStringMapOutput())
		require.NoError(t, err)
		named := names[0].(map[string]string)
		for _, f := range contract.Facts {
			_, hasOutput := outputs[f.Output]
			if f.Optional && !hasOutput {
				assert.NotContains(t, named, f.Name, c.Name)
				continue
			}
			p, ok := byName[contract.ParameterName(c.Name, f.Name)]
			if !assert.True(t, ok, "%s publishes %s", c.Name, f.Name) {
				continue
			}
			assert.Equal(t, contract.ParameterName(c.Name, f.Name), named[f.Name])
			value := p.In()["insecureValue"]
			assert.NotEmpty(t, value, "%s %s", c.Name, f.Name)
			if o, ok := outputs[f.Output].(pulumi.String); ok {
				assert.Equal(t, string(o), value, "%s: %s holds the %s output", c.Name, f.Name, f.Output)
			}
		}
		assert.Len(t, byName, len(named), "%s: no parameter under its prefix that the output does not name", c.Name)
	}
}

// TestObservabilityFollowsTheRole: prod (both options) gets the Container
// Insights addon with its IRSA role, a workspace whose scraper reads its own
// cluster from the VPC's private subnets through the cluster security group,
// the alarm on its own queue and the workspace's facts and outputs; a role
// with neither option gets none of it.
func TestObservabilityFollowsTheRole(t *testing.T) {
	t.Parallel()
	c := cluster(t, "prod-i01-aws-us-east-2")
	require.True(t, c.Observability.ContainerInsights && c.Observability.Prometheus.Enabled, "the example prod role has both")
	e := mockengine.New(c.Name)
	exports := map[string]pulumi.Input{}
	var mu sync.Mutex
	require.NoError(t, e.Run(clusterProgram(c, func(_ *pulumi.Context, name string, v pulumi.Input) {
		mu.Lock()
		defer mu.Unlock()
		exports[name] = v
	})))

	ci := e.Must(t, "aws:eks/addon:Addon", c.Name+"-"+environments.ContainerInsightsAddon)
	role := e.Must(t, "aws:iam/role:Role", c.Name+"-"+environments.ContainerInsightsAddon)
	assert.Equal(t, role.Out()["arn"], ci.In()["serviceAccountRoleArn"])
	att := e.Must(t, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", c.Name+"-"+environments.ContainerInsightsAddon)
	assert.Equal(t, "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy", att.In()["policyArn"])
	assert.Contains(t, role.In()["assumeRolePolicy"], "system:serviceaccount:amazon-cloudwatch:cloudwatch-agent")

	sc := e.Must(t, "aws:amp/scraper:Scraper", c.Name).In()["source"].(map[string]any)["eks"].(map[string]any)
	assert.Equal(t, "arn:aws:eks:"+c.Region+":"+c.AccountID+":cluster/"+c.Name, sc["clusterArn"], "the scraper reads its own cluster")
	ids := mockengine.Strings(sc["subnetIds"])
	require.NotEmpty(t, ids)
	subnets := map[string]bool{}
	for _, s := range e.ByType("aws:ec2/subnet:Subnet") {
		subnets[s.ID] = s.In()["mapPublicIpOnLaunch"] != true
	}
	for _, id := range ids {
		assert.True(t, subnets[id], "%s is a private subnet of the cluster's VPC", id)
	}
	rule := e.Must(t, "aws:ec2/securityGroupRule:SecurityGroupRule", c.Name+"-scraper-ingress").In()
	eksOut := e.Must(t, "eks:index:Cluster", c.Name).Out()
	assert.Contains(t, fmt.Sprint(eksOut), fmt.Sprint(rule["securityGroupId"]), "the ingress rule is on the cluster's own security group")
	alarm := e.Must(t, "aws:cloudwatch/metricAlarm:MetricAlarm", c.Name+"-karpenter-queue-depth").In()
	queue := e.Must(t, "aws:sqs/queue:Queue", c.Name+"-karpenter").Out()["name"]
	assert.Equal(t, map[string]any{"QueueName": queue}, alarm["dimensions"])

	got, err := mockengine.Await(exports[contract.PrometheusWorkspaceID].(pulumi.StringOutput), exports[contract.PrometheusEndpoint].(pulumi.StringOutput))
	require.NoError(t, err)
	ws := e.Must(t, "aws:amp/workspace:Workspace", c.Name)
	assert.Equal(t, []any{ws.ID, ws.Out()["prometheusEndpoint"]}, got)
	for fact, want := range map[string]any{contract.FactPrometheusWorkspaceID: ws.ID, contract.FactPrometheusEndpoint: ws.Out()["prometheusEndpoint"]} {
		p := e.Must(t, "aws:ssm/parameter:Parameter", c.Name+"-"+fact).In()
		assert.Equal(t, contract.ParameterName(c.Name, fact), p["name"])
		assert.Equal(t, want, p["insecureValue"], fact)
	}
	assert.Equal(t, pulumi.String("https://us-east-2.console.aws.amazon.com/cloudwatch/home?region=us-east-2#container-insights:"), exports[contract.ContainerInsights])

	for _, other := range loadFleet(t).Clusters() {
		if other.Observability.Any() {
			continue
		}
		off := mockengine.New(other.Name)
		require.NoError(t, off.Run(Cluster(other)))
		for _, typ := range []string{"eksplatform:observability:Observability", "aws:amp/workspace:Workspace", "aws:cloudwatch/metricAlarm:MetricAlarm"} {
			assert.Empty(t, off.ByType(typ), "%s: %s", other.Name, typ)
		}
		_, has := off.Find("aws:eks/addon:Addon", other.Name+"-"+environments.ContainerInsightsAddon)
		assert.False(t, has, other.Name)
		return
	}
	t.Fatal("no example cluster without observability")
}

// TestThePolicyIDsOfTheFilesAreThePolicies: environments validates policy
// ids without importing components/policy; the two lists stay equal.
func TestThePolicyIDsOfTheFilesAreThePolicies(t *testing.T) {
	t.Parallel()
	assert.Equal(t, policy.IDs(), environments.PolicyIDs)
}

// TestTheExampleRolesRunThePolicies: sandbox enforces first, prod audits
// first; each cluster's constraints judge its next minor, with its own
// management taint and the addons' namespaces as platform ones.
func TestTheExampleRolesRunThePolicies(t *testing.T) {
	t.Parallel()
	modes := map[string]string{}
	for _, c := range loadFleet(t).Clusters() {
		if !c.Policy.Enabled {
			continue
		}
		modes[c.Role] = c.Policy.Mode
		s := policySettings(c)
		require.NoError(t, s.Validate(), c.Name)
		assert.Equal(t, catalog.NextMinor(c.EKSVersion), s.NextMinor)
		assert.Equal(t, c.NodeGroup.Taint.Key, s.ManagementTaint.Key)
		assert.Contains(t, s.PlatformNamespaces, "kube-system", "the addons' controllers")
		if c.Observability.ContainerInsights {
			assert.Contains(t, s.PlatformNamespaces, "amazon-cloudwatch", "Container Insights' agent")
		}
		e := mockengine.New(c.Name)
		require.NoError(t, e.Run(Cluster(c)))
		release := e.Must(t, "kubernetes:helm.sh/v3:Release", c.Name+"-policy")
		assert.Equal(t, c.Charts["gatekeeper"].Version, release.In()["version"])
		want := map[string]string{environments.PolicyEnforce: "deny", environments.PolicyAudit: "warn"}[c.Policy.Mode]
		constraints := 0
		for _, r := range e.Resources() {
			if strings.HasPrefix(r.Type, "kubernetes:constraints.gatekeeper.sh/") {
				constraints++
				assert.Equal(t, want, r.In()["spec"].(map[string]any)["enforcementAction"], "%s %s", c.Name, r.Name)
			}
		}
		assert.Equal(t, len(policy.IDs())-len(c.Policy.Disabled), constraints, c.Name)
	}
	assert.Equal(t, map[string]string{"sandbox": "enforce", "nonprod": "audit", "prod": "audit"}, modes)
}
