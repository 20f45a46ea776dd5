package policy

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// settings are a valid role's settings; mod changes them.
func settings(mod func(*Settings)) Settings {
	s := Settings{
		Mode:               Enforce,
		NextMinor:          "1.35",
		ExemptNamespaces:   []string{"kube-system"},
		Exceptions:         map[string][]string{PDBRequired: {"legacy"}},
		PlatformNamespaces: []string{"karpenter", "kube-system"},
		// The management node group's defaults (environments.DefaultTaint*,
		// DefaultLabels); components do not import environments.
		ManagementTaint:  Taint{Key: "dedicated", Value: "management", Effect: "NoSchedule"},
		ManagementLabels: map[string]string{"dedicated": "management"},
	}
	if mod != nil {
		mod(&s)
	}
	return s
}

func byName(t *testing.T, objs []map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, o := range objs {
		name := o["metadata"].(map[string]any)["name"].(string)
		out[o["kind"].(string)+"/"+name] = o
	}
	return out
}

func spec(o map[string]any) map[string]any { return o["spec"].(map[string]any) }

func TestSettingsNameEveryProblem(t *testing.T) {
	t.Parallel()
	require.NoError(t, settings(nil).Validate())
	cases := []struct {
		name string
		mod  func(*Settings)
		want []string
	}{
		{"mode", func(s *Settings) { s.Mode = "block" }, []string{`mode: "block" is not allowed; use "audit" or "enforce"`}},
		{"empty mode", func(s *Settings) { s.Mode = "" }, []string{`mode: "" is not allowed`}},
		{"unknown id", func(s *Settings) { s.Disabled = []string{"pdb"} }, []string{`disabled: "pdb" is not a policy id; the policies are deprecated-apis, pdb-required, management-nodes`}},
		{"unknown exception", func(s *Settings) { s.Exceptions = map[string][]string{"no-latest": {"a"}} }, []string{`exceptions: "no-latest" is not a policy id`}},
		{"namespaces", func(s *Settings) {
			s.ExemptNamespaces = []string{"Kube_System"}
			s.Exceptions = map[string][]string{ManagementNodes: {"-team"}}
			s.PlatformNamespaces = []string{strings.Repeat("a", 64)}
		}, []string{
			`exempt_namespaces: "Kube_System" is not a namespace name`,
			`exceptions.management-nodes: "-team" is not a namespace name`,
			`platform_namespaces: "` + strings.Repeat("a", 64) + `" is not a namespace name`,
		}},
		{"minor", func(s *Settings) { s.NextMinor = "v1.35" }, []string{`next_minor: "v1.35" is not a Kubernetes minor like "1.35"`}},
		{"taint", func(s *Settings) { s.ManagementTaint = Taint{Key: "dedicated", Value: "management", Effect: "NoRun"} }, []string{`management_taint.effect: "NoRun" is not allowed; use one of NoSchedule, PreferNoSchedule, NoExecute`}},
		{"labels", func(s *Settings) { s.ManagementLabels = nil }, []string{"management_labels: empty"}},
	}
	for _, c := range cases {
		err := settings(c.mod).Validate()
		require.Error(t, err, c.name)
		for _, w := range c.want {
			assert.Contains(t, err.Error(), w, c.name)
		}
		_, err = Objects(settings(c.mod))
		assert.Error(t, err, "%s: Objects validates first", c.name)
	}
	// What a switched-off policy needs is not asked for.
	s := settings(func(s *Settings) {
		s.Disabled = []string{DeprecatedAPIs, ManagementNodes}
		s.NextMinor, s.ManagementLabels, s.ManagementTaint = "", nil, Taint{}
	})
	assert.NoError(t, s.Validate())
}

func TestObjectsFollowTheSettings(t *testing.T) {
	t.Parallel()
	for _, mode := range []Mode{Audit, Enforce} {
		objs, err := Objects(settings(func(s *Settings) { s.Mode = mode }))
		require.NoError(t, err)
		got := byName(t, objs)
		require.Len(t, got, 4, "three constraints and the Config")
		want := map[Mode]string{Audit: "warn", Enforce: "deny"}[mode]
		for _, id := range IDs() {
			c := got[ConstraintKind(id)+"/"+id]
			require.NotNil(t, c, id)
			assert.Equal(t, ConstraintAPIVersion, c["apiVersion"])
			assert.Equal(t, want, spec(c)["enforcementAction"], "%s in %s mode", id, mode)
		}
	}

	objs, err := Objects(settings(nil))
	require.NoError(t, err)
	got := byName(t, objs)
	match := func(id string) map[string]any { return spec(got[ConstraintKind(id)+"/"+id])["match"].(map[string]any) }
	assert.Equal(t, []any{"kube-system", "legacy"}, match(PDBRequired)["excludedNamespaces"], "global exemptions and the policy's own")
	assert.Equal(t, []any{"kube-system"}, match(DeprecatedAPIs)["excludedNamespaces"])
	params := spec(got[ConstraintKind(ManagementNodes)+"/"+ManagementNodes])["parameters"].(map[string]any)
	assert.Equal(t, []any{"gatekeeper-system", "karpenter", "kube-system"}, params["platformNamespaces"], "Gatekeeper's own namespace is a platform namespace")
	assert.Equal(t, map[string]any{"key": "dedicated", "value": "management", "effect": "NoSchedule"}, params["taint"])
	assert.Equal(t, []any{map[string]any{"key": "dedicated", "value": "management"}}, params["nodeLabels"])

	cfg := got["Config/config"]
	require.NotNil(t, cfg, "pdb-required reads PodDisruptionBudgets, so the Config syncs them")
	assert.Equal(t, "gatekeeper-system", cfg["metadata"].(map[string]any)["namespace"])
	assert.Equal(t, []any{map[string]any{"group": "policy", "version": "v1", "kind": "PodDisruptionBudget"}}, spec(cfg)["sync"].(map[string]any)["syncOnly"])

	// Switched off: no constraint, and no Config when nothing reads replicated data.
	objs, err = Objects(settings(func(s *Settings) { s.Disabled = []string{PDBRequired} }))
	require.NoError(t, err)
	got = byName(t, objs)
	assert.Len(t, got, 2)
	assert.NotContains(t, got, "EksplatformPDBRequired/pdb-required")
	assert.NotContains(t, got, "Config/config")
}

