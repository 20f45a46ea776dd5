package automation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/eksplatform/eksplatform/environments"
)

// Cluster statuses in a report.
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusSkipped   = "skipped"
	StatusNotRun    = "not run"
	StatusCancelled = "cancelled"
)

// GateOptions configure one health gate.
type GateOptions struct {
	Timeout time.Duration
	// EchoCheck also calls the echo-server URL of the stack outputs.
	EchoCheck bool
}

// HealthGate decides whether a cluster is healthy after its wave.
type HealthGate interface {
	Check(ctx context.Context, c *environments.Cluster, outputs map[string]any, opts GateOptions) error
}

// Driver runs operations over a plan.
type Driver struct {
	Backend Backend
	// Gate runs after each wave of an up; nil skips gates.
	Gate HealthGate
	// Sleep waits out a bake; it must return early with ctx.Err() when ctx
	// is cancelled. Nil uses a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock; nil uses time.Now.
	Now func() time.Time
	// Log receives one progress line per cluster per phase.
	Log io.Writer
	// Audit, when set, gets Done once for every cluster of the rollout as
	// soon as its part of the run ends, whatever the outcome: when its
	// operation succeeds, fails, is skipped or cancelled, and at the end of
	// the run for clusters that did not run. Calls come from concurrent
	// goroutines. At the end of the run its Err says whether every record
	// was written: a trail that could not be written fails the run — after
	// the run's own error, which stays first (AuditError).
	Audit Recorder
	// Resources names the program's protected resources and its management
	// node group; without them nothing is protected and
	// RefreshManagementNodes is refused.
	Resources Resources

	logMu sync.Mutex

	flightMu  sync.Mutex
	inFlight  map[string]inFlight
	abandoned bool
}

// Recorder is an audit trail (audit.Trail): Done records one cluster's
// result, Err says which records could not be written.
type Recorder interface {
	Done(w Wave, c *environments.Cluster, res ClusterResult)
	Err() error
}

// AuditError is a run's audit trail that could not be written. Run joins it
// after the run's own error; a run that otherwise succeeded fails with it.
type AuditError struct{ Err error }

func (e *AuditError) Error() string { return e.Err.Error() }
func (e *AuditError) Unwrap() error { return e.Err }

// inFlight is a cluster whose operation has started and not ended.
type inFlight struct {
	wave    Wave
	cluster *environments.Cluster
	started time.Time
}

// RunOptions shape one run.
type RunOptions struct {
	Op Operation
	// AllowReplace lists URNs of protected resources up may replace or delete.
	AllowReplace []string
	// RefreshManagementNodes replaces the management node group of clusters
	// that already exist (a rolling replacement of its nodes).
	RefreshManagementNodes bool
	// ExpectNoChanges makes refresh fail on drift.
	ExpectNoChanges bool
	// Parallel caps how many previews run at once (previews ignore waves).
	Parallel int
	// Resume names clusters an earlier attempt of this rollout already
	// rolled out, with the reason: their operation is skipped, their
	// health gate runs again on the outputs the backend holds.
	Resume map[string]string
}

// ClusterResult is what happened to one cluster.
type ClusterResult struct {
	Cluster  string        `json:"cluster"`
	Role     string        `json:"role"`
	Status   string        `json:"status"`
	Reason   string        `json:"reason,omitempty"`
	Notes    []string      `json:"notes,omitempty"`
	Duration time.Duration `json:"durationNs"`
	// Started and Finished bound the operation; zero when it never started.
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	Result   *Result   `json:"result,omitempty"`
	// Gate is the cluster's health gate after its wave: passed, failed,
	// skipped, or empty when not reached.
	Gate      string `json:"gate,omitempty"`
	GateError string `json:"gateError,omitempty"`
	// Resumed is a skipped cluster that an earlier attempt of the same
	// rollout had already rolled out (RunOptions.Resume).
	Resumed bool `json:"resumed,omitempty"`

	err error
}

// Cause is the Reason without the "stack <cluster>: " the stack's errors
// start with, for places that already name the cluster.
func (r ClusterResult) Cause() string {
	return strings.TrimPrefix(r.Reason, "stack "+r.Cluster+": ")
}

