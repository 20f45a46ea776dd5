// Package guardrails holds the fleet-wide guardrail tests: every cluster of
// every environment file is synthesized under the mock engine and checked
// against the platform's non-negotiables.
package guardrails

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/internal/mockengine"
	"github.com/eksplatform/eksplatform/stacks"
)

const envDir = "../../environments"

var graviton = regexp.MustCompile(`^([a-z]+)([0-9]+)g[a-z-]*\.[a-z0-9-]+$|^a1\.`)

// synthesized is one cluster's program, run under the mock engine.
type synthesized struct {
	c *environments.Cluster
	e *mockengine.Engine
}

func (s synthesized) one(t *testing.T, typ string) mockengine.Resource {
	t.Helper()
	rs := s.e.ByType(typ)
	require.Len(t, rs, 1, "%s: exactly one %s", s.c.Name, typ)
	return rs[0]
}

func synthesizeFleet(t *testing.T, fleet *environments.Fleet) []synthesized {
	t.Helper()
	var out []synthesized
	for _, c := range fleet.Clusters() {
		e := mockengine.New(c.Name)
		require.NoError(t, e.Run(stacks.Cluster(c)), c.Name)
		out = append(out, synthesized{c, e})
	}
	return out
}

func exampleFleet(t *testing.T) []synthesized {
	t.Helper()
	fleet, err := environments.Load(envDir)
	require.NoError(t, err)
	all := synthesizeFleet(t, fleet)
	require.Len(t, all, 5, "the four example roles hold five clusters")
	return all
}

// checkGuardrails asserts every rule on one synthesized cluster.
func checkGuardrails(t *testing.T, s synthesized) {
	c := s.c
	cluster := s.one(t, "eks:index:Cluster")
	in := cluster.In()

	assert.Equal(t, "API", in["authenticationMode"], "auth mode API")

	wantLogs := []any{}
	for _, l := range catalog.ControlPlaneLogTypes {
		if slices.Contains(c.LogTypes, l) {
			wantLogs = append(wantLogs, l)
		}
	}
	assert.Equal(t, wantLogs, in["enabledClusterLogTypes"], "log types: all five unless removed in the environment")

	keyARN, _ := in["encryptionConfigKeyArn"].(string)
	assert.Regexp(t, `^arn:aws:kms:`+c.Region+`:`+c.AccountID+`:key/`, keyARN, "secrets encrypted with a key of the cluster's account and region")
	keys := s.e.ByType("aws:kms/key:Key")
	if c.KMSKeyARN != "" {
		assert.Equal(t, c.KMSKeyARN, keyARN)
		assert.Empty(t, keys, "a brought key is not created")
	} else {
		require.Len(t, keys, 1)
		assert.Equal(t, keys[0].Out()["arn"], keyARN)
		assert.Equal(t, true, keys[0].In()["enableKeyRotation"])
		assert.Equal(t, !c.Ephemeral, keys[0].Protect, "key protected unless ephemeral")
	}
	assert.Equal(t, !c.Ephemeral, cluster.Protect, "cluster protected unless ephemeral")

	assert.Equal(t, true, in["endpointPrivateAccess"])
	if len(c.PublicAccessCIDRs) == 0 {
		assert.Equal(t, false, in["endpointPublicAccess"], "private endpoint unless public CIDRs are declared")
		assert.NotContains(t, in, "publicAccessCidrs")
	} else {
		assert.Equal(t, true, in["endpointPublicAccess"])
		assert.ElementsMatch(t, toAny(c.PublicAccessCIDRs), in["publicAccessCidrs"])
		assert.NotContains(t, in["publicAccessCidrs"], "0.0.0.0/0")
	}

	ng := s.one(t, "aws:eks/nodeGroup:NodeGroup").In()
	assert.Contains(t, ng["amiType"], "ARM_64", "management group is arm64")
	for _, it := range ng["instanceTypes"].([]any) {
		assert.Regexp(t, graviton, it, "Graviton instance types only")
	}
	taints := ng["taints"].([]any)
	require.Len(t, taints, 1, "management group is tainted")
	assert.Equal(t, "dedicated", taints[0].(map[string]any)["key"])
	assert.Equal(t, "NO_SCHEDULE", taints[0].(map[string]any)["effect"])
	lt := s.one(t, "aws:ec2/launchTemplate:LaunchTemplate").In()
	meta := lt["metadataOptions"].(map[string]any)
	assert.Equal(t, "required", meta["httpTokens"], "IMDSv2 required")
	assert.LessOrEqual(t, meta["httpPutResponseHopLimit"], 2.0)
	ebs := lt["blockDeviceMappings"].([]any)[0].(map[string]any)["ebs"].(map[string]any)
	assert.Equal(t, "true", ebs["encrypted"], "node volumes encrypted")

	var addons []string
	for _, a := range s.e.ByType("aws:eks/addon:Addon") {
		addons = append(addons, a.In()["addonName"].(string))
	}
	for _, want := range catalog.Default().AddonNames(catalog.AddonBase) {
		assert.Contains(t, addons, want, "base addon %s", want)
	}

	providerURN := "urn:pulumi:" + c.Name + "::eksplatform::pulumi:providers:aws::" + c.Name
	for _, r := range s.e.Resources() {
		if r.Custom && strings.HasPrefix(r.Type, "aws:") {
			assert.Equal(t, providerURN, r.Provider, "%s %s runs through the cluster's pinned provider", r.Type, r.Name)
		}
		if r.Type == "aws:iam/role:Role" {
			checkTrustPolicy(t, r)
		}
		if r.Parent == s.e.StackURN() {
			assert.Contains(t, []string{"pulumi:providers:aws", "pulumi:providers:kubernetes", "eksplatform:network:Vpc",
				"eksplatform:foundation:Foundation", "eksplatform:network:Network", "eksplatform:storage:Storage",
				"eksplatform:operators:Operators", "eksplatform:foundation:SpotServiceLinkedRole",
				"eksplatform:facts:ClusterFacts", "eksplatform:observability:Observability"}, r.Type,
				"%s %s: only the providers, the layers, account-level pieces and the facts of every layer sit at the stack root", r.Type, r.Name)
		}
	}
	checkLayers(t, s)
}

