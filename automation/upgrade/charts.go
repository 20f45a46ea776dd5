package upgrade

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/environments"
)

// chartFindings checks every chart the cluster installs against the
// Kubernetes minor it will run: outside the chart's supported range is an
// error (CHT101) unless the role accepts that minor for the chart, and a
// version whose range the catalog never checked is a warning (CHT102).
// karpenter's two charts are checked against its own matrix (KAR101–KAR103).
func chartFindings(cat *catalog.Catalog, c *environments.Cluster, minor string) []Finding {
	var out []Finding
	for _, name := range c.InstalledCharts() {
		if name == "karpenter" || name == "karpenter-crd" {
			continue
		}
		ch := c.Charts[name]
		supported, known := ch.Support(minor)
		accepted := slices.Contains(c.ChartsAcceptedOn[name], minor)
		switch {
		case !known:
			pinned, _ := cat.Chart(name)
			out = append(out, finding("CHT102", Warning, c.Name,
				fmt.Sprintf("chart %s %s: the catalog knows no supported Kubernetes range for this version (it checked %s %s), so Kubernetes %s is not checked", name, ch.Version, name, pinned.Version, minor),
				"check the chart's support statement for "+minor+", then run `eksplatform catalog refresh` or pin the catalog's version"))
		case supported:
		case accepted:
			out = append(out, finding("CHT101", Warning, c.Name,
				fmt.Sprintf("chart %s %s %s (%s), not %s; the role accepts it (charts.%s.accept_unsupported_kubernetes)", name, ch.Version, ch.DescribeSupport(), ch.Kubernetes.Source, minor, name),
				"watch the chart's pods closely on "+minor+"; remove the acceptance once the catalog pins a version that supports it"))
		default:
			out = append(out, finding("CHT101", Error, c.Name,
				fmt.Sprintf("chart %s %s %s (%s), not %s", name, ch.Version, ch.DescribeSupport(), ch.Kubernetes.Source, minor),
				fmt.Sprintf("pin a version that supports %s (`eksplatform catalog refresh` finds one), stay on a supported minor, or accept it in %s with \"charts\": {%q: {\"accept_unsupported_kubernetes\": [%q]}}", minor, filepath.Base(c.File), name, minor)))
		}
	}
	return out
}

// estimateFindings warn, once per role, when the offline addon versions of
// the role's minor are estimates rather than what EKS published.
func estimateFindings(in Inputs, plans []ClusterPlan) []Finding {
	if _, offline := in.Catalog.(Offline); !offline {
		return nil
	}
	cat := in.Fleet.Catalog
	planned := map[string]bool{}
	for _, cp := range plans {
		planned[cp.Role] = true
	}
	var out []Finding
	for _, r := range in.Fleet.Roles {
		if !cat.AddonEstimated(r.EKSVersion) || !planned[r.Name] {
			continue
		}
		out = append(out, finding("ADD105", Warning, r.Name,
			fmt.Sprintf("the addon versions shown for Kubernetes %s are estimates: %s/%s holds no versions EKS published for it yet", r.EKSVersion, catalog.DataDir, catalog.FileAddons),
			"plan with --aws-addon-versions, or run `eksplatform catalog refresh` with AWS credentials; up resolves latest and default live either way"))
	}
	return out
}

// addonOrder lists the cluster's addons in the catalog's order.
func addonOrder(cat *catalog.Catalog, c *environments.Cluster) []string {
	names := make([]string, 0, len(c.Addons))
	for _, a := range c.Addons {
		names = append(names, a.Name)
	}
	order := map[string]int{}
	for i, name := range cat.AddonNames("") {
		order[name] = i
	}
	slices.SortStableFunc(names, func(a, b string) int { return order[a] - order[b] })
	return names
}
