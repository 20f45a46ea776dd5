package guardrails

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"os/exec"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/contract"
	"github.com/eksplatform/eksplatform/internal/awsanswers"
	"github.com/eksplatform/eksplatform/tests/modzip"
)

// The references the replacement rules are checked against: AWS's API
// models as aws-sdk-go-v2 publishes them (generated from AWS's Smithy
// models, documentation included), at the newest versions the module proxy
// serves, and the pulumi-aws SDK the program builds against (which inputs
// the provider has).
const (
	eksModel     = "github.com/aws/aws-sdk-go-v2/service/eks@v1.105.6"
	efsModel     = "github.com/aws/aws-sdk-go-v2/service/efs@v1.41.18"
	kmsModel     = "github.com/aws/aws-sdk-go-v2/service/kms@v1.63.0"
	pulumiAWS    = "github.com/pulumi/pulumi-aws/sdk/v6"
	maxDepth     = 3
	eksComponent = "eks:index:Cluster"
	tokenField   = "ClientRequestToken"
)

// createOnlyDoc is how AWS's documentation of a field that an update
// operation carries says that it cannot be changed after all.
var createOnlyDoc = regexp.MustCompile(`(?i)(you can only specify [^.]*when you create|can't change this value|cannot be changed|can't be changed|after [^.]*creation, you cannot)`)

// firstOnlyDoc is how AWS's documentation of an update operation says that
// it sets a field only on resources that do not have it yet.
var firstOnlyDoc = regexp.MustCompile(`(?i)(that don't already have|that do not already have)`)

// apiSpec ties one protected kind to its AWS API: the create operation, the
// operations that change an existing resource, and how the API's field
// names read as the provider's input properties.
type apiSpec struct {
	model   string
	create  string
	updates []string
	// identity are the create fields the updates take only to name the
	// resource.
	identity []string
	// args is pulumi-aws's input struct of the kind, in dir.
	dir, args string
	// rename maps API field paths to input property paths where the names
	// differ (otherwise the first letter is lowered).
	rename map[string]string
	// reshaped are API fields that an update takes in another shape than
	// the create (so their insides cannot be compared by name), and which
	// update it is.
	reshaped map[string]string
	// alias are input properties with no API field of their own, and the
	// field they set.
	alias map[string]string
}

var apiSpecs = map[string]apiSpec{
	"aws:eks/cluster:Cluster": {
		model: eksModel, create: "CreateClusterInput",
		updates:  []string{"UpdateClusterConfigInput", "UpdateClusterVersionInput", "AssociateEncryptionConfigInput", "TagResourceInput"},
		identity: []string{"Name"},
		dir:      "go/aws/eks", args: "clusterArgs",
		rename: map[string]string{"ResourcesVpcConfig": "vpcConfig", "Logging": "enabledClusterLogTypes"},
	},
	contract.NodeGroup: {
		model: eksModel, create: "CreateNodegroupInput",
		updates:  []string{"UpdateNodegroupConfigInput", "UpdateNodegroupVersionInput", "TagResourceInput"},
		identity: []string{"ClusterName", "NodegroupName"},
		dir:      "go/aws/eks", args: "nodeGroupArgs",
		rename:   map[string]string{"NodeRole": "nodeRoleArn", "NodegroupName": "nodeGroupName", "Subnets": "subnetIds"},
		reshaped: map[string]string{"Taints": "UpdateNodegroupConfig's taints (addOrUpdateTaints and removeTaints)"},
		alias:    map[string]string{"nodeGroupNamePrefix": "NodegroupName"},
	},
	"aws:efs/fileSystem:FileSystem": {
		model: efsModel, create: "CreateFileSystemInput",
		updates: []string{"UpdateFileSystemInput", "TagResourceInput", "PutLifecycleConfigurationInput", "UpdateFileSystemProtectionInput"},
		dir:     "go/aws/efs", args: "fileSystemArgs",
	},
	"aws:kms/key:Key": {
		model: kmsModel, create: "CreateKeyInput",
		updates: []string{"UpdateKeyDescriptionInput", "PutKeyPolicyInput", "TagResourceInput", "EnableKeyRotationInput"},
		dir:     "go/aws/kms", args: "keyArgs",
		rename: map[string]string{"KeySpec": "customerMasterKeySpec"},
	},
}

type goField struct{ Type, Doc, Prop string }

// goSource is what the checks read of a Go package: its struct types and
// the documentation of its methods.
type goSource struct {
	structs map[string]map[string]goField
	methods map[string]string
}