// WaveResult is what happened in one wave.
type WaveResult struct {
	Index    int             `json:"index"`
	Number   int             `json:"number"`
	Label    string          `json:"label"`
	Canary   bool            `json:"canary"`
	Clusters []ClusterResult `json:"clusters"`
	// Gate is passed, failed, skipped or empty when not reached.
	Gate      string        `json:"gate,omitempty"`
	GateError string        `json:"gateError,omitempty"`
	Bake      time.Duration `json:"bakeNs"`
	Baked     bool          `json:"baked"`
}

// Report is the outcome of a run.
type Report struct {
	Operation Operation    `json:"operation"`
	Started   time.Time    `json:"started"`
	Finished  time.Time    `json:"finished"`
	Waves     []WaveResult `json:"waves"`
	// Outcome is succeeded, failed or cancelled.
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
}

// Failed lists the clusters that failed.
func (r *Report) Failed() []ClusterResult {
	var out []ClusterResult
	for _, w := range r.Waves {
		for _, c := range w.Clusters {
			if c.Status == StatusFailed {
				out = append(out, c)
			}
		}
	}
	return out
}

func (d *Driver) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Driver) logf(format string, args ...any) {
	if d.Log == nil {
		return
	}
	d.logMu.Lock()
	defer d.logMu.Unlock()
	fmt.Fprintf(d.Log, format+"\n", args...)
}

