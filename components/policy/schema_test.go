package policy

// The policy objects against Gatekeeper's schemas at the pinned version
// (tools/gator/go.mod): the CRDs of the chart's crds/ for the templates and
// the Config, and for each constraint the schema Gatekeeper generates from
// its template (the template's parameters schema, the enforcement actions
// Gatekeeper supports). The module is read through the module cache
// (tests/modzip), which `make setup` fills.

import (
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/tests/crdschema"
	"github.com/eksplatform/eksplatform/tests/modzip"
)

// gatekeeperFile is one file of the gatekeeper module at the pinned version.
func gatekeeperFile(t *testing.T, file string) []byte {
	t.Helper()
	version := gatorVersion(t)
	mod, err := modzip.FS(t.Context(), gatekeeperModule, version)
	require.NoError(t, err, "reading %s@%s through the module cache: run `make setup`", gatekeeperModule, version)
	data, err := fs.ReadFile(mod, file)
	require.NoError(t, err, "%s@%s has no %s", gatekeeperModule, version, file)
	return data
}

func compile(t *testing.T, schema map[string]any) *jsonschema.Schema {
	t.Helper()
	sch, err := crdschema.Compile(schema)
	require.NoError(t, err)
	return sch
}

// crdSchema is the schema of one version of a CRD of the chart's crds/.
func crdSchema(t *testing.T, file, version string) *jsonschema.Schema {
	t.Helper()
	sch, err := crdschema.FromCRD(gatekeeperFile(t, "charts/gatekeeper/crds/"+file), version)
	require.NoError(t, err, file)
	return sch
}

// validate checks a Go value as the JSON the API server receives.
func validate(sch *jsonschema.Schema, obj any) error { return crdschema.ValidateValue(sch, obj) }

func TestTemplatesAndConfigMatchGatekeepersCRDs(t *testing.T) {
	t.Parallel()
	templateCRD := crdSchema(t, "constrainttemplate-customresourcedefinition.yaml", "v1")
	configCRD := crdSchema(t, "config-customresourcedefinition.yaml", "v1alpha1")
	templates, err := Templates()
	require.NoError(t, err)
	for _, tpl := range templates {
		assert.NoError(t, validate(templateCRD, tpl), tpl["metadata"].(map[string]any)["name"])
	}
	objs, err := Objects(settings(nil))
	require.NoError(t, err)
	var configs int
	for _, o := range objs {
		if o["kind"] == "Config" {
			configs++
			assert.Equal(t, ConfigAPIVersion, o["apiVersion"])
			assert.NoError(t, validate(configCRD, o))
		}
	}
	assert.Equal(t, 1, configs)

	// The schemas refuse what Gatekeeper would: a misspelled field, a wrong type.
	broken, err := Template(PDBRequired)
	require.NoError(t, err)
	spec(broken)["targets"].([]any)[0].(map[string]any)["targt"] = "admission.k8s.gatekeeper.sh"
	assert.ErrorContains(t, validate(templateCRD, broken), "targt")
	cfg := Config([]gvk{pdb})
	spec(cfg)["sync"] = map[string]any{"syncOnly": map[string]any{"group": "policy"}}
	assert.Error(t, validate(configCRD, cfg), "syncOnly is a list")
}

// supportedActions are Gatekeeper's supportedEnforcementActions, read from
// its source at the pinned version (pkg/util/enforcement_action.go).
func supportedActions(t *testing.T) []string {
	t.Helper()
	src := string(gatekeeperFile(t, "pkg/util/enforcement_action.go"))
	consts := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(\w+)\s+EnforcementAction = "(\w+)"`).FindAllStringSubmatch(src, -1) {
		consts[m[1]] = m[2]
	}
	m := regexp.MustCompile(`var supportedEnforcementActions = \[\]EnforcementAction\{([^}]*)\}`).FindStringSubmatch(src)
	require.NotNil(t, m, "pkg/util/enforcement_action.go lists the supported actions")
	var out []string
	for _, name := range strings.Split(m[1], ",") {
		v, ok := consts[strings.TrimSpace(name)]
		require.True(t, ok, "constant %s", name)
		out = append(out, v)
	}
	return out
}

func TestConstraintsMatchTheSchemaOfTheirTemplate(t *testing.T) {
	t.Parallel()
	actions := supportedActions(t)
	require.Contains(t, actions, "deny")
	templates, err := Templates()
	require.NoError(t, err)
	params := map[string]*jsonschema.Schema{}
	for _, tpl := range templates {
		crd := spec(tpl)["crd"].(map[string]any)["spec"].(map[string]any)
		kind := crd["names"].(map[string]any)["kind"].(string)
		params[kind] = compile(t, crd["validation"].(map[string]any)["openAPIV3Schema"].(map[string]any))
	}
	for _, mode := range []Mode{Audit, Enforce} {
		objs, err := Objects(settings(func(s *Settings) { s.Mode = mode }))
		require.NoError(t, err)
		var kinds []string
		for _, o := range objs {
			if o["apiVersion"] != ConstraintAPIVersion {
				continue
			}
			kind := o["kind"].(string)
			kinds = append(kinds, kind)
			require.Contains(t, params, kind, "a template defines %s", kind)
			assert.NoError(t, validate(params[kind], spec(o)["parameters"]), kind)
			assert.Contains(t, actions, spec(o)["enforcementAction"], kind)
			assert.Equal(t, []string{"enforcementAction", "match", "parameters"}, slices.Sorted(maps.Keys(spec(o))), "%s: the standard constraint fields", kind)
		}
		assert.Len(t, kinds, len(IDs()))
	}

	// The parameters schema is strict: a misspelled parameter is refused.
	objs, err := Objects(settings(nil))
	require.NoError(t, err)
	for _, o := range objs {
		if o["kind"] == ConstraintKind(ManagementNodes) {
			spec(o)["parameters"].(map[string]any)["platformNamespace"] = []any{"x"}
			assert.ErrorContains(t, validate(params[ConstraintKind(ManagementNodes)], spec(o)["parameters"]), "platformNamespace")
		}
	}
}
