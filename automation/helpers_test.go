package automation_test

import (
	"testing"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/tests/fleetfile"
)

// role describes one test role file.
type role struct {
	name     string
	wave     int
	clusters int
	extra    string // more JSON fields, e.g. `"rollout": {"canary": 1}`
}

// fleetOf writes the roles as environment files and loads them.
func fleetOf(t *testing.T, roles ...role) *environments.Fleet {
	t.Helper()
	files := make([]fleetfile.Role, 0, len(roles))
	for _, r := range roles {
		files = append(files, fleetfile.Role{Name: r.name, Wave: r.wave, Clusters: r.clusters, Extra: r.extra})
	}
	return fleetfile.Load(t, files...)
}

// testResources is what the CLI hands the driver (contract), written
// out here: the driver's tests do not import the program.
var testResources = automation.Resources{
	Protected: map[string]string{
		"eks:index:Cluster":             "EKS cluster",
		"aws:efs/fileSystem:FileSystem": "EFS file system",
		"aws:eks/nodeGroup:NodeGroup":   "node group",
	},
	ManagementNodeGroup: automation.ResourceRef{Type: "aws:eks/nodeGroup:NodeGroup", ParentType: "eksplatform:foundation:ManagementNodeGroup"},
}
