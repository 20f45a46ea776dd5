package audit

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/environments"
)

// failingStore refuses every record.
type failingStore struct{ calls atomic.Int32 }

func (s *failingStore) Append(context.Context, Record) error {
	s.calls.Add(1)
	return errors.New("AccessDeniedException: not authorized to perform dynamodb:PutItem")
}
func (s *failingStore) List(context.Context, Filter) ([]Record, error) { return nil, nil }
func (s *failingStore) String() string                                 { return "dynamodb://audit?region=us-east-2" }

func TestTrailRecordsEveryResult(t *testing.T) {
	t.Parallel()
	store := NewFileStore(filepath.Join(t.TempDir(), "audit.jsonl"))
	fixed := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	trail := &Trail{
		Store: store,
		Base:  Record{RunID: "run-1", Command: "up", Commit: "abc123"},
		Actor: func() Actor { return Actor{User: "alice", CI: "github-actions"} },
		Now:   func() time.Time { return fixed },
	}
	w := automation.Wave{Number: 2}
	start := fixed.Add(-time.Minute)
	trail.Done(w, &environments.Cluster{Name: "np-01", Role: "nonprod"}, automation.ClusterResult{
		Status: automation.StatusSucceeded, Started: start, Finished: fixed,
		Result: &automation.Result{Counts: map[string]int{"update": 3}},
	})
	trail.Done(w, &environments.Cluster{Name: "np-02", Role: "nonprod"}, automation.ClusterResult{
		Status: automation.StatusFailed, Reason: strings.Repeat("x", 5000), Started: start, Finished: fixed,
	})
	trail.Done(automation.Wave{Number: 3}, &environments.Cluster{Name: "prod-01", Role: "prod"}, automation.ClusterResult{Status: automation.StatusNotRun})
	require.NoError(t, trail.Err())
	assert.Equal(t, 3, trail.Written())

	recs, err := store.List(t.Context(), Filter{})
	require.NoError(t, err)
	require.Len(t, recs, 3)
	byCluster := map[string]Record{}
	for _, r := range recs {
		byCluster[r.Cluster] = r
	}
	ok := byCluster["np-01"]
	assert.Equal(t, Record{RunID: "run-1", Cluster: "np-01", Role: "nonprod", Wave: 2, Command: "up", Result: "succeeded",
		Counts: map[string]int{"update": 3}, Start: start, End: fixed, Actor: Actor{User: "alice", CI: "github-actions"}, Commit: "abc123"}, ok)
	assert.Len(t, byCluster["np-02"].Reason, maxReason+len("…"), "reasons are bounded")
	assert.Equal(t, "not run", byCluster["prod-01"].Result)
	assert.Equal(t, fixed, byCluster["prod-01"].Start, "a cluster that never ran is recorded at the time the run ended")
}

func TestTrailReportsWriteFailures(t *testing.T) {
	t.Parallel()
	store := &failingStore{}
	trail := &Trail{Store: store, Base: Record{RunID: "run-2", Command: "destroy"}}
	trail.Done(automation.Wave{}, &environments.Cluster{Name: "sbx-01"}, automation.ClusterResult{Status: automation.StatusSucceeded})
	trail.Done(automation.Wave{}, &environments.Cluster{Name: "sbx-02"}, automation.ClusterResult{Status: automation.StatusFailed})
	err := trail.Err()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "2 audit record(s) could not be written to dynamodb://audit?region=us-east-2")
	assert.Contains(t, err.Error(), "sbx-01: AccessDeniedException")
	assert.NotContains(t, err.Error(), "\n", "one line")
	var joined interface{ Unwrap() []error }
	require.ErrorAs(t, err, &joined)
	assert.Len(t, joined.Unwrap(), 2)
	assert.Equal(t, int32(2), store.calls.Load())
	assert.Zero(t, trail.Written())
}

func TestLookupActorRunsInTheBackground(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	get := LookupActor(func(k string) string {
		return map[string]string{"CIRCLECI": "true", "CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/fleet/42"}[k]
	},
		func(context.Context) (string, error) {
			<-release
			return "arn:aws:sts::123456789012:assumed-role/deploy/ci", nil
		})
	close(release)
	a, err := get()
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/deploy/ci", a.Identity)
	assert.Equal(t, "https://circleci.com/gh/acme/fleet/42", a.JobURL)
}
