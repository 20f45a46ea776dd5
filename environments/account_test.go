package environments

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// roleDoc is a minimal valid role file of clusters in the given accounts.
func roleDoc(role string, wave int, ephemeral bool, extra string, accounts ...string) string {
	var clusters []string
	for i, a := range accounts {
		clusters = append(clusters, fmt.Sprintf(`{"name": "%s-%02d", "account_id": %q, "region": "us-east-2", "deploy_role_arn": "arn:aws:iam::%s:role/Deploy", "vpc": {"cidr": "10.%d.0.0/16"}}`, role, i+1, a, a, wave*10+i))
	}
	if extra != "" {
		extra += ","
	}
	return fmt.Sprintf(`{"role": %q, "wave": %d, "eks_version": "1.35", "ephemeral": %t, %s
		"cluster_admin": {"trusted_principals": ["arn:aws:iam::111111111111:role/Admin"]}, "deployer": {"network": "in_vpc"}, "clusters": [%s]}`,
		role, wave, ephemeral, extra, strings.Join(clusters, ","))
}

func loadDocs(t *testing.T, docs map[string]string) (*Fleet, error) {
	t.Helper()
	dir := t.TempDir()
	for role, doc := range docs {
		require.NoError(t, os.WriteFile(filepath.Join(dir, role+".json"), []byte(doc), 0o600))
	}
	return Load(dir)
}

const (
	acctA = "111111111111"
	acctB = "222222222222"
	acctC = "333333333333"
	acctD = "444444444444"
)

func TestSpotRoleOwnerPerAccount(t *testing.T) {
	t.Parallel()
	fleet, err := loadDocs(t, map[string]string{
		"sandbox": roleDoc("sandbox", 0, true, "", acctA),
		"preview": roleDoc("preview", 1, false, "", acctA, acctA),
		"nonprod": roleDoc("nonprod", 2, false, `"accounts": {"222222222222": {"spot_service_linked_role": "exists"}}`, acctB),
		"prod":    roleDoc("prod", 3, false, "", acctC, acctB, acctC),
		"lab":     roleDoc("lab", 4, true, "", acctD, acctD),
	})
	require.NoError(t, err)
	owners := map[string]string{}
	for _, a := range fleet.Accounts {
		owners[a.ID] = a.SpotRoleOwner
		if a.SpotRoleExists {
			owners[a.ID] = "exists (" + filepath.Base(a.DeclaredIn) + ")"
		}
	}
	assert.Equal(t, map[string]string{
		acctA: "sandbox-01",            // the first of the account in wave order
		acctB: "exists (nonprod.json)", // prod's cluster in B creates nothing either
		acctC: "prod-01",               // the first of the account in wave order
		acctD: "lab-01",                // ephemeral or not
	}, owners)
	var owning []string
	for _, c := range fleet.Clusters() {
		if c.OwnsSpotRole {
			owning = append(owning, c.Name)
		}
	}
	assert.Equal(t, []string{"sandbox-01", "prod-01", "lab-01"}, owning, "one owner per account that needs one, in wave order")
}

