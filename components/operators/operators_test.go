package operators

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/irsa"
	"github.com/eksplatform/eksplatform/components/kube"
	"github.com/eksplatform/eksplatform/internal/mockengine"
)

const (
	testCluster     = "test-i01-aws-eu-west-1"
	testRegion      = "eu-west-1"
	testAccount     = "111122223333"
	testIssuer      = "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
	testProviderARN = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
	testClusterSG   = "sg-0123456789abcdef0"
)

var (
	mgmt      = kube.Taint{Key: "dedicated", Value: "management", Effect: "NoSchedule"}
	testChart = catalog.Chart{Repository: "oci://registry.example.com/charts", Chart: "c", Version: "1.2.3"}
)

func pools() []NodePool {
	base := NodePool{CapacityTypes: []string{"on-demand", "spot"}, InstanceCategories: []string{"c", "m", "r"},
		MinInstanceGeneration: 5, CPULimit: 1000, MemoryLimitGiB: 4000,
		ConsolidationPolicy: "WhenEmptyOrUnderutilized", ConsolidateAfter: "1m", ExpireAfter: "168h"}
	arm, amd := base, base
	arm.Name, arm.Architecture, arm.Weight = "arm", "arm64", 10
	amd.Name, amd.Architecture = "amd", "amd64"
	return []NodePool{arm, amd}
}

func operatorsArgs(p mockengine.Providers, mod func(*Args)) *Args {
	a := &Args{
		ClusterName: testCluster, Region: testRegion, Partition: "aws", AccountID: testAccount,
		IRSA:               irsa.Cluster{OIDCProviderARN: pulumi.String(testProviderARN), OIDCIssuerURL: pulumi.String(testIssuer)},
		KubernetesProvider: p.Kubernetes, Toleration: mgmt, Tags: map[string]string{"team": "platform"},
		Karpenter: KarpenterArgs{
			ClusterEndpoint: pulumi.String("https://ABC.gr7.eu-west-1.eks.amazonaws.com"), ClusterSecurityGroupID: pulumi.String(testClusterSG),
			CRDChart: testChart, Chart: testChart, RunOn: RunOnManagement,
			FargateSubnetIDs: pulumi.ToStringArray([]string{"subnet-0a11aa11aa11aa111", "subnet-0b22bb22bb22bb222"}),
			NodeSelector:     map[string]string{"dedicated": "management"},
			AMIAlias:         "al2023@latest", NodeVolumeSizeGiB: 100, NodePools: pools(),
		},
		PlatformNamespace: "psk-system",
		AdminGroup:        "oidc:ThoughtWorks-DPS/twdps-core-labs-team",
		MetricsServer:     &testChart,
		Reloader:          &testChart,
		ExternalSecrets:   &ExternalSecretsSettings{Chart: testChart, SSMPathPrefix: "/eksplatform/" + testCluster + "/"},
		EchoServer:        &EchoServerSettings{Host: "echo-" + testCluster + ".np.example.com", IngressClass: "alb", Image: "docker.io/hashicorp/http-echo:1.0.0"},
	}
	if mod != nil {
		mod(a)
	}
	return a
}

func runOperators(t *testing.T, mod func(*Args)) *mockengine.Engine {
	t.Helper()
	return mockengine.MustRun(t, testCluster, testRegion, testAccount, func(ctx *pulumi.Context, p mockengine.Providers) error {
		_, err := NewOperators(ctx, testCluster, operatorsArgs(p, mod), pulumi.Providers(p.AWS))
		return err
	})
}

const k = testCluster + "-karpenter"

