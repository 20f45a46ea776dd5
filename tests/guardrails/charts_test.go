package guardrails

import (
	"encoding/json"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/catalog/chartcheck"
	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/stacks"
	"github.com/eksplatform/eksplatform/tests/modzip"
)

// upstreamCharts are the pinned charts whose source, at the release's own
// tag, the Go module proxy serves: the chart directory of the project's Go
// module at the version the chart is released from. Their release tools
// stamp the chart version when they publish (cert-manager's Chart.yaml says
// v0.0.0, karpenter's the previous release); templates and values are the
// tag's. The other charts (the load balancer controller and Fluent Bit from
// aws/eks-charts, external-dns, external-secrets, metrics-server, reloader)
// are published only at their Helm repositories or at tags the proxy does not
// serve; `eksplatform charts check` checks them where the repositories are
// reachable (the README says how, and what was run).
var upstreamCharts = map[string]struct{ module, dir string }{
	"karpenter":    {karpenterModule, "charts/karpenter"},
	"cert-manager": {"github.com/cert-manager/cert-manager", "deploy/charts/cert-manager"},
}

// moduleTree unpacks one directory of a module version into a temporary
// directory, through the module cache (modzip.FS), and returns its path.
func moduleTree(t *testing.T, module, version, dir string) string {
	t.Helper()
	mod, err := modzip.FS(t.Context(), module, version)
	require.NoError(t, err)
	sub, err := fs.Sub(mod, dir)
	require.NoError(t, err)
	dest := t.TempDir()
	require.NoError(t, os.CopyFS(dest, sub))
	entries, err := os.ReadDir(dest)
	require.NoError(t, err)
	require.NotEmpty(t, entries, "%s@%s has no %s", module, version, dir)
	return dest
}

// upstreamFetcher serves the upstream charts at the catalog's pinned
// versions; asking for any other chart fails.
func upstreamFetcher(t *testing.T) *chartcheck.Local {
	t.Helper()
	l := &chartcheck.Local{Paths: map[string]string{}}
	for name, src := range upstreamCharts {
		ch, ok := catalog.Default().Chart(name)
		require.True(t, ok, name)
		version := ch.Version
		if !strings.HasPrefix(version, "v") {
			version = "v" + version
		}
		l.Paths[name] = moduleTree(t, src.module, version, src.dir)
	}
	return l
}

// exampleReleases are the Helm releases of every example cluster, as
// `eksplatform charts check` reads them.
func exampleReleases(t *testing.T) []chartcheck.Release {
	t.Helper()
	fleet, err := environments.Load(envDir)
	require.NoError(t, err)
	var out []chartcheck.Release
	for _, c := range fleet.Clusters() {
		doc, err := stacks.Synth(c)
		require.NoError(t, err, c.Name)
		for _, r := range doc.Resources {
			if r.Type == chartcheck.ReleaseType {
				rel, err := chartcheck.FromInputs(c.Name, c.EKSVersion, r.Inputs)
				require.NoError(t, err)
				rel.CRDs = c.ChartCRDs[rel.Chart.Chart]
				out = append(out, rel)
			}
		}
	}
	return out
}

func TestEveryReleaseOfAnUpstreamChartMatchesTheChartAtItsTag(t *testing.T) {
	f := upstreamFetcher(t)
	checked := map[string]int{}
	for _, rel := range exampleReleases(t) {
		if _, ok := upstreamCharts[rel.Chart.Chart]; !ok {
			continue
		}
		pinned, _ := catalog.Default().Chart(rel.Chart.Chart)
		require.Equal(t, pinned.Version, rel.Chart.Version, "%s: the examples install the catalog's pin", rel)
		problems, err := chartcheck.Check(t.Context(), f, []chartcheck.Release{rel})
		require.NoError(t, err)
		assert.Empty(t, problems)
		checked[rel.Chart.Chart]++
	}
	for name := range upstreamCharts {
		assert.Equal(t, 5, checked[name], "%s: one release per example cluster", name)
	}
}

// The same check, on the same real chart, refuses what the platform could
// get wrong: a value the chart does not read, a toleration under a key the
// chart ignores, an IRSA annotation in the wrong place, and a Kubernetes
// minor the chart's kubeVersion excludes.
func TestTheUpstreamChartCheckCatchesWhatAMockAccepts(t *testing.T) {
	f := upstreamFetcher(t)
	var karpenter chartcheck.Release
	for _, rel := range exampleReleases(t) {
		if rel.Chart.Chart == "karpenter" && rel.Values["tolerations"] != nil {
			karpenter = rel
			break
		}
	}
	require.NotEmpty(t, karpenter.Name, "an example cluster runs karpenter on the management group")
	c, err := f.Fetch(t.Context(), karpenter.Chart)
	require.NoError(t, err)
	require.Empty(t, chartcheck.CheckRelease(c, karpenter))

	broken := karpenter
	broken.Values = clone(t, karpenter.Values)
	tolerations := broken.Values["tolerations"]
	delete(broken.Values, "tolerations")
	broken.Values["controller"].(map[string]any)["tolerations"] = tolerations
	sa := broken.Values["serviceAccount"].(map[string]any)
	sa["annotation"] = sa["annotations"]
	delete(sa, "annotations")
	problems := chartcheck.CheckRelease(c, broken)
	assert.Contains(t, strings.Join(problems, "\n"), "value controller.tolerations is not in the chart")
	assert.Contains(t, strings.Join(problems, "\n"), "value serviceAccount.annotation.eks.amazonaws.com/role-arn is not in the chart")
	assert.Contains(t, strings.Join(problems, "\n"), "lands in no rendered pod")

	old := karpenter
	old.KubernetesVersion = "1.18"
	withKube := *c
	meta := *c.Metadata
	meta.KubeVersion = ">= 1.19.0-0"
	withKube.Metadata = &meta
	assert.Contains(t, strings.Join(chartcheck.CheckRelease(&withKube, old), "\n"), "does not render")
}

func clone(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}