func (d *Driver) sleep(ctx context.Context, dur time.Duration) error {
	if d.Sleep != nil {
		return d.Sleep(ctx, dur)
	}
	t := time.NewTimer(dur)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run executes the operation over the plan. The returned report is complete
// even when the error is not nil: it names what failed and what did not run.
func (d *Driver) Run(ctx context.Context, plan *Rollout, opts RunOptions) (*Report, error) {
	rep := &Report{Operation: opts.Op, Started: d.now()}
	for _, w := range plan.Waves {
		wr := WaveResult{Index: w.Index, Number: w.Number, Label: w.Label(), Canary: w.Canary, Bake: w.Bake}
		for _, c := range w.Clusters {
			wr.Clusters = append(wr.Clusters, ClusterResult{Cluster: c.Name, Role: c.Role, Status: StatusNotRun})
		}
		rep.Waves = append(rep.Waves, wr)
	}
	var err error
	switch opts.Op {
	case OpPreview:
		err = d.runAll(ctx, plan, rep, opts)
	case OpUp, OpRefresh:
		err = d.runWaves(ctx, plan, rep, opts)
	case OpDestroy:
		if err = RefuseNotEphemeral(plan); err == nil {
			err = d.runReverse(ctx, plan, rep, opts)
		}
	default:
		err = fmt.Errorf("unknown operation %q", opts.Op)
	}
	rep.Finished = d.now()
	for wi, w := range plan.Waves {
		for ci, c := range w.Clusters {
			if res := rep.Waves[wi].Clusters[ci]; res.Status == StatusNotRun {
				d.done(w, c, res)
			}
		}
	}
	switch {
	case err == nil:
		rep.Outcome = StatusSucceeded
	case errors.Is(err, ErrCancelled) || ctx.Err() != nil:
		rep.Outcome = StatusCancelled
		rep.Error = err.Error()
	default:
		rep.Outcome = StatusFailed
		rep.Error = err.Error()
	}
	// The report says how the run went; a trail that could not be written
	// fails the run after the run's own error.
	if d.Audit != nil {
		if aerr := d.Audit.Err(); aerr != nil {
			err = errors.Join(err, &AuditError{Err: aerr})
		}
	}
	return rep, err
}

// runAll previews every cluster at once (bounded); the report keeps wave order.
func (d *Driver) runAll(ctx context.Context, plan *Rollout, rep *Report, opts RunOptions) error {
	limit := opts.Parallel
	if limit <= 0 {
		for _, w := range plan.Waves {
			limit = max(limit, w.Parallel)
		}
	}
	var g errgroup.Group
	g.SetLimit(max(1, limit))
	for wi, w := range plan.Waves {
		for ci, c := range w.Clusters {
			g.Go(func() error {
				rep.Waves[wi].Clusters[ci] = d.runCluster(ctx, w, c, opts)
				return nil
			})
		}
	}
	_ = g.Wait()
	return failures(ctx, rep)
}

// runWaves runs up or refresh wave by wave, gating and baking between waves.
func (d *Driver) runWaves(ctx context.Context, plan *Rollout, rep *Report, opts RunOptions) error {
	for wi, w := range plan.Waves {
		d.logf("[%s] %s of %d cluster(s), %d at a time: %s", w.Label(), opts.Op, len(w.Clusters), w.Parallel, clusterNames(w.Clusters))
		d.runWave(ctx, w, rep.Waves[wi].Clusters, opts)
		if err := failures(ctx, rep); err != nil {
			d.logf("[%s] stopped: %v; no later wave starts", w.Label(), err)
			return err
		}
		if opts.Op != OpUp {
			continue
		}
		if err := d.gate(ctx, w, &rep.Waves[wi]); err != nil {
			d.logf("[%s] stopped: %v; no later wave starts", w.Label(), err)
			return err
		}
		if w.Bake > 0 && wi < len(plan.Waves)-1 {
			d.logf("[%s] baking for %s (until %s) before %s", w.Label(), w.Bake, d.now().Add(w.Bake).Format("15:04:05"), plan.Waves[wi+1].Label())
			if err := d.sleep(ctx, w.Bake); err != nil {
				return fmt.Errorf("%w during the bake after %s", ErrCancelled, w.Label())
			}
			rep.Waves[wi].Baked = true
		}
	}
	return nil
}

// runReverse destroys waves last to first, clusters last to first.
func (d *Driver) runReverse(ctx context.Context, plan *Rollout, rep *Report, opts RunOptions) error {
	for wi := len(plan.Waves) - 1; wi >= 0; wi-- {
		w := plan.Waves[wi]
		reversed := slices.Clone(w.Clusters)
		slices.Reverse(reversed)
		d.logf("[%s] destroy of %d cluster(s), %d at a time: %s", w.Label(), len(reversed), w.Parallel, clusterNames(reversed))
		results := make([]ClusterResult, len(reversed))
		w.Clusters = reversed
		d.runWave(ctx, w, results, opts)
		for i, r := range results {
			rep.Waves[wi].Clusters[len(results)-1-i] = r
		}
		if err := failures(ctx, rep); err != nil {
			return err
		}
	}
	return nil
}

// runWave runs every cluster of a wave, at most w.Parallel at once; a failed
// cluster does not stop the others of its wave.
func (d *Driver) runWave(ctx context.Context, w Wave, results []ClusterResult, opts RunOptions) {
	var g errgroup.Group
	g.SetLimit(max(1, w.Parallel))
	for i, c := range w.Clusters {
		g.Go(func() error {
			results[i] = d.runCluster(ctx, w, c, opts)
			return nil
		})
	}
	_ = g.Wait()
}

// ClusterErrors is the failure of one or more clusters; errors.Is sees
// through it to each cluster's error.
type ClusterErrors struct {
	lines   []string
	reasons []string
	errs    []error
}

func (e *ClusterErrors) Error() string {
	// Clusters that failed for the same reason (no plugins, no credentials)
	// are named together, with the reason once.
	var order []string
	byReason := map[string][]string{}
	for i, line := range e.lines {
		reason := e.reasons[i]
		if _, seen := byReason[reason]; !seen {
			order = append(order, reason)
		}
		byReason[reason] = append(byReason[reason], strings.SplitN(line, ":", 2)[0])
	}
	parts := make([]string, len(order))
	for i, reason := range order {
		parts[i] = strings.Join(byReason[reason], ", ") + ": " + reason
	}
	return fmt.Sprintf("%d cluster(s) failed: %s", len(e.lines), strings.Join(parts, "; "))
}

// Unwrap returns each cluster's error.
func (e *ClusterErrors) Unwrap() []error { return e.errs }

func failures(ctx context.Context, rep *Report) error {
	var cancelled []string
	failed := &ClusterErrors{}
	for _, w := range rep.Waves {
		for _, c := range w.Clusters {
			switch c.Status {
			case StatusFailed:
				failed.lines = append(failed.lines, fmt.Sprintf("%s (%s): %s", c.Cluster, w.Label, c.Reason))
				failed.reasons = append(failed.reasons, c.Cause())
				failed.errs = append(failed.errs, c.err)
			case StatusCancelled:
				cancelled = append(cancelled, c.Cluster)
			}
		}
	}
	switch {
	case len(cancelled) > 0 || ctx.Err() != nil:
		return fmt.Errorf("%w: interrupted while running %s", ErrCancelled, strings.Join(cancelled, ", "))
	case len(failed.lines) > 0:
		return failed
	}
	return nil
}

func clusterNames(cs []*environments.Cluster) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// Abandon is for a run that is about to be killed (a second interrupt):
// every cluster whose operation is under way is reported to Audit as
// cancelled with the reason, and nothing more is reported afterwards. It
// returns the clusters it reported.
func (d *Driver) Abandon(reason string) []string {
	d.flightMu.Lock()
	defer d.flightMu.Unlock()
	if d.abandoned {
		return nil
	}
	d.abandoned = true
	var names []string
	for name, f := range d.inFlight {
		names = append(names, name)
		now := d.now()
		d.report(f.wave, f.cluster, ClusterResult{Cluster: name, Role: f.cluster.Role, Status: StatusCancelled,
			Reason: reason, Started: f.started, Finished: now, Duration: now.Sub(f.started)})
	}
	slices.Sort(names)
	return names
}

// done reports a cluster's result unless the run was abandoned.
func (d *Driver) done(w Wave, c *environments.Cluster, res ClusterResult) {
	d.flightMu.Lock()
	delete(d.inFlight, c.Name)
	abandoned := d.abandoned
	d.flightMu.Unlock()
	if !abandoned {
		d.report(w, c, res)
	}
}

func (d *Driver) report(w Wave, c *environments.Cluster, res ClusterResult) {
	if d.Audit != nil {
		d.Audit.Done(w, c, res)
	}
}

// runCluster does the operation on one cluster and never panics the wave.
func (d *Driver) runCluster(ctx context.Context, w Wave, c *environments.Cluster, opts RunOptions) (res ClusterResult) {
	res = ClusterResult{Cluster: c.Name, Role: c.Role}
	defer func() { d.done(w, c, res) }()
	if ctx.Err() != nil {
		res.Status, res.Reason = StatusCancelled, "interrupted before it started"
		return res
	}
	start := d.now()
	res.Started = start
	d.flightMu.Lock()
	if d.inFlight == nil {
		d.inFlight = map[string]inFlight{}
	}
	d.inFlight[c.Name] = inFlight{wave: w, cluster: c, started: start}
	d.flightMu.Unlock()
	if reason, ok := opts.Resume[c.Name]; ok {
		res.Status, res.Reason, res.Resumed = StatusSkipped, reason, true
		d.logf("[%s] %s %s: skipped: %s", w.Label(), c.Name, opts.Op, reason)
		if opts.Op == OpUp {
			// The gate reads the outputs the run would have returned.
			if stack, err := d.Backend.Open(ctx, c); err == nil {
				if outs, err := stack.Outputs(ctx); err == nil {
					res.Result = &Result{Outputs: outs}
				}
			}
		}
		res.Finished = d.now()
		return res
	}
	d.logf("[%s] %s %s: started", w.Label(), c.Name, opts.Op)
	result, notes, skip, err := d.operate(ctx, c, opts)
	d.Resources.mark(result)
	res.Finished = d.now()
	res.Duration = res.Finished.Sub(start)
	res.Notes = notes
	res.Result = result
	for _, n := range notes {
		d.logf("[%s] %s: %s", w.Label(), c.Name, n)
	}
	switch {
	case skip != "":
		res.Status, res.Reason = StatusSkipped, skip
		d.logf("[%s] %s %s: skipped: %s", w.Label(), c.Name, opts.Op, skip)
	case err != nil && (ctx.Err() != nil || errors.Is(err, context.Canceled)):
		res.Status, res.Reason = StatusCancelled, "interrupted: "+err.Error()
		d.logf("[%s] %s %s: cancelled after %s", w.Label(), c.Name, opts.Op, res.Duration.Round(time.Second))
	case err != nil:
		res.Status, res.Reason, res.err = StatusFailed, err.Error(), err
		d.logf("[%s] %s %s: failed after %s: %v", w.Label(), c.Name, opts.Op, res.Duration.Round(time.Second), err)
	default:
		res.Status = StatusSucceeded
		d.logf("[%s] %s %s: succeeded in %s (%s)", w.Label(), c.Name, opts.Op, res.Duration.Round(time.Second), countLine(result))
	}
	return res
}

func countLine(r *Result) string {
	if r == nil {
		return "no changes"
	}
	var parts []string
	for _, k := range []string{KindCreate, KindUpdate, KindReplace, KindDelete} {
		if n := r.Counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d to %s", n, k))
		}
	}
	if len(parts) == 0 {
		return "no changes"
	}
	return strings.Join(parts, ", ")
}

