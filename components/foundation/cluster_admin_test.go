package foundation

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/internal/mockengine"
)

func adminArgs() *ClusterAdminArgs {
	return &ClusterAdminArgs{
		ClusterName: pulumi.String(testCluster), Cluster: testCluster,
		Partition: "aws", Region: testRegion, AccountID: testAccount,
		Tags: map[string]string{"team": "platform"},
	}
}

func TestClusterAdminCreatedRoleTrustsOnlyTheNamedPrincipals(t *testing.T) {
	t.Parallel()
	var arn string
	e := run(t, func(ctx *pulumi.Context, p *aws.Provider) error {
		a := adminArgs()
		a.TrustedPrincipals = []string{"arn:aws:iam::111122223333:role/PlatformOnCall", "arn:aws:iam::444455556666:root"}
		c, err := NewClusterAdmin(ctx, "admin", a, pulumi.Providers(p))
		if err != nil {
			return err
		}
		v, err := mockengine.Await(c.RoleARN)
		arn, _ = v[0].(string)
		return err
	})
	role := find(t, e, "aws:iam/role:Role", "admin")
	assert.Equal(t, testCluster+"-cluster-admin", role.In()["name"])
	assert.Equal(t, 3600.0, role.In()["maxSessionDuration"])
	assert.Equal(t, "arn:aws:iam::111122223333:role/"+testCluster+"-cluster-admin", arn, "the role's ARN is the component's output")

	trust := mockengine.Statements(t, role.In()["assumeRolePolicy"].(string))
	require.Len(t, trust, 1)
	assert.Equal(t, "Allow", trust[0].Effect)
	assert.Equal(t, map[string]any{"AWS": []any{"arn:aws:iam::111122223333:role/PlatformOnCall", "arn:aws:iam::444455556666:root"}}, trust[0].Principal)
	assert.Equal(t, []string{"sts:AssumeRole", "sts:TagSession"}, mockengine.Strings(trust[0].Action))
	assert.Empty(t, trust[0].Condition)

	perms := mockengine.InlinePolicy(t, role)
	require.Len(t, perms, 1)
	assert.Equal(t, []string{"eks:DescribeCluster"}, mockengine.Strings(perms[0].Action))
	assert.Equal(t, []string{"arn:aws:eks:eu-west-1:111122223333:cluster/" + testCluster}, mockengine.Strings(perms[0].Resource),
		"the role can describe its own cluster and nothing else")

	entry := find(t, e, "aws:eks/accessEntry:AccessEntry", "admin")
	assert.Equal(t, arn, entry.In()["principalArn"])
	assert.Equal(t, testCluster, entry.In()["clusterName"])
	assert.Contains(t, entry.DependsOn, role.URN, "the entry waits for the role to exist")
	assoc := find(t, e, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "admin")
	assert.Equal(t, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", assoc.In()["policyArn"])
	assert.Equal(t, map[string]any{"type": "cluster"}, assoc.In()["accessScope"])
	assert.Equal(t, arn, assoc.In()["principalArn"])
}

func TestClusterAdminBroughtRoleCreatesNoRole(t *testing.T) {
	t.Parallel()
	const existing = "arn:aws:iam::111122223333:role/EKSBreakGlass"
	var arn string
	e := run(t, func(ctx *pulumi.Context, p *aws.Provider) error {
		a := adminArgs()
		a.ExistingRoleARN = existing
		c, err := NewClusterAdmin(ctx, "admin", a, pulumi.Providers(p))
		if err != nil {
			return err
		}
		v, err := mockengine.Await(c.RoleARN)
		arn, _ = v[0].(string)
		return err
	})
	assert.Empty(t, e.ByType("aws:iam/role:Role"))
	assert.Equal(t, existing, arn)
	assert.Equal(t, existing, find(t, e, "aws:eks/accessEntry:AccessEntry", "admin").In()["principalArn"])
	assert.Equal(t, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
		find(t, e, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "admin").In()["policyArn"])
}

func TestClusterAdminRejectsBadArgs(t *testing.T) {
	t.Parallel()
	for name, mutate := range map[string]func(a *ClusterAdminArgs){
		"neither": func(*ClusterAdminArgs) {},
		"both": func(a *ClusterAdminArgs) {
			a.TrustedPrincipals = []string{"arn:aws:iam::1:root"}
			a.ExistingRoleARN = "arn:aws:iam::1:role/x"
		},
		"wildcard": func(a *ClusterAdminArgs) { a.TrustedPrincipals = []string{"arn:aws:iam::111122223333:role/*"} },
	} {
		err := runErr(func(ctx *pulumi.Context, p *aws.Provider) error {
			a := adminArgs()
			mutate(a)
			_, err := NewClusterAdmin(ctx, "admin", a, pulumi.Providers(p))
			return err
		})
		assert.ErrorContains(t, err, "ClusterAdmin admin", name)
	}
}

func TestSpotServiceLinkedRoleIsRetained(t *testing.T) {
	t.Parallel()
	var arn string
	e := run(t, func(ctx *pulumi.Context, p *aws.Provider) error {
		s, err := NewSpotServiceLinkedRole(ctx, "spot", &SpotServiceLinkedRoleArgs{AccountID: testAccount}, pulumi.Providers(p))
		if err != nil {
			return err
		}
		v, err := mockengine.Await(s.ARN)
		arn, _ = v[0].(string)
		return err
	})
	role := find(t, e, "aws:iam/serviceLinkedRole:ServiceLinkedRole", "spot")
	assert.Equal(t, "spot.amazonaws.com", role.In()["awsServiceName"])
	assert.True(t, role.RetainOnDelete, "destroying the owning stack must not take Spot away from the account")
	assert.Equal(t, "arn:aws:iam::111122223333:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot", arn)
	assert.ErrorContains(t, runErr(func(ctx *pulumi.Context, p *aws.Provider) error {
		_, err := NewSpotServiceLinkedRole(ctx, "spot", &SpotServiceLinkedRoleArgs{AccountID: "12"}, pulumi.Providers(p))
		return err
	}), "AccountID must be 12 digits")
}
