package network

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/irsa"
	"github.com/eksplatform/eksplatform/components/kube"
	"github.com/eksplatform/eksplatform/internal/mockengine"
)

const (
	testIssuer      = "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
	testProviderARN = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
	testClusterSG   = "sg-0123456789abcdef0"
)

var (
	mgmt      = kube.Taint{Key: "dedicated", Value: "management", Effect: "NoSchedule"}
	testChart = catalog.Chart{Repository: "https://charts.example.com", Chart: "c", Version: "1.2.3"}
	testIRSA  = irsa.Cluster{OIDCProviderARN: pulumi.String(testProviderARN), OIDCIssuerURL: pulumi.String(testIssuer)}
)

func networkArgs(p mockengine.Providers, mod func(*Args)) *Args {
	a := &Args{
		ClusterName: testCluster, Region: testRegion, Partition: "aws", AccountID: testAccount,
		VpcID: pulumi.String("vpc-0a1b2c3d4e5f60718"), ClusterSecurityGroupID: pulumi.String(testClusterSG),
		IRSA: testIRSA, KubernetesProvider: p.Kubernetes, Toleration: mgmt,
		LoadBalancerController: &LoadBalancerSettings{Chart: testChart, IngressClass: "alb", IngressGroup: "platform", Scheme: "internet-facing"},
		ExternalDNS: &ExternalDNSSettings{Chart: testChart, Policy: "sync",
			HostedZoneIDs: []string{"Z0AAAAAAAAAAAAAAAAAA1", "Z0BBBBBBBBBBBBBBBBBB2"}, DomainFilters: []string{"np.example.com"}},
		CertManager: &CertManagerSettings{Chart: testChart, Issuer: &ACMEIssuer{
			Email: "ops@example.com", Server: "https://acme.example.com/directory",
			HostedZoneIDs: []string{"Z0AAAAAAAAAAAAAAAAAA1"}, DNSZones: []string{"np.example.com"},
		}},
	}
	if mod != nil {
		mod(a)
	}
	return a
}

func runNetwork(t *testing.T, mod func(*Args)) *mockengine.Engine {
	t.Helper()
	return mockengine.MustRun(t, testCluster, testRegion, testAccount, func(ctx *pulumi.Context, p mockengine.Providers) error {
		_, err := NewNetwork(ctx, testCluster, networkArgs(p, mod), pulumi.Providers(p.AWS))
		return err
	})
}

