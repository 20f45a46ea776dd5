package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/environments"
)

// maxReason bounds Reason: the engine's error lines, not its whole output.
const maxReason = 1000

// writeTimeout bounds one record's write. Writes do not use the run's
// context: an interrupted run is recorded too.
const writeTimeout = 30 * time.Second

// Trail turns the driver's per-cluster results into records, written as
// each cluster's part of the run ends (Driver.Audit = trail).
// A record that cannot be written is kept as an error for Err; it never
// changes the run's own outcome.
type Trail struct {
	Store Store
	// Base holds what every record of the run shares: RunID, Command,
	// Commit and Dirty. Actor comes from Actor when set.
	Base Record
	// Actor returns who ran the command; it may block until a background
	// lookup ends (see LookupActor).
	Actor func() Actor
	// Now is the clock for clusters that never started; nil uses time.Now.
	Now func() time.Time

	mu      sync.Mutex
	errs    []error
	written int
}

// Done records one cluster's result. It is safe for concurrent use.
func (t *Trail) Done(w automation.Wave, c *environments.Cluster, res automation.ClusterResult) {
	r := t.Base
	if t.Actor != nil {
		r.Actor = t.Actor()
	}
	r.Cluster, r.Role, r.Wave = c.Name, c.Role, w.Number
	r.Result = res.Status
	r.Reason = res.Reason
	if len(r.Reason) > maxReason {
		r.Reason = r.Reason[:maxReason] + "…"
	}
	if res.Result != nil && len(res.Result.Counts) > 0 {
		r.Counts = res.Result.Counts
	}
	r.Start, r.End = res.Started, res.Finished
	if r.Start.IsZero() {
		now := time.Now()
		if t.Now != nil {
			now = t.Now()
		}
		r.Start, r.End = now, now
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	err := t.Store.Append(ctx, r)
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.errs = append(t.errs, fmt.Errorf("%s: %w", c.Name, err))
		return
	}
	t.written++
}

// Written is how many records were written.
func (t *Trail) Written() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.written
}

// Err reports the records that could not be written, nil when all were.
func (t *Trail) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.errs) == 0 {
		return nil
	}
	parts := make([]string, len(t.errs))
	for i, e := range t.errs {
		parts[i] = e.Error()
	}
	return &writeErrors{
		msg:  fmt.Sprintf("%d audit record(s) could not be written to %s: %s", len(t.errs), t.Store, strings.Join(parts, "; ")),
		errs: slices.Clone(t.errs),
	}
}

// writeErrors is Err's error: one line, and errors.Is sees each cause.
type writeErrors struct {
	msg  string
	errs []error
}

func (e *writeErrors) Error() string   { return e.msg }
func (e *writeErrors) Unwrap() []error { return e.errs }

// LookupActor starts DetectActor in the background (the AWS caller identity
// can take seconds) and returns a function that waits for it. The lookup's
// error, if any, comes back beside the Actor it still filled in.
func LookupActor(getenv func(string) string, identity IdentityFunc) func() (Actor, error) {
	done := make(chan struct{})
	var a Actor
	var err error
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a, err = DetectActor(ctx, getenv, identity)
	}()
	return func() (Actor, error) {
		<-done
		return a, err
	}
}