func TestDeprecatedAPIsCarryTheNextMinorsList(t *testing.T) {
	t.Parallel()
	table, err := Deprecations()
	require.NoError(t, err)
	require.NotEmpty(t, table.APIs)
	versions := func(minor string) []string {
		apis, err := DeprecatedFor(minor)
		require.NoError(t, err)
		var out []string
		for _, a := range apis {
			out = append(out, a.APIVersion+" "+strings.Join(a.Kinds, ","))
		}
		return out
	}
	assert.Contains(t, versions("1.22"), "extensions/v1beta1 Ingress", "removed in 1.22")
	assert.NotContains(t, versions("1.21"), "extensions/v1beta1 Ingress", "still served in 1.21")
	assert.Contains(t, versions("1.21"), "apps/v1beta1 Deployment,ReplicaSet,StatefulSet", "removed in 1.16")
	assert.Contains(t, versions("1.32"), "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema,PriorityLevelConfiguration")
	assert.NotContains(t, versions("1.31"), "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema,PriorityLevelConfiguration")
	assert.Len(t, versions("1.35"), len(table.APIs), "the guide's newest removal is 1.32")
	_, err = DeprecatedFor("next")
	assert.ErrorContains(t, err, `"next" is not a Kubernetes minor`)

	// The constraint matches every group and kind of the list, by group.
	objs, err := Objects(settings(func(s *Settings) { s.NextMinor = "1.22" }))
	require.NoError(t, err)
	c := byName(t, objs)["EksplatformDeprecatedAPIs/deprecated-apis"]
	var groups []string
	for _, k := range spec(c)["match"].(map[string]any)["kinds"].([]any) {
		g := k.(map[string]any)["apiGroups"].([]any)[0].(string)
		groups = append(groups, g)
		if g == "networking.k8s.io" {
			assert.Equal(t, []any{"Ingress", "IngressClass"}, k.(map[string]any)["kinds"])
		}
	}
	assert.True(t, slices.IsSorted(groups))
	assert.Contains(t, groups, "extensions")
	assert.NotContains(t, groups, "flowcontrol.apiserver.k8s.io", "flowcontrol's betas are served in 1.22")
	params := spec(c)["parameters"].(map[string]any)
	assert.Equal(t, "1.22", params["targetMinor"])
	assert.Contains(t, params["apis"], map[string]any{"apiVersion": "extensions/v1beta1", "kinds": []any{"Ingress"}, "status": "removed in 1.22", "replacement": "networking.k8s.io/v1"})
}

func TestDeprecatedStatus(t *testing.T) {
	t.Parallel()
	a := DeprecatedAPI{APIVersion: "x.k8s.io/v1beta1", Kinds: []string{"X"}, DeprecatedIn: "1.33", RemovedIn: "1.36", Replacement: "x.k8s.io/v1"}
	assert.Equal(t, "", a.Status("1.32"))
	assert.Equal(t, "deprecated since 1.33, removed in 1.36", a.Status("1.33"))
	assert.Equal(t, "removed in 1.36", a.Status("1.36"))
	assert.Equal(t, "removed in 1.36", a.Status("1.40"))
	assert.Equal(t, "x.k8s.io", a.Group())
	assert.Equal(t, "", DeprecatedAPI{APIVersion: "v1"}.Group())
}

func TestTemplatesAreGatekeepers(t *testing.T) {
	t.Parallel()
	templates, err := Templates()
	require.NoError(t, err)
	require.Len(t, templates, len(IDs()))
	for i, id := range IDs() {
		tpl := templates[i]
		assert.Equal(t, TemplateAPIVersion, tpl["apiVersion"])
		assert.Equal(t, TemplateName(id), tpl["metadata"].(map[string]any)["name"])
		assert.Equal(t, strings.ToLower(ConstraintKind(id)), TemplateName(id), "Gatekeeper wants the template named after its kind")
		code := spec(tpl)["targets"].([]any)[0].(map[string]any)["code"].([]any)[0].(map[string]any)
		src := code["source"].(map[string]any)
		assert.Equal(t, "v1", src["version"])
		assert.Contains(t, src["rego"], "package "+TemplateName(id)+"\n")
	}
	ann := templates[1]["metadata"].(map[string]any)["annotations"].(map[string]any)
	assert.JSONEq(t, `[[{"groups":["policy"],"versions":["v1"],"kinds":["PodDisruptionBudget"]}]]`, ann["metadata.gatekeeper.sh/requires-sync-data"].(string))
}
