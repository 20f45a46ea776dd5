package guardrails

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
)

// TestProgramInstallsAddonsWhenTheCatalogSays: plan orders addon upgrades
// around the node group roll by the catalog's install field; the program
// must declare them in that order. Checked on the synthesized examples: an
// addon installed before the nodes does not wait for the node group, every
// other one does.
func TestProgramInstallsAddonsWhenTheCatalogSays(t *testing.T) {
	t.Parallel()
	cat := catalog.Default()
	for _, s := range exampleFleet(t) {
		group := s.one(t, "aws:eks/nodeGroup:NodeGroup")
		addons := s.e.ByType("aws:eks/addon:Addon")
		require.NotEmpty(t, addons)
		for _, a := range addons {
			name, _ := a.In()["addonName"].(string)
			spec, ok := cat.Addon(name)
			require.True(t, ok, "%s: addon %s is in the catalog", s.c.Name, name)
			waits := slices.Contains(a.DependsOn, group.URN)
			assert.Equal(t, spec.Install == catalog.AfterNodes, waits, "%s: %s is installed %s", s.c.Name, name, spec.Install)
			assert.Equal(t, spec.Preserve, a.In()["preserve"], "%s: %s preserve", s.c.Name, name)
		}
	}
}

// TestInstalledChartsAreTheProgramsReleases: plan checks the charts
// Cluster.InstalledCharts names against the cluster's Kubernetes minor;
// they must be exactly the Helm releases the program declares.
func TestInstalledChartsAreTheProgramsReleases(t *testing.T) {
	t.Parallel()
	for _, s := range exampleFleet(t) {
		var released []string
		for _, r := range s.e.ByType("kubernetes:helm.sh/v3:Release") {
			in := r.In()
			version, _ := in["version"].(string)
			chart, _ := in["chart"].(string)
			found := ""
			for name, ch := range s.c.Charts {
				if ch.Version == version && (chart == ch.Chart || chart == ch.Repository+"/"+ch.Chart) {
					found = name
				}
			}
			require.NotEmpty(t, found, "%s: release %s %s is a chart of the cluster", s.c.Name, chart, version)
			released = append(released, found)
		}
		slices.Sort(released)
		assert.Equal(t, s.c.InstalledCharts(), released, s.c.Name)
	}
}
