package iampolicy

import (
	"crypto/sha256"
	"encoding/hex"
)

// FitName keeps the name Pulumi gives a resource within AWS's limit on it:
// the physical name is the logical name, "-" and 7 random characters, which
// the provider refuses past the limit. A name that fits is returned as it is
// (so existing resources keep their names); a longer one keeps its start
// and ends in a hash of the whole, the same on every run.
func FitName(name string, limit int) string {
	room := limit - 8
	if len(name) <= room {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:room-9] + "-" + hex.EncodeToString(sum[:])[:8]
}
