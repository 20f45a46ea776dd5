package environments

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	abs, err := filepath.Abs(SchemaFile)
	require.NoError(t, err)
	sch, err := jsonschema.NewCompiler().Compile(abs)
	require.NoError(t, err)
	return sch
}

func schemaAccepts(sch *jsonschema.Schema, data []byte) bool {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return false // not even JSON
	}
	return sch.Validate(inst) == nil
}

func TestExamplesValidateAgainstSchema(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	files, err := filepath.Glob("*.json")
	require.NoError(t, err)
	n := 0
	for _, f := range files {
		if f == SchemaFile {
			continue
		}
		n++
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		require.NoError(t, err, f)
		assert.NoError(t, sch.Validate(inst), f)
	}
	assert.Equal(t, 4, n, "four example roles")
}

// TestSchemaOnBadCorpus proves the schema rejects every bad file whose rule a
// schema can express, and records (by accepting the others) which rules only
// `eksplatform validate` enforces.
func TestSchemaOnBadCorpus(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	for _, tc := range badCorpus {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, !tc.schema, schemaAccepts(sch, tc.data(t)))
		})
	}
}

// The schema is hand-written for editors; these tests keep it in step with
// the Go types and reference data.

func loadSchemaDoc(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(SchemaFile)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	return doc
}

func dig(t *testing.T, doc any, keys ...string) any {
	t.Helper()
	for _, k := range keys {
		m, ok := doc.(map[string]any)
		require.True(t, ok, "schema path %v", keys)
		doc, ok = m[k]
		require.True(t, ok, "schema path %v: no %q", keys, k)
	}
	return doc
}

func propNames(t *testing.T, obj any) []string {
	t.Helper()
	props := dig(t, obj, "properties").(map[string]any)
	return sortedKeys(props)
}

func goNames(v any) []string {
	return sortedKeys(jsonFields(reflect.TypeOf(v)))
}

func stringList(t *testing.T, v any) []string {
	t.Helper()
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	slices.Sort(out)
	return out
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func TestSchemaMatchesGoTypes(t *testing.T) {
	t.Parallel()
	doc := loadSchemaDoc(t)
	defs := dig(t, doc, "$defs")
	assert.Equal(t, goNames(File{}), propNames(t, doc), "root")
	assert.Equal(t, goNames(ClusterSpec{}), propNames(t, dig(t, defs, "cluster")), "cluster")
	assert.Equal(t, goNames(NodeGroupSpec{}), propNames(t, dig(t, defs, "node_group")), "management_node_group")
	assert.Equal(t, goNames(ScalingSpec{}), propNames(t, dig(t, defs, "cluster", "properties", "management_node_group")), "cluster management_node_group")
	assert.Equal(t, goNames(TaintSpec{}), propNames(t, dig(t, defs, "node_group", "properties", "taint")), "taint")
	assert.Equal(t, goNames(EndpointAccessSpec{}), propNames(t, dig(t, defs, "endpoint_access")), "endpoint_access")
	assert.Equal(t, goNames(LoggingSpec{}), propNames(t, dig(t, doc, "properties", "control_plane_logging")), "control_plane_logging")
	assert.Equal(t, goNames(AccessEntrySpec{}), propNames(t, dig(t, doc, "properties", "access_entries", "items")), "access_entries")
	assert.Equal(t, goNames(OIDCProviderSpec{}), propNames(t, dig(t, doc, "properties", "oidc_identity_provider")), "oidc_identity_provider")
	vpc := dig(t, defs, "vpc", "oneOf").([]any)
	var vpcNames []string
	for _, alt := range vpc {
		vpcNames = append(vpcNames, propNames(t, alt)...)
	}
	assert.Equal(t, goNames(VPCSpec{}), sortedCopy(vpcNames), "vpc")
}

func TestSchemaMatchesReferenceData(t *testing.T) {
	t.Parallel()
	doc := loadSchemaDoc(t)
	defs := dig(t, doc, "$defs")
	cat := catalog.Default()
	// The calendar moves with every refresh: the schema takes any minor and
	// leaves the calendar to the loader, so it never falls out of date.
	eksVersion := dig(t, doc, "properties", "eks_version").(map[string]any)
	assert.NotContains(t, eksVersion, "enum", "eks_version must not copy the calendar")
	assert.Equal(t, `^1\.[1-9][0-9]*$`, eksVersion["pattern"])
	assert.Equal(t, catalog.Regions(), stringList(t, dig(t, defs, "region", "enum")), "regions")
	assert.Equal(t, sortedKeys(catalog.AMITypes), stringList(t, dig(t, defs, "node_group", "properties", "ami_type", "enum")), "ami types")
	assert.Equal(t, sortedCopy(catalog.ControlPlaneLogTypes), stringList(t, dig(t, defs, "log_type", "enum")), "log types")
	assert.Equal(t, sortedCopy(catalog.AccessPolicies), stringList(t, dig(t, doc, "properties", "access_entries", "items", "properties", "policy", "enum")), "policies")
	assert.Equal(t, sortedCopy(cat.AddonNames("")), propNames(t, dig(t, doc, "properties", "addons")), "addons")
	assert.ElementsMatch(t, cat.ChartNames(), stringList(t, dig(t, doc, "properties", "charts", "propertyNames", "enum")), "charts")
	assert.Equal(t, float64(MaxClusterNameLength), dig(t, defs, "cluster", "properties", "name", "maxLength"))
}
