package foundation

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/internal/mockengine"
)

const testKeyARN = "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"

func clusterArgs(mod func(*ClusterArgs)) *ClusterArgs {
	a := &ClusterArgs{
		Name:             testCluster,
		Version:          "1.34",
		Partition:        "aws",
		AccountID:        testAccount,
		VpcID:            pulumi.String("vpc-0a1b2c3d4e5f60718"),
		PrivateSubnetIDs: pulumi.ToStringArray([]string{"subnet-0a11aa11aa11aa111", "subnet-0b22bb22bb22bb222"}),
		LogTypes:         catalog.ControlPlaneLogTypes,
		LogRetentionDays: 90,
		LogKMSKeyARN:     pulumi.String(testKeyARN),
		KMSKeyARN:        pulumi.String(testKeyARN),
		AccessEntries: []AccessEntry{
			{Key: "platformadmin", PrincipalARN: "arn:aws:iam::111122223333:role/PlatformAdmin", Policy: "AmazonEKSClusterAdminPolicy"},
			{Key: "teamview", PrincipalARN: "arn:aws:iam::111122223333:role/TeamView", Policy: "AmazonEKSViewPolicy",
				Namespaces: []string{"team-a", "team-b"}, KubernetesGroups: []string{"viewers"}},
		},
		Protect: true,
	}
	if mod != nil {
		mod(a)
	}
	return a
}

type clusterValues struct {
	name, issuer, providerARN, ca, kubeconfig string
	kubeconfigSecret                          bool
}

func runCluster(t *testing.T, args *ClusterArgs) (*mockengine.Engine, clusterValues) {
	t.Helper()
	var got clusterValues
	e := run(t, func(ctx *pulumi.Context, p *aws.Provider) error {
		args.AWSProvider = p
		c, err := NewCluster(ctx, "c", args, pulumi.Providers(p))
		if err != nil {
			return err
		}
		v, err := mockengine.Await(c.Name, c.OIDCIssuerURL, c.OIDCProviderARN, c.CertificateAuthority, c.Kubeconfig)
		if err != nil {
			return err
		}
		got = clusterValues{v[0].(string), v[1].(string), v[2].(string), v[3].(string), v[4].(string), pulumi.IsSecret(c.Kubeconfig)}
		return nil
	})
	return e, got
}

func TestClusterDeclaresAPIAuthEncryptionAndLogs(t *testing.T) {
	t.Parallel()
	e, _ := runCluster(t, clusterArgs(nil))
	cl := find(t, e, "eks:index:Cluster", "c")
	in := cl.In()
	assert.Equal(t, testCluster, in["name"])
	assert.Equal(t, "1.34", in["version"])
	assert.Equal(t, "API", in["authenticationMode"])
	assert.Equal(t, true, in["skipDefaultNodeGroup"])
	assert.Equal(t, true, in["useDefaultVpcCni"])
	assert.Equal(t, true, in["createOidcProvider"])
	assert.Equal(t, testKeyARN, in["encryptionConfigKeyArn"])
	assert.Equal(t, []any{"api", "audit", "authenticator", "controllerManager", "scheduler"}, in["enabledClusterLogTypes"])
	assert.Equal(t, "vpc-0a1b2c3d4e5f60718", in["vpcId"])
	assert.Equal(t, []any{"subnet-0a11aa11aa11aa111", "subnet-0b22bb22bb22bb222"}, in["privateSubnetIds"])
	assert.True(t, cl.Protect)
	assert.True(t, cl.Remote, "pulumi-eks is a multi-language component")
	assert.Contains(t, cl.Providers["aws"], "pulumi:providers:aws::aws", "pulumi-eks gets the stack's AWS provider explicitly")
}

func TestClusterEndpointIsPrivateUnlessCIDRsAreDeclared(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		cidrs      []string
		wantPublic bool
	}{
		"private by default": {nil, false},
		"public with CIDRs":  {[]string{"203.0.113.0/24"}, true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, _ := runCluster(t, clusterArgs(func(a *ClusterArgs) { a.PublicAccessCIDRs = tc.cidrs }))
			in := find(t, e, "eks:index:Cluster", "c").In()
			assert.Equal(t, true, in["endpointPrivateAccess"])
			assert.Equal(t, tc.wantPublic, in["endpointPublicAccess"])
			if tc.wantPublic {
				assert.Equal(t, []any{"203.0.113.0/24"}, in["publicAccessCidrs"])
			} else {
				assert.NotContains(t, in, "publicAccessCidrs")
			}
		})
	}
}

