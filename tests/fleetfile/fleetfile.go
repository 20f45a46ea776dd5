// Package fleetfile writes small environment directories for tests: roles
// of numbered clusters with valid defaults, loaded through the real loader.
package fleetfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/environments"
)

// Role is one environment file. Its clusters are named
// <ClusterPrefix><Name>-01, -02 …, each with its own VPC CIDR.
type Role struct {
	Name string
	Wave int
	// Version is eks_version; default 1.34.
	Version string
	// Clusters defaults to 1.
	Clusters      int
	ClusterPrefix string
	// Extra are more top-level JSON fields, e.g. `"rollout": {"canary": 1}`.
	// Without a "cluster_admin" of its own the role gets one trusting
	// arn:aws:iam::123456789012:role/PlatformAdmin; without a "deployer",
	// an in_vpc one.
	Extra string
}

// Write writes the roles into a new temporary directory and returns it.
func Write(t testing.TB, roles ...Role) string {
	t.Helper()
	dir := t.TempDir()
	octet := 0
	for _, r := range roles {
		if r.Version == "" {
			r.Version = "1.34"
		}
		if r.Clusters == 0 {
			r.Clusters = 1
		}
		clusters := make([]string, 0, r.Clusters)
		for i := range r.Clusters {
			octet++
			clusters = append(clusters, fmt.Sprintf(`{"name": "%s%s-%02d", "account_id": "123456789012", "region": "us-east-2", "vpc": {"cidr": "10.%d.0.0/16"}}`,
				r.ClusterPrefix, r.Name, i+1, octet))
		}
		extra := ""
		if r.Extra != "" {
			extra = r.Extra + ","
		}
		if !strings.Contains(r.Extra, `"cluster_admin"`) {
			extra += `"cluster_admin": {"trusted_principals": ["arn:aws:iam::123456789012:role/PlatformAdmin"]},`
		}
		if !strings.Contains(r.Extra, `"deployer"`) {
			extra += `"deployer": {"network": "in_vpc"},`
		}
		doc := fmt.Sprintf(`{"role": %q, "wave": %d, "eks_version": %q, %s "clusters": [%s]}`, r.Name, r.Wave, r.Version, extra, strings.Join(clusters, ","))
		require.NoError(t, os.WriteFile(filepath.Join(dir, r.Name+".json"), []byte(doc), 0o600))
	}
	return dir
}

// Load writes the roles and loads them.
func Load(t testing.TB, roles ...Role) *environments.Fleet {
	t.Helper()
	fleet, err := environments.Load(Write(t, roles...))
	require.NoError(t, err)
	return fleet
}

// LoadWith writes the roles and loads them against a catalog of the test's.
func LoadWith(t testing.TB, cat *catalog.Catalog, roles ...Role) *environments.Fleet {
	t.Helper()
	fleet, err := environments.Load(Write(t, roles...), environments.WithCatalog(cat))
	require.NoError(t, err)
	return fleet
}
