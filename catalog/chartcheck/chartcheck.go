// Package chartcheck checks the Helm releases the program declares against
// the charts themselves, with Helm's own Go SDK: every value the program
// sets is one the chart reads (its values.yaml, values.schema.json or its
// templates), the chart renders for the cluster's Kubernetes minor (its
// kubeVersion), and what the program means by its values lands in the
// rendered pods — the management toleration, the node selector, the service
// account and its IRSA annotation. A mock engine takes any values; a chart
// ignores the ones it does not know, silently.
package chartcheck

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"
	"sigs.k8s.io/yaml"

	"github.com/eksplatform/eksplatform/catalog"
)

// IRSAAnnotation binds a service account to an IAM role.
const IRSAAnnotation = "eks.amazonaws.com/role-arn"

// Release is one Helm release of one cluster, as the program declares it.
type Release struct {
	Cluster   string
	Name      string
	Namespace string
	Chart     catalog.Chart
	// KubernetesVersion is the cluster's minor, "1.37".
	KubernetesVersion string
	Values            map[string]any
	// SkipCRDs is the release's skipCrds: the chart's crds/ are not Helm's to install.
	SkipCRDs bool
	// CRDs are what the program applies in place of the chart's crds/ (the
	// catalog's copy); they must be the chart's, object for object.
	CRDs []catalog.CRD
}

func (r Release) String() string {
	return fmt.Sprintf("%s: release %s (%s %s)", r.Cluster, r.Name, r.Chart.Chart, r.Chart.Version)
}

// Fetcher gets a chart.
type Fetcher interface {
	Fetch(ctx context.Context, ch catalog.Chart) (*chart.Chart, error)
}

// Repositories fetches charts from classic repositories (index.yaml, then
// the chart's archive) and OCI registries (through Helm's registry client).
type Repositories struct {
	Client *http.Client
	cache  map[string]*chart.Chart
}

const maxArchive = 64 << 20

// Fetch downloads and loads a chart.
func (r *Repositories) Fetch(ctx context.Context, ch catalog.Chart) (*chart.Chart, error) {
	key := ch.Ref()
	if c, ok := r.cache[key]; ok {
		return c, nil
	}
	var c *chart.Chart
	var err error
	if strings.HasPrefix(ch.Repository, "oci://") {
		c, err = r.fetchOCI(ch)
	} else {
		c, err = r.fetchClassic(ctx, ch)
	}
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", key, err)
	}
	if r.cache == nil {
		r.cache = map[string]*chart.Chart{}
	}
	r.cache[key] = c
	return c, nil
}

func (r *Repositories) get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := r.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxArchive+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxArchive {
		return nil, fmt.Errorf("GET %s: more than %d bytes", u, maxArchive)
	}
	return b, nil
}

func (r *Repositories) fetchClassic(ctx context.Context, ch catalog.Chart) (*chart.Chart, error) {
	base := strings.TrimSuffix(ch.Repository, "/") + "/"
	data, err := r.get(ctx, base+"index.yaml")
	if err != nil {
		return nil, err
	}
	var idx repo.IndexFile
	if err := yaml.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("%sindex.yaml: %w", base, err)
	}
	for _, v := range idx.Entries[ch.Chart] {
		if v.Version != ch.Version || len(v.URLs) == 0 {
			continue
		}
		ref, err := url.Parse(v.URLs[0])
		if err != nil {
			return nil, err
		}
		b, _ := url.Parse(base)
		archive, err := r.get(ctx, b.ResolveReference(ref).String())
		if err != nil {
			return nil, err
		}
		return loader.LoadArchive(bytes.NewReader(archive))
	}
	return nil, fmt.Errorf("%sindex.yaml has no %s %s", base, ch.Chart, ch.Version)
}

func (r *Repositories) fetchOCI(ch catalog.Chart) (*chart.Chart, error) {
	client, err := registry.NewClient(registry.ClientOptHTTPClient(r.Client))
	if err != nil {
		return nil, err
	}
	ref := strings.TrimPrefix(strings.TrimSuffix(ch.Repository, "/"), "oci://") + "/" + ch.Chart + ":" + ch.Version
	res, err := client.Pull(ref)
	if err != nil {
		return nil, err
	}
	return loader.LoadArchive(bytes.NewReader(res.Chart.Data))
}

