package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/automation/audit"
)

// waveOptions run one wave of a rollout: a CI job per wave.
type waveOptions struct {
	op              automation.Operation
	wave            int
	clusters        []string
	rolloutID       string
	records         string
	requirePrevious bool
	waitBake        bool
}

const waveHelp = `One wave per job (CI): --wave N runs only the Nth wave of the rollout that
` + "`eksplatform rollout`" + ` lists for the same selection (canary waves count), its
clusters in parallel up to the wave's limit, then the health gate. Each
cluster's result is recorded beside the state (--wave-records, default the
backend's .eksplatform/ folder), under the rollout's id: --rollout-id, default
a digest of the commit, the environment files and the waves. The job of
wave N refuses to start until every cluster of wave N-1 passed its up and its
gate in the same rollout and that wave's bake has ended (--require-previous,
on by default; --wait-bake waits out the rest of the bake instead). A wave's
job re-run after a failure resumes it: clusters already rolled out are
skipped, and the gate checks every cluster again. --wave-cluster C runs only
those clusters of the wave (one CI matrix job per cluster); the wave has
passed when every cluster's job has.`

func addWaveFlags(cmd *cobra.Command, o *waveOptions, op automation.Operation) {
	o.op = op
	f := cmd.Flags()
	f.IntVar(&o.wave, "wave", 0, "run only this wave of the rollout, by its position in `eksplatform rollout` (1 = the first; canary waves count)")
	f.StringSliceVar(&o.clusters, "wave-cluster", nil, "with --wave: only these clusters of the wave (a CI matrix job per cluster; repeatable)")
	if op == automation.OpPreview {
		return
	}
	f.StringVar(&o.rolloutID, "rollout-id", "", "with --wave: the rollout the wave belongs to, shared by its jobs (e.g. gh-$GITHUB_RUN_ID; default: a digest of the commit, the environment files and the waves)")
	f.StringVar(&o.records, "wave-records", "", "with --wave: where the wave records live: file://DIR or s3://BUCKET/PREFIX?region=R (default: the backend's "+automation.ObjectsDir+"/ folder)")
	if op == automation.OpUp {
		f.BoolVar(&o.requirePrevious, "require-previous", true, "with --wave: refuse to start until the wave before passed in this rollout and its bake ended")
		f.BoolVar(&o.waitBake, "wait-bake", false, "with --wave: wait out what is left of the bake after the wave before, instead of refusing")
	}
}

// check refuses flags that only make sense with --wave, or against it.
func (o *waveOptions) check(cmd *cobra.Command) error {
	f := cmd.Flags()
	if o.wave == 0 {
		for _, name := range []string{"wave-cluster", "rollout-id", "wave-records", "require-previous", "wait-bake"} {
			if f.Lookup(name) != nil && f.Changed(name) {
				return usageError{fmt.Errorf("--%s goes with --wave N (one wave of the rollout per job)", name)}
			}
		}
		return nil
	}
	if o.wave < 0 {
		return usageError{fmt.Errorf("--wave must be a wave's position in `eksplatform rollout` (1 or more), got %d", o.wave)}
	}
	if f.Lookup("from-wave") != nil && f.Changed("from-wave") {
		return usageError{errors.New("--wave runs one wave and --from-wave resumes a rollout in one process: use one of them")}
	}
	if f.Lookup("bake") != nil && f.Changed("bake") {
		return usageError{errors.New("--bake sets the bake of a rollout in one process; with --wave, the bake after a wave is the next job's wait (the environment files' rollout.bake)")}
	}
	if o.rolloutID != "" {
		if err := automation.CheckRolloutID(o.rolloutID); err != nil {
			return usageError{err}
		}
	}
	if o.waitBake && !o.requirePrevious {
		return usageError{errors.New("--wait-bake waits for the bake of a wave that passed: leave out --require-previous=false")}
	}
	return nil
}

// environmentFiles reads the files that declare the plan's clusters, by
// base name, for the plan digest.
func environmentFiles(plan *automation.Rollout) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, c := range plan.Clusters() {
		name := c.File
		if _, ok := files[name]; ok || name == "" {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading %s for the rollout's digest: %w", name, err)
		}
		files[name] = b
	}
	return files, nil
}

// planDigest is the digest of a plan at the environment directory's commit.
func planDigest(ctx context.Context, plan *automation.Rollout, envDir string) (digest, commit string, dirty bool, err error) {
	commit, dirty = audit.GitCommit(ctx, envDir, os.Getenv)
	files, err := environmentFiles(plan)
	if err != nil {
		return "", "", false, err
	}
	mark := commit
	if dirty {
		mark += "+dirty"
	}
	return automation.PlanDigest(plan, mark, files), commit, dirty, nil
}

// job builds the wave job of a run; objects is nil for a preview.
func (o *waveOptions) job(ctx context.Context, plan *automation.Rollout, envDir, backendURL string, stderr io.Writer) (*automation.WaveJob, error) {
	digest, commit, dirty, err := planDigest(ctx, plan, envDir)
	if err != nil {
		return nil, err
	}
	j := &automation.WaveJob{
		Rollout: o.rolloutID, Digest: digest,
		Plan: plan, Index: o.wave, Clusters: o.clusters, Op: o.op,
	}
	if _, err := j.Wave(); err != nil {
		return nil, usageError{err}
	}
	if j.Rollout == "" {
		j.Rollout = automation.DefaultRolloutID(j.Digest)
	}
	if o.op == automation.OpPreview {
		return j, nil
	}
	if commit == "" || dirty {
		fmt.Fprintf(stderr, "warning: the environment directory is not a clean git checkout: rollout %s is told apart from others by the environment files only; pass --rollout-id to name it\n", j.Rollout)
	}
	where := o.records
	if where == "" {
		where = backendURL
	}
	switch {
	case strings.HasPrefix(where, "file://") && o.records != "":
		j.Objects = automation.FileObjects{Dir: strings.TrimPrefix(where, "file://")}
	case strings.HasPrefix(where, "s3://") && o.records != "":
		j.Objects, err = automation.OpenS3Objects(ctx, where, "")
	default:
		j.Objects, err = automation.ObjectsFor(ctx, where)
	}
	if err != nil {
		return nil, usageError{fmt.Errorf("--wave-records: %w", err)}
	}
	return j, nil
}

// selectedWave names the wave a job runs, for the run's first lines.
func selectedWave(j *automation.WaveJob) string {
	w := j.Plan.Waves[j.Index-1]
	names := make([]string, 0, len(w.Clusters))
	for _, c := range w.Clusters {
		if len(j.Clusters) == 0 || slices.Contains(j.Clusters, c.Name) {
			names = append(names, c.Name)
		}
	}
	return fmt.Sprintf("wave %d of %d (%s): %s", j.Index, len(j.Plan.Waves), w.Label(), strings.Join(names, ", "))
}
