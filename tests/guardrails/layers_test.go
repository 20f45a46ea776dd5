package guardrails

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/internal/mockengine"
)

// unscopableOnStar are write actions the load balancer controller's published
// policy grants on "*" because their resources are web ACLs and protections
// the platform does not own. Anything else written on "*" needs a condition.
var unscopableOnStar = map[string]bool{
	"waf-regional:AssociateWebACL": true, "waf-regional:DisassociateWebACL": true,
	"wafv2:AssociateWebACL": true, "wafv2:DisassociateWebACL": true,
	"shield:CreateProtection": true, "shield:DeleteProtection": true,
	// No resource type: AWS's reference lists none for it.
	"elasticloadbalancing:SetWebAcl": true,
}

func readOnly(action string) bool {
	_, verb, _ := strings.Cut(action, ":")
	for _, prefix := range []string{"Describe", "Get", "List"} {
		if strings.HasPrefix(verb, prefix) {
			return true
		}
	}
	return false
}

type policyStatement struct {
	Sid       string
	Effect    string
	Action    any
	Resource  any
	Condition map[string]any
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, s := range x {
			out = append(out, s.(string))
		}
		return out
	}
	return nil
}

// policies returns every IAM permission policy a cluster declares, by owner.
func policies(t *testing.T, e *mockengine.Engine) map[string][]policyStatement {
	t.Helper()
	out := map[string][]policyStatement{}
	add := func(owner, doc string) {
		var d struct{ Statement []policyStatement }
		require.NoError(t, json.Unmarshal([]byte(doc), &d), owner)
		out[owner] = append(out[owner], d.Statement...)
	}
	for _, r := range e.ByType("aws:iam/role:Role") {
		if pols, ok := r.In()["inlinePolicies"].([]any); ok {
			for _, p := range pols {
				add(r.Name, p.(map[string]any)["policy"].(string))
			}
		}
	}
	for _, r := range e.ByType("aws:iam/rolePolicy:RolePolicy") {
		add(r.Name, r.In()["policy"].(string))
	}
	return out
}

func checkLayers(t *testing.T, s synthesized) {
	c := s.c
	k8sProvider := "urn:pulumi:" + c.Name + "::eksplatform::pulumi:providers:kubernetes::" + c.Name
	nodeGroup := s.one(t, "aws:eks/nodeGroup:NodeGroup").URN
	for _, r := range s.e.Resources() {
		if strings.HasPrefix(r.Type, "kubernetes:") {
			assert.Equal(t, k8sProvider, r.Provider, "%s %s uses the cluster's Kubernetes provider", r.Type, r.Name)
		}
		if r.Type == "kubernetes:helm.sh/v3:Release" {
			v, _ := r.In()["version"].(string)
			assert.NotEmpty(t, v, "%s: chart pinned", r.Name)
			assert.NotEqual(t, "latest", v)
			assert.Contains(t, r.DependsOn, nodeGroup, "%s waits for the management nodes", r.Name)
		}
	}

	for owner, stmts := range policies(t, s.e) {
		for _, st := range stmts {
			if st.Effect != "Allow" || st.Condition != nil || !contains(strs(st.Resource), "*") {
				continue
			}
			for _, a := range strs(st.Action) {
				assert.True(t, readOnly(a) || unscopableOnStar[a] || a == "pricing:GetProducts",
					"%s %s: write action %s on * without a condition", owner, st.Sid, a)
			}
		}
	}

	classes := map[string]bool{}
	for _, sc := range s.e.ByType("kubernetes:storage.k8s.io/v1:StorageClass") {
		classes[sc.In()["metadata"].(map[string]any)["name"].(string)] = true
	}
	assert.True(t, classes[c.Name+"-ebs-csi-storage-class"], "EBS storage class named exactly")
	if c.Storage.EFS.Enabled {
		assert.True(t, classes[c.Name+"-efs-csi-storage-class"], "EFS storage class named exactly")
		fs := s.one(t, "aws:efs/fileSystem:FileSystem")
		assert.Equal(t, !c.Ephemeral, fs.Protect, "EFS protected unless ephemeral")
		assert.Equal(t, true, fs.In()["encrypted"])
		assert.Len(t, s.e.ByType("aws:efs/mountTarget:MountTarget"), len(privateSubnets(s)), "a mount target per private subnet")
		s.e.Must(t, "aws:ssm/parameter:Parameter", c.Name+"-efs-filesystem-id")
	}

	arches := map[string]string{}
	for _, np := range s.e.ByType("kubernetes:karpenter.sh/v1:NodePool") {
		spec := np.In()["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
		req := spec["requirements"].([]any)[0].(map[string]any)
		require.Equal(t, "kubernetes.io/arch", req["key"])
		arches[np.In()["metadata"].(map[string]any)["name"].(string)] = strs(req["values"])[0]
		assert.NotEmpty(t, spec["expireAfter"], "nodes are refreshed")
	}
	assert.Equal(t, map[string]string{"arm": "arm64", "amd": "amd64"}, arches, "two node pools, arm and amd")
	q := s.one(t, "aws:sqs/queue:Queue")
	assert.Equal(t, true, q.In()["sqsManagedSseEnabled"])
	assert.Len(t, s.e.ByType("aws:cloudwatch/eventRule:EventRule"), 5)
}

func privateSubnets(s synthesized) []string {
	if s.c.VPC.Adopted() {
		return s.c.VPC.PrivateSubnetIDs
	}
	return []string{"a", "b", "c"}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
