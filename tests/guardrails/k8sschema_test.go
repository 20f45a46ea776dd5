package guardrails

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/internal/mockengine"
	"github.com/eksplatform/eksplatform/tests/crdschema"
	"github.com/eksplatform/eksplatform/tests/modzip"
)

// builtins are the built-in kinds the layers declare and the k8s.io/api type
// each must strictly decode into.
var builtins = map[string]reflect.Type{
	"kubernetes:core/v1:Namespace":                                reflect.TypeFor[corev1.Namespace](),
	"kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition": reflect.TypeFor[apiextensionsv1.CustomResourceDefinition](),
	"kubernetes:core/v1:Service":                                  reflect.TypeFor[corev1.Service](),
	"kubernetes:apps/v1:Deployment":                               reflect.TypeFor[appsv1.Deployment](),
	"kubernetes:networking.k8s.io/v1:Ingress":                     reflect.TypeFor[networkingv1.Ingress](),
	"kubernetes:networking.k8s.io/v1:IngressClass":                reflect.TypeFor[networkingv1.IngressClass](),
	"kubernetes:storage.k8s.io/v1:StorageClass":                   reflect.TypeFor[storagev1.StorageClass](),
	"kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding":  reflect.TypeFor[rbacv1.ClusterRoleBinding](),
	"kubernetes:rbac.authorization.k8s.io/v1:ClusterRole":         reflect.TypeFor[rbacv1.ClusterRole](),
}

// karpenterCRDs are validated against the openAPIV3Schema of the CRDs that
// the karpenter-crd chart of the catalog's pinned version installs: the
// files of pkg/apis/crds in github.com/aws/karpenter-provider-aws at that
// version (the chart's crds are those files; module zips drop the chart's
// symlinks to them).
var karpenterCRDs = map[string]string{
	"kubernetes:karpenter.sh/v1:NodePool":          "pkg/apis/crds/karpenter.sh_nodepools.yaml",
	"kubernetes:karpenter.k8s.aws/v1:EC2NodeClass": "pkg/apis/crds/karpenter.k8s.aws_ec2nodeclasses.yaml",
}

const karpenterModule = "github.com/aws/karpenter-provider-aws"

// gatekeeperCRDs are validated against the CRDs of the gatekeeper chart of
// the catalog's pinned version, read from the chart in the Gatekeeper module
// at that tag (its crds/ are what the chart installs).
var gatekeeperCRDs = map[string]string{
	"kubernetes:templates.gatekeeper.sh/v1:ConstraintTemplate": "charts/gatekeeper/crds/constrainttemplate-customresourcedefinition.yaml",
	"kubernetes:config.gatekeeper.sh/v1alpha1:Config":          "charts/gatekeeper/crds/config-customresourcedefinition.yaml",
}

const gatekeeperModule = "github.com/open-policy-agent/gatekeeper/v3"

// notValidated are the in-cluster kinds checked elsewhere, and why not here.
var notValidated = map[string]string{
	"kubernetes:helm.sh/v3:Release":                        "a Helm release; its values are the chart's, not an API object",
	"kubernetes:cert-manager.io/v1:ClusterIssuer":          "its CRD ships in the cert-manager chart, not a Go module",
	"kubernetes:external-secrets.io/v1:ClusterSecretStore": "its CRD ships in the external-secrets chart, not a Go module",
	// Gatekeeper makes a constraint's CRD from its template at run time.
	"kubernetes:constraints.gatekeeper.sh/v1beta1:EksplatformDeprecatedAPIs":  "its CRD is made by Gatekeeper from its template: components/policy checks it against the template's schema and gator accepts it",
	"kubernetes:constraints.gatekeeper.sh/v1beta1:EksplatformPDBRequired":     "as EksplatformDeprecatedAPIs",
	"kubernetes:constraints.gatekeeper.sh/v1beta1:EksplatformManagementNodes": "as EksplatformDeprecatedAPIs",
}

// moduleFile reads one file of a module version through the module cache
// (modzip.FS).
func moduleFile(t *testing.T, module, version, file string) []byte {
	t.Helper()
	mod, err := modzip.FS(t.Context(), module, version)
	require.NoError(t, err)
	data, err := fs.ReadFile(mod, file)
	require.NoError(t, err, "%s@%s has no %s", module, version, file)
	return data
}

// crdSchema is the structural schema of one version of a CRD
// (tests/crdschema): fields the schema does not name are refused; CEL rules
// are not evaluated.
func crdSchema(t *testing.T, name string, data []byte, version string) *jsonschema.Schema {
	t.Helper()
	sch, err := crdschema.FromCRD(data, version)
	require.NoError(t, err, name)
	return sch
}

// objectJSON renders a synthesized Kubernetes resource as the object the
// provider sends to the API server.
func objectJSON(t *testing.T, r mockengine.Resource) []byte {
	t.Helper()
	b, err := json.Marshal(r.In())
	require.NoError(t, err)
	return b
}

func decodeStrict(data []byte, typ reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	v := reflect.New(typ).Interface()
	if err := dec.Decode(v); err != nil {
		return err
	}
	return nil
}

func validateCR(sch *jsonschema.Schema, data []byte) error { return crdschema.Validate(sch, data) }