// Check checks every release and returns every problem, each naming its
// release; an error is a chart that could not be fetched.
func Check(ctx context.Context, f Fetcher, releases []Release) ([]string, error) {
	var out []string
	for _, rel := range releases {
		c, err := f.Fetch(ctx, rel.Chart)
		if err != nil {
			return out, fmt.Errorf("%s: %w", rel, err)
		}
		for _, p := range CheckRelease(c, rel) {
			out = append(out, rel.String()+": "+p)
		}
	}
	return out, nil
}

// CheckRelease checks one release against its chart.
func CheckRelease(c *chart.Chart, rel Release) []string {
	var out []string
	templates := templateText(c)
	for _, path := range leafPaths(rel.Values, "") {
		if !readsValue(c, templates, path) {
			out = append(out, fmt.Sprintf("value %s is not in the chart's values.yaml, values.schema.json or templates: the chart ignores it", path))
		}
	}
	out = append(out, checkCRDs(c, rel)...)
	manifest, err := render(c, rel)
	if err != nil {
		return append(out, "does not render: "+err.Error())
	}
	objects, err := parseManifest(manifest)
	if err != nil {
		return append(out, "renders what does not parse: "+err.Error())
	}
	pods := podSpecs(objects)
	for _, want := range findAll(rel.Values, "tolerations") {
		for _, tol := range asList(want) {
			if !someList(pods, "tolerations", tol) {
				out = append(out, fmt.Sprintf("toleration %v lands in no rendered pod", tol))
			}
		}
	}
	for _, want := range findAll(rel.Values, "nodeSelector") {
		if m, ok := want.(map[string]any); ok && len(m) > 0 && !someSelector(pods, m) {
			out = append(out, fmt.Sprintf("node selector %v lands in no rendered pod", m))
		}
	}
	if sa, ok := rel.Values["serviceAccount"].(map[string]any); ok {
		name, _ := sa["name"].(string)
		if name != "" && !slices.ContainsFunc(pods, func(p map[string]any) bool { return p["serviceAccountName"] == name }) {
			out = append(out, fmt.Sprintf("no rendered pod runs as service account %s", name))
		}
		if ann, ok := sa["annotations"].(map[string]any); ok && ann[IRSAAnnotation] != nil {
			if !hasAnnotatedServiceAccount(objects, name, ann[IRSAAnnotation]) {
				out = append(out, fmt.Sprintf("service account %s is rendered without its IRSA annotation %s", name, IRSAAnnotation))
			}
		}
	}
	sort.Strings(out)
	return out
}

func render(c *chart.Chart, rel Release) (string, error) {
	kv, err := chartutil.ParseKubeVersion("v" + rel.KubernetesVersion + ".0")
	if err != nil {
		return "", err
	}
	install := action.NewInstall(&action.Configuration{})
	install.DryRun, install.ClientOnly, install.Replace = true, true, true
	install.ReleaseName, install.Namespace = rel.Name, rel.Namespace
	install.KubeVersion = kv
	install.DisableHooks = true
	r, err := install.Run(c, rel.Values)
	if err != nil {
		return "", err
	}
	return r.Manifest, nil
}

