// Package refreshtest holds what the catalog refresh is tested against: an
// httptest server speaking the EKS REST-JSON wire format, one serving Helm
// index.yaml files, one speaking the OCI distribution API with anonymous
// bearer tokens, and a stale catalog pointed at them.
package refreshtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"sigs.k8s.io/yaml"
)

// FakeEKS answers GET /cluster-versions and GET /addons/supported-versions
// in the EKS REST-JSON wire format (epoch-second timestamps, nextToken
// pagination, X-Amzn-Errortype errors), one item per page, and checks that
// every request is SigV4-signed.
type FakeEKS struct {
	mu       sync.Mutex
	Versions []ClusterVersion
	Addons   map[string][]AddonVersion
	// Deny makes the call for this addon (or "cluster-versions") fail.
	Deny  string
	Calls []string
}

// ClusterVersion is one minor as DescribeClusterVersions lists it.
type ClusterVersion struct {
	Minor                        string
	Released, Standard, Extended string
}

// AddonVersion is one addon version as DescribeAddonVersions lists it.
type AddonVersion struct {
	Version string
	Minors  map[string]bool // minor → the default for it
}

func epoch(t testing.TB, day string) int64 {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		t.Fatal(err)
	}
	return d.Unix()
}

// Handler serves the fake; t parses the dates.
func (f *FakeEKS) Handler(t testing.TB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDTEST/") {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		q := r.URL.Query()
		f.Calls = append(f.Calls, r.URL.Path+"?"+q.Encode())
		page, _ := strconv.Atoi(q.Get("nextToken"))
		var items []any
		key := ""
		switch r.URL.Path {
		case "/cluster-versions":
			if q.Get("clusterType") != "eks" || q.Get("includeAll") != "true" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			key = "clusterVersions"
			if f.Deny == "cluster-versions" {
				denied(w, "eks:DescribeClusterVersions")
				return
			}
			for _, v := range f.Versions {
				items = append(items, map[string]any{
					"clusterType": "eks", "clusterVersion": v.Minor, "releaseDate": epoch(t, v.Released),
					"endOfStandardSupportDate": epoch(t, v.Standard), "endOfExtendedSupportDate": epoch(t, v.Extended),
					"versionStatus": "STANDARD_SUPPORT", "defaultPlatformVersion": "eks.1",
				})
			}
		case "/addons/supported-versions":
			key = "addons"
			name := q.Get("addonName")
			if f.Deny == name {
				denied(w, "eks:DescribeAddonVersions")
				return
			}
			for _, v := range f.Addons[name] {
				var compat []any
				for m, def := range v.Minors {
					if k := q.Get("kubernetesVersion"); k != "" && k != m {
						continue
					}
					compat = append(compat, map[string]any{"clusterVersion": m, "defaultVersion": def, "platformVersions": []string{"*"}})
				}
				if len(compat) == 0 {
					continue
				}
				items = append(items, map[string]any{"addonName": name, "type": "networking", "owner": "aws",
					"addonVersions": []any{map[string]any{"addonVersion": v.Version, "architecture": []string{"amd64", "arm64"}, "compatibilities": compat}}})
			}
		default:
			w.WriteHeader(http.StatusNotFound)
			return
		}
		resp := map[string]any{key: []any{}}
		if page < len(items) {
			resp[key] = []any{items[page]}
			if page+1 < len(items) {
				resp["nextToken"] = strconv.Itoa(page + 1)
			}
		}
		_ = json.NewEncoder(w).Encode(resp)
	})
}

func denied(w http.ResponseWriter, action string) {
	w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
	w.WriteHeader(http.StatusForbidden)
	_, _ = fmt.Fprintf(w, `{"message":"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: %s"}`, action)
}

// EKSClient is the real aws-sdk-go-v2 client pointed at the fake.
func EKSClient(t testing.TB, f *FakeEKS) *eks.Client {
	srv := httptest.NewServer(f.Handler(t))
	t.Cleanup(srv.Close)
	return eks.NewFromConfig(aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), HTTPClient: srv.Client(),
	}, func(o *eks.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.RetryMaxAttempts = 1
	})
}

// ChartEntry is one version of a chart in a repository.
type ChartEntry struct {
	Version, App, Kube string
}

// FakeHelmRepos serves classic chart repositories: GET /<repo>/index.yaml
// and each version's archive, /<repo>/<chart>-<version>.tgz (a Chart.yaml
// and, when CRDs names one, crds/crds.yaml).
type FakeHelmRepos struct {
	mu     sync.Mutex
	Repos  map[string]map[string][]ChartEntry // repo path → chart → versions
	CRDs   map[string]string                  // "<chart>-<version>" → its crds/crds.yaml
	Status int
	Hits   int
}

