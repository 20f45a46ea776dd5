package automation

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/tests/fleetfile"
	"github.com/eksplatform/eksplatform/tests/syncbuf"
)

// TestInterruptible: the first signal cancels the run's context and says the
// state stays valid; the second calls last with the signal. Not parallel:
// the signals go to the whole test process.
func TestInterruptible(t *testing.T) {
	lasts := make(chan os.Signal, 1)
	var out syncbuf.Buffer
	ctx, stop := Interruptible(&out, func(s os.Signal) { lasts <- s })
	defer stop()

	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM did not cancel the context")
	}
	assert.Contains(t, out.String(), "terminated: interrupting the running operations and waiting for them to finish the steps in flight (the state stays valid)")
	select {
	case s := <-lasts:
		t.Fatalf("stopped after one signal (%s)", s)
	default:
	}

	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGINT))
	select {
	case s := <-lasts:
		assert.Equal(t, os.Interrupt, s)
	case <-time.After(10 * time.Second):
		t.Fatal("a second signal did not stop the run")
	}
	assert.Contains(t, out.String(), "interrupt again: stopping now; the steps in flight stay pending in the state")
}

// TestAbandonReportsTheClustersUnderWayOnce: a run killed by a second
// interrupt still leaves a record of each cluster it was changing, and the
// results that arrive after it are not reported again.
func TestAbandonReportsTheClustersUnderWayOnce(t *testing.T) {
	t.Parallel()
	c := fleetfile.Load(t, fleetfile.Role{Name: "sandbox", Clusters: 1}).Clusters()[0]
	rec := &keptResults{}
	d := &Driver{Audit: rec}
	w := Wave{Number: 0}
	d.inFlight = map[string]inFlight{c.Name: {wave: w, cluster: c, started: time.Now()}}
	assert.Equal(t, []string{c.Name}, d.Abandon("killed"))
	require.Len(t, rec.results, 1)
	assert.Equal(t, StatusCancelled, rec.results[0].Status)
	assert.Equal(t, "killed", rec.results[0].Reason)
	d.done(w, c, ClusterResult{Cluster: c.Name, Status: StatusSucceeded})
	assert.Len(t, rec.results, 1, "nothing is reported after the run was abandoned")
	assert.Nil(t, d.Abandon("again"), "abandoning twice reports nothing more")
}

// keptResults is an audit trail that keeps what the driver reports.
type keptResults struct{ results []ClusterResult }

func (k *keptResults) Done(_ Wave, _ *environments.Cluster, r ClusterResult) {
	k.results = append(k.results, r)
}
func (k *keptResults) Err() error { return nil }
