package eksgate

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/environments"
)

// version is one addon version as DescribeAddonVersions lists it.
type version struct {
	name     string
	clusters map[string]bool // Kubernetes minor → default for it
}

// fakeAddonVersions answers GET /addons/supported-versions like EKS: a
// filtered list of addons, one version per page to exercise nextToken.
type fakeAddonVersions struct {
	mu       sync.Mutex
	versions map[string][]version
	queries  []string
	status   int
}

func (f *fakeAddonVersions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodGet || r.URL.Path != "/addons/supported-versions" || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if f.status != 0 {
		w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
		w.WriteHeader(f.status)
		_, _ = w.Write([]byte(`{"message":"User is not authorized to perform: eks:DescribeAddonVersions"}`))
		return
	}
	q := r.URL.Query()
	f.queries = append(f.queries, q.Encode())
	name, k8s := q.Get("addonName"), q.Get("kubernetesVersion")
	var matching []version
	for _, v := range f.versions[name] {
		if _, ok := v.clusters[k8s]; ok {
			matching = append(matching, v)
		}
	}
	page := 0
	if t := q.Get("nextToken"); t != "" {
		page = int(t[0] - '0')
	}
	resp := map[string]any{"addons": []any{}}
	if page < len(matching) {
		v := matching[page]
		var compat []map[string]any
		for cv, def := range v.clusters {
			compat = append(compat, map[string]any{"clusterVersion": cv, "defaultVersion": def, "platformVersions": []string{"*"}})
		}
		resp["addons"] = []any{map[string]any{
			"addonName": name, "type": "networking", "owner": "aws",
			"addonVersions": []any{map[string]any{"addonVersion": v.name, "architecture": []string{"amd64", "arm64"}, "compatibilities": compat}},
		}}
		if page+1 < len(matching) {
			resp["nextToken"] = string(rune('0' + page + 1))
		}
	}
	_ = json.NewEncoder(w).Encode(resp)
}

func catalogFor(t *testing.T, f *fakeAddonVersions) *AddonCatalog {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &AddonCatalog{Client: func(_ context.Context, c *environments.Cluster) (VersionsAPI, error) {
		return eks.NewFromConfig(aws.Config{
			Region: c.Region, Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), HTTPClient: srv.Client(),
		}, func(o *eks.Options) {
			o.BaseEndpoint = aws.String(srv.URL)
			o.RetryMaxAttempts = 1
		}), nil
	}}
}

func TestAddonCatalogReadsDescribeAddonVersions(t *testing.T) {
	t.Parallel()
	f := &fakeAddonVersions{versions: map[string][]version{
		"coredns": {
			{name: "v1.13.2-eksbuild.3", clusters: map[string]bool{"1.35": false}},
			{name: "v1.12.4-eksbuild.1", clusters: map[string]bool{"1.34": true, "1.35": false}},
			{name: "v1.13.1-eksbuild.1", clusters: map[string]bool{"1.35": true}},
			{name: "v1.13.2-eksbuild.10", clusters: map[string]bool{"1.35": false}},
		},
	}}
	cat := catalogFor(t, f)
	got, err := cat.Versions(t.Context(), testCluster, "coredns", "1.35")
	require.NoError(t, err)
	assert.Equal(t, catalog.AddonVersions{Default: "v1.13.1-eksbuild.1", Latest: "v1.13.2-eksbuild.10", Min: "v1.12.4-eksbuild.1"}, got,
		"eksbuild.10 is newer than eksbuild.3; the default is the one EKS marks")
	assert.Len(t, f.queries, 4, "every page is read")
	assert.Contains(t, f.queries[0], "addonName=coredns")
	assert.Contains(t, f.queries[0], "kubernetesVersion=1.35")
	assert.Contains(t, f.queries[1], "nextToken=1")

	again, err := cat.Versions(t.Context(), testCluster, "coredns", "1.35")
	require.NoError(t, err)
	assert.Equal(t, got, again)
	assert.Len(t, f.queries, 4, "a second question for the same region, addon and minor is answered from memory")

	got, err = cat.Versions(t.Context(), testCluster, "coredns", "1.34")
	require.NoError(t, err)
	assert.Equal(t, catalog.AddonVersions{Default: "v1.12.4-eksbuild.1", Latest: "v1.12.4-eksbuild.1", Min: "v1.12.4-eksbuild.1"}, got)
}

func TestAddonCatalogErrors(t *testing.T) {
	t.Parallel()
	cat := catalogFor(t, &fakeAddonVersions{versions: map[string][]version{}})
	_, err := cat.Versions(t.Context(), testCluster, "coredns", "1.36")
	require.EqualError(t, err, "EKS offers no version of addon coredns for Kubernetes 1.36")

	cat = catalogFor(t, &fakeAddonVersions{status: http.StatusForbidden})
	_, err = cat.Versions(t.Context(), testCluster, "vpc-cni", "1.35")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "describing the versions of addon vpc-cni for Kubernetes 1.35: ")
	assert.Contains(t, err.Error(), "eks:DescribeAddonVersions")
}