func TestKarpenterInterruptionQueueAndRules(t *testing.T) {
	t.Parallel()
	e := runOperators(t, nil)
	q := e.Must(t, "aws:sqs/queue:Queue", k)
	assert.Equal(t, 300.0, q.In()["messageRetentionSeconds"])
	assert.Equal(t, true, q.In()["sqsManagedSseEnabled"])
	qp := mockengine.Statements(t, e.Must(t, "aws:sqs/queuePolicy:QueuePolicy", k).In()["policy"].(string))
	require.Len(t, qp, 2)
	assert.Equal(t, map[string]any{"Service": []any{"events.amazonaws.com", "sqs.amazonaws.com"}}, qp[0].Principal, "EventBridge and SQS only")
	assert.Equal(t, "sqs:SendMessage", qp[0].Action)
	assert.Equal(t, q.Out()["arn"], qp[0].Resource)

	// The five rules of karpenter's getting-started template.
	want := map[string][2]string{
		"health":    {"aws.health", "AWS Health Event"},
		"spot":      {"aws.ec2", "EC2 Spot Instance Interruption Warning"},
		"rebalance": {"aws.ec2", "EC2 Instance Rebalance Recommendation"},
		"state":     {"aws.ec2", "EC2 Instance State-change Notification"},
		"capacity":  {"aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning"},
	}
	require.Len(t, e.ByType("aws:cloudwatch/eventRule:EventRule"), 5)
	for key, w := range want {
		rule := e.Must(t, "aws:cloudwatch/eventRule:EventRule", k+"-"+key)
		var pattern map[string][]string
		require.NoError(t, json.Unmarshal([]byte(rule.In()["eventPattern"].(string)), &pattern))
		assert.Equal(t, map[string][]string{"source": {w[0]}, "detail-type": {w[1]}}, pattern, key)
		target := e.Must(t, "aws:cloudwatch/eventTarget:EventTarget", k+"-"+key)
		assert.Equal(t, q.Out()["arn"], target.In()["arn"], "%s targets the queue", key)
		assert.Equal(t, rule.Out()["name"], target.In()["rule"])
	}
}

func TestKarpenterControllerRoleIsScopedToTheCluster(t *testing.T) {
	t.Parallel()
	e := runOperators(t, nil)
	role := e.Must(t, "aws:iam/role:Role", k)
	assert.Equal(t, "system:serviceaccount:karpenter:karpenter", mockengine.IRSASubjects(t, role, testIssuer))

	policy := mockengine.InlinePolicy(t, role)
	bySid := map[string]mockengine.Statement{}
	for _, st := range policy {
		bySid[st.Sid] = st
		for _, res := range mockengine.Strings(st.Resource) {
			if res != "*" {
				continue
			}
			for _, action := range mockengine.Strings(st.Action) {
				read := strings.Contains(action, ":Describe") || strings.Contains(action, ":Get") || strings.Contains(action, ":List")
				assert.True(t, read, "%s: write action %s on *", st.Sid, action)
			}
		}
	}
	nodeRole := e.Must(t, "aws:iam/role:Role", k+"-node")
	assert.Equal(t, nodeRole.Out()["arn"], bySid["AllowPassingInstanceRole"].Resource, "passes only its node role")
	assert.Equal(t, e.Must(t, "aws:sqs/queue:Queue", k).Out()["arn"], bySid["AllowInterruptionQueueActions"].Resource)
	assert.Equal(t, "arn:aws:eks:eu-west-1:111122223333:cluster/"+testCluster, bySid["AllowAPIServerEndpointDiscovery"].Resource)
	assert.Equal(t, "owned", bySid["AllowScopedDeletion"].Condition["StringEquals"]["aws:ResourceTag/kubernetes.io/cluster/"+testCluster])
	assert.Equal(t, testRegion, bySid["AllowRegionalReadActions"].Condition["StringEquals"]["aws:RequestedRegion"])
}

func TestKarpenterNodeRoleJoinsThroughAnEC2LinuxAccessEntry(t *testing.T) {
	t.Parallel()
	e := runOperators(t, nil)
	role := e.Must(t, "aws:iam/role:Role", k+"-node")
	entry := e.Must(t, "aws:eks/accessEntry:AccessEntry", k+"-node")
	assert.Equal(t, "EC2_LINUX", entry.In()["type"])
	assert.Equal(t, role.Out()["arn"], entry.In()["principalArn"])
	assert.Equal(t, testCluster, entry.In()["clusterName"])
	tag := e.Must(t, "aws:ec2/tag:Tag", k+"-cluster-sg-discovery")
	assert.Equal(t, map[string]any{"resourceId": testClusterSG, "key": "karpenter.sh/discovery", "value": testCluster}, tag.In())
}

func TestKarpenterHelmReleasesOnTheManagementPool(t *testing.T) {
	t.Parallel()
	e := runOperators(t, nil)
	crd := e.Must(t, "kubernetes:helm.sh/v3:Release", k+"-crd")
	ctl := e.Must(t, "kubernetes:helm.sh/v3:Release", k)
	assert.Equal(t, "oci://registry.example.com/charts/c", ctl.In()["chart"])
	assert.NotContains(t, ctl.In(), "repositoryOpts", "OCI charts need no repository")
	assert.Equal(t, "1.2.3", ctl.In()["version"])
	assert.Contains(t, ctl.DependsOn, crd.URN, "CRDs first")
	v := ctl.In()["values"].(map[string]any)
	assert.Equal(t, testCluster, v["settings"].(map[string]any)["clusterName"])
	assert.Equal(t, e.Must(t, "aws:sqs/queue:Queue", k).Out()["name"], v["settings"].(map[string]any)["interruptionQueue"])
	assert.Equal(t, map[string]any{"dedicated": "management"}, v["nodeSelector"])
	assert.Contains(t, v["tolerations"], map[string]any{"key": "dedicated", "operator": "Equal", "value": "management", "effect": "NoSchedule"})
	assert.Empty(t, e.ByType("aws:eks/fargateProfile:FargateProfile"))
	assert.Equal(t, e.KubernetesProviderURN(), ctl.Provider)
}