func TestLoadBalancerController(t *testing.T) {
	t.Parallel()
	e := runNetwork(t, nil)
	name := testCluster + "-aws-load-balancer-controller"
	role := e.Must(t, "aws:iam/role:Role", name)
	assert.Equal(t, "system:serviceaccount:kube-system:aws-load-balancer-controller", mockengine.IRSASubjects(t, role, testIssuer))

	policy := mockengine.InlinePolicy(t, role)
	grantedOn := map[string][]string{}
	for _, st := range policy {
		for _, a := range mockengine.Strings(st.Action) {
			grantedOn[a] = append(grantedOn[a], mockengine.Strings(st.Resource)...)
		}
	}
	// ModifyListenerAttributes acts on listeners; SetWebAcl supports no
	// resource type, so only "*" grants it.
	for _, res := range grantedOn["elasticloadbalancing:ModifyListenerAttributes"] {
		assert.Regexp(t, `:listener/(app|net)/\*/\*/\*$`, res)
	}
	assert.NotEmpty(t, grantedOn["elasticloadbalancing:ModifyListenerAttributes"])
	assert.Equal(t, []string{"*"}, grantedOn["elasticloadbalancing:SetWebAcl"])
	for _, st := range policy {
		for _, res := range mockengine.Strings(st.Resource) {
			if res == "*" {
				for _, action := range mockengine.Strings(st.Action) {
					writes := !strings.Contains(action, ":Describe") && !strings.Contains(action, ":Get") && !strings.Contains(action, ":List")
					unscopable := strings.HasPrefix(action, "waf") || strings.HasPrefix(action, "shield:") || strings.HasPrefix(action, "cognito-idp:") || strings.HasPrefix(action, "acm:") || strings.HasPrefix(action, "iam:") ||
						action == "elasticloadbalancing:SetWebAcl"
					assert.False(t, writes && !unscopable && st.Condition == nil, "%s: %s on * without a condition", st.Sid, action)
				}
			}
		}
		for _, c := range st.Condition {
			for key, v := range c {
				if strings.HasSuffix(key, "/elbv2.k8s.aws/cluster") && v != "true" {
					assert.Equal(t, testCluster, v, "%s: the cluster tag must name this cluster", st.Sid)
				}
			}
		}
	}
	sids := map[string]any{}
	for _, st := range policy {
		sids[st.Sid] = st.Resource
	}
	assert.Equal(t, "arn:aws:ec2:eu-west-1:111122223333:security-group/"+testClusterSG, sids["OpenNodeSecurityGroup"])
	assert.Contains(t, mockengine.Strings(sids["CreateSecurityGroupsInClusterVPC"]), "arn:aws:ec2:eu-west-1:111122223333:vpc/vpc-0a1b2c3d4e5f60718")

	rel := e.Must(t, "kubernetes:helm.sh/v3:Release", name)
	in := rel.In()
	assert.Equal(t, e.KubernetesProviderURN(), rel.Provider)
	assert.Equal(t, "kube-system", in["namespace"])
	assert.Equal(t, "1.2.3", in["version"])
	assert.Equal(t, "c", in["chart"])
	assert.Equal(t, map[string]any{"repo": "https://charts.example.com"}, in["repositoryOpts"])
	values := in["values"].(map[string]any)
	assert.Equal(t, testCluster, values["clusterName"])
	assert.Equal(t, "vpc-0a1b2c3d4e5f60718", values["vpcId"])
	assert.Equal(t, false, values["createIngressClassResource"])
	assert.Equal(t, true, values["keepTLSSecret"], "chart 3.x would regenerate the webhook certificate on every upgrade")
	assert.Equal(t, []any{map[string]any{"key": "dedicated", "operator": "Equal", "value": "management", "effect": "NoSchedule"}}, values["tolerations"])
	assert.Equal(t, role.Out()["arn"], values["serviceAccount"].(map[string]any)["annotations"].(map[string]any)["eks.amazonaws.com/role-arn"])

	params := e.Must(t, "kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams", name+"-alb")
	assert.Equal(t, map[string]any{"group": map[string]any{"name": "platform"}, "scheme": "internet-facing"}, params.In()["spec"])
	assert.Contains(t, params.DependsOn, rel.URN, "the CRD comes with the chart")
	class := e.Must(t, "kubernetes:networking.k8s.io/v1:IngressClass", name+"-alb")
	assert.Equal(t, "true", class.In()["metadata"].(map[string]any)["annotations"].(map[string]any)["ingressclass.kubernetes.io/is-default-class"])
	assert.Equal(t, map[string]any{"controller": "ingress.k8s.aws/alb", "parameters": map[string]any{
		"apiGroup": "elbv2.k8s.aws", "kind": "IngressClassParams", "name": "alb"}}, class.In()["spec"])
	assert.Equal(t, e.KubernetesProviderURN(), class.Provider)
	assert.Equal(t, e.KubernetesProviderURN(), params.Provider)
}

