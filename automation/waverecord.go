package automation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/eksplatform/eksplatform/environments"
)

// A rollout run as CI jobs runs one wave per job, each on its own machine.
// A job records each cluster's result in the backend (a WaveRecord, in
// Objects beside the state); the next wave's job reads them to know that the
// wave before it passed and when its bake ends. The records of one rollout
// share its id; the digest says which plan they were written for, so a job
// of another commit or another selection does not take them for its own.

// WaveRecord is one cluster's result in one wave of a rollout.
type WaveRecord struct {
	Rollout   string    `json:"rollout"`
	Digest    string    `json:"digest"`
	Operation Operation `json:"operation"`
	// Wave is the wave's position in the rollout (--wave), Label its name.
	Wave    int    `json:"wave"`
	Label   string `json:"label"`
	Cluster string `json:"cluster"`
	Role    string `json:"role"`
	// Status is the cluster's result (succeeded, failed, cancelled, not
	// run); a cluster an earlier attempt rolled out is succeeded and Resumed.
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Resumed bool   `json:"resumed,omitempty"`
	// Gate is the cluster's health gate: passed, failed, skipped (the run
	// was told to skip it) or empty (not reached, or not an up).
	Gate      string    `json:"gate,omitempty"`
	GateError string    `json:"gateError,omitempty"`
	Started   time.Time `json:"started,omitzero"`
	Finished  time.Time `json:"finished,omitzero"`
	// Recorded is when the job wrote the record, after the wave's gate: the
	// bake after a wave counts from the last record of the wave.
	Recorded time.Time `json:"recorded"`
	RunID    string    `json:"runId,omitempty"`
	Job      string    `json:"job,omitempty"`
}

// Passed says whether the record lets the next wave start.
func (r WaveRecord) Passed() bool {
	return r.Status == StatusSucceeded && (r.Gate == "passed" || r.Gate == StatusSkipped)
}

var rolloutIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// CheckRolloutID refuses an id that cannot name a folder of records.
func CheckRolloutID(id string) error {
	if !rolloutIDRe.MatchString(id) {
		return fmt.Errorf("--rollout-id must be 1 to 128 of A-Z, a-z, 0-9, '.', '_' and '-', starting with a letter or digit, got %q", id)
	}
	return nil
}

// PlanDigest fingerprints what a rollout rolls out: the commit, the content
// of the environment files and the waves (their clusters, parallelism,
// bakes and gates). Jobs of one rollout compute the same digest; a job of
// another commit, another selection or other files does not.
func PlanDigest(plan *Rollout, commit string, files map[string][]byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "commit %s\n", commit)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sum := sha256.Sum256(files[n])
		fmt.Fprintf(h, "file %s %x\n", n, sum)
	}
	for _, w := range plan.Waves {
		fmt.Fprintf(h, "wave %d %d %t %d %s %s %t %s\n", w.Index, w.Number, w.Canary, w.Parallel, w.Bake, w.GateTimeout, w.EchoCheck, clusterNames(w.Clusters))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// DefaultRolloutID names a rollout after its digest.
func DefaultRolloutID(digest string) string {
	return "r-" + strings.TrimPrefix(digest, "sha256:")[:12]
}

// WaveJob is one job of a rollout run as jobs: one wave, or some clusters of
// it (a CI matrix job per cluster).
type WaveJob struct {
	Objects Objects
	Rollout string
	Digest  string
	Plan    *Rollout
	// Index is the wave's position in Plan, from 1.
	Index int
	// Clusters narrows the wave to these clusters; empty is all of it.
	Clusters []string
	Op       Operation
}

// Wave returns the job's wave, narrowed to its clusters, as a rollout of
// one wave; it refuses an index or cluster the plan does not have.
func (j *WaveJob) Wave() (*Rollout, error) {
	if j.Index < 1 || j.Index > len(j.Plan.Waves) {
		return nil, fmt.Errorf("--wave must be between 1 and %d (the waves of `eksplatform rollout`: %s), got %d", len(j.Plan.Waves), waveList(j.Plan), j.Index)
	}
	w := j.Plan.Waves[j.Index-1]
	if len(j.Clusters) > 0 {
		var picked []*environments.Cluster
		for _, name := range j.Clusters {
			i := slices.IndexFunc(w.Clusters, func(c *environments.Cluster) bool { return c.Name == name })
			if i < 0 {
				return nil, fmt.Errorf("--wave-cluster %s is not in wave %d (%s), whose clusters are %s", name, j.Index, w.Label(), clusterNames(w.Clusters))
			}
			if !slices.Contains(picked, w.Clusters[i]) {
				picked = append(picked, w.Clusters[i])
			}
		}
		w.Clusters = picked
	}
	// The bake after this wave is the next job's business.
	w.Bake = 0
	return &Rollout{Waves: []Wave{w}}, nil
}

func waveList(p *Rollout) string {
	parts := make([]string, len(p.Waves))
	for i, w := range p.Waves {
		parts[i] = fmt.Sprintf("%d = %s", w.Index, w.Label())
	}
	return strings.Join(parts, ", ")
}

func recordKey(rollout string, op Operation, index int, cluster string) string {
	return fmt.Sprintf("rollouts/%s/%s/wave-%03d/%s.json", rollout, op, index, cluster)
}

// read returns the records of one wave of the rollout by cluster; a cluster
// with no record is missing from the map.
func (j *WaveJob) read(ctx context.Context, op Operation, w Wave) (map[string]WaveRecord, error) {
	out := map[string]WaveRecord{}
	for _, c := range w.Clusters {
		key := recordKey(j.Rollout, op, w.Index, c.Name)
		b, err := j.Objects.Get(ctx, key)
		if errors.Is(err, ErrNoObject) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading the wave record of %s: %w", c.Name, err)
		}
		var r WaveRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("the wave record %s in %s is not valid: %w", key, j.Objects, err)
		}
		out[c.Name] = r
	}
	return out, nil
}