func TestKarpenterOnFargate(t *testing.T) {
	t.Parallel()
	e := runOperators(t, func(a *Args) { a.Karpenter.RunOn = RunOnFargate })
	fp := e.Must(t, "aws:eks/fargateProfile:FargateProfile", k)
	assert.Equal(t, []any{map[string]any{"namespace": "karpenter"}}, fp.In()["selectors"])
	assert.Equal(t, []any{"subnet-0a11aa11aa11aa111", "subnet-0b22bb22bb22bb222"}, fp.In()["subnetIds"])
	trust := mockengine.Statements(t, e.Must(t, "aws:iam/role:Role", k+"-fargate").In()["assumeRolePolicy"].(string))
	assert.Equal(t, map[string]any{"Service": "eks-fargate-pods.amazonaws.com"}, trust[0].Principal)
	v := e.Must(t, "kubernetes:helm.sh/v3:Release", k).In()["values"].(map[string]any)
	assert.NotContains(t, v, "nodeSelector")
	assert.Equal(t, "Default", v["dnsPolicy"])
	assert.Contains(t, e.Must(t, "kubernetes:helm.sh/v3:Release", k).DependsOn, fp.URN)
}

func TestKarpenterNodeClassAndPools(t *testing.T) {
	t.Parallel()
	e := runOperators(t, nil)
	nc := e.Must(t, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", k+"-default")
	spec := nc.In()["spec"].(map[string]any)
	assert.Equal(t, e.Must(t, "aws:iam/role:Role", k+"-node").Out()["name"], spec["role"])
	discovery := []any{map[string]any{"tags": map[string]any{"karpenter.sh/discovery": testCluster}}}
	assert.Equal(t, discovery, spec["subnetSelectorTerms"])
	assert.Equal(t, discovery, spec["securityGroupSelectorTerms"])
	assert.Equal(t, "required", spec["metadataOptions"].(map[string]any)["httpTokens"])
	assert.Equal(t, true, spec["blockDeviceMappings"].([]any)[0].(map[string]any)["ebs"].(map[string]any)["encrypted"])
	assert.Equal(t, []any{map[string]any{"alias": "al2023@latest"}}, spec["amiSelectorTerms"])

	for name, arch := range map[string]string{"arm": "arm64", "amd": "amd64"} {
		np := e.Must(t, "kubernetes:karpenter.sh/v1:NodePool", k+"-"+name)
		spec := np.In()["spec"].(map[string]any)
		tmpl := spec["template"].(map[string]any)["spec"].(map[string]any)
		reqs := tmpl["requirements"].([]any)
		assert.Equal(t, map[string]any{"key": "kubernetes.io/arch", "operator": "In", "values": []any{arch}}, reqs[0], name)
		assert.Contains(t, reqs, map[string]any{"key": "karpenter.sh/capacity-type", "operator": "In", "values": []any{"on-demand", "spot"}})
		assert.Contains(t, reqs, map[string]any{"key": "karpenter.k8s.aws/instance-generation", "operator": "Gt", "values": []any{"4"}})
		assert.Equal(t, "168h", tmpl["expireAfter"], "weekly refresh of data-plane nodes")
		assert.Equal(t, map[string]any{"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"}, tmpl["nodeClassRef"])
		assert.Equal(t, map[string]any{"cpu": "1000", "memory": "4000Gi"}, spec["limits"])
		assert.Equal(t, map[string]any{"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "1m"}, spec["disruption"])
		assert.Contains(t, np.DependsOn, nc.URN)
		assert.Equal(t, e.KubernetesProviderURN(), np.Provider)
	}
}

func TestExternalSecretsReadsOnlyItsPrefix(t *testing.T) {
	t.Parallel()
	e := runOperators(t, nil)
	role := e.Must(t, "aws:iam/role:Role", testCluster+"-external-secrets")
	policy := mockengine.Statements(t, role.In()["inlinePolicies"].([]any)[0].(map[string]any)["policy"].(string))
	assert.Equal(t, "arn:aws:ssm:eu-west-1:111122223333:parameter/eksplatform/"+testCluster+"/*", policy[0].Resource)
	assert.Equal(t, []string{"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"}, mockengine.Strings(policy[0].Action))
	assert.Equal(t, "ssm.eu-west-1.amazonaws.com", policy[1].Condition["StringEquals"]["kms:ViaService"])
	store := e.Must(t, "kubernetes:external-secrets.io/v1:ClusterSecretStore", testCluster+"-external-secrets-aws-parameter-store")
	assert.Equal(t, map[string]any{"provider": map[string]any{"aws": map[string]any{"service": "ParameterStore", "region": testRegion}}}, store.In()["spec"])
	assert.Contains(t, store.DependsOn, e.Must(t, "kubernetes:helm.sh/v3:Release", testCluster+"-external-secrets").URN)
}

func TestPlatformNamespaceAndAdminBinding(t *testing.T) {
	t.Parallel()
	e := runOperators(t, nil)
	ns := e.Must(t, "kubernetes:core/v1:Namespace", testCluster+"-platform")
	assert.Equal(t, "psk-system", ns.In()["metadata"].(map[string]any)["name"])
	crb := e.Must(t, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", testCluster+"-platform-admin-team")
	assert.Equal(t, map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}, crb.In()["roleRef"])
	assert.Equal(t, []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "oidc:ThoughtWorks-DPS/twdps-core-labs-team"}}, crb.In()["subjects"])

	e = runOperators(t, func(a *Args) { a.AdminGroup = "" })
	assert.Empty(t, e.ByType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"), "no claim, no binding")
}

func TestEchoServer(t *testing.T) {
	t.Parallel()
	var url string
	e := mockengine.MustRun(t, testCluster, testRegion, testAccount, func(ctx *pulumi.Context, p mockengine.Providers) error {
		o, err := NewOperators(ctx, testCluster, operatorsArgs(p, nil), pulumi.Providers(p.AWS))
		if err != nil {
			return err
		}
		v, err := mockengine.Await(o.EchoServerURL)
		url, _ = v[0].(string)
		return err
	})
	host := "echo-" + testCluster + ".np.example.com"
	assert.Equal(t, "http://"+host+"/", url)
	ing := e.Must(t, "kubernetes:networking.k8s.io/v1:Ingress", testCluster+"-echo-server")
	spec := ing.In()["spec"].(map[string]any)
	assert.Equal(t, "alb", spec["ingressClassName"])
	assert.Equal(t, host, spec["rules"].([]any)[0].(map[string]any)["host"])
	dep := e.Must(t, "kubernetes:apps/v1:Deployment", testCluster+"-echo-server")
	assert.Equal(t, "psk-system", dep.In()["metadata"].(map[string]any)["namespace"])
	for _, pool := range []string{"arm", "amd"} {
		assert.Contains(t, dep.DependsOn, e.Must(t, "kubernetes:karpenter.sh/v1:NodePool", k+"-"+pool).URN, "pods land on karpenter nodes")
	}
}

func TestOperatorsAreSwitchable(t *testing.T) {
	t.Parallel()
	e := runOperators(t, func(a *Args) { a.MetricsServer, a.Reloader, a.ExternalSecrets, a.EchoServer = nil, nil, nil, nil })
	var releases []string
	for _, r := range e.ByType("kubernetes:helm.sh/v3:Release") {
		releases = append(releases, r.In()["name"].(string))
	}
	assert.ElementsMatch(t, []string{"karpenter", "karpenter-crd"}, releases)
	assert.Empty(t, e.ByType("kubernetes:apps/v1:Deployment"))
	e = runOperators(t, nil)
	assert.Len(t, e.ByType("kubernetes:helm.sh/v3:Release"), 5)
}

func TestKarpenterRejectsBadArgs(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		mod  func(*Args)
		want string
	}{
		"one architecture":      {func(a *Args) { a.Karpenter.NodePools = a.Karpenter.NodePools[:1] }, "NodePools must cover arm64 and amd64"},
		"unknown placement":     {func(a *Args) { a.Karpenter.RunOn = "anywhere" }, `RunOn must be "management" or "fargate"`},
		"management unselected": {func(a *Args) { a.Karpenter.NodeSelector = nil }, "NodeSelector are required"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := mockengine.New(testCluster).Run(mockengine.WithProviders(testRegion, testAccount, func(ctx *pulumi.Context, p mockengine.Providers) error {
				_, err := NewOperators(ctx, testCluster, operatorsArgs(p, tc.mod))
				return err
			}))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
