package guardrails

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/internal/mockengine"
)

// TestAccountLevelAndAccessPieces checks, over the synthesized example
// fleet, the Spot service-linked role (once per account that needs one, in
// the stack of its first cluster), the cluster-admin role (created with a
// trust limited to the named principals, or brought) and pod log forwarding
// (a log group per cluster with the role's retention, a role scoped to it).
func TestAccountLevelAndAccessPieces(t *testing.T) {
	t.Parallel()
	all := exampleFleet(t)
	spotPerAccount := map[string][]string{}
	for _, s := range all {
		c := s.c
		for _, r := range s.e.ByType("aws:iam/serviceLinkedRole:ServiceLinkedRole") {
			assert.Equal(t, "spot.amazonaws.com", r.In()["awsServiceName"])
			assert.True(t, r.RetainOnDelete, "%s: the account's role outlives the stack", c.Name)
			spotPerAccount[c.AccountID] = append(spotPerAccount[c.AccountID], c.Name)
		}
		assert.Equal(t, c.OwnsSpotRole, len(s.e.ByType("aws:iam/serviceLinkedRole:ServiceLinkedRole")) == 1, c.Name)

		entry, ok := s.e.Find("aws:eks/accessEntry:AccessEntry", c.Name+"-admin")
		require.True(t, ok, "%s has a cluster-admin access entry", c.Name)
		assoc, _ := s.e.Find("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", c.Name+"-admin")
		assert.Equal(t, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", assoc.In()["policyArn"])
		role, created := s.e.Find("aws:iam/role:Role", c.Name+"-admin")
		assert.Equal(t, c.ClusterAdmin.Creates(), created, c.Name)
		if created {
			assert.Equal(t, role.Out()["arn"], entry.In()["principalArn"])
			trust := mockengine.Statements(t, role.In()["assumeRolePolicy"].(string))
			require.Len(t, trust, 1)
			assert.ElementsMatch(t, c.ClusterAdmin.TrustedPrincipals, mockengine.Strings(trust[0].Principal.(map[string]any)["AWS"]),
				"%s: only the principals of the environment may assume it", c.Name)
		} else {
			assert.Equal(t, c.ClusterAdmin.RoleARN, entry.In()["principalArn"])
		}

		groups := map[string]mockengine.Resource{}
		for _, g := range s.e.ByType("aws:cloudwatch/logGroup:LogGroup") {
			groups[g.In()["name"].(string)] = g
		}
		podGroup := "/aws/eks/" + c.Name + "/pods"
		g, forwarding := groups[podGroup]
		assert.Equal(t, c.Operators.FluentBit.Enabled, forwarding, c.Name)
		if !forwarding {
			continue
		}
		assert.InDelta(t, float64(c.Operators.FluentBit.RetentionDays), g.In()["retentionInDays"], 0, c.Name)
		fbRole, ok := s.e.Find("aws:iam/role:Role", c.Name+"-fluent-bit")
		require.True(t, ok)
		want := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", c.Region, c.AccountID, podGroup)
		for _, st := range mockengine.InlinePolicy(t, fbRole) {
			for _, res := range mockengine.Strings(st.Resource) {
				assert.True(t, res == want || strings.HasPrefix(res, want+":"), "%s: fluent-bit may write %s only, not %s", c.Name, podGroup, res)
			}
			for _, a := range mockengine.Strings(st.Action) {
				assert.NotContains(t, []string{"logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DeleteLogGroup", "logs:*"}, a)
			}
		}
	}
	assert.Equal(t, map[string][]string{
		"210987654321": {"sbx-i01-aws-us-east-1"},  // sandbox and preview share the account; the sandbox rolls first
		"345678901234": {"prod-i01-aws-us-east-2"}, // once for the two prod clusters
	}, spotPerAccount, "123456789012 says the role exists: nothing is created there")
}
