package refresh

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/yaml"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/catalog/chartcheck"
)

// ChartVersion is what a repository says of one chart version.
type ChartVersion struct {
	Version     string
	AppVersion  string
	KubeVersion string
	Deprecated  bool
}

// ChartRepos reads chart versions from their repositories.
type ChartRepos interface {
	// Versions lists the versions the repository holds of the chart.
	Versions(ctx context.Context, ch catalog.Chart) ([]string, error)
	// Describe reads one version's Chart.yaml facts.
	Describe(ctx context.Context, ch catalog.Chart, version string) (ChartVersion, error)
	// CRDs reads one version's crds/, as one YAML file of CRDs.
	CRDs(ctx context.Context, ch catalog.Chart, version string) ([]byte, error)
}

// Limits on what a repository may send.
const (
	maxIndexBytes = 64 << 20 // the biggest public index.yaml files are ~30 MB
	maxDocBytes   = 4 << 20  // a manifest, a token, a tags page, a chart config
)

// HTTPRepos reads classic Helm repositories (index.yaml over https://) and
// OCI registries (oci://, the distribution API with anonymous bearer tokens,
// as public.ecr.aws serves them).
type HTTPRepos struct {
	Client *http.Client

	mu      sync.Mutex
	indexes map[string]*helmIndex
	tokens  map[string]string
}

// NewHTTPRepos uses the default HTTP client.
func NewHTTPRepos() *HTTPRepos { return &HTTPRepos{Client: http.DefaultClient} }

// helmIndex is the part of index.yaml the refresh reads.
type helmIndex struct {
	Entries map[string][]struct {
		Version     string `json:"version"`
		AppVersion  string `json:"appVersion"`
		KubeVersion string `json:"kubeVersion"`
		Deprecated  bool   `json:"deprecated"`
	} `json:"entries"`
}

// Versions lists the chart's versions.
func (r *HTTPRepos) Versions(ctx context.Context, ch catalog.Chart) ([]string, error) {
	if isOCI(ch.Repository) {
		return r.ociTags(ctx, ch)
	}
	idx, err := r.index(ctx, ch.Repository)
	if err != nil {
		return nil, err
	}
	entries, ok := idx.Entries[ch.Chart]
	if !ok {
		return nil, fmt.Errorf("%s/index.yaml lists no chart %q", strings.TrimSuffix(ch.Repository, "/"), ch.Chart)
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.Version)
	}
	return out, nil
}

// Describe reads one version's facts.
func (r *HTTPRepos) Describe(ctx context.Context, ch catalog.Chart, version string) (ChartVersion, error) {
	if isOCI(ch.Repository) {
		return r.ociDescribe(ctx, ch, version)
	}
	idx, err := r.index(ctx, ch.Repository)
	if err != nil {
		return ChartVersion{}, err
	}
	for _, e := range idx.Entries[ch.Chart] {
		if e.Version == version {
			return ChartVersion{Version: e.Version, AppVersion: e.AppVersion, KubeVersion: e.KubeVersion, Deprecated: e.Deprecated}, nil
		}
	}
	return ChartVersion{}, fmt.Errorf("%s/index.yaml has no version %s of %s", strings.TrimSuffix(ch.Repository, "/"), version, ch.Chart)
}

func isOCI(repo string) bool { return strings.HasPrefix(repo, "oci://") }

func (r *HTTPRepos) index(ctx context.Context, repo string) (*helmIndex, error) {
	r.mu.Lock()
	idx, ok := r.indexes[repo]
	r.mu.Unlock()
	if ok {
		return idx, nil
	}
	u := strings.TrimSuffix(repo, "/") + "/index.yaml"
	body, err := r.get(ctx, u, nil, maxIndexBytes)
	if err != nil {
		return nil, err
	}
	idx = &helmIndex{}
	if err := yaml.Unmarshal(body, idx); err != nil {
		return nil, fmt.Errorf("GET %s: not a Helm repository index: %w", u, err)
	}
	r.mu.Lock()
	if r.indexes == nil {
		r.indexes = map[string]*helmIndex{}
	}
	r.indexes[repo] = idx
	r.mu.Unlock()
	return idx, nil
}

// get fetches a URL; a non-2xx answer is an error naming the URL and status.
func (r *HTTPRepos) get(ctx context.Context, u string, header http.Header, limit int64) ([]byte, error) {
	resp, err := r.do(ctx, u, header)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return readLimited(resp.Body, limit, u)
}

func (r *HTTPRepos) do(ctx context.Context, u string, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("User-Agent", "eksplatform-catalog-refresh")
	resp, err := r.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return resp, nil
}