// leafPaths lists the dotted paths of a values tree's leaves (lists are leaves).
func leafPaths(v map[string]any, prefix string) []string {
	var out []string
	for k, e := range v {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		if m, ok := e.(map[string]any); ok && len(m) > 0 {
			out = append(out, leafPaths(m, p)...)
			continue
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// readsValue: the path, or a map it lies in, is a default of the chart, a
// property of its schema, or read whole by a template.
func readsValue(c *chart.Chart, templates string, path string) bool {
	parts := strings.Split(path, ".")
	if defaultFor(c.Values, parts) || schemaFor(c.Schema, parts) {
		return true
	}
	// The path itself, or a map on it read whole (toYaml .Values.securityContext).
	for i := len(parts); i > 0; i-- {
		end := `(?:[^\w.]|$)`
		if i == len(parts) {
			end = `\b`
		}
		if regexp.MustCompile(`\.Values\.` + regexp.QuoteMeta(strings.Join(parts[:i], ".")) + end).MatchString(templates) {
			return true
		}
	}
	return false
}

// defaultFor: the path exists in the defaults, or ends inside a free-form
// map the defaults leave empty (annotations: {}).
func defaultFor(values map[string]any, parts []string) bool {
	var cur any = values
	for i, p := range parts {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		next, ok := m[p]
		if !ok {
			return i > 0 && len(m) == 0
		}
		cur = next
	}
	return true
}

func schemaFor(schema []byte, parts []string) bool {
	if len(schema) == 0 {
		return false
	}
	var node map[string]any
	if err := yaml.Unmarshal(schema, &node); err != nil {
		return false
	}
	for _, p := range parts {
		props, _ := node["properties"].(map[string]any)
		next, ok := props[p].(map[string]any)
		if !ok {
			// additionalProperties admits it where it is a schema or true.
			return node["additionalProperties"] == true || reflect.TypeOf(node["additionalProperties"]) == reflect.TypeOf(map[string]any{})
		}
		node = next
	}
	return true
}

func templateText(c *chart.Chart) string {
	var b strings.Builder
	for _, t := range c.Templates {
		b.Write(t.Data)
		b.WriteByte('\n')
	}
	return b.String()
}

func parseManifest(manifest string) ([]map[string]any, error) {
	var out []map[string]any
	for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(manifest, -1) {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			return nil, err
		}
		if obj != nil {
			out = append(out, obj)
		}
	}
	return out, nil
}

// podSpecs are the pod specs of the workloads a render holds.
func podSpecs(objects []map[string]any) []map[string]any {
	var out []map[string]any
	for _, o := range objects {
		spec, _ := o["spec"].(map[string]any)
		switch o["kind"] {
		case "Deployment", "DaemonSet", "StatefulSet", "Job", "ReplicaSet":
			if p := dig(spec, "template", "spec"); p != nil {
				out = append(out, p)
			}
		case "CronJob":
			if p := dig(spec, "jobTemplate", "spec", "template", "spec"); p != nil {
				out = append(out, p)
			}
		case "Pod":
			if spec != nil {
				out = append(out, spec)
			}
		}
	}
	return out
}

func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			return nil
		}
		m = next
	}
	return m
}

// findAll collects the values under every key of that name in a tree.
func findAll(v any, key string) []any {
	var out []any
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == key {
				out = append(out, e)
				continue
			}
			out = append(out, findAll(e, key)...)
		}
	case []any:
		for _, e := range x {
			out = append(out, findAll(e, key)...)
		}
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func someList(pods []map[string]any, field string, want any) bool {
	return slices.ContainsFunc(pods, func(p map[string]any) bool {
		return slices.ContainsFunc(asList(p[field]), func(e any) bool { return reflect.DeepEqual(normalize(e), normalize(want)) })
	})
}

func someSelector(pods []map[string]any, want map[string]any) bool {
	return slices.ContainsFunc(pods, func(p map[string]any) bool {
		got, _ := p["nodeSelector"].(map[string]any)
		for k, v := range want {
			if fmt.Sprint(got[k]) != fmt.Sprint(v) {
				return false
			}
		}
		return true
	})
}

func hasAnnotatedServiceAccount(objects []map[string]any, name string, want any) bool {
	return slices.ContainsFunc(objects, func(o map[string]any) bool {
		meta, _ := o["metadata"].(map[string]any)
		ann, _ := meta["annotations"].(map[string]any)
		return o["kind"] == "ServiceAccount" && meta["name"] == name && fmt.Sprint(ann[IRSAAnnotation]) == fmt.Sprint(want)
	})
}

// normalize makes values decoded from YAML and written by the program
// compare equal (numbers, nested maps).
func normalize(v any) any {
	b, err := yaml.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	_ = yaml.Unmarshal(b, &out)
	return out
}

// Local serves charts from local paths (a chart directory or a packaged
// .tgz) by chart name, falling back to Next for the others: a mirror, an
// air-gapped copy, or the chart source at the release's tag. A chart source
// whose Chart.yaml carries another version (release tools stamp it when they
// publish: cert-manager says v0.0.0, karpenter the previous release) is
// checked as the pinned version, and Stamped records that it was.
type Local struct {
	Paths map[string]string
	Next  Fetcher
	// Stamped lists "chart: path says X, checked as Y" for each re-stamped chart.
	Stamped []string
	cache   map[string]*chart.Chart
}