// Previous is what the records say of the wave before a job's.
type Previous struct {
	// Wave is the wave before; nil for the first wave.
	Wave *Wave
	// Problems name each cluster of that wave that does not let this one
	// start; empty when it passed.
	Problems []string
	// BakeEnds is when the bake after it ends (its last record plus its bake).
	BakeEnds time.Time
}

// Passed says whether the wave before passed (or there is none).
func (p Previous) Passed() bool { return len(p.Problems) == 0 }

// Previous reads the records of the wave before the job's: every cluster
// of it must have passed the up and the gate in this rollout, under this
// digest. Only an up needs it.
func (j *WaveJob) Previous(ctx context.Context) (Previous, error) {
	if j.Index <= 1 || j.Index > len(j.Plan.Waves) {
		return Previous{}, nil
	}
	w := j.Plan.Waves[j.Index-2]
	recs, err := j.read(ctx, OpUp, w)
	if err != nil {
		return Previous{}, err
	}
	p := Previous{Wave: &w}
	var last time.Time
	for _, c := range w.Clusters {
		r, ok := recs[c.Name]
		switch {
		case !ok:
			p.Problems = append(p.Problems, c.Name+": no record (its job has not finished, or did not run)")
		case r.Digest != j.Digest:
			p.Problems = append(p.Problems, fmt.Sprintf("%s: recorded for another plan (%s, not %s): a job of another commit, selection or environment files", c.Name, short(r.Digest), short(j.Digest)))
		case r.Status != StatusSucceeded:
			p.Problems = append(p.Problems, fmt.Sprintf("%s: %s%s", c.Name, r.Status, reasonSuffix(r.Reason)))
		case !r.Passed():
			gate := r.Gate
			if gate == "" {
				gate = "not reached"
			}
			p.Problems = append(p.Problems, fmt.Sprintf("%s: health gate %s%s", c.Name, gate, reasonSuffix(r.GateError)))
		default:
			if r.Recorded.After(last) {
				last = r.Recorded
			}
		}
	}
	if p.Passed() {
		p.BakeEnds = last.Add(w.Bake)
	}
	return p, nil
}

func short(digest string) string {
	d := strings.TrimPrefix(digest, "sha256:")
	return d[:min(12, len(d))]
}

func reasonSuffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + FirstLine(s)
}

// FirstLine is a message's first line, cut to 200 characters, for a line
// of a table or a log.
func FirstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if r := []rune(line); len(r) > 200 {
		line = string(r[:199]) + "…"
	}
	return line
}

// Resume returns, by cluster, the clusters of the job's wave an earlier
// attempt of this rollout (same id, same digest) rolled out, with the
// reason a re-run skips their operation; their health gate runs again.
func (j *WaveJob) Resume(ctx context.Context, w Wave) (map[string]string, error) {
	recs, err := j.read(ctx, j.Op, w)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for name, r := range recs {
		if r.Digest == j.Digest && r.Status == StatusSucceeded {
			when := r.Finished
			if when.IsZero() {
				when = r.Recorded
			}
			out[name] = fmt.Sprintf("rolled out by an earlier attempt of rollout %s at %s", j.Rollout, when.UTC().Format(time.RFC3339))
		}
	}
	return out, nil
}