func TestSpotRoleSettingsMustAgree(t *testing.T) {
	t.Parallel()
	_, err := loadDocs(t, map[string]string{
		"nonprod": roleDoc("nonprod", 2, false, `"accounts": {"222222222222": {"spot_service_linked_role": "exists"}}`, acctB),
		"prod":    roleDoc("prod", 3, false, `"accounts": {"222222222222": {"spot_service_linked_role": "create"}}`, acctB),
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `prod.json: accounts.222222222222.spot_service_linked_role: is "create" but `)
	assert.Contains(t, err.Error(), `nonprod.json says "exists"; an account has one setting`)
}

func TestClusterAdminResolution(t *testing.T) {
	t.Parallel()
	doc := strings.Replace(roleDoc("prod", 3, false, "", acctC, acctC),
		`{"name": "prod-02", "account_id": "333333333333", "region": "us-east-2", "deploy_role_arn": "arn:aws:iam::333333333333:role/Deploy", "vpc": {"cidr": "10.31.0.0/16"}}`,
		`{"name": "prod-02", "account_id": "333333333333", "region": "us-east-2", "deploy_role_arn": "arn:aws:iam::333333333333:role/Deploy", "vpc": {"cidr": "10.31.0.0/16"},
		  "cluster_admin": {"role_arn": "arn:aws:iam::333333333333:role/BreakGlass"}}`, 1)
	fleet, err := loadDocs(t, map[string]string{"prod": doc})
	require.NoError(t, err)
	one, _ := fleet.Cluster("prod-01")
	two, _ := fleet.Cluster("prod-02")
	assert.Equal(t, ClusterAdmin{TrustedPrincipals: []string{"arn:aws:iam::111111111111:role/Admin"}}, one.ClusterAdmin)
	assert.True(t, one.ClusterAdmin.Creates())
	assert.Equal(t, ClusterAdmin{RoleARN: "arn:aws:iam::333333333333:role/BreakGlass"}, two.ClusterAdmin, "the cluster's own wins")
	assert.False(t, two.ClusterAdmin.Creates())
}

func TestExampleAccounts(t *testing.T) {
	t.Parallel()
	fleet, err := Load(".")
	require.NoError(t, err)
	got := map[string]string{}
	for _, a := range fleet.Accounts {
		got[a.ID] = a.SpotRoleOwner
	}
	assert.Equal(t, map[string]string{"123456789012": "", "210987654321": "sbx-i01-aws-us-east-1", "345678901234": "prod-i01-aws-us-east-2"}, got)
	np, _ := fleet.Cluster("np-i01-aws-us-east-2")
	assert.Equal(t, FluentBit{Enabled: true, LogGroup: "/aws/eks/np-i01-aws-us-east-2/pods", RetentionDays: 30}, np.Operators.FluentBit)
	sbx, _ := fleet.Cluster("sbx-i01-aws-us-east-1")
	assert.False(t, sbx.Operators.FluentBit.Enabled, "pod log forwarding is off unless asked for")
}

// TestAFleetAcrossAccountsNamesItsDeployRoles: one pipeline identity cannot
// deploy several accounts, so each cluster names the role its stack assumes.
func TestAFleetAcrossAccountsNamesItsDeployRoles(t *testing.T) {
	t.Parallel()
	nonprod := strings.Replace(roleDoc("nonprod", 1, false, "", acctA), `"deploy_role_arn": "arn:aws:iam::111111111111:role/Deploy", `, "", 1)
	_, err := loadDocs(t, map[string]string{"nonprod": nonprod, "prod": roleDoc("prod", 3, false, "", acctB)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `nonprod.json: clusters[0].deploy_role_arn: is required: the fleet spans accounts 111111111111, 222222222222, and one pipeline identity cannot deploy them all; name the role the stack assumes in 111111111111 (e.g. arn:aws:iam::111111111111:role/PlatformDeploy)`)
	assert.NotContains(t, err.Error(), "/prod.json: clusters[0].deploy_role_arn", "prod names its role")

	single := strings.Replace(roleDoc("nonprod", 1, false, "", acctA), `"deploy_role_arn": "arn:aws:iam::111111111111:role/Deploy", `, "", 1)
	_, err = loadDocs(t, map[string]string{"nonprod": single})
	require.NoError(t, err, "one account: the ambient identity may deploy it")
}

// TestDeployerResolution: a cluster's deployer replaces the role's, and a
// public deployer's egress addresses open the public endpoint to it.
func TestDeployerResolution(t *testing.T) {
	t.Parallel()
	doc := strings.Replace(roleDoc("prod", 3, false, `"endpoint_access": {"public_cidrs": ["203.0.113.0/24"]}`, acctC, acctC),
		`"name": "prod-02", "account_id": "333333333333", "region": "us-east-2",`,
		`"name": "prod-02", "account_id": "333333333333", "region": "us-east-2", "deployer": {"network": "public", "egress_cidrs": ["198.51.100.16/28", "203.0.113.0/24"]},`, 1)
	fleet, err := loadDocs(t, map[string]string{"prod": doc})
	require.NoError(t, err)
	one, _ := fleet.Cluster("prod-01")
	two, _ := fleet.Cluster("prod-02")
	assert.Equal(t, Deployer{Network: DeployerInVPC}, one.Deployer)
	assert.Equal(t, []string{"203.0.113.0/24"}, one.PublicAccessCIDRs)
	assert.Equal(t, Deployer{Network: DeployerPublic, EgressCIDRs: []string{"198.51.100.16/28", "203.0.113.0/24"}}, two.Deployer)
	assert.Equal(t, []string{"203.0.113.0/24", "198.51.100.16/28"}, two.PublicAccessCIDRs, "the deployer's addresses join the endpoint's, once")
}
