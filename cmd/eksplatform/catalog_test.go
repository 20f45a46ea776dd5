package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/catalog/refresh"
	"github.com/eksplatform/eksplatform/catalog/refresh/refreshtest"
	"github.com/eksplatform/eksplatform/tests/fleetfile"
)

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range catalog.Files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		out[name] = string(b)
	}
	return out
}

// TestCatalogRefresh runs `catalog refresh` against the fakes of
// catalog/refresh: the files it writes, a second run that writes nothing, a
// dry run, and a failed call that leaves every file as it was. Not
// parallel: it replaces catalogSources.
func TestCatalogRefresh(t *testing.T) {
	w := refreshtest.NewWorld(t)
	saved := catalogSources
	t.Cleanup(func() { catalogSources = saved })
	var regions []string
	catalogSources = func(_ context.Context, region, _ string) (refresh.EKSAPI, refresh.ChartRepos, error) {
		regions = append(regions, region)
		return refreshtest.EKSClient(t, w.EKS), &refresh.HTTPRepos{Client: w.Client}, nil
	}
	envs := fleetfile.Write(t, fleetfile.Role{Name: "dev", Version: "1.36"})
	dir := t.TempDir()
	w.WriteStale(t, dir)
	before := readDir(t, dir)

	code, out, errOut := cli("catalog", "refresh", "--dir", dir, "--environments", envs, "--today", "2026-12-01", "--dry-run")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "charts.json: cert-manager v1.20.3 → v1.22.1 (app v1.20.3 → v1.22.1)")
	assert.Contains(t, out, "dry run: nothing written")
	assert.Equal(t, before, readDir(t, dir), "a dry run writes nothing")

	code, out, errOut = cli("catalog", "refresh", "--dir", dir, "--environments", envs, "--today", "2026-12-01", "--region", "eu-west-1")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, []string{"us-east-1", "eu-west-1"}, regions, "--region reaches the EKS client")
	assert.Contains(t, out, "charts must support Kubernetes 1.36, 1.37")
	assert.Contains(t, out, "eks-releases.json: added 1.37: released 2026-10-02, standard support to 2027-12-02, extended to 2028-12-02")
	assert.Contains(t, out, "not changed by the refresh (needs a person):\n")
	assert.Contains(t, out, "charts.json: reloader 3.0.0 is a new major (pinned 2.2.9): not applied")
	assert.Contains(t, out, "wrote eks-releases.json, addons.json, karpenter.json, charts.json, crds/aws-load-balancer-controller-3.5.0.yaml in "+dir)
	after, err := catalog.Load(dir)
	require.NoError(t, err, "what refresh writes loads")
	assert.Equal(t, "v1.22.1", after.Charts.Charts["cert-manager"].Version)
	assert.Equal(t, "eks:DescribeClusterVersions in eu-west-1, read by `eksplatform catalog refresh`", after.Calendar.Source)
	written := readDir(t, dir)

	code, out, errOut = cli("catalog", "refresh", "--dir", dir, "--environments", envs, "--today", "2026-12-01", "--region", "eu-west-1")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "no fact changed")
	assert.Contains(t, out, dir+" is up to date")
	assert.Equal(t, written, readDir(t, dir), "a second refresh changes nothing")

	w.EKS.Deny = "coredns"
	fresh := t.TempDir()
	w.WriteStale(t, fresh)
	code, out, errOut = cli("catalog", "refresh", "--dir", fresh, "--environments", envs, "--today", "2026-12-01")
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "error: catalog refresh: eks:DescribeAddonVersions (addon coredns): AccessDeniedException: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: eks:DescribeAddonVersions; nothing was written")
	assert.Equal(t, before, readDir(t, fresh), "a failed call leaves every file as it was")

	code, _, errOut = cli("catalog", "refresh", "--dir", filepath.Join(fresh, "nowhere"), "--environments", envs)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "eks-releases.json")
	assert.Contains(t, errOut, "run from the repository root, or give --dir")
}

func TestCatalogShow(t *testing.T) {
	t.Parallel()
	code, out, errOut := cli("catalog", "show", "--today", "2026-12-01")
	require.Equal(t, 0, code, errOut)
	c := catalog.Default()
	for _, name := range catalog.Files {
		assert.Contains(t, out, catalog.DataDir+"/"+name+" — checked ")
	}
	assert.Contains(t, out, "source: "+c.Calendar.Source)
	assert.Regexp(t, `1\.31\s+2024-09-26\s+2025-11-26\s+2026-11-26\s+no longer offered`, out)
	assert.Regexp(t, `1\.34\s+2025-10-02\s+2026-12-02\s+2027-12-02\s+standard support`, out, "standard support ends at the start of 2026-12-02")
	for _, name := range c.ChartNames() {
		ch, _ := c.Chart(name)
		assert.Contains(t, out, "  "+name, "chart %s", name)
		assert.Contains(t, out, ch.Version)
	}
	code, out, _ = cli("catalog", "show", "--json")
	require.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "{\n"))
	assert.Contains(t, out, `"addons.json"`)
	code, _, errOut = cli("catalog", "show", "--today", "tomorrow")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--today must be a date like 2026-11-22")
}
