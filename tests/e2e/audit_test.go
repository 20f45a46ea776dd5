package e2e

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/automation/audit"
)

// TestRealRunsLeaveAuditRecords: an up that succeeds, then an up in which
// one cluster's program fails, on the real engine; the trail holds one
// record per cluster per run with what happened.
func TestRealRunsLeaveAuditRecords(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 1)
	store := audit.NewFileStore(filepath.Join(e.state, audit.DefaultFile))
	ctx := t.Context()
	run := func(op automation.Operation) (*audit.Trail, error) {
		trail := &audit.Trail{
			Store: store,
			Base:  audit.Record{RunID: audit.NewRunID(time.Now()), Command: string(op), Commit: "e2e"},
			Actor: func() audit.Actor { return audit.Actor{User: "e2e"} },
		}
		d := e.driver()
		d.Audit = trail
		_, err := d.Run(ctx, e.plan(t), automation.RunOptions{Op: op})
		require.NoError(t, trail.Err())
		return trail, err
	}

	first, err := run(automation.OpUp)
	require.NoError(t, err, e.log.String())
	assert.Equal(t, 2, first.Written())

	e.programs.mu.Lock()
	e.programs.fail["e2e-nonprod-01"] = true
	e.programs.mu.Unlock()
	second, err := run(automation.OpUp)
	require.Error(t, err)

	recs, err := store.List(ctx, audit.Filter{})
	require.NoError(t, err)
	require.Len(t, recs, 4)
	byRun := map[string]map[string]audit.Record{}
	for _, r := range recs {
		if byRun[r.RunID] == nil {
			byRun[r.RunID] = map[string]audit.Record{}
		}
		byRun[r.RunID][r.Cluster] = r
	}
	ok := byRun[first.Base.RunID]
	require.Len(t, ok, 2)
	for _, c := range []string{"e2e-sandbox-01", "e2e-nonprod-01"} {
		assert.Equal(t, "succeeded", ok[c].Result, c)
		assert.Equal(t, map[string]int{automation.KindCreate: 4}, ok[c].Counts, "%s: the four layers created", c)
		assert.False(t, ok[c].End.Before(ok[c].Start))
	}
	assert.Equal(t, 1, ok["e2e-nonprod-01"].Wave)

	bad := byRun[second.Base.RunID]
	require.Len(t, bad, 2)
	assert.Equal(t, "succeeded", bad["e2e-sandbox-01"].Result)
	assert.Empty(t, bad["e2e-sandbox-01"].Counts, "the second up changes nothing in the sandbox")
	assert.Equal(t, "failed", bad["e2e-nonprod-01"].Result)
	assert.Contains(t, bad["e2e-nonprod-01"].Reason, "simulated failure of e2e-nonprod-01")
	assert.Equal(t, "up", bad["e2e-nonprod-01"].Command)

	assert.Equal(t, second.Base.RunID, recs[0].RunID, "newest first")
	only, err := store.List(ctx, audit.Filter{Clusters: []string{"e2e-nonprod-01"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"failed", "succeeded"}, []string{only[0].Result, only[1].Result})
}
