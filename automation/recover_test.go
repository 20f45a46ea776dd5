package automation_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/eksplatform/eksplatform/automation"
)

// TestRecoverOptionsResolveEveryPendingCreate: recover refuses, before it
// touches the state, options that name something other than a pending create
// or that would leave a create unresolved.
func TestRecoverOptionsResolveEveryPendingCreate(t *testing.T) {
	t.Parallel()
	const ng, key = "urn:pulumi:c::eksplatform::aws:eks/nodeGroup:NodeGroup::mgmt", "urn:pulumi:c::eksplatform::aws:kms/key:Key::k"
	pending := []automation.PendingOperation{{Type: "creating", URN: ng}, {Type: "creating", URN: key}, {Type: "updating", URN: "urn:x"}}
	for _, tc := range []struct {
		opts automation.RecoverOptions
		want string
	}{
		{automation.RecoverOptions{Import: map[string]string{ng: "c:mgmt", key: "k-1"}}, ""},
		{automation.RecoverOptions{Import: map[string]string{ng: "c:mgmt"}, Clear: true}, ""},
		{automation.RecoverOptions{Clear: true}, ""},
		{automation.RecoverOptions{Import: map[string]string{ng: "c:mgmt"}}, "1 pending create(s) would stay: name each with --import URN=ID, or add --clear to drop the others"},
		{automation.RecoverOptions{Import: map[string]string{"urn:x": "x"}, Clear: true}, "--import urn:x: not a pending create; the pending creates are listed above"},
	} {
		err := tc.opts.Check(pending)
		if tc.want == "" {
			assert.NoError(t, err, "%+v", tc.opts)
		} else {
			assert.EqualError(t, err, tc.want)
		}
	}
}