func (f *FakeHelmRepos) archive(w http.ResponseWriter, repo, file string) {
	for name, versions := range f.Repos[repo] {
		for _, v := range versions {
			if file != name+"-"+v.Version+".tgz" {
				continue
			}
			c := &chart.Chart{Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: v.Version, AppVersion: v.App}}
			if crds, ok := f.CRDs[name+"-"+v.Version]; ok {
				c.Files = []*chart.File{{Name: "crds/crds.yaml", Data: []byte(crds)}}
			}
			dir, err := os.MkdirTemp("", "fakechart")
			if err != nil {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			defer func() { _ = os.RemoveAll(dir) }()
			path, err := chartutil.Save(c, dir)
			if err != nil {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			b, _ := os.ReadFile(path)
			w.Header().Set("Content-Type", "application/gzip")
			_, _ = w.Write(b)
			return
		}
	}
	w.WriteHeader(http.StatusNotFound)
}

func (f *FakeHelmRepos) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Hits++
	if dir, file, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/"); ok && strings.HasSuffix(file, ".tgz") && f.Status == 0 {
		f.archive(w, dir, file)
		return
	}
	repo, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/index.yaml")
	charts, known := f.Repos[repo]
	if !ok || !known {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if f.Status != 0 {
		w.WriteHeader(f.Status)
		return
	}
	entries := map[string]any{}
	for name, versions := range charts {
		var list []any
		for _, v := range versions {
			e := map[string]any{"apiVersion": "v2", "name": name, "version": v.Version, "appVersion": v.App,
				"urls": []string{name + "-" + v.Version + ".tgz"}, "created": "2026-08-01T00:00:00Z", "digest": strings.Repeat("0", 64)}
			if v.Kube != "" {
				e["kubeVersion"] = v.Kube
			}
			list = append(list, e)
		}
		entries[name] = list
	}
	b, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "entries": entries, "generated": "2026-08-01T00:00:00Z"})
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-yaml")
	_, _ = w.Write(b)
}

// FakeRegistry speaks the OCI distribution API as public.ecr.aws does for
// anonymous pulls: a 401 with a Bearer challenge, a token endpoint, tags
// listed two per page with a Link header, manifests whose config is the
// chart's Chart.yaml as JSON.
type FakeRegistry struct {
	mu     sync.Mutex
	Charts map[string][]ChartEntry // repository path ("karpenter/karpenter") → versions
	Base   string
	Tokens int
	Calls  []string
}

// RegistryToken is the anonymous token the fake registry hands out; tests
// check it never appears in a URL.
const RegistryToken = "anonymous-pull-token-for-tests"

func (f *FakeRegistry) config(repo, version string) ([]byte, bool) {
	for _, v := range f.Charts[repo] {
		if v.Version == version {
			name := repo[strings.LastIndex(repo, "/")+1:]
			cfg := map[string]any{"apiVersion": "v2", "name": name, "version": v.Version, "appVersion": v.App}
			if v.Kube != "" {
				cfg["kubeVersion"] = v.Kube
			}
			b, _ := json.Marshal(cfg)
			return b, true
		}
	}
	return nil, false
}

func (f *FakeRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Calls = append(f.Calls, r.URL.RequestURI())
	if r.URL.Path == "/token/" {
		if r.URL.Query().Get("service") != "registry.test" || !strings.HasPrefix(r.URL.Query().Get("scope"), "repository:") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		f.Tokens++
		_ = json.NewEncoder(w).Encode(map[string]string{"token": RegistryToken})
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+RegistryToken {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+f.Base+`/token/",service="registry.test",scope="aws"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v2/")
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	switch {
	case strings.HasSuffix(rest, "/tags/list"):
		repo := strings.TrimSuffix(rest, "/tags/list")
		var tags []string
		for _, v := range f.Charts[repo] {
			tags = append(tags, v.Version)
		}
		start := 0
		if last := r.URL.Query().Get("last"); last != "" {
			for i, tg := range tags {
				if tg == last {
					start = i + 1
				}
			}
		}
		end := min(start+2, len(tags))
		if end < len(tags) {
			w.Header().Set("Link", fmt.Sprintf(`</v2/%s/tags/list?last=%s&n=2>; rel="next"`, repo, tags[end-1]))
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"name": repo, "tags": tags[start:end]})
	case strings.Contains(rest, "/manifests/"):
		repo, tag, _ := strings.Cut(rest, "/manifests/")
		cfg, ok := f.config(repo, tag)
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		sum := sha256.Sum256(cfg)
		w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		_ = json.NewEncoder(w).Encode(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
			"config": map[string]any{"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": "sha256:" + hex.EncodeToString(sum[:]), "size": len(cfg)},
			"layers": []any{map[string]any{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": "sha256:" + strings.Repeat("1", 64), "size": 1}}})
	case strings.Contains(rest, "/blobs/sha256:"):
		repo, digest, _ := strings.Cut(rest, "/blobs/")
		for _, v := range f.Charts[repo] {
			cfg, _ := f.config(repo, v.Version)
			sum := sha256.Sum256(cfg)
			if "sha256:"+hex.EncodeToString(sum[:]) == digest {
				_, _ = w.Write(cfg)
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}