// Helm installs a chart's crds/ once and never upgrades them; the program
// applies the load balancer controller's CRDs itself, kept on delete, and
// the release skips them.
func TestLoadBalancerControllerAppliesTheChartsCRDs(t *testing.T) {
	t.Parallel()
	lbc, _ := catalog.Default().Chart("aws-load-balancer-controller")
	crds, err := catalog.Default().CRDs(lbc)
	require.NoError(t, err)
	e := runNetwork(t, func(a *Args) {
		a.LoadBalancerController.Chart = lbc
		a.LoadBalancerController.CRDs = crds
	})
	name := testCluster + "-aws-load-balancer-controller"
	rel := e.Must(t, "kubernetes:helm.sh/v3:Release", name)
	assert.Equal(t, true, rel.In()["skipCrds"])
	applied := e.ByType("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")
	require.Len(t, applied, len(crds))
	for i, r := range applied {
		in := r.In()
		meta := in["metadata"].(map[string]any)
		assert.Equal(t, crds[i].Name, meta["name"])
		assert.Equal(t, "true", meta["annotations"].(map[string]any)[kube.PatchForce], "takes over the fields Helm's first install set")
		assert.Equal(t, crds[i].Object["spec"], in["spec"])
		assert.True(t, r.RetainOnDelete, "%s: deleting a CRD deletes every object of its kinds", crds[i].Name)
		assert.Equal(t, e.KubernetesProviderURN(), r.Provider)
		assert.Contains(t, rel.DependsOn, r.URN, "the release and its webhooks come after the CRDs")
	}

	_, err = NewLoadBalancerController(nil, "x", &LoadBalancerControllerArgs{Chart: lbc})
	assert.ErrorContains(t, err, "CRDs are required: the program applies the CRDs of aws-load-balancer-controller 3.5.0 (catalog crds/aws-load-balancer-controller-3.5.0.yaml)")
}

func TestExternalDNSIsLimitedToItsZones(t *testing.T) {
	t.Parallel()
	e := runNetwork(t, nil)
	name := testCluster + "-external-dns"
	role := e.Must(t, "aws:iam/role:Role", name)
	assert.Equal(t, "system:serviceaccount:external-dns:external-dns", mockengine.IRSASubjects(t, role, testIssuer))
	policy := mockengine.InlinePolicy(t, role)
	require.Len(t, policy, 2)
	assert.Equal(t, []string{"arn:aws:route53:::hostedzone/Z0AAAAAAAAAAAAAAAAAA1", "arn:aws:route53:::hostedzone/Z0BBBBBBBBBBBBBBBBBB2"},
		mockengine.Strings(policy[0].Resource))
	assert.Contains(t, mockengine.Strings(policy[0].Action), "route53:ChangeResourceRecordSets")
	assert.Equal(t, []string{"route53:ListHostedZones"}, mockengine.Strings(policy[1].Action), "only listing is on *")

	values := e.Must(t, "kubernetes:helm.sh/v3:Release", name).In()["values"].(map[string]any)
	assert.Equal(t, testCluster, values["txtOwnerId"])
	assert.Equal(t, "sync", values["policy"])
	assert.Equal(t, []any{"np.example.com"}, values["domainFilters"])
	assert.Equal(t, []any{"--zone-id-filter=Z0AAAAAAAAAAAAAAAAAA1", "--zone-id-filter=Z0BBBBBBBBBBBBBBBBBB2"}, values["extraArgs"])
	assert.Equal(t, map[string]any{"name": "aws"}, values["provider"])
}

func TestExternalDNSPolicySetting(t *testing.T) {
	t.Parallel()
	e := runNetwork(t, func(a *Args) { a.ExternalDNS.Policy = "upsert-only" })
	values := e.Must(t, "kubernetes:helm.sh/v3:Release", testCluster+"-external-dns").In()["values"].(map[string]any)
	assert.Equal(t, "upsert-only", values["policy"])
}

