package automation

import (
	"fmt"
	"slices"
	"strings"
)

// ProtectedKinds are resource types whose replacement or deletion loses data
// or access. The report lists their changes first, and up refuses them
// unless --allow-replace names the URN.
var ProtectedKinds = map[string]string{
	"eks:index:Cluster":             "EKS cluster",
	"aws:eks/cluster:Cluster":       "EKS cluster",
	"aws:efs/fileSystem:FileSystem": "EFS file system",
	"aws:kms/key:Key":               "KMS key",
	"aws:eks/nodeGroup:NodeGroup":   "node group",
}

// Dangerous reports whether a change replaces or deletes a protected kind.
func Dangerous(c Change) bool {
	_, protected := ProtectedKinds[c.Type]
	return protected && (c.Kind == KindReplace || c.Kind == KindDelete)
}

// refuseProtected returns an error naming every dangerous change not allowed.
func refuseProtected(changes []Change, allow []string) error {
	var refused []string
	for _, c := range changes {
		if Dangerous(c) && !slices.Contains(allow, c.URN) {
			refused = append(refused, fmt.Sprintf("%s %s (%s)", c.Kind, c.URN, ProtectedKinds[c.Type]))
		}
	}
	if len(refused) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s; rerun with --allow-replace <urn> for each one you mean",
		ErrProtected, strings.Join(refused, "; "))
}