type validators struct {
	crds map[string]*jsonschema.Schema
}

func loadValidators(t *testing.T) validators {
	t.Helper()
	v := validators{crds: map[string]*jsonschema.Schema{}}
	// The load balancer controller's CRDs are the catalog's copy of its
	// chart's crds/, which the program applies (charts check compares it
	// with the published chart).
	lbc := catalog.Default().DefaultCharts()["aws-load-balancer-controller"]
	lbcCRDs, err := catalog.Default().CRDs(lbc)
	require.NoError(t, err)
	for _, crd := range lbcCRDs {
		if crd.Name != "ingressclassparams.elbv2.k8s.aws" {
			continue
		}
		data, err := yaml.Marshal(crd.Object)
		require.NoError(t, err)
		v.crds["kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams"] = crdSchema(t, crd.Name, data, "v1beta1")
	}
	require.Contains(t, v.crds, "kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams")
	moduleVersion := "v" + catalog.Default().DefaultCharts()["karpenter-crd"].Version
	for typ, file := range karpenterCRDs {
		version := typ[strings.LastIndex(typ[:strings.LastIndex(typ, ":")], "/")+1 : strings.LastIndex(typ, ":")]
		v.crds[typ] = crdSchema(t, file, moduleFile(t, karpenterModule, moduleVersion, file), version)
	}
	gkVersion := "v" + catalog.Default().DefaultCharts()["gatekeeper"].Version
	for typ, file := range gatekeeperCRDs {
		version := typ[strings.LastIndex(typ[:strings.LastIndex(typ, ":")], "/")+1 : strings.LastIndex(typ, ":")]
		v.crds[typ] = crdSchema(t, file, moduleFile(t, gatekeeperModule, gkVersion, file), version)
	}
	return v
}

func (v validators) validate(r mockengine.Resource, data []byte) (checked bool, err error) {
	if typ, ok := builtins[r.Type]; ok {
		return true, decodeStrict(data, typ)
	}
	if sch, ok := v.crds[r.Type]; ok {
		return true, validateCR(sch, data)
	}
	return false, nil
}

func TestEveryKubernetesObjectMatchesItsSchema(t *testing.T) {
	t.Parallel()
	v := loadValidators(t)
	checked := map[string]int{}
	for _, s := range exampleFleet(t) {
		for _, r := range s.e.Resources() {
			if !strings.HasPrefix(r.Type, "kubernetes:") {
				continue
			}
			ok, err := v.validate(r, objectJSON(t, r))
			if !ok {
				_, skipped := notValidated[r.Type]
				assert.True(t, skipped, "%s has no schema check; add one or say in notValidated why not", r.Type)
				continue
			}
			checked[r.Type]++
			assert.NoError(t, err, "%s %s (%s)", r.Type, r.Name, s.c.Name)
		}
	}
	for typ := range builtins {
		assert.Positive(t, checked[typ], "%s was checked", typ)
	}
	for typ := range karpenterCRDs {
		assert.Positive(t, checked[typ], "%s was checked", typ)
	}
	for typ := range gatekeeperCRDs {
		assert.Positive(t, checked[typ], "%s was checked against the chart's CRD", typ)
	}
	assert.Positive(t, checked["kubernetes:elbv2.k8s.aws/v1beta1:IngressClassParams"], "IngressClassParams was checked against the controller's CRD")
}

// TestSchemaChecksCatchMisspelledFields proves the checks above can fail.
func TestSchemaChecksCatchMisspelledFields(t *testing.T) {
	t.Parallel()
	v := loadValidators(t)
	s := exampleFleet(t)[2]
	for _, tc := range []struct {
		typ, from, to string
	}{
		{"kubernetes:karpenter.sh/v1:NodePool", `"expireAfter"`, `"expireAftr"`},
		{"kubernetes:karpenter.sh/v1:NodePool", `"consolidationPolicy":"WhenEmptyOrUnderutilized"`, `"consolidationPolicy":"WhenIdle"`},
		{"kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", `"httpTokens"`, `"httpToken"`},
		{"kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", `"subnetSelectorTerms"`, `"subnetSelectors"`},
		{"kubernetes:apps/v1:Deployment", `"readinessProbe"`, `"readynessProbe"`},
		{"kubernetes:storage.k8s.io/v1:StorageClass", `"volumeBindingMode"`, `"volumeBinding"`},
		{"kubernetes:templates.gatekeeper.sh/v1:ConstraintTemplate", `"targets"`, `"target"`},
		{"kubernetes:config.gatekeeper.sh/v1alpha1:Config", `"syncOnly"`, `"syncOnl"`},
	} {
		t.Run(fmt.Sprintf("%s %s", tc.typ, tc.to), func(t *testing.T) {
			rs := s.e.ByType(tc.typ)
			require.NotEmpty(t, rs)
			good := objectJSON(t, rs[0])
			bad := bytes.Replace(good, []byte(tc.from), []byte(tc.to), 1)
			require.NotEqual(t, good, bad, "the mutation applies")
			ok, err := v.validate(rs[0], good)
			require.True(t, ok)
			require.NoError(t, err, "the unmutated object is valid")
			_, err = v.validate(rs[0], bad)
			assert.Error(t, err)
		})
	}
}