func readLimited(body io.Reader, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("reading %s: more than %d bytes", what, limit)
	}
	return b, nil
}

// ociRef splits oci://host/path and a chart name into the registry's base
// URL and the repository path ("karpenter/karpenter").
func ociRef(ch catalog.Chart) (base, repo string, err error) {
	rest := strings.TrimPrefix(strings.TrimSuffix(ch.Repository, "/"), "oci://")
	host, path, _ := strings.Cut(rest, "/")
	if host == "" {
		return "", "", fmt.Errorf("%s: no registry host", ch.Repository)
	}
	repo = ch.Chart
	if path != "" {
		repo = path + "/" + ch.Chart
	}
	return "https://" + host, repo, nil
}

var linkNext = regexp.MustCompile(`<([^>]+)>\s*;\s*rel="?next"?`)

// ociTags lists a repository's tags, following the Link header's pages.
func (r *HTTPRepos) ociTags(ctx context.Context, ch catalog.Chart) ([]string, error) {
	base, repo, err := ociRef(ch)
	if err != nil {
		return nil, err
	}
	next := base + "/v2/" + repo + "/tags/list?n=1000"
	var out []string
	for range maxPages {
		resp, err := r.ociGet(ctx, base, repo, next, nil)
		if err != nil {
			return nil, err
		}
		body, err := readLimited(resp.Body, maxDocBytes, next)
		_ = resp.Body.Close()
		if err != nil {
			return nil, err
		}
		var page struct {
			Tags []string `json:"tags"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, fmt.Errorf("GET %s: not a tags list: %w", next, err)
		}
		out = append(out, page.Tags...)
		m := linkNext.FindStringSubmatch(resp.Header.Get("Link"))
		if m == nil {
			return out, nil
		}
		ref, err := url.Parse(m[1])
		if err != nil {
			return nil, fmt.Errorf("GET %s: a Link header that is not a URL: %w", next, err)
		}
		b, _ := url.Parse(base)
		next = b.ResolveReference(ref).String()
	}
	return nil, fmt.Errorf("%s: more than %d pages of tags", base+"/v2/"+repo, maxPages)
}

// ociDescribe reads a chart version's config blob: Chart.yaml as JSON.
func (r *HTTPRepos) ociDescribe(ctx context.Context, ch catalog.Chart, version string) (ChartVersion, error) {
	base, repo, err := ociRef(ch)
	if err != nil {
		return ChartVersion{}, err
	}
	manifestURL := base + "/v2/" + repo + "/manifests/" + url.PathEscape(version)
	resp, err := r.ociGet(ctx, base, repo, manifestURL, http.Header{"Accept": {"application/vnd.oci.image.manifest.v1+json"}})
	if err != nil {
		return ChartVersion{}, err
	}
	body, err := readLimited(resp.Body, maxDocBytes, manifestURL)
	_ = resp.Body.Close()
	if err != nil {
		return ChartVersion{}, err
	}
	var manifest struct {
		Config struct {
			MediaType string `json:"mediaType"`
			Digest    string `json:"digest"`
		} `json:"config"`
	}
	if err := json.Unmarshal(body, &manifest); err != nil {
		return ChartVersion{}, fmt.Errorf("GET %s: not an OCI manifest: %w", manifestURL, err)
	}
	if manifest.Config.MediaType != "application/vnd.cncf.helm.config.v1+json" {
		return ChartVersion{}, fmt.Errorf("GET %s: config %q is not a Helm chart's", manifestURL, manifest.Config.MediaType)
	}
	algo, hexDigest, _ := strings.Cut(manifest.Config.Digest, ":")
	if algo != "sha256" || len(hexDigest) != 64 {
		return ChartVersion{}, fmt.Errorf("GET %s: config digest %q is not sha256", manifestURL, manifest.Config.Digest)
	}
	blobURL := base + "/v2/" + repo + "/blobs/" + manifest.Config.Digest
	resp, err = r.ociGet(ctx, base, repo, blobURL, nil)
	if err != nil {
		return ChartVersion{}, err
	}
	blob, err := readLimited(resp.Body, maxDocBytes, blobURL)
	_ = resp.Body.Close()
	if err != nil {
		return ChartVersion{}, err
	}
	if sum := sha256.Sum256(blob); hex.EncodeToString(sum[:]) != hexDigest {
		return ChartVersion{}, fmt.Errorf("GET %s: the blob does not match its digest", blobURL)
	}
	var cfg struct {
		Name        string `json:"name"`
		Version     string `json:"version"`
		AppVersion  string `json:"appVersion"`
		KubeVersion string `json:"kubeVersion"`
		Deprecated  bool   `json:"deprecated"`
	}
	if err := json.Unmarshal(blob, &cfg); err != nil {
		return ChartVersion{}, fmt.Errorf("GET %s: not a chart config: %w", blobURL, err)
	}
	if cfg.Version != version {
		return ChartVersion{}, fmt.Errorf("GET %s: the chart says version %q, the tag %q", blobURL, cfg.Version, version)
	}
	return ChartVersion{Version: cfg.Version, AppVersion: cfg.AppVersion, KubeVersion: cfg.KubeVersion, Deprecated: cfg.Deprecated}, nil
}

var bearerParam = regexp.MustCompile(`(\w+)="([^"]*)"`)

// ociGet sends a request, answering a registry's bearer challenge with an
// anonymous pull token (kept per repository).
func (r *HTTPRepos) ociGet(ctx context.Context, base, repo, u string, header http.Header) (*http.Response, error) {
	withToken := func(tok string) http.Header {
		h := http.Header{}
		for k, v := range header {
			h[k] = v
		}
		if tok != "" {
			h.Set("Authorization", "Bearer "+tok)
		}
		return h
	}
	r.mu.Lock()
	tok := r.tokens[base+"/"+repo]
	r.mu.Unlock()
	resp, err := r.do(ctx, u, withToken(tok))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		challenge := resp.Header.Get("WWW-Authenticate")
		_ = resp.Body.Close()
		tok, err = r.token(ctx, challenge, repo)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", u, err)
		}
		r.mu.Lock()
		if r.tokens == nil {
			r.tokens = map[string]string{}
		}
		r.tokens[base+"/"+repo] = tok
		r.mu.Unlock()
		if resp, err = r.do(ctx, u, withToken(tok)); err != nil {
			return nil, err
		}
	}
	if resp.StatusCode/100 != 2 {
		_ = resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return resp, nil
}

