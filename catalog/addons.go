package catalog

import (
	"slices"
)

// AddonTable is every EKS managed addon the platform installs: what each one
// needs and which versions EKS offers of it per Kubernetes minor
// (data/addons.json). The order of the table is the order addons are listed
// and upgraded in after the control plane.
type AddonTable struct {
	Provenance
	Note string `json:"note,omitempty"`
	// Estimated are minors whose version rows were not read from AWS (set by
	// hand ahead of the first refresh with credentials); a refresh clears them.
	Estimated []string `json:"estimated,omitempty"`
	Addons    []Addon  `json:"addons"`
}

// Addon kinds.
const (
	// AddonBase addons run on every cluster, "latest" unless the role pins them.
	AddonBase = "base"
	// AddonOptional addons run only where the role lists them.
	AddonOptional = "optional"
)

// When an addon is installed relative to the management node group.
const (
	// BeforeNodes addons must exist before a node can become Ready (the VPC CNI).
	BeforeNodes = "before-nodes"
	// AfterNodes addons need nodes to schedule on, or follow the nodes by
	// their skew policy (kube-proxy).
	AfterNodes = "after-nodes"
)

// Addon is one EKS managed addon.
type Addon struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Install string `json:"install"`
	// IRSA is the IAM role the addon's service accounts need, nil for none.
	IRSA *AddonIRSA `json:"irsa,omitempty"`
	// TolerationPath is where the addon's configuration schema takes the
	// tolerations of its controller pods; empty when its pods are
	// daemonsets that tolerate every taint.
	TolerationPath []string `json:"toleration_path,omitempty"`
	// Preserve keeps the software running if the addon resource is deleted:
	// losing it breaks every pod's networking or DNS.
	Preserve bool `json:"preserve,omitempty"`
	// MatchesMinor: the addon's version follows the Kubernetes minor
	// (kube-proxy v1.36.x for Kubernetes 1.36).
	MatchesMinor bool `json:"matches_minor,omitempty"`
	// Versions are what EKS offers per Kubernetes minor.
	Versions map[string]AddonVersions `json:"versions"`
}

// AddonIRSA is the IAM role an addon's service accounts assume.
type AddonIRSA struct {
	// ServiceAccounts are "namespace/name".
	ServiceAccounts []string `json:"service_accounts"`
	// ManagedPolicy is the AWS managed policy's name after "policy/".
	ManagedPolicy string `json:"managed_policy"`
}

// AddonVersions are the versions EKS offers of one addon for one Kubernetes minor.
type AddonVersions struct {
	// Default is what EKS installs when no version is given.
	Default string `json:"default"`
	// Latest is the newest compatible version.
	Latest string `json:"latest"`
	// Min is the oldest compatible version: the oldest a pin may name.
	Min string `json:"min"`
}

// Addon finds an addon of the table by name.
func (c *Catalog) Addon(name string) (Addon, bool) {
	for _, a := range c.Addons.Addons {
		if a.Name == name {
			return a, true
		}
	}
	return Addon{}, false
}

// AddonNames lists the addons of a kind (AddonBase, AddonOptional, or "" for
// all) in the table's order.
func (c *Catalog) AddonNames(kind string) []string {
	var out []string
	for _, a := range c.Addons.Addons {
		if kind == "" || a.Kind == kind {
			out = append(out, a.Name)
		}
	}
	return out
}

// AddonVersionsFor are the offline versions of an addon for a minor.
func (c *Catalog) AddonVersionsFor(addon, minor string) (AddonVersions, bool) {
	a, ok := c.Addon(addon)
	if !ok {
		return AddonVersions{}, false
	}
	v, ok := a.Versions[minor]
	return v, ok
}

// AddonEstimated says whether the addon rows of a minor are estimates.
func (c *Catalog) AddonEstimated(minor string) bool {
	return slices.Contains(c.Addons.Estimated, minor)
}

// OfferedVersion is one addon version as DescribeAddonVersions lists it: the
// Kubernetes minors it is compatible with, and those it is the default of.
type OfferedVersion struct {
	Version   string
	Minors    []string
	DefaultOn []string
}

// SummarizeAddonVersions turns the versions EKS lists for an addon into the
// table's rows per minor: the newest, the oldest and the default (the newest
// when EKS names none).
func SummarizeAddonVersions(offered []OfferedVersion) map[string]AddonVersions {
	out := map[string]AddonVersions{}
	for _, o := range offered {
		for _, minor := range o.Minors {
			row := out[minor]
			if row.Latest == "" || CompareVersions(o.Version, row.Latest) > 0 {
				row.Latest = o.Version
			}
			if row.Min == "" || CompareVersions(o.Version, row.Min) < 0 {
				row.Min = o.Version
			}
			if slices.Contains(o.DefaultOn, minor) && (row.Default == "" || CompareVersions(o.Version, row.Default) > 0) {
				row.Default = o.Version
			}
			out[minor] = row
		}
	}
	for minor, row := range out {
		if row.Default == "" {
			row.Default = row.Latest
			out[minor] = row
		}
	}
	return out
}
