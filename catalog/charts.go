package catalog

import (
	"fmt"
	"strings"
)

// ChartTable is the Helm charts the layers install, pinned, with the
// Kubernetes minors each pinned version supports, and the container images
// the program runs directly (data/charts.json).
type ChartTable struct {
	Provenance
	Note   string            `json:"note,omitempty"`
	Charts map[string]Chart  `json:"charts"`
	Images map[string]string `json:"images"`
}

// Chart is a pinned Helm chart. Repository, Chart and Version say what Helm
// installs; the other fields are what the catalog knows about that version.
type Chart struct {
	// Repository is an https:// chart repository or an oci:// registry path.
	Repository string `json:"repository"`
	Chart      string `json:"chart"`
	Version    string `json:"version"`
	// AppVersion is the chart's appVersion (the software it installs).
	AppVersion string `json:"app_version,omitempty"`
	// KubeVersion is the chart's own kubeVersion constraint ("" for none):
	// Helm refuses to install the chart on a cluster outside it.
	KubeVersion string `json:"kube_version,omitempty"`
	// Kubernetes is the range of minors the version supports.
	Kubernetes SupportRange `json:"kubernetes"`
	// Matrix is the upstream's published support matrix per release line,
	// for charts whose project publishes one; refresh picks only versions
	// of a line it lists.
	Matrix *SupportMatrix `json:"matrix,omitempty"`
	// CRDs is CRDsFromProgram when the chart keeps CRDs in crds/ (which Helm
	// never upgrades) and the program applies them from
	// data/crds/<chart>-<version>.yaml; empty when the chart installs them.
	CRDs string `json:"crds,omitempty"`
}

// SupportRange is the Kubernetes minors one chart version supports.
type SupportRange struct {
	Min string `json:"min"`
	Max string `json:"max"`
	// For is the chart version the range was checked for: a version bumped
	// without a new check (by hand, by Renovate) has no known range.
	For string `json:"for"`
	// Source says where the range comes from.
	Source string `json:"source"`
}

// SupportMatrix is an upstream's table of supported Kubernetes minors per
// release line ("1.21" → 1.33 to 1.36).
type SupportMatrix struct {
	Source  string           `json:"source"`
	Checked Date             `json:"checked"`
	Lines   map[string]Range `json:"lines"`
}

// Range is an inclusive range of Kubernetes minors.
type Range struct {
	Min string `json:"min"`
	Max string `json:"max"`
}

// Contains says whether a minor is in the range.
func (r Range) Contains(minor string) bool {
	return CompareMinors(r.Min, minor) <= 0 && CompareMinors(minor, r.Max) <= 0
}

// String is "1.33–1.36".
func (r Range) String() string { return r.Min + "–" + r.Max }

// Range is the supported range as a Range.
func (s SupportRange) Range() Range { return Range{Min: s.Min, Max: s.Max} }

// Ref is what Helm needs to install the chart: repository, chart, version.
func (ch Chart) Ref() string {
	if strings.HasPrefix(ch.Repository, "oci://") {
		return strings.TrimSuffix(ch.Repository, "/") + "/" + ch.Chart + ":" + ch.Version
	}
	return ch.Repository + " " + ch.Chart + " " + ch.Version
}

// Valid reports whether repository, chart and version are set.
func (ch Chart) Valid() bool { return ch.Repository != "" && ch.Chart != "" && ch.Version != "" }

// Support says whether the chart's version supports a Kubernetes minor.
// known is false when the catalog has no range checked for this version.
func (ch Chart) Support(minor string) (supported, known bool) {
	if ch.Kubernetes.For == "" || ch.Kubernetes.For != ch.Version {
		return false, false
	}
	return ch.Kubernetes.Range().Contains(minor), true
}

// WithVersion is the chart at another version; what the catalog knows of the
// pinned version (app version, constraint, range) is dropped unless the
// version is the same.
func (ch Chart) WithVersion(v string) Chart {
	if v == ch.Version {
		return ch
	}
	out := Chart{Repository: ch.Repository, Chart: ch.Chart, Version: v, Matrix: ch.Matrix, CRDs: ch.CRDs}
	return out
}

// Chart finds a pinned chart by name.
func (c *Catalog) Chart(name string) (Chart, bool) {
	ch, ok := c.Charts.Charts[name]
	return ch, ok
}

// ChartNames lists the charts, sorted.
func (c *Catalog) ChartNames() []string { return sortedKeys(c.Charts.Charts) }

// DefaultCharts returns a copy of every pinned chart, by name.
func (c *Catalog) DefaultCharts() map[string]Chart {
	out := make(map[string]Chart, len(c.Charts.Charts))
	for k, v := range c.Charts.Charts {
		out[k] = v
	}
	return out
}

// Image returns a container image by name ("" when unknown).
func (c *Catalog) Image(name string) string { return c.Charts.Images[name] }

// DescribeSupport is "supports Kubernetes 1.33–1.36" for messages; the
// range's source is in the chart's entry of charts.json.
func (ch Chart) DescribeSupport() string {
	if _, known := ch.Support(""); !known {
		return fmt.Sprintf("no supported Kubernetes range is known for version %s", ch.Version)
	}
	return "supports Kubernetes " + ch.Kubernetes.Range().String()
}