// operate runs one stack operation. skip is non-empty when there is nothing
// to do for the cluster, with the reason.
func (d *Driver) operate(ctx context.Context, c *environments.Cluster, opts RunOptions) (result *Result, notes []string, skip string, err error) {
	if opts.Op == OpRefresh || opts.Op == OpDestroy || opts.RefreshManagementNodes {
		stacks, err := d.Backend.Stacks(ctx)
		if err != nil {
			return nil, nil, "", err
		}
		s, exists := stacks[c.Name]
		isNew := !exists || s.ResourceCount == 0
		if isNew && (opts.Op == OpRefresh || opts.Op == OpDestroy) {
			return nil, nil, "new cluster: the backend holds nothing to " + string(opts.Op), nil
		}
	}
	stack, err := d.Backend.Open(ctx, c)
	if err != nil {
		return nil, nil, "", err
	}
	if err := refusePending(ctx, stack); err != nil {
		return nil, nil, "", err
	}
	switch opts.Op {
	case OpPreview:
		r, err := stack.Preview(ctx, PreviewOptions{})
		return r, nil, "", err
	case OpRefresh:
		r, err := stack.Refresh(ctx, RefreshOptions{ExpectNoChanges: opts.ExpectNoChanges})
		return r, nil, "", err
	case OpDestroy:
		r, err := stack.Destroy(ctx)
		return r, nil, "", err
	}

	allow := slices.Clone(opts.AllowReplace)
	var replace []string
	if opts.RefreshManagementNodes {
		ref := d.Resources.ManagementNodeGroup
		if ref.Type == "" || ref.ParentType == "" {
			return nil, nil, "", errors.New("refreshing the management nodes needs Driver.Resources.ManagementNodeGroup: the driver knows no resource types of its own")
		}
		state, err := stack.Resources(ctx)
		if err != nil {
			return nil, nil, "", fmt.Errorf("reading the state of %s: %w", stack.Name(), err)
		}
		urn := ref.find(state)
		if urn == "" {
			notes = append(notes, "management node refresh skipped: the cluster does not exist yet")
		} else {
			notes = append(notes, "management node refresh: replacing "+urn)
			replace = append(replace, urn)
			allow = append(allow, urn)
		}
	}
	planned, err := stack.Preview(ctx, PreviewOptions{Replace: replace})
	if err != nil {
		return nil, notes, "", fmt.Errorf("preview before up: %w", err)
	}
	d.Resources.mark(planned)
	if err := refuseProtected(planned.Changes, allow); err != nil {
		return planned, notes, "", err
	}
	r, err := stack.Up(ctx, UpOptions{Replace: replace})
	if err != nil {
		return r, notes, "", err
	}
	if outs, err := stack.Outputs(ctx); err == nil {
		r.Outputs = outs
	}
	return r, notes, "", nil
}

