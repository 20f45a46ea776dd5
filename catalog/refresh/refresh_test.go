package refresh_test

import (
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/catalog/refresh"
	"github.com/eksplatform/eksplatform/catalog/refresh/refreshtest"
)

var update = flag.Bool("update", false, "rewrite testdata/refreshed")

// TestRefreshOfAStaleCatalog: the refreshed files, byte for byte, and the
// report of what changed; a second refresh changes nothing.
func TestRefreshOfAStaleCatalog(t *testing.T) {
	t.Parallel()
	w := refreshtest.NewWorld(t)
	next, rep, err := refresh.Run(t.Context(), w.Stale(t), w.Options(t))
	require.NoError(t, err)
	files, err := next.Marshal()
	require.NoError(t, err)
	for _, name := range catalog.Files {
		path := filepath.Join("testdata", "refreshed", name)
		got := w.Placeholders(files[name])
		if *update {
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			continue
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "go test ./catalog/refresh -run TestRefreshOfAStaleCatalog -update writes it")
		assert.Equal(t, string(want), got, "%s changed; review, then -update", path)
	}

	lbc := next.Charts.Charts["aws-load-balancer-controller"]
	crds, err := next.CRDs(lbc)
	require.NoError(t, err, "the bump brings the new version's CRDs")
	require.Len(t, crds, 2)
	assert.Equal(t, []string{"ingressclassparams.elbv2.k8s.aws", "targetgroupbindings.elbv2.k8s.aws"}, []string{crds[0].Name, crds[1].Name})
	assert.Contains(t, string(next.CRDFiles()["crds/aws-load-balancer-controller-3.5.0.yaml"]), "# crds/ of aws-load-balancer-controller 3.5.0 ("+w.HelmURL+"/eks), concatenated in file order (crds.yaml)")

	assert.Equal(t, []string{"1.36", "1.37"}, rep.Needed, "from the oldest minor the fleet runs to the newest EKS offers")
	assert.ElementsMatch(t, []refresh.Change{
		{catalog.FileReleases, "1.36: released 2026-06-02 → 2026-06-02, end of standard 2027-08-01 → 2027-08-02, end of extended 2028-08-02 → 2028-08-02"},
		{catalog.FileReleases, "added 1.37: released 2026-10-02, standard support to 2027-12-02, extended to 2028-12-02"},
		{catalog.FileAddons, "vpc-cni 1.35: latest v1.23.0-eksbuild.1 → v1.23.2-eksbuild.1"},
		{catalog.FileAddons, "vpc-cni 1.36: latest v1.23.0-eksbuild.1 → v1.23.2-eksbuild.1"},
		{catalog.FileAddons, "vpc-cni 1.37: added, default v1.23.2-eksbuild.1, latest v1.23.2-eksbuild.1, oldest v1.23.2-eksbuild.1"},
		{catalog.FileAddons, "coredns 1.35: latest v1.14.6-eksbuild.4 → v1.14.7-eksbuild.11"},
		{catalog.FileAddons, "coredns 1.36: added, default v1.14.7-eksbuild.11, latest v1.14.7-eksbuild.11, oldest v1.14.7-eksbuild.11"},
		{catalog.FileAddons, "coredns 1.37: added, default v1.14.7-eksbuild.11, latest v1.14.7-eksbuild.11, oldest v1.14.7-eksbuild.11"},
		{catalog.FileAddons, "kube-proxy 1.36: default v1.36.0-eksbuild.1 → v1.36.0-eksbuild.45, latest v1.36.0-eksbuild.1 → v1.36.0-eksbuild.45, oldest v1.36.0-eksbuild.1 → v1.36.0-eksbuild.45"},
		{catalog.FileAddons, "kube-proxy 1.37: added, default v1.37.0-eksbuild.3, latest v1.37.0-eksbuild.3, oldest v1.37.0-eksbuild.3"},
		{catalog.FileAddons, "estimated rows replaced by EKS's answers: 1.36"},
		{catalog.FileCharts, "aws-load-balancer-controller 3.4.0 → 3.5.0 (app v3.4.0 → v3.5.0)"},
		{"crds/aws-load-balancer-controller-3.5.0.yaml", "2 CRDs from the crds/ of aws-load-balancer-controller 3.5.0 (the program applies them; Helm would not upgrade them)"},
		{catalog.FileCharts, "cert-manager v1.20.3 → v1.22.1 (app v1.20.3 → v1.22.1)"},
		{catalog.FileCharts, "karpenter 1.14.1 → 1.15.2 (app 1.14.1 → 1.15.2)"},
		{catalog.FileCharts, "karpenter-crd 1.14.1 → 1.15.2 (with karpenter)"},
		{catalog.FileCharts, "metrics-server 3.13.0 → 3.13.1 (app 0.8.0 → 0.8.1)"},
		{catalog.FileCharts, "reloader 2.2.9 → 2.2.16 (app v1.4.12 → v1.4.21)"},
	}, rep.Changes)
	var notices []string
	for _, n := range rep.Notices {
		notices = append(notices, n.What)
	}
	assert.Contains(t, notices, "cert-manager v1.23.0: newer, but its line 1.23 is not in the support matrix; add it from https://cert-manager.io/docs/releases/")
	assert.Contains(t, notices, "karpenter 2.0.0 is a new major (pinned 1.14.1): not applied; read its upgrade notes, then run with --allow-major")
	assert.Contains(t, notices, "reloader 3.0.0 is a new major (pinned 2.2.9): not applied; read its upgrade notes, then run with --allow-major")
	for _, n := range notices {
		assert.NotContains(t, n, "alpha", "prereleases are never candidates")
		assert.NotContains(t, n, "rc.1", "prereleases are never candidates")
	}
	for _, c := range w.Registry.Calls {
		assert.NotContains(t, c, refreshtest.RegistryToken, "the token travels in a header, never in a URL")
	}
	assert.Equal(t, 2, w.Registry.Tokens, "one anonymous token per repository")

	// Refreshed again on the same day: nothing changes.
	again, rep2, err := refresh.Run(t.Context(), next, w.Options(t))
	require.NoError(t, err)
	assert.Empty(t, rep2.Changes)
	files2, err := again.Marshal()
	require.NoError(t, err)
	assert.Equal(t, files, files2, "a second refresh writes the same bytes")
}