func checkTrustPolicy(t *testing.T, role mockengine.Resource) {
	var doc struct {
		Statement []struct{ Principal map[string]any }
	}
	require.NoError(t, json.Unmarshal([]byte(role.In()["assumeRolePolicy"].(string)), &doc), role.Name)
	for _, st := range doc.Statement {
		for kind, p := range st.Principal {
			assert.NotEqual(t, "*", p, "%s: %s principal must not be *", role.Name, kind)
		}
	}
}

func toAny(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func TestGuardrailsHoldForEveryExampleCluster(t *testing.T) {
	t.Parallel()
	for _, s := range exampleFleet(t) {
		t.Run(s.c.Name, func(t *testing.T) { checkGuardrails(t, s) })
	}
}

// TestGuardrailsFollowTheEnvironment proves the guardrails read what the
// environment asks for: an explicitly removed log type, public CIDRs, an
// ephemeral role and a brought key each change the synthesized cluster.
func TestGuardrailsFollowTheEnvironment(t *testing.T) {
	t.Parallel()
	fleet, err := environments.Load(envDir)
	require.NoError(t, err)
	prod, _ := fleet.Cluster("prod-i01-aws-us-east-2")
	c := *prod
	c.LogTypes = []string{"api", "audit", "authenticator", "controllerManager"}
	c.PublicAccessCIDRs = []string{"198.51.100.0/24"}
	c.Ephemeral = true
	c.KMSKeyARN = "arn:aws:kms:us-east-2:345678901234:key/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
	e := mockengine.New(c.Name)
	require.NoError(t, e.Run(stacks.Cluster(&c)))
	s := synthesized{&c, e}
	checkGuardrails(t, s)
	in := s.one(t, "eks:index:Cluster").In()
	assert.NotContains(t, in["enabledClusterLogTypes"], "scheduler")
	assert.Equal(t, true, in["endpointPublicAccess"])
	assert.False(t, s.one(t, "eks:index:Cluster").Protect)
}