// token fetches an anonymous pull token for a Bearer challenge.
func (r *HTTPRepos) token(ctx context.Context, challenge, repo string) (string, error) {
	scheme, params, _ := strings.Cut(challenge, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", fmt.Errorf("the registry asks for %q authentication; only anonymous bearer tokens are supported", scheme)
	}
	p := map[string]string{}
	for _, m := range bearerParam.FindAllStringSubmatch(params, -1) {
		p[strings.ToLower(m[1])] = m[2]
	}
	if p["realm"] == "" {
		return "", errors.New("the registry's bearer challenge names no realm")
	}
	q := url.Values{}
	if p["service"] != "" {
		q.Set("service", p["service"])
	}
	q.Set("scope", "repository:"+repo+":pull")
	body, err := r.get(ctx, p["realm"]+"?"+q.Encode(), nil, maxDocBytes)
	if err != nil {
		return "", err
	}
	var t struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &t); err != nil {
		return "", fmt.Errorf("the token answer is not JSON: %w", err)
	}
	if t.Token == "" {
		t.Token = t.AccessToken
	}
	if t.Token == "" {
		return "", errors.New("the token answer holds no token")
	}
	return t.Token, nil
}

// CRDs downloads the chart version (through Helm's SDK, as the chart check
// does) and joins its crds/ files, in file order, into one YAML document.
func (r *HTTPRepos) CRDs(ctx context.Context, ch catalog.Chart, version string) ([]byte, error) {
	c, err := (&chartcheck.Repositories{Client: r.Client}).Fetch(ctx, ch.WithVersion(version))
	if err != nil {
		return nil, err
	}
	files := c.CRDObjects()
	if len(files) == 0 {
		return nil, fmt.Errorf("%s %s has no crds/", ch.Chart, version)
	}
	slices.SortFunc(files, func(a, b chart.CRD) int { return strings.Compare(a.File.Name, b.File.Name) })
	var b strings.Builder
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimPrefix(f.File.Name, "crds/"))
	}
	fmt.Fprintf(&b, "# crds/ of %s %s (%s), concatenated in file order (%s):\n", ch.Chart, version, ch.Repository, strings.Join(names, ", "))
	b.WriteString("# Helm installs them once and never upgrades them, so the program applies them\n# (charts.json crds). Written by `eksplatform catalog refresh`; checked by\n# `eksplatform charts check`.\n")
	for i, f := range files {
		if i > 0 {
			b.WriteString("---\n")
		}
		data := string(f.File.Data)
		b.WriteString(data)
		if !strings.HasSuffix(data, "\n") {
			b.WriteString("\n")
		}
	}
	return []byte(b.String()), nil
}