func TestRefreshAppliesAMajorOnlyWhenAllowed(t *testing.T) {
	t.Parallel()
	w := refreshtest.NewWorld(t)
	o := w.Options(t)
	o.AllowMajor = true
	next, rep, err := refresh.Run(t.Context(), w.Stale(t), o)
	require.NoError(t, err)
	for _, n := range rep.Notices {
		assert.NotContains(t, n.What, "new major")
	}
	assert.Equal(t, "3.0.0", next.Charts.Charts["reloader"].Version)
	assert.Equal(t, catalog.SupportRange{Min: "1.35", Max: "1.37", For: "3.0.0",
		Source: `Chart.yaml kubeVersion ">=1.30.0-0", capped at the newest EKS minor on 2026-12-01`}, next.Charts.Charts["reloader"].Kubernetes)
	assert.Equal(t, "2.0.0", next.Charts.Charts["karpenter"].Version, "karpenter 2.0.0 meets every minimum of the table")
	assert.Equal(t, "2.0.0", next.Charts.Charts["karpenter-crd"].Version, "karpenter-crd follows karpenter")
}

func TestRefreshFailsWholeAndNamesTheCall(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		spoil func(w *refreshtest.World)
		want  string
	}{
		{"calendar", func(w *refreshtest.World) { w.EKS.Deny = "cluster-versions" }, "eks:DescribeClusterVersions: AccessDeniedException: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: eks:DescribeClusterVersions"},
		{"an addon", func(w *refreshtest.World) { w.EKS.Deny = "coredns" }, "eks:DescribeAddonVersions (addon coredns): AccessDeniedException:"},
		{"a chart repository", func(w *refreshtest.World) { w.Helm.Status = http.StatusBadGateway }, "chart aws-load-balancer-controller: GET https://CHARTS/eks/index.yaml: 502 Bad Gateway"},
		{"a chart without the CRDs the program applies", func(w *refreshtest.World) { w.Helm.CRDs = nil }, "chart aws-load-balancer-controller 3.5.0: reading its crds/: aws-load-balancer-controller 3.5.0 has no crds/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := refreshtest.NewWorld(t)
			tc.spoil(w)
			stale := w.Stale(t)
			before, err := stale.Marshal()
			require.NoError(t, err)
			next, rep, err := refresh.Run(t.Context(), stale, w.Options(t))
			require.Error(t, err)
			assert.Nil(t, next)
			assert.Nil(t, rep)
			assert.Contains(t, w.Placeholders([]byte(err.Error())), tc.want)
			after, err := stale.Marshal()
			require.NoError(t, err)
			assert.Equal(t, before, after, "the catalog it was given is untouched")
		})
	}
}