// goStructs reads the struct types of the Go files in dirs of fsys: per
// type, its fields with their element type's name, documentation and
// pulumi tag; and per method name, its documentation (an SDK client's
// operations).
func goStructs(t *testing.T, fsys fs.FS, dirs ...string) goSource {
	t.Helper()
	out := map[string]map[string]goField{}
	methods := map[string]string{}
	fset := token.NewFileSet()
	for _, dir := range dirs {
		entries, err := fs.ReadDir(fsys, dir)
		require.NoError(t, err)
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
				continue
			}
			src, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
			require.NoError(t, err)
			f, err := parser.ParseFile(fset, e.Name(), src, parser.ParseComments)
			require.NoError(t, err)
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil {
					methods[fd.Name.Name] = fd.Doc.Text()
				}
				gd, ok := d.(*ast.GenDecl)
				if !ok || gd.Tok != token.TYPE {
					continue
				}
				for _, s := range gd.Specs {
					ts := s.(*ast.TypeSpec)
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					fields := map[string]goField{}
					for _, fl := range st.Fields.List {
						typ := types.ExprString(fl.Type)
						typ = strings.TrimLeft(typ, "*[]")
						if i := strings.LastIndex(typ, "."); i >= 0 {
							typ = typ[i+1:]
						}
						prop := ""
						if fl.Tag != nil {
							tag, _ := strconv.Unquote(fl.Tag.Value)
							prop = reflect.StructTag(tag).Get("pulumi")
						}
						for _, n := range fl.Names {
							fields[n.Name] = goField{Type: typ, Doc: fl.Doc.Text(), Prop: prop}
						}
					}
					out[ts.Name.Name] = fields
				}
			}
		}
	}
	return goSource{structs: out, methods: methods}
}

// field is the field at a path of names from a struct type, by Go field
// name (byProp false) or by pulumi property name.
func field(structs map[string]map[string]goField, from string, p []string, byProp bool) (goField, bool) {
	typ := from
	var f goField
	for _, name := range p {
		fields, ok := structs[typ]
		if !ok {
			return goField{}, false
		}
		found := false
		for goName, fl := range fields {
			if (!byProp && goName == name) || (byProp && fl.Prop == name) {
				f, found = fl, true
				break
			}
		}
		if !found {
			return goField{}, false
		}
		typ = f.Type
	}
	return f, true
}

func moduleFS(t *testing.T, modVersion string) fs.FS {
	t.Helper()
	mod, version, _ := strings.Cut(modVersion, "@")
	fsys, err := modzip.FS(t.Context(), mod, version)
	require.NoError(t, err, "the reference %s", modVersion)
	return fsys
}

// TestReplacementRulesAgreeWithAWSsAPIModels checks the stand-ins' table of
// what AWS replaces (awsanswers.Replaces, used for the box's previews and
// the protected-replacement warning) against AWS's own API models: every
// property the table names is one that no operation on an existing
// resource changes (or that AWS documents as fixed at creation), and every
// such field that the provider has as an input is in the table.
func TestReplacementRulesAgreeWithAWSsAPIModels(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", pulumiAWS).Output()
	require.NoError(t, err, "the version of %s in go.mod", pulumiAWS)
	aws, err := modzip.FS(t.Context(), pulumiAWS, strings.TrimSpace(string(out)))
	require.NoError(t, err)
	provider := goStructs(t, aws, "go/aws/eks", "go/aws/efs", "go/aws/kms").structs
	models := map[string]goSource{}
	for typ := range contract.Protected {
		if typ == eksComponent {
			continue // pulumi-eks's component: its control plane is aws:eks/cluster:Cluster
		}
		spec, ok := apiSpecs[typ]
		require.True(t, ok, "%s is protected: say which AWS API it is", typ)
		if _, ok := models[spec.model]; !ok {
			models[spec.model] = goStructs(t, moduleFS(t, spec.model), ".", "types")
		}
		t.Run(typ, func(t *testing.T) {
			checkReplaces(t, typ, spec, models[spec.model], provider)
		})
	}
}

