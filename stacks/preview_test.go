package stacks

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/internal/mockengine"
)

// TestPreviewOfANewClusterNeedsNoKnownValues runs every example cluster the
// way a first `pulumi preview` does: the cluster does not exist, so its
// kubeconfig, ids and ARNs are unknown. The program must still declare every
// layer, including every in-cluster object.
func TestPreviewOfANewClusterNeedsNoKnownValues(t *testing.T) {
	t.Parallel()
	for _, c := range loadFleet(t).Clusters() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			full := mockengine.New(c.Name)
			require.NoError(t, full.Run(Cluster(c)))
			preview := mockengine.NewPreview(c.Name)
			require.NoError(t, preview.Run(Cluster(c)))
			assert.Len(t, preview.Resources(), len(full.Resources()), "preview declares the same resources as an up")
			assert.NotEmpty(t, preview.ByType("kubernetes:karpenter.sh/v1:NodePool"))
			// The SDK's mock monitor drops unknown inputs, so an unknown value
			// shows as a missing key; the same key is set in a full run.
			settings := func(e *mockengine.Engine) map[string]any {
				rel := e.Must(t, "kubernetes:helm.sh/v3:Release", c.Name+"-karpenter")
				return rel.In()["values"].(map[string]any)["settings"].(map[string]any)
			}
			assert.NotContains(t, settings(preview), "clusterEndpoint", "the endpoint is unknown before the cluster exists")
			assert.Contains(t, settings(full), "clusterEndpoint")
			assert.NotContains(t, preview.Must(t, "aws:eks/nodeGroup:NodeGroup", c.Name+"-mng").In(), "clusterName")
			assert.Contains(t, full.Must(t, "aws:eks/nodeGroup:NodeGroup", c.Name+"-mng").In(), "clusterName")
		})
	}
}
