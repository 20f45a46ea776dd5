package chartcheck

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/repo"
	"sigs.k8s.io/yaml"

	"github.com/eksplatform/eksplatform/catalog"
)

// demoChart is a small chart shaped like the platform's: a controller
// Deployment that takes tolerations, a node selector and a service account
// with annotations, and a webhook whose tolerations live under webhook.
func demoChart(t *testing.T) *chart.Chart {
	t.Helper()
	values := map[string]any{
		"replicaCount": 1,
		"tolerations":  []any{},
		"nodeSelector": map[string]any{},
		"serviceAccount": map[string]any{
			"create": true, "name": "", "annotations": map[string]any{},
		},
		"webhook":         map[string]any{"enabled": true},
		"securityContext": map[string]any{"runAsNonRoot": true},
	}
	deployment := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector: {matchLabels: {app: demo}}
  template:
    metadata: {labels: {app: demo}}
    spec:
      serviceAccountName: {{ .Values.serviceAccount.name | default .Release.Name }}
      securityContext: {{ toJson .Values.securityContext }}
      {{- with .Values.nodeSelector }}
      nodeSelector: {{ toJson . }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations: {{ toJson . }}
      {{- end }}
      containers: [{name: demo, image: "demo:1"}]
`
	serviceAccount := `{{- if .Values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Values.serviceAccount.name | default .Release.Name }}
  {{- with .Values.serviceAccount.annotations }}
  annotations: {{ toJson . }}
  {{- end }}
{{- end }}
`
	// The webhook ignores tolerations: a value the program might set in vain.
	webhook := `{{- if .Values.webhook.enabled }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-webhook
spec:
  selector: {matchLabels: {app: webhook}}
  template:
    metadata: {labels: {app: webhook}}
    spec:
      containers: [{name: webhook, image: "webhook:1"}]
{{- end }}
`
	schema, err := yaml.YAMLToJSON([]byte(`
$schema: http://json-schema.org/draft-07/schema#
type: object
properties:
  replicaCount: {type: integer, minimum: 1}
  extraArgs: {type: array}
`))
	require.NoError(t, err)
	raw, err := yaml.Marshal(values)
	require.NoError(t, err)
	return &chart.Chart{
		Raw:      []*chart.File{{Name: chartutil.ValuesfileName, Data: raw}},
		Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "demo", Version: "1.2.3", AppVersion: "v1.2.3", KubeVersion: ">= 1.30.0-0 < 1.38.0-0"},
		Values:   values,
		Schema:   schema,
		Templates: []*chart.File{
			{Name: "templates/deployment.yaml", Data: []byte(deployment)},
			{Name: "templates/serviceaccount.yaml", Data: []byte(serviceAccount)},
			{Name: "templates/webhook.yaml", Data: []byte(webhook)},
		},
	}
}

// repository serves the chart as a classic repository over TLS.
func repository(t *testing.T, c *chart.Chart) (*httptest.Server, catalog.Chart) {
	t.Helper()
	dir := t.TempDir()
	archive, err := chartutil.Save(c, dir)
	require.NoError(t, err)
	idx := repo.NewIndexFile()
	require.NoError(t, idx.MustAdd(c.Metadata, filepath.Base(archive), "", "sha256:0"))
	require.NoError(t, idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o600))
	var hits []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.URL.Path)
		http.FileServer(http.Dir(dir)).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, catalog.Chart{Repository: srv.URL + "/", Chart: "demo", Version: "1.2.3"}
}

var management = map[string]any{"key": "dedicated", "operator": "Equal", "value": "management", "effect": "NoSchedule"}

func release(ch catalog.Chart, values map[string]any) Release {
	return Release{Cluster: "np-i01-aws-us-east-2", Name: "demo", Namespace: "kube-system", Chart: ch, KubernetesVersion: "1.36", Values: values}
}

func TestCheckAgainstAChartRepository(t *testing.T) {
	t.Parallel()
	srv, ch := repository(t, demoChart(t))
	f := &Repositories{Client: srv.Client()}
	good := map[string]any{
		"replicaCount":    2,
		"tolerations":     []any{management},
		"nodeSelector":    map[string]any{"dedicated": "management"},
		"serviceAccount":  map[string]any{"create": true, "name": "demo-controller", "annotations": map[string]any{IRSAAnnotation: "arn:aws:iam::123456789012:role/demo"}},
		"securityContext": map[string]any{"fsGroup": 1001},
		"extraArgs":       []any{"--policy=sync"},
	}
	problems, err := Check(t.Context(), f, []Release{release(ch, good)})
	require.NoError(t, err)
	assert.Empty(t, problems, "values the chart reads, landing where they should; securityContext.fsGroup is read through the whole map, extraArgs through the schema")

	cases := []struct {
		name   string
		values map[string]any
		minor  string
		want   []string
	}{
		{"a misspelled value", map[string]any{"replicaCont": 2}, "1.36",
			[]string{"value replicaCont is not in the chart's values.yaml, values.schema.json or templates: the chart ignores it"}},
		{"tolerations the chart does not read", map[string]any{"webhook": map[string]any{"tolerations": []any{management}}}, "1.36",
			[]string{"toleration map[effect:NoSchedule key:dedicated operator:Equal value:management] lands in no rendered pod",
				"value webhook.tolerations is not in the chart's values.yaml, values.schema.json or templates: the chart ignores it"}},
		{"a service account without its role", map[string]any{"serviceAccount": map[string]any{"create": false, "name": "elsewhere", "annotations": map[string]any{IRSAAnnotation: "arn:aws:iam::123456789012:role/demo"}}}, "1.36",
			[]string{"service account elsewhere is rendered without its IRSA annotation " + IRSAAnnotation}},
		{"a Kubernetes minor outside the chart's kubeVersion", map[string]any{}, "1.38",
			[]string{"does not render: chart requires kubeVersion: >= 1.30.0-0 < 1.38.0-0 which is incompatible with Kubernetes v1.38.0"}},
		{"a value the schema refuses", map[string]any{"replicaCount": 0}, "1.36", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := release(ch, tc.values)
			r.KubernetesVersion = tc.minor
			problems, err := Check(t.Context(), f, []Release{r})
			require.NoError(t, err)
			if tc.want == nil {
				require.Len(t, problems, 1)
				assert.Contains(t, problems[0], "does not render")
				assert.Contains(t, problems[0], "replicaCount")
				return
			}
			var stripped []string
			for _, p := range problems {
				stripped = append(stripped, strings.TrimPrefix(p, "np-i01-aws-us-east-2: release demo (demo 1.2.3): "))
			}
			assert.Equal(t, tc.want, stripped)
		})
	}

	_, err = Check(t.Context(), f, []Release{release(catalog.Chart{Repository: ch.Repository, Chart: "demo", Version: "9.9.9"}, nil)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "index.yaml has no demo 9.9.9")
}

func TestChartSaveRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	archive, err := chartutil.Save(demoChart(t), dir)
	require.NoError(t, err)
	info, err := os.Stat(archive)
	require.NoError(t, err)
	assert.Positive(t, info.Size())
}

func TestFromInputsReadsBothChartSpellings(t *testing.T) {
	rel, err := FromInputs("c1", "1.36", map[string]any{
		"name": "karpenter", "namespace": "karpenter", "chart": "oci://public.ecr.aws/karpenter/karpenter", "version": "1.15.2",
		"values": map[string]any{"replicas": 2.0},
	})
	require.NoError(t, err)
	assert.Equal(t, catalog.Chart{Repository: "oci://public.ecr.aws/karpenter", Chart: "karpenter", Version: "1.15.2"}, rel.Chart)
	assert.Equal(t, map[string]any{"replicas": 2.0}, rel.Values)
	assert.Equal(t, "1.36", rel.KubernetesVersion)

	rel, err = FromInputs("c1", "1.36", map[string]any{
		"name": "reloader", "namespace": "reloader", "chart": "reloader", "version": "2.2.16",
		"repositoryOpts": map[string]any{"repo": "https://stakater.github.io/stakater-charts"},
	})
	require.NoError(t, err)
	assert.Equal(t, catalog.Chart{Repository: "https://stakater.github.io/stakater-charts", Chart: "reloader", Version: "2.2.16"}, rel.Chart)

	_, err = FromInputs("c1", "1.36", map[string]any{"name": "reloader", "namespace": "reloader", "chart": "reloader", "version": "2.2.16"})
	assert.ErrorContains(t, err, "c1: a Helm release needs name, namespace, chart, version and a repository")
}

func TestLocalRefusesAnotherChartAndStampsTheVersion(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, chartutil.SaveDir(demoChart(t), dir))
	src := filepath.Join(dir, "demo")
	l := &Local{Paths: map[string]string{"demo": src, "other": src}}
	c, err := l.Fetch(t.Context(), catalog.Chart{Repository: "https://x", Chart: "demo", Version: "9.9.9"})
	require.NoError(t, err)
	assert.Equal(t, "9.9.9", c.Metadata.Version)
	assert.Equal(t, []string{"demo: " + src + " says version " + demoChart(t).Metadata.Version + ", checked as 9.9.9"}, l.Stamped)
	_, err = l.Fetch(t.Context(), catalog.Chart{Repository: "https://x", Chart: "other", Version: "1.0.0"})
	assert.ErrorContains(t, err, `is chart "demo", not "other"`)
}

const demoCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.demo.example.com}
spec:
  group: demo.example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`

func TestTheProgramsCRDsMustBeTheCharts(t *testing.T) {
	c := demoChart(t)
	c.Files = append(c.Files, &chart.File{Name: "crds/widgets.yaml", Data: []byte(demoCRD)})
	same, err := catalog.ParseCRDs("widgets.yaml", []byte(demoCRD))
	require.NoError(t, err)
	ch := catalog.Chart{Repository: "https://x", Chart: "demo", Version: "1.2.3"}
	rel := release(ch, nil)

	rel.CRDs, rel.SkipCRDs = same, true
	assert.Empty(t, CheckRelease(c, rel))

	rel.SkipCRDs = false
	assert.Equal(t, []string{"the program applies the chart's CRDs, but the release does not set skipCrds"}, CheckRelease(c, rel))

	changed, err := catalog.ParseCRDs("widgets.yaml", []byte(strings.Replace(demoCRD, "Namespaced", "Cluster", 1)))
	require.NoError(t, err)
	rel.CRDs, rel.SkipCRDs = changed, true
	assert.Equal(t, []string{"CRD widgets.demo.example.com differs from the chart's crds/: re-read catalog/data/crds/demo-1.2.3.yaml from the chart"}, CheckRelease(c, rel))

	other, err := catalog.ParseCRDs("gadgets.yaml", []byte(strings.ReplaceAll(demoCRD, "widgets", "gadgets")))
	require.NoError(t, err)
	rel.CRDs = other
	assert.Equal(t, []string{"CRD gadgets.demo.example.com is not in the chart's crds/", "the chart's crds/ has CRD widgets.demo.example.com, which the program does not apply"}, CheckRelease(c, rel))

	rel.CRDs = nil
	assert.Equal(t, []string{"the release skips the chart's crds/ (1 CRDs) and the program applies none"}, CheckRelease(c, rel))
}
