package guardrails

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"

	"github.com/eksplatform/eksplatform/contract"
)

// TestKindsNameTheProgramsResources keeps contract's kinds, which the CLI
// hands the driver, in step with what the program declares: every protected
// type occurs in the example fleet, and the management node group reference
// picks exactly the foundation's node group of each cluster.
func TestKindsNameTheProgramsResources(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, s := range exampleFleet(t) {
		var nodeGroups []string
		for _, r := range s.e.ByType(contract.NodeGroup) {
			if string(resource.URN(r.Parent).Type()) == contract.ManagementNodeGroup {
				nodeGroups = append(nodeGroups, r.Name)
			}
		}
		assert.Equal(t, []string{s.c.Name + "-mng"}, nodeGroups, "%s: the management node group reference", s.c.Name)
		for typ := range contract.Protected {
			if len(s.e.ByType(typ)) > 0 {
				seen[typ] = true
			}
		}
	}
	for typ := range contract.Protected {
		if typ == "aws:eks/cluster:Cluster" {
			// pulumi-eks's child: a multi-language component's children
			// are created by its provider, which the mock engine does not run.
			continue
		}
		assert.True(t, seen[typ], "%s is protected but the program declares none", typ)
	}
}