func TestClusterAccessEntriesAreKeyedAndScoped(t *testing.T) {
	t.Parallel()
	e, _ := runCluster(t, clusterArgs(nil))
	entries := find(t, e, "eks:index:Cluster", "c").In()["accessEntries"].(map[string]any)
	require.Len(t, entries, 2)
	assert.Equal(t, map[string]any{
		"principalArn": "arn:aws:iam::111122223333:role/PlatformAdmin",
		"type":         "STANDARD",
		"accessPolicies": map[string]any{"AmazonEKSClusterAdminPolicy": map[string]any{
			"policyArn":   "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
			"accessScope": map[string]any{"type": "cluster"},
		}},
	}, entries["platformadmin"])
	view := entries["teamview"].(map[string]any)
	assert.Equal(t, []any{"viewers"}, view["kubernetesGroups"])
	assert.Equal(t, map[string]any{"type": "namespace", "namespaces": []any{"team-a", "team-b"}},
		view["accessPolicies"].(map[string]any)["AmazonEKSViewPolicy"].(map[string]any)["accessScope"])
}

func TestClusterOutputs(t *testing.T) {
	t.Parallel()
	_, got := runCluster(t, clusterArgs(nil))
	assert.Equal(t, testCluster, got.name)
	assert.Regexp(t, `^https://oidc\.eks\.eu-west-1\.amazonaws\.com/id/[0-9A-F]{32}$`, got.issuer)
	assert.Equal(t, "arn:aws:iam::111122223333:oidc-provider/"+got.issuer[len("https://"):], got.providerARN)
	assert.NotEmpty(t, got.ca)
	assert.Contains(t, got.kubeconfig, `"--cluster-name","`+testCluster+`"`)
	assert.True(t, got.kubeconfigSecret, "the kubeconfig is a secret")
}

// The IRSA provider ARN is IAM's answer for the cluster's issuer, read from
// the provider pulumi-eks creates (CreateOidcProvider), not a string built
// from the issuer.
func TestClusterReadsItsOIDCProviderFromIAM(t *testing.T) {
	t.Parallel()
	e, got := runCluster(t, clusterArgs(nil))
	assert.Equal(t, true, find(t, e, "eks:index:Cluster", "c").In()["createOidcProvider"])
	lookups := e.Invokes("aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider")
	require.Len(t, lookups, 1)
	assert.Equal(t, got.issuer, lookups[0].Args["url"].StringValue())
	assert.Contains(t, lookups[0].Provider, "pulumi:providers:aws", "through the cluster account's provider")
}

func TestClusterIdentityProviderForPeople(t *testing.T) {
	t.Parallel()
	e, _ := runCluster(t, clusterArgs(func(a *ClusterArgs) {
		a.IdentityProvider = &IdentityProvider{Name: "people", IssuerURL: "https://example.okta.com", ClientID: "eks",
			UsernameClaim: "email", GroupsClaim: "groups", UsernamePrefix: "oidc:", GroupsPrefix: "oidc:"}
	}))
	idp := find(t, e, "aws:eks/identityProviderConfig:IdentityProviderConfig", "c-people")
	assert.Equal(t, testCluster, idp.In()["clusterName"])
	assert.Equal(t, map[string]any{
		"identityProviderConfigName": "people", "issuerUrl": "https://example.okta.com", "clientId": "eks",
		"usernameClaim": "email", "groupsClaim": "groups", "usernamePrefix": "oidc:", "groupsPrefix": "oidc:",
	}, idp.In()["oidc"])
	assert.Contains(t, idp.DependsOn, find(t, e, "eks:index:Cluster", "c").URN)
}

func TestClusterWithoutIdentityProviderDeclaresNone(t *testing.T) {
	t.Parallel()
	e, _ := runCluster(t, clusterArgs(nil))
	assert.Empty(t, e.ByType("aws:eks/identityProviderConfig:IdentityProviderConfig"))
}

func TestClusterEphemeralIsNotProtected(t *testing.T) {
	t.Parallel()
	e, _ := runCluster(t, clusterArgs(func(a *ClusterArgs) { a.Protect = false }))
	assert.False(t, find(t, e, "eks:index:Cluster", "c").Protect)
}

