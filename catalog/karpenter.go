package catalog

// KarpenterSupport is the oldest karpenter release that supports each
// Kubernetes minor, from karpenter's compatibility matrix
// (data/karpenter.json). The karpenter and karpenter-crd charts of a cluster
// must be at least this version before its control plane reaches the minor.
type KarpenterSupport struct {
	Provenance
	Note    string            `json:"note,omitempty"`
	Minimum map[string]string `json:"minimum_karpenter"`
}

// KarpenterMinimum is the oldest karpenter release that supports a minor;
// false when the matrix has no row for it (which is not "any karpenter").
func (c *Catalog) KarpenterMinimum(minor string) (string, bool) {
	v, ok := c.Karpenter.Minimum[minor]
	return v, ok
}