// gate checks every cluster of a wave after an up.
func (d *Driver) gate(ctx context.Context, w Wave, wr *WaveResult) error {
	if d.Gate == nil {
		wr.Gate = StatusSkipped
		for i := range wr.Clusters {
			wr.Clusters[i].Gate = StatusSkipped
		}
		return nil
	}
	d.logf("[%s] health gate (timeout %s)", w.Label(), w.GateTimeout)
	errs := make([]error, len(w.Clusters))
	var g errgroup.Group
	g.SetLimit(max(1, w.Parallel))
	for i, c := range w.Clusters {
		g.Go(func() error {
			var outputs map[string]any
			if r := wr.Clusters[i].Result; r != nil {
				outputs = r.Outputs
			}
			errs[i] = d.Gate.Check(ctx, c, outputs, GateOptions{Timeout: w.GateTimeout, EchoCheck: w.EchoCheck})
			if errs[i] != nil {
				wr.Clusters[i].Gate, wr.Clusters[i].GateError = StatusFailed, errs[i].Error()
				d.logf("[%s] %s: health gate failed: %v", w.Label(), c.Name, errs[i])
			} else {
				wr.Clusters[i].Gate = "passed"
				d.logf("[%s] %s: healthy", w.Label(), c.Name)
			}
			return nil
		})
	}
	_ = g.Wait()
	if err := errors.Join(errs...); err != nil {
		wr.Gate, wr.GateError = StatusFailed, err.Error()
		if ctx.Err() != nil {
			return fmt.Errorf("%w during the health gate of %s", ErrCancelled, w.Label())
		}
		return fmt.Errorf("%w after %s: %w", ErrGate, w.Label(), err)
	}
	wr.Gate = "passed"
	return nil
}