func checkReplaces(t *testing.T, typ string, spec apiSpec, src goSource, provider map[string]map[string]goField) {
	model := src.structs
	require.Contains(t, model, spec.create, "%s has no %s", spec.model, spec.create)
	for _, u := range spec.updates {
		require.Contains(t, model, u, "%s has no %s", spec.model, u)
	}
	toProp := func(apiPath []string) []string {
		out := make([]string, len(apiPath))
		for i := range apiPath {
			if r, ok := spec.rename[strings.Join(apiPath[:i+1], ".")]; ok {
				out[i] = r
				continue
			}
			out[i] = strings.ToLower(apiPath[i][:1]) + apiPath[i][1:]
		}
		return out
	}
	// toAPI: the API fields an input property sets (a KMS key's
	// customerMasterKeySpec is both KeySpec and the older
	// CustomerMasterKeySpec).
	toAPI := map[string][][]string{}
	createOnly := map[string]bool{}
	// updatable: an operation on an existing resource takes the field, and
	// AWS's documentation of it does not say it is fixed at creation.
	updatable := func(p []string) bool {
		if len(p) == 1 && slices.Contains(spec.identity, p[0]) {
			return false
		}
		if _, ok := spec.reshaped[strings.Join(p, ".")]; ok {
			return true
		}
		f, _ := field(model, spec.create, p, false)
		if createOnlyDoc.MatchString(f.Doc) {
			return false
		}
		for _, u := range spec.updates {
			if _, ok := field(model, u, p, false); ok {
				return true
			}
		}
		return false
	}
	var walk func(p []string)
	walk = func(p []string) {
		fields := model[spec.create]
		if len(p) > 0 {
			f, _ := field(model, spec.create, p, false)
			fields = model[f.Type]
		}
		for name := range fields {
			if name == tokenField || name == "noSmithyDocumentSerde" {
				continue
			}
			q := append(slices.Clone(p), name)
			prop := strings.Join(toProp(q), ".")
			toAPI[prop] = append(toAPI[prop], q)
			if !updatable(q) {
				createOnly[strings.Join(q, ".")] = true
				continue
			}
			if _, ok := spec.reshaped[strings.Join(q, ".")]; ok {
				continue
			}
			if len(q) < maxDepth {
				walk(q)
			}
		}
	}
	walk(nil)
	for prop, api := range spec.alias {
		toAPI[prop] = [][]string{{api}}
	}

	rule := awsanswers.Replaces[typ]
	mod, version, _ := strings.Cut(strings.TrimPrefix(spec.model, "github.com/aws/aws-sdk-go-v2/"), "@")
	assert.Contains(t, rule.Source, mod+" "+version, "%s: the rule's Source names the model it was checked against", typ)
	covered := func(api string) bool {
		for _, p := range slices.Concat(rule.Paths, rule.OnceSet) {
			for _, a := range toAPI[p] {
				if strings.Join(a, ".") == api || strings.HasPrefix(api, strings.Join(a, ".")+".") {
					return true
				}
			}
		}
		return false
	}
	// Every path of the rule is an input of the provider and a field AWS
	// takes only at creation; every path of OnceSet is that or a field that
	// its update operation sets only where it has no value yet.
	for i, p := range slices.Concat(rule.Paths, rule.OnceSet) {
		_, ok := field(provider, spec.args, strings.Split(p, "."), true)
		assert.True(t, ok, "%s: %q is not an input of pulumi-aws's %s", typ, p, spec.args)
		apis, ok := toAPI[p]
		if !assert.True(t, ok, "%s: %q names no field of %s's %s", typ, p, spec.model, spec.create) {
			continue
		}
		for _, api := range apis {
			if createOnly[strings.Join(api, ".")] {
				continue
			}
			ops := updatedBy(model, spec, api)
			firstOnly := len(ops) > 0
			for _, op := range ops {
				firstOnly = firstOnly && firstOnlyDoc.MatchString(src.methods[op])
			}
			if i >= len(rule.Paths) {
				assert.True(t, firstOnly, "%s: %q (%s) is changed in place by %s (AWS's model %s), and AWS does not document that only a first value can be set",
					typ, p, strings.Join(api, "."), strings.Join(ops, ", "), spec.model)
				continue
			}
			assert.Fail(t, "an update, not a replace",
				"%s: %q (%s) is changed in place by %s (AWS's model %s), so its change is an update, not a replace; name the fields inside it that only %s takes (or, if %s sets only a first value, put it in OnceSet)",
				typ, p, strings.Join(api, "."), strings.Join(ops, ", "), spec.model, spec.create, strings.Join(ops, ", "))
		}
	}
	// Every field only the create takes, that the provider has as an input,
	// is in the rule.
	for api := range createOnly {
		p := toProp(strings.Split(api, "."))
		if _, ok := field(provider, spec.args, p, true); !ok {
			continue // the provider cannot set it
		}
		assert.True(t, covered(api), "%s: only %s takes %s (AWS's model %s), so a change of %q replaces the resource: add it to awsanswers.Replaces",
			typ, spec.create, api, spec.model, strings.Join(p, "."))
	}
}

// updatedBy names the update operations that take a field.
func updatedBy(model map[string]map[string]goField, spec apiSpec, p []string) []string {
	var ops []string
	for _, u := range spec.updates {
		if _, ok := field(model, u, p, false); ok {
			ops = append(ops, strings.TrimSuffix(u, "Input"))
		}
	}
	return ops
}