// Fetch loads a local chart, or asks Next.
func (l *Local) Fetch(ctx context.Context, ch catalog.Chart) (*chart.Chart, error) {
	path, ok := l.Paths[ch.Chart]
	if !ok {
		if l.Next == nil {
			return nil, fmt.Errorf("%s: no local path given and no repository to fetch from", ch.Ref())
		}
		return l.Next.Fetch(ctx, ch)
	}
	if c, ok := l.cache[ch.Ref()]; ok {
		return c, nil
	}
	c, err := loader.Load(path)
	if err != nil {
		return nil, fmt.Errorf("loading %s from %s: %w", ch.Chart, path, err)
	}
	if c.Metadata.Name != ch.Chart {
		return nil, fmt.Errorf("%s is chart %q, not %q", path, c.Metadata.Name, ch.Chart)
	}
	if c.Metadata.Version != ch.Version {
		l.Stamped = append(l.Stamped, fmt.Sprintf("%s: %s says version %s, checked as %s", ch.Chart, path, c.Metadata.Version, ch.Version))
		c.Metadata.Version = ch.Version
	}
	if l.cache == nil {
		l.cache = map[string]*chart.Chart{}
	}
	l.cache[ch.Ref()] = c
	return c, nil
}

// ReleaseType is the Pulumi type of a Helm release (pulumi-kubernetes).
const ReleaseType = "kubernetes:helm.sh/v3:Release"

// FromInputs reads a release from the inputs of a Pulumi Helm release, as
// the mock engine records them: chart is a name with repositoryOpts.repo,
// or a full oci:// reference.
func FromInputs(cluster, kubernetesVersion string, inputs map[string]any) (Release, error) {
	str := func(k string) string { s, _ := inputs[k].(string); return s }
	rel := Release{Cluster: cluster, Name: str("name"), Namespace: str("namespace"), KubernetesVersion: kubernetesVersion}
	rel.Chart.Version = str("version")
	chartRef := str("chart")
	if strings.HasPrefix(chartRef, "oci://") {
		i := strings.LastIndex(chartRef, "/")
		rel.Chart.Repository, rel.Chart.Chart = chartRef[:i], chartRef[i+1:]
	} else {
		rel.Chart.Chart = chartRef
		if opts, ok := inputs["repositoryOpts"].(map[string]any); ok {
			rel.Chart.Repository, _ = opts["repo"].(string)
		}
	}
	if v, ok := inputs["values"].(map[string]any); ok {
		rel.Values = v
	}
	rel.SkipCRDs, _ = inputs["skipCrds"].(bool)
	if rel.Name == "" || rel.Namespace == "" || !rel.Chart.Valid() {
		return rel, fmt.Errorf("%s: a Helm release needs name, namespace, chart, version and a repository (got %+v)", cluster, rel.Chart)
	}
	return rel, nil
}

// checkCRDs compares the CRDs the program applies with the chart's crds/.
func checkCRDs(c *chart.Chart, rel Release) []string {
	var out []string
	chartCRDs := map[string]any{}
	for _, f := range c.CRDObjects() {
		crds, err := catalog.ParseCRDs(f.Filename, f.File.Data)
		if err != nil {
			if len(rel.CRDs) > 0 {
				out = append(out, "the chart's "+err.Error())
			}
			continue
		}
		for _, crd := range crds {
			chartCRDs[crd.Name] = normalize(crd.Object)
		}
	}
	switch {
	case len(rel.CRDs) == 0 && rel.SkipCRDs && len(chartCRDs) > 0:
		return append(out, fmt.Sprintf("the release skips the chart's crds/ (%d CRDs) and the program applies none", len(chartCRDs)))
	case len(rel.CRDs) == 0:
		return out
	case !rel.SkipCRDs:
		out = append(out, "the program applies the chart's CRDs, but the release does not set skipCrds")
	}
	ours := map[string]bool{}
	for _, crd := range rel.CRDs {
		ours[crd.Name] = true
		theirs, ok := chartCRDs[crd.Name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("CRD %s is not in the chart's crds/", crd.Name))
		case !reflect.DeepEqual(normalize(crd.Object), theirs):
			out = append(out, fmt.Sprintf("CRD %s differs from the chart's crds/: re-read %s/%s from the chart", crd.Name, catalog.DataDir, catalog.CRDsFile(rel.Chart)))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(chartCRDs)) {
		if !ours[name] {
			out = append(out, fmt.Sprintf("the chart's crds/ has CRD %s, which the program does not apply", name))
		}
	}
	return out
}
