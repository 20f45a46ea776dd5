package box

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/tests/modzip"
)

// KarpenterModule holds the real karpenter-crd chart (charts/karpenter-crd).
const KarpenterModule = "github.com/aws/karpenter-provider-aws"

// StandInLabel marks every object a stand-in chart renders, with the
// chart's name and version as its value.
const StandInLabel = "eksplatform.io/stand-in-chart"

// standInDeployment is the one template of a stand-in chart: a Deployment
// (and its ServiceAccount when the values ask for one) carrying the values'
// replicas, node selector, tolerations and service account, so that Helm's
// release mechanics, the real scheduler and the Pod Security admission
// judge what the program asked for. Its pods pass the restricted profile.
const standInDeployment = `{{- $v := VALUES | default dict }}
{{- $sa := .Values.serviceAccount | default dict }}
{{- $saName := $sa.name | default .Release.Name }}
{{- if $sa.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $saName }}
  namespace: {{ .Release.Namespace }}
  labels:
    ` + StandInLabel + `: {{ .Chart.Name }}-{{ .Chart.Version }}
  {{- with $sa.annotations }}
  annotations: {{- toYaml . | nindent 4 }}
  {{- end }}
---
{{- end }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
    ` + StandInLabel + `: {{ .Chart.Name }}-{{ .Chart.Version }}
spec:
  replicas: {{ $v.replicas | default $v.replicaCount | default 1 }}
  selector:
    matchLabels:
      app.kubernetes.io/instance: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app.kubernetes.io/instance: {{ .Release.Name }}
    spec:
      serviceAccountName: {{ if or $sa.create $sa.name }}{{ $saName }}{{ else }}default{{ end }}
      automountServiceAccountToken: false
      {{- with $v.nodeSelector }}
      nodeSelector: {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations: {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: stand-in
          image: registry.k8s.io/pause:3.10
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
`

// ChartRepo is a Helm chart repository on loopback (https, the box's CA):
// the real karpenter-crd chart and a stand-in of every other chart of the
// catalog, at the catalog's names and versions.
type ChartRepo struct {
	// URL is https://127.0.0.1:<port>/.
	URL    string
	srv    *http.Server
	Charts map[string]catalog.Chart
}

// ServeCharts builds the charts and serves them until ctx ends or Close.
// The TLS certificate is the box's (the CA is Box.CAFile).
func (b *Box) ServeCharts(ctx context.Context, charts map[string]catalog.Chart) (*ChartRepo, error) {
	files := map[string][]byte{}
	type entry struct {
		APIVersion  string    `json:"apiVersion"`
		Name        string    `json:"name"`
		Version     string    `json:"version"`
		AppVersion  string    `json:"appVersion,omitempty"`
		KubeVersion string    `json:"kubeVersion,omitempty"`
		URLs        []string  `json:"urls"`
		Digest      string    `json:"digest"`
		Created     time.Time `json:"created"`
	}
	index := map[string][]entry{}
	for _, name := range sortedNames(charts) {
		ch := charts[name]
		var tgz []byte
		var err error
		if ch.Chart == "karpenter-crd" {
			tgz, err = karpenterCRDChart(ctx, ch)
		} else {
			tgz, err = standInChart(ch)
		}
		if err != nil {
			return nil, fmt.Errorf("chart %s %s: %w", ch.Chart, ch.Version, err)
		}
		file := ch.Chart + "-" + ch.Version + ".tgz"
		files["/"+file] = tgz
		sum := sha256.Sum256(tgz)
		index[ch.Chart] = append(index[ch.Chart], entry{
			APIVersion: "v2", Name: ch.Chart, Version: ch.Version, AppVersion: ch.AppVersion, KubeVersion: ch.KubeVersion,
			URLs: []string{file}, Digest: hex.EncodeToString(sum[:]), Created: time.Now().UTC(),
		})
	}
	// index.yaml as JSON, which Helm's YAML reader takes.
	idx, err := json.Marshal(map[string]any{"apiVersion": "v1", "entries": index, "generated": time.Now().UTC()})
	if err != nil {
		return nil, err
	}
	files["/index.yaml"] = idx

	cert, err := tls.LoadX509KeyPair(b.pki.CertFile, b.pki.KeyFile)
	if err != nil {
		return nil, err
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, err
	}
	r := &ChartRepo{URL: fmt.Sprintf("https://127.0.0.1:%d/", l.Addr().(*net.TCPAddr).Port), Charts: charts}
	r.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		data, ok := files[path.Clean(req.URL.Path)]
		if !ok {
			http.NotFound(w, req)
			return
		}
		_, _ = w.Write(data)
	})}
	go func() { _ = r.srv.Serve(l) }()
	go func() { <-ctx.Done(); r.Close() }()
	return r, nil
}

// Close stops the server.
func (r *ChartRepo) Close() { _ = r.srv.Close() }

// CAFile is the box's CA certificate (PEM), which signs the API servers'
// and the chart repository's certificates.
func (b *Box) CAFile() string { return b.pki.CAFile }

