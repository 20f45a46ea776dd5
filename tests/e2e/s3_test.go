package e2e

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/tests/s3fake"
)

// machine is one CI job: its own backend (own Pulumi home, as on another
// runner) on the shared state.
func (e *env) machineOn(t *testing.T, s *s3fake.Server, passphrase string) *automation.PulumiBackend {
	t.Helper()
	vars := map[string]string{"PULUMI_CONFIG_PASSPHRASE": passphrase}
	for k, v := range s.Env {
		vars[k] = v
	}
	b, err := automation.NewPulumiBackend(automation.PulumiOptions{
		BackendURL: s.URL, Command: pulumiCommand(t), Program: e.programs.For, PulumiHome: t.TempDir(), Env: vars,
	})
	require.NoError(t, err)
	return b
}

// recordsOn opens the wave records in the bucket the way the CLI does,
// from the backend URL, with the same credentials.
func recordsOn(t *testing.T, s *s3fake.Server) automation.Objects {
	t.Helper()
	for k, v := range s.Env {
		t.Setenv(k, v)
	}
	o, err := automation.ObjectsFor(context.Background(), s.URL)
	require.NoError(t, err)
	return o
}

// TestWaveJobsOnSharedS3State: the rollout of two roles as two jobs on two
// machines, with the state and the wave records in S3. The first job runs
// its wave's three stacks in parallel; the second, on another machine,
// refuses while the bake runs, then finds wave 1 passed and rolls out.
// Stack secrets are encrypted with the passphrase: the bucket never holds
// them in the clear, and a job with another passphrase cannot read them.
func TestWaveJobsOnSharedS3State(t *testing.T) {
	s3 := s3fake.Start(t, "teams/platform")
	e := newEnv(t, 2, 3)
	objects := recordsOn(t, s3)
	bake := time.Hour
	plan, err := automation.NewRollout(e.fleet, automation.Selection{}, automation.RolloutOptions{Bake: &bake})
	require.NoError(t, err)
	digest := automation.PlanDigest(plan, "e2e-commit", nil)
	job := func(index int) *automation.WaveJob {
		return &automation.WaveJob{Objects: objects, Rollout: "gh-77", Digest: digest, Plan: plan, Index: index, Op: automation.OpUp}
	}
	now := time.Now()
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	opts := automation.JobOptions{RequirePrevious: true, RunID: "e2e"}

	// Each program holds on long enough for the others of its wave to start.
	for _, c := range e.fleet.Clusters() {
		e.programs.delay[c.Name] = 3 * time.Second
	}
	first := &automation.Driver{Backend: e.machineOn(t, s3, "e2e-passphrase"), Log: e.log, Now: clock}
	rep, err := automation.RunJob(t.Context(), first, job(1), automation.RunOptions{Op: automation.OpUp}, opts)
	require.NoError(t, err, e.log.String())
	for _, c := range rep.Waves[0].Clusters {
		assert.Equal(t, automation.StatusSucceeded, c.Status, c.Cluster)
		assert.Equal(t, 4, c.Result.Counts[automation.KindCreate], "%s: its four layers", c.Cluster)
	}
	e.programs.mu.Lock()
	assert.Equal(t, 3, e.programs.maxRunning, "the three programs of the wave ran at once")
	e.programs.mu.Unlock()

	stacks := s3fake.Checkpoints(s3.Keys(t, ".pulumi/stacks/"))
	records := s3.Keys(t, ".eksplatform/rollouts/gh-77/up/wave-001/")
	assert.Len(t, stacks, 3, "the state of each stack of wave 1 is in the bucket: %v", stacks)
	assert.Len(t, records, 3, "one wave record per cluster: %v", records)
	for _, k := range stacks {
		body := s3.Object(t, k)
		assert.NotContains(t, body, "apiVersion: v1 #", "%s holds the kubeconfig in the clear", k)
		assert.Contains(t, body, `"ciphertext"`, "%s holds the secret encrypted", k)
	}
	assert.Empty(t, s3.Keys(t, ".pulumi/locks/"), "every job released its lock")

	// The next job, on another machine: wave 1 passed, its bake runs.
	second := &automation.Driver{Backend: e.machineOn(t, s3, "e2e-passphrase"), Log: e.log, Now: clock}
	_, err = automation.RunJob(t.Context(), second, job(2), automation.RunOptions{Op: automation.OpUp}, opts)
	require.ErrorIs(t, err, automation.ErrBaking)
	clockMu.Lock()
	now = now.Add(bake)
	clockMu.Unlock()
	rep, err = automation.RunJob(t.Context(), second, job(2), automation.RunOptions{Op: automation.OpUp}, opts)
	require.NoError(t, err, e.log.String())
	assert.Len(t, rep.Waves[0].Clusters, 3)
	assert.Len(t, s3fake.Checkpoints(s3.Keys(t, ".pulumi/stacks/")), 6)

	// A job whose passphrase is not the team's cannot read the secrets.
	intruder := e.machineOn(t, s3, "not-the-passphrase")
	stack, err := intruder.Open(t.Context(), e.fleet.Clusters()[0])
	if err == nil {
		_, err = stack.Outputs(t.Context())
	}
	require.Error(t, err)
	assert.ErrorIs(t, err, automation.ErrPassphrase)

	assert.Positive(t, s3.Requests(http.MethodPut), "the engine wrote through the S3 API")
	assert.Positive(t, s3.Requests(http.MethodGet), "and read through it")
}

// TestTwoJobsOnOneStackInS3: the lock of Pulumi's DIY backend lives in the
// bucket; a second job's up on a stack the first is updating is told the
// stack is locked, and the first still succeeds.
func TestTwoJobsOnOneStackInS3(t *testing.T) {
	s3 := s3fake.Start(t, "teams/platform")
	e := newEnv(t, 1, 1)
	e.programs.started = make(chan string, 8)
	e.programs.delay["e2e-sandbox-01"] = 20 * time.Second
	plan := e.plan(t)
	first := make(chan error, 1)
	go func() {
		d := &automation.Driver{Backend: e.machineOn(t, s3, "e2e-passphrase"), Log: e.log}
		_, err := d.Run(t.Context(), plan, automation.RunOptions{Op: automation.OpUp})
		first <- err
	}()
	for range 2 { // the preview's program run, then the up's
		select {
		case <-e.programs.started:
		case <-time.After(2 * time.Minute):
			t.Fatal("the first up never started")
		}
	}
	locks := s3.Keys(t, ".pulumi/locks/")
	assert.Len(t, locks, 1, "the first job's lock is in the bucket: %v", locks)
	e.programs.mu.Lock()
	e.programs.delay["e2e-sandbox-01"] = 0
	e.programs.mu.Unlock()
	d := &automation.Driver{Backend: e.machineOn(t, s3, "e2e-passphrase"), Log: e.log}
	rep, err := d.Run(t.Context(), plan, automation.RunOptions{Op: automation.OpUp})
	require.ErrorIs(t, err, automation.ErrLocked)
	assert.Contains(t, rep.Waves[0].Clusters[0].Reason, "stack is locked by another update")
	require.NoError(t, <-first, "the first up still succeeds")
	assert.Empty(t, s3.Keys(t, ".pulumi/locks/"), "and releases its lock")
}