func TestCertManagerWithACMEIssuer(t *testing.T) {
	t.Parallel()
	e := runNetwork(t, nil)
	name := testCluster + "-cert-manager"
	rel := e.Must(t, "kubernetes:helm.sh/v3:Release", name)
	values := rel.In()["values"].(map[string]any)
	assert.Equal(t, map[string]any{"enabled": true, "keep": true}, values["crds"], "cert-manager installs its CRDs")
	for _, sub := range []string{"webhook", "cainjector", "startupapicheck"} {
		assert.NotEmpty(t, values[sub].(map[string]any)["tolerations"], sub)
	}
	role := e.Must(t, "aws:iam/role:Role", name+"-dns01")
	assert.Equal(t, "system:serviceaccount:cert-manager:cert-manager", mockengine.IRSASubjects(t, role, testIssuer))
	policy := mockengine.InlinePolicy(t, role)
	var write map[string]map[string]any
	for _, st := range policy {
		if st.Sid == "WriteChallenges" {
			assert.Equal(t, []string{"arn:aws:route53:::hostedzone/Z0AAAAAAAAAAAAAAAAAA1"}, mockengine.Strings(st.Resource))
			write = st.Condition
		}
	}
	assert.Equal(t, []any{"TXT"}, write["ForAllValues:StringEquals"]["route53:ChangeResourceRecordSetsRecordTypes"], "only TXT records")

	issuer := e.Must(t, "kubernetes:cert-manager.io/v1:ClusterIssuer", name+"-acme")
	acme := issuer.In()["spec"].(map[string]any)["acme"].(map[string]any)
	assert.Equal(t, "ops@example.com", acme["email"])
	assert.Equal(t, "https://acme.example.com/directory", acme["server"])
	assert.Equal(t, []any{map[string]any{
		"selector": map[string]any{"dnsZones": []any{"np.example.com"}},
		"dns01":    map[string]any{"route53": map[string]any{"region": testRegion}},
	}}, acme["solvers"])
	assert.Contains(t, issuer.DependsOn, rel.URN)
	assert.Equal(t, e.KubernetesProviderURN(), issuer.Provider)
}

func TestCertManagerWithoutIssuerHasNoRole(t *testing.T) {
	t.Parallel()
	e := runNetwork(t, func(a *Args) { a.CertManager.Issuer = nil })
	_, hasRole := e.Find("aws:iam/role:Role", testCluster+"-cert-manager-dns01")
	assert.False(t, hasRole)
	assert.Empty(t, e.ByType("kubernetes:cert-manager.io/v1:ClusterIssuer"))
	e.Must(t, "kubernetes:helm.sh/v3:Release", testCluster+"-cert-manager")
}

func TestNetworkControllersAreSwitchable(t *testing.T) {
	t.Parallel()
	e := runNetwork(t, func(a *Args) { a.LoadBalancerController, a.ExternalDNS, a.CertManager = nil, nil, nil })
	assert.Empty(t, e.ByType("kubernetes:helm.sh/v3:Release"))
	assert.Empty(t, e.ByType("aws:iam/role:Role"))
}

func TestNetworkControllersWaitForTheNodes(t *testing.T) {
	t.Parallel()
	e := mockengine.MustRun(t, testCluster, testRegion, testAccount, func(ctx *pulumi.Context, p mockengine.Providers) error {
		// A node group stands in: any custom resource the controllers wait for.
		v, err := iam.NewRole(ctx, "nodes-stand-in", &iam.RoleArgs{AssumeRolePolicy: pulumi.String("{}")}, pulumi.Provider(p.AWS))
		if err != nil {
			return err
		}
		_, err = NewNetwork(ctx, testCluster, networkArgs(p, func(a *Args) { a.WaitFor = []pulumi.Resource{v} }), pulumi.Providers(p.AWS))
		return err
	})
	stand := e.Must(t, "aws:iam/role:Role", "nodes-stand-in").URN
	for _, rel := range e.ByType("kubernetes:helm.sh/v3:Release") {
		assert.Contains(t, rel.DependsOn, stand, rel.Name)
	}
}

func TestControllersRejectBadArgs(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		mod  func(*Args)
		want string
	}{
		"external-dns without zones": {func(a *Args) { a.ExternalDNS.HostedZoneIDs = nil }, "HostedZoneIDs is required"},
		"bad scheme":                 {func(a *Args) { a.LoadBalancerController.Scheme = "public" }, `Scheme must be internet-facing or internal, got "public"`},
		"unpinned chart":             {func(a *Args) { a.CertManager.Chart.Version = "" }, "Chart needs repository, chart and version"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := mockengine.New(testCluster).Run(mockengine.WithProviders(testRegion, testAccount, func(ctx *pulumi.Context, p mockengine.Providers) error {
				_, err := NewNetwork(ctx, testCluster, networkArgs(p, tc.mod))
				return err
			}))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