func sortedNames(charts map[string]catalog.Chart) []string {
	var out []string
	for n := range charts {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func chartYAML(ch catalog.Chart, description string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v2\nname: %s\nversion: %q\ndescription: %q\ntype: application\n", ch.Chart, ch.Version, description)
	if ch.AppVersion != "" {
		fmt.Fprintf(&b, "appVersion: %q\n", ch.AppVersion)
	}
	if ch.KubeVersion != "" {
		fmt.Fprintf(&b, "kubeVersion: %q\n", ch.KubeVersion)
	}
	return []byte(b.String())
}

// standInCRD is a custom resource kind a chart installs and the program
// then creates objects of. The stand-in's CRD accepts any spec (the real
// schema is the chart's, checked elsewhere); it is installed under the
// same values switch as upstream's, with upstream's default, so a program
// that forgets to switch it on fails here as it would on EKS.
type standInCRD struct {
	Group, Version, Kind, Plural, Scope string
}

type standInCRDs struct {
	// Gate is the template condition, Default the values.yaml line giving
	// upstream's default.
	Gate, Default string
	CRDs          []standInCRD
}

var chartCRDs = map[string]standInCRDs{
	// cert-manager: crds.enabled, default false (chart values.yaml).
	"cert-manager": {Gate: "(.Values.crds | default dict).enabled", Default: "crds:\n  enabled: false\n",
		CRDs: []standInCRD{{"cert-manager.io", "v1", "ClusterIssuer", "clusterissuers", "Cluster"}, {"cert-manager.io", "v1", "Certificate", "certificates", "Namespaced"}}},
	// external-secrets: installCRDs, default true.
	"external-secrets": {Gate: ".Values.installCRDs", Default: "installCRDs: true\n",
		CRDs: []standInCRD{{"external-secrets.io", "v1", "ClusterSecretStore", "clustersecretstores", "Cluster"}, {"external-secrets.io", "v1", "ExternalSecret", "externalsecrets", "Namespaced"}}},
}

func (c standInCRDs) template() string {
	var b strings.Builder
	fmt.Fprintf(&b, "{{- if %s }}\n", c.Gate)
	for _, crd := range c.CRDs {
		fmt.Fprintf(&b, `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: %[4]s.%[1]s
  labels:
    %[6]s: {{ .Chart.Name }}-{{ .Chart.Version }}
spec:
  group: %[1]s
  scope: %[5]s
  names: {kind: %[3]s, listKind: %[3]sList, plural: %[4]s, singular: %[7]s}
  versions:
    - name: %[2]s
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`, crd.Group, crd.Version, crd.Kind, crd.Plural, crd.Scope, StandInLabel, strings.ToLower(crd.Kind))
	}
	b.WriteString("{{- end }}\n")
	return b.String()
}

// deploymentValues is where a chart's values for its Deployment (replicas,
// nodeSelector, tolerations) live, as upstream's values.yaml has them: at
// the top for most charts.
func deploymentValues(chart string) string {
	if chart == "reloader" {
		return "(.Values.reloader | default dict).deployment"
	}
	return ".Values"
}

func standInChart(ch catalog.Chart) ([]byte, error) {
	files := map[string][]byte{
		"Chart.yaml":                chartYAML(ch, "eksplatform box stand-in for "+ch.Chart),
		"values.yaml":               []byte("{}\n"),
		"templates/deployment.yaml": []byte(strings.Replace(standInDeployment, "VALUES", deploymentValues(ch.Chart), 1)),
	}
	if crds, ok := chartCRDs[ch.Chart]; ok {
		files["values.yaml"] = []byte(crds.Default)
		files["templates/crds.yaml"] = []byte(crds.template())
	}
	return tgz(ch.Chart, files)
}

var chartVersionLine = regexp.MustCompile(`(?m)^(version|appVersion):.*$`)

// karpenterCRDChart is the real chart from the karpenter module at the
// catalog's version: its Chart.yaml (with version and appVersion set to the
// release's, which upstream stamps at release time), values.yaml and
// templates, or, where the module zip has dropped the templates (symbolic
// links), the CRDs of pkg/apis/crds they link to.
func karpenterCRDChart(ctx context.Context, ch catalog.Chart) ([]byte, error) {
	mod, err := modzip.FS(ctx, KarpenterModule, "v"+strings.TrimPrefix(ch.Version, "v"))
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	meta, err := fs.ReadFile(mod, "charts/karpenter-crd/Chart.yaml")
	if err != nil {
		return nil, err
	}
	files["Chart.yaml"] = chartVersionLine.ReplaceAllFunc(meta, func(line []byte) []byte {
		key, _, _ := strings.Cut(string(line), ":")
		return fmt.Appendf(nil, "%s: %s", key, ch.Version)
	})
	if v, err := fs.ReadFile(mod, "charts/karpenter-crd/values.yaml"); err == nil {
		files["values.yaml"] = v
	}
	templates, _ := fs.Glob(mod, "charts/karpenter-crd/templates/*.yaml")
	if len(templates) == 0 {
		templates, _ = fs.Glob(mod, "pkg/apis/crds/*.yaml")
	}
	if len(templates) == 0 {
		return nil, fmt.Errorf("%s@%s has neither charts/karpenter-crd/templates nor pkg/apis/crds", KarpenterModule, ch.Version)
	}
	for _, t := range templates {
		data, err := fs.ReadFile(mod, t)
		if err != nil {
			return nil, err
		}
		files["templates/"+path.Base(t)] = data
	}
	return tgz(ch.Chart, files)
}

func tgz(top string, files map[string][]byte) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: top + "/" + n, Mode: int64(fs.FileMode(0o644)), Size: int64(len(files[n])), ModTime: time.Unix(0, 0)}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