// Record writes one record per cluster of the job's report, after the
// wave's gate. Every record is attempted; the error names each that failed.
func (j *WaveJob) Record(ctx context.Context, rep *Report, now time.Time, runID, job string) error {
	var errs []error
	for _, wr := range rep.Waves {
		for _, c := range wr.Clusters {
			if c.Started.IsZero() {
				// It never started: what an earlier attempt recorded stands.
				continue
			}
			r := WaveRecord{
				Rollout: j.Rollout, Digest: j.Digest, Operation: j.Op, Wave: j.Index, Label: wr.Label,
				Cluster: c.Cluster, Role: c.Role, Status: c.Status, Reason: c.Reason,
				Gate: c.Gate, GateError: c.GateError, Started: c.Started, Finished: c.Finished,
				Recorded: now.UTC(), RunID: runID, Job: job,
			}
			if c.Status == StatusSkipped && c.Resumed {
				r.Status, r.Resumed, r.Reason = StatusSucceeded, true, c.Reason
			}
			b, err := json.MarshalIndent(r, "", "  ")
			if err == nil {
				err = j.Objects.Put(ctx, recordKey(j.Rollout, j.Op, j.Index, c.Cluster), append(b, '\n'))
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("the wave record of %s: %w", c.Cluster, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Errors of a wave job that may not start.
var (
	// ErrPreviousWave means the wave before the job's has not passed.
	ErrPreviousWave = errors.New("the wave before has not passed")
	// ErrBaking means the bake after the wave before has not ended.
	ErrBaking = errors.New("the bake after the wave before has not ended")
)

// JobOptions shape a wave job.
type JobOptions struct {
	// RequirePrevious refuses an up unless the wave before passed and its
	// bake ended.
	RequirePrevious bool
	// WaitBake waits out what is left of the bake instead of refusing; the
	// wave before must still have passed.
	WaitBake bool
	// RunID and Job go into the records (the audit run id, the CI job URL).
	RunID, Job string
}

// RunJob runs one wave job: it checks the wave before (an up), skips the
// clusters an earlier attempt rolled out, runs the wave with its gate and
// records each cluster's result, whatever the outcome. The report covers
// the job's wave only.
func RunJob(ctx context.Context, d *Driver, j *WaveJob, opts RunOptions, jo JobOptions) (*Report, error) {
	plan, err := j.Wave()
	if err != nil {
		return nil, err
	}
	w := plan.Waves[0]
	if j.Op == OpUp && (jo.RequirePrevious || jo.WaitBake) {
		prev, err := j.Previous(ctx)
		if err != nil {
			return nil, err
		}
		if !prev.Passed() {
			return nil, fmt.Errorf("%w: %s of rollout %s in %s: %s; nothing was changed. Re-run that wave's job (it resumes), or start this wave anyway without --require-previous",
				ErrPreviousWave, prev.Wave.Label(), j.Rollout, j.Objects, strings.Join(prev.Problems, "; "))
		}
		if prev.Wave != nil {
			left := prev.BakeEnds.Sub(d.now())
			switch {
			case left <= 0:
				d.logf("[%s] %s passed; its bake of %s ended at %s", w.Label(), prev.Wave.Label(), prev.Wave.Bake, prev.BakeEnds.UTC().Format(time.RFC3339))
			case jo.WaitBake:
				d.logf("[%s] %s passed; waiting out the rest of its bake: %s (until %s)", w.Label(), prev.Wave.Label(), left.Round(time.Second), prev.BakeEnds.UTC().Format(time.RFC3339))
				if err := d.sleep(ctx, left); err != nil {
					return nil, fmt.Errorf("%w while waiting out the bake after %s", ErrCancelled, prev.Wave.Label())
				}
			default:
				return nil, fmt.Errorf("%w: %s passed, and its bake of %s ends at %s (in %s); nothing was changed. Start this job then, or pass --wait-bake to wait here",
					ErrBaking, prev.Wave.Label(), prev.Wave.Bake, prev.BakeEnds.UTC().Format(time.RFC3339), left.Round(time.Second))
			}
		}
	}
	if j.Op == OpUp || j.Op == OpRefresh {
		if opts.Resume, err = j.Resume(ctx, w); err != nil {
			return nil, err
		}
	}
	rep, runErr := d.Run(ctx, plan, opts)
	if j.Op == OpUp || j.Op == OpRefresh {
		if err := j.Record(ctx, rep, d.now(), jo.RunID, jo.Job); err != nil {
			runErr = errors.Join(runErr, fmt.Errorf("the next wave's job cannot see this wave's result: %w", err))
		}
	}
	return rep, runErr
}