func TestClusterRejectsBadArgs(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		mod  func(*ClusterArgs)
		want string
	}{
		"no encryption key":   {func(a *ClusterArgs) { a.KMSKeyARN = nil }, "KMSKeyARN is required"},
		"unknown log type":    {func(a *ClusterArgs) { a.LogTypes = []string{"kubelet"} }, `unknown log type "kubelet"`},
		"duplicate entry key": {func(a *ClusterArgs) { a.AccessEntries[1].Key = "platformadmin" }, "access entry keys must be unique"},
		"missing subnets":     {func(a *ClusterArgs) { a.PrivateSubnetIDs = nil }, "PrivateSubnetIDs is required"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := runErr(func(ctx *pulumi.Context, _ *aws.Provider) error {
				_, err := NewCluster(ctx, "c", clusterArgs(tc.mod))
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestClusterNamesNoDefaultNodeRoleAndNoPublicSubnets: pulumi-eks v2.8.1
// creates a default instance role (with the CNI policy) and an EC2_LINUX
// access entry for it unless instance roles are given; the control plane's
// network interfaces go to the subnets it is handed, so only private ones.
func TestClusterNamesNoDefaultNodeRoleAndNoPublicSubnets(t *testing.T) {
	t.Parallel()
	e, _ := runCluster(t, clusterArgs(nil))
	in := find(t, e, "eks:index:Cluster", "c").In()
	roles, present := in["instanceRoles"]
	require.True(t, present, "instanceRoles is sent, empty, so pulumi-eks makes no default role")
	assert.Empty(t, roles)
	assert.NotContains(t, in, "publicSubnetIds", "control-plane ENIs only in private subnets")
}

// TestClusterAdmitsTheDeployer: an in_vpc deployer's sources get 443 on the
// cluster security group, one rule each, named by the source.
func TestClusterAdmitsTheDeployer(t *testing.T) {
	t.Parallel()
	e, _ := runCluster(t, clusterArgs(func(a *ClusterArgs) {
		a.DeployerSecurityGroupIDs = []string{"sg-0123456789abcdef0"}
		a.DeployerCIDRs = []string{"10.100.0.0/22"}
	}))
	rules := e.ByType("aws:ec2/securityGroupRule:SecurityGroupRule")
	require.Len(t, rules, 2)
	byName := map[string]map[string]any{}
	for _, r := range rules {
		byName[r.Name] = r.In()
	}
	sg := byName["c-deployer-sg-0123456789abcdef0"]
	require.NotNil(t, sg)
	assert.Equal(t, "sg-0123456789abcdef0", sg["sourceSecurityGroupId"])
	cidr := byName["c-deployer-10-100-0-0-22"]
	require.NotNil(t, cidr)
	assert.Equal(t, []any{"10.100.0.0/22"}, cidr["cidrBlocks"])
	for _, in := range byName {
		assert.Equal(t, "ingress", in["type"])
		assert.Equal(t, "tcp", in["protocol"])
		assert.Equal(t, 443.0, in["fromPort"])
		assert.Equal(t, 443.0, in["toPort"])
		assert.NotEmpty(t, in["securityGroupId"], "the EKS cluster security group")
	}
	none, _ := runCluster(t, clusterArgs(nil))
	assert.Empty(t, none.ByType("aws:ec2/securityGroupRule:SecurityGroupRule"), "no deployer sources, no rules")
}

// TestClusterOwnsItsControlPlaneLogGroup: EKS would create
// /aws/eks/<cluster>/cluster itself, kept forever and unencrypted; the stack
// creates it first, with the file's retention and the cluster's key, and
// protects it like the cluster.
func TestClusterOwnsItsControlPlaneLogGroup(t *testing.T) {
	t.Parallel()
	e, _ := runCluster(t, clusterArgs(nil))
	group := find(t, e, "aws:cloudwatch/logGroup:LogGroup", "c-control-plane-logs")
	in := group.In()
	assert.Equal(t, "/aws/eks/"+testCluster+"/cluster", in["name"])
	assert.Equal(t, 90.0, in["retentionInDays"])
	assert.Equal(t, testKeyARN, in["kmsKeyId"])
	assert.True(t, group.Protect)
	assert.Contains(t, find(t, e, "eks:index:Cluster", "c").DependsOn, group.URN, "the group exists before EKS writes to it")

	brought, _ := runCluster(t, clusterArgs(func(a *ClusterArgs) { a.LogKMSKeyARN, a.Protect = nil, false }))
	in = find(t, brought, "aws:cloudwatch/logGroup:LogGroup", "c-control-plane-logs").In()
	assert.NotContains(t, in, "kmsKeyId", "a brought key's policy may not admit CloudWatch Logs")
}