// refusePending stops before a stack whose state holds pending operations:
// the engine would only warn, and an up would create a second copy of what
// an interrupted create made.
func refusePending(ctx context.Context, stack Stack) error {
	pending, err := stack.PendingOperations(ctx)
	if err != nil {
		return fmt.Errorf("reading the state of %s: %w", stack.Name(), err)
	}
	if len(pending) == 0 {
		return nil
	}
	return fmt.Errorf("stack %s: %w: %s. A run was killed mid-step, so AWS may hold resources the state does not know. "+
		"Run `eksplatform recover --cluster %s` to list them, then import each by its id or clear them (with --release-lock if the killed run's lock is left)",
		stack.Name(), ErrPending, DescribePending(pending), stack.Name())
}

// DescribePending lists pending operations in one line.
func DescribePending(pending []PendingOperation) string {
	parts := make([]string, len(pending))
	for i, p := range pending {
		parts[i] = p.Type + " " + p.URN
	}
	return fmt.Sprintf("%d pending operation(s): %s", len(pending), strings.Join(parts, ", "))
}

// RefuseNotEphemeral refuses a destroy that selects a cluster whose role is
// not ephemeral; Run checks it before a destroy, the CLI before it opens a
// backend. Pulumi's protect flag stops the engine only at the
// protected resource itself, after it has deleted everything unprotected
// of the stack (the platform's releases, namespaces, StorageClasses, IAM
// roles): a destroy of a protected cluster must not start at all.
func RefuseNotEphemeral(plan *Rollout) error {
	var refused []string
	var file string
	for _, w := range plan.Waves {
		for _, c := range w.Clusters {
			if !c.Ephemeral {
				refused = append(refused, fmt.Sprintf("%s (role %s) is not ephemeral", c.Name, c.Role))
				file = c.File
			}
		}
	}
	if len(refused) == 0 {
		return nil
	}
	return fmt.Errorf("%w: destroy refuses to start: %s; their EKS clusters, KMS keys and file systems are protected, and the engine would delete "+
		"everything else of the stacks before refusing them. Set \"ephemeral\": true in the role's file (%s; a reviewed change) first; nothing was changed",
		ErrProtected, strings.Join(refused, "; "), file)
}
