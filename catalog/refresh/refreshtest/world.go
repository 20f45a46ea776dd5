package refreshtest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/catalog/refresh"
)

// Day is the day the fakes' world is refreshed on.
var Day = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// here is this package's directory: the stale catalog lives beside the code.
var here = func() string { _, file, _, _ := runtime.Caller(0); return filepath.Dir(file) }()

// World is what the fakes publish: EKS's calendar and addon versions, two
// classic chart repositories and an OCI registry.
type World struct {
	EKS      *FakeEKS
	Helm     *FakeHelmRepos
	Registry *FakeRegistry
	HelmURL  string
	OCIHost  string
	Client   *http.Client
}

// NewWorld starts the fakes (closed when the test ends) with the world of
// the refresh tests: EKS up to 1.37, chart repositories with newer releases,
// prereleases and new majors.
func NewWorld(t testing.TB) *World {
	w := &World{
		EKS: &FakeEKS{
			Versions: []ClusterVersion{
				{"1.35", "2026-01-27", "2027-03-27", "2028-03-27"},
				{"1.36", "2026-06-02", "2027-08-02", "2028-08-02"},
				{"1.37", "2026-10-02", "2027-12-02", "2028-12-02"},
			},
			Addons: map[string][]AddonVersion{
				"vpc-cni": {
					{"v1.20.4-eksbuild.2", map[string]bool{"1.35": false}},
					{"v1.22.4-eksbuild.3", map[string]bool{"1.35": true, "1.36": true}},
					{"v1.23.2-eksbuild.1", map[string]bool{"1.35": false, "1.36": false, "1.37": true}},
				},
				"coredns": {
					{"v1.13.2-eksbuild.31", map[string]bool{"1.35": true}},
					{"v1.14.7-eksbuild.11", map[string]bool{"1.35": false, "1.36": true, "1.37": true}},
				},
				"kube-proxy": {
					{"v1.35.3-eksbuild.29", map[string]bool{"1.35": true}},
					{"v1.36.0-eksbuild.45", map[string]bool{"1.36": true}},
					{"v1.37.0-eksbuild.3", map[string]bool{"1.37": true}},
				},
			},
		},
		Helm: &FakeHelmRepos{Repos: map[string]map[string][]ChartEntry{
			"jetstack": {"cert-manager": {
				{"v1.20.3", "v1.20.3", ">= 1.22.0-0"}, {"v1.21.2", "v1.21.2", ">= 1.22.0-0"}, {"v1.22.1", "v1.22.1", ">= 1.22.0-0"},
				{"v1.23.0", "v1.23.0", ">= 1.22.0-0"}, {"v1.23.0-alpha.1", "v1.23.0-alpha.1", ">= 1.22.0-0"},
			}},
			"metrics-server": {"metrics-server": {{"3.13.0", "0.8.0", ""}, {"3.13.1", "0.8.1", ""}}},
			"eks":            {"aws-load-balancer-controller": {{"3.4.0", "v3.4.0", ""}, {"3.5.0", "v3.5.0", ""}}},
			"stakater":       {"reloader": {{"2.2.9", "v1.4.12", ""}, {"2.2.16", "v1.4.21", ">=1.19.0-0"}, {"3.0.0", "v2.0.0", ">=1.30.0-0"}}},
		},
			CRDs: map[string]string{"aws-load-balancer-controller-3.5.0": LBCCRDs},
		},
		Registry: &FakeRegistry{Charts: map[string][]ChartEntry{
			"karpenter/karpenter": {{"1.14.1", "1.14.1", ""}, {"1.15.0", "1.15.0", ""}, {"1.15.2", "1.15.2", ""},
				{"1.16.0-rc.1", "1.16.0-rc.1", ""}, {"2.0.0", "2.0.0", ""}},
			"karpenter/karpenter-crd": {{"1.14.1", "1.14.1", ""}, {"1.15.2", "1.15.2", ""}, {"2.0.0", "2.0.0", ""}},
		}},
	}
	helmSrv := httptest.NewTLSServer(w.Helm)
	t.Cleanup(helmSrv.Close)
	regSrv := httptest.NewTLSServer(w.Registry)
	t.Cleanup(regSrv.Close)
	w.Registry.Base = regSrv.URL
	w.HelmURL = helmSrv.URL
	w.OCIHost = strings.TrimPrefix(regSrv.URL, "https://")
	w.Client = helmSrv.Client() // httptest's TLS servers share one certificate
	return w
}

// LBCCRDs are the crds/crds.yaml the fake repository's
// aws-load-balancer-controller 3.5.0 carries.
const LBCCRDs = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: targetgroupbindings.elbv2.k8s.aws}
spec:
  group: elbv2.k8s.aws
  names: {kind: TargetGroupBinding, plural: targetgroupbindings}
  scope: Namespaced
  versions: [{name: v1beta1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ingressclassparams.elbv2.k8s.aws}
spec:
  group: elbv2.k8s.aws
  names: {kind: IngressClassParams, plural: ingressclassparams}
  scope: Cluster
  versions: [{name: v1beta1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`

// Stale loads the stale catalog (stale/ beside this file) with its
// repositories pointed at the fakes.
func (w *World) Stale(t testing.TB) *catalog.Catalog {
	c, err := catalog.Parse(w.staleFiles(t))
	require.NoError(t, err)
	return c
}

// WriteStale writes the stale catalog, pointed at the fakes, into dir.
func (w *World) WriteStale(t testing.TB, dir string) {
	for name, b := range w.staleFiles(t) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
}

func (w *World) staleFiles(t testing.TB) map[string][]byte {
	files := map[string][]byte{}
	crds, err := filepath.Glob(filepath.Join(here, "stale", catalog.CRDsDir, "*.yaml"))
	require.NoError(t, err)
	for _, path := range crds {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		files[catalog.CRDsDir+"/"+filepath.Base(path)] = b
	}
	for _, name := range catalog.Files {
		b, err := os.ReadFile(filepath.Join(here, "stale", name))
		require.NoError(t, err)
		s := strings.ReplaceAll(string(b), "https://CHARTS", w.HelmURL)
		files[name] = []byte(strings.ReplaceAll(s, "oci://REGISTRY", "oci://"+w.OCIHost))
	}
	return files
}

// Placeholders puts the fakes' addresses back as in testdata.
func (w *World) Placeholders(b []byte) string {
	s := strings.ReplaceAll(string(b), w.HelmURL, "https://CHARTS")
	return strings.ReplaceAll(s, "oci://"+w.OCIHost, "oci://REGISTRY")
}

// Options refresh against the fakes on 2026-12-01 for a fleet on 1.36.
func (w *World) Options(t testing.TB) refresh.Options {
	return refresh.Options{
		EKS: EKSClient(t, w.EKS), Region: "us-east-1", Charts: &refresh.HTTPRepos{Client: w.Client}, Today: Day,
		FleetMinors: func(c *catalog.Catalog) ([]string, error) {
			_, ok := c.Release("1.37")
			require.True(t, ok, "the fleet is loaded against the refreshed calendar")
			return []string{"1.36", "1.36"}, nil
		},
	}
}
