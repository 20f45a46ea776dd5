package guardrails

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/eksplatform/eksplatform/automation/upgrade"
	"github.com/eksplatform/eksplatform/components/foundation"
	"github.com/eksplatform/eksplatform/environments"
)

// TestPlanStepsFollowTheProgram: plan's playbook orders addon upgrades around
// the node group roll the way the foundation declares them; the automation
// packages may not import components, so this test ties the two together.
func TestPlanStepsFollowTheProgram(t *testing.T) {
	t.Parallel()
	addons := append(append([]string(nil), environments.BaseAddons...), environments.OptionalAddons...)
	assert.ElementsMatch(t, addons, upgrade.AddonOrder, "plan orders every addon the environment files may name")
	for _, a := range addons {
		assert.True(t, foundation.KnownAddon(a), a)
		assert.Equal(t, foundation.AddonBeforeNodes(a), upgrade.AddonsBeforeNodes[a], "%s: before or after the management nodes", a)
	}
}
