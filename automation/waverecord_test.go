package automation_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
)

// clock is a settable time for drivers on several "machines".
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// machine is one CI job's process: its own driver and backend, sharing
// only the records' store with the others.
func machine(clk *clock) *harness {
	h := newHarness()
	h.driver.Now = clk.Now
	h.driver.Sleep = func(ctx context.Context, d time.Duration) error {
		_ = h.sleep.Sleep(ctx, d)
		clk.Add(d)
		return nil
	}
	return h
}

func job(objects automation.Objects, plan *automation.Rollout, index int, clusters ...string) *automation.WaveJob {
	return &automation.WaveJob{Objects: objects, Rollout: "gh-1234", Digest: automation.PlanDigest(plan, "abc123", nil),
		Plan: plan, Index: index, Clusters: clusters, Op: automation.OpUp}
}

func up() automation.RunOptions { return automation.RunOptions{Op: automation.OpUp} }

var require1 = automation.JobOptions{RequirePrevious: true, RunID: "run-1", Job: "https://ci.example/job/1"}

func TestWaveJobsChainThroughTheirRecords(t *testing.T) {
	t.Parallel()
	plan := threeRoles(t)
	objects := automation.FileObjects{Dir: t.TempDir()}
	clk := &clock{now: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}

	// Wave 2 before wave 1 ran: refused, nothing changed.
	early := machine(clk)
	_, err := automation.RunJob(t.Context(), early.driver, job(objects, plan, 2), up(), require1)
	require.ErrorIs(t, err, automation.ErrPreviousWave)
	assert.Contains(t, err.Error(), "sandbox-01: no record")
	assert.Contains(t, err.Error(), "sandbox-02: no record")
	assert.Empty(t, early.f.Calls(), "a refused job touches no stack")

	// Wave 1 on its own machine records both clusters.
	first := machine(clk)
	rep, err := automation.RunJob(t.Context(), first.driver, job(objects, plan, 1), up(), require1)
	require.NoError(t, err)
	assert.Equal(t, []string{"sandbox-01", "sandbox-02"}, sorted(first.f.ClustersOf("up")))
	require.Len(t, rep.Waves, 1)
	assert.Equal(t, "passed", rep.Waves[0].Clusters[0].Gate)
	assert.Empty(t, first.sleep.Bakes(), "a wave job does not bake after itself: the next job waits")
	b, err := os.ReadFile(filepath.Join(objects.Dir, "rollouts", "gh-1234", "up", "wave-001", "sandbox-01.json"))
	require.NoError(t, err)
	var rec automation.WaveRecord
	require.NoError(t, json.Unmarshal(b, &rec))
	assert.Equal(t, automation.StatusSucceeded, rec.Status)
	assert.Equal(t, "passed", rec.Gate)
	assert.Equal(t, "https://ci.example/job/1", rec.Job)
	assert.Equal(t, clk.Now(), rec.Recorded)

	// Wave 2 at once: the bake of wave 1 has not ended.
	bake := plan.Waves[0].Bake
	require.Positive(t, bake)
	clk.Add(bake / 3)
	second := machine(clk)
	_, err = automation.RunJob(t.Context(), second.driver, job(objects, plan, 2), up(), require1)
	require.ErrorIs(t, err, automation.ErrBaking)
	assert.Contains(t, err.Error(), "pass --wait-bake")
	assert.Empty(t, second.f.Calls())

	// --wait-bake waits out exactly the rest of it, then runs the wave.
	wait := require1
	wait.WaitBake = true
	_, err = automation.RunJob(t.Context(), second.driver, job(objects, plan, 2), up(), wait)
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{bake - bake/3}, second.sleep.Bakes())
	assert.Equal(t, []string{"nonprod-01", "nonprod-02"}, sorted(second.f.ClustersOf("up")))

	// Wave 3 after wave 2's bake, without waiting.
	clk.Add(plan.Waves[1].Bake)
	third := machine(clk)
	_, err = automation.RunJob(t.Context(), third.driver, job(objects, plan, 3), up(), require1)
	require.NoError(t, err)
	assert.Equal(t, []string{"prod-01", "prod-02"}, sorted(third.f.ClustersOf("up")))
}

func TestAFailedWaveStopsTheNextJobAndItsReRunResumes(t *testing.T) {
	t.Parallel()
	plan := threeRoles(t)
	objects := automation.FileObjects{Dir: t.TempDir()}
	clk := &clock{now: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}

	first := machine(clk)
	first.f.Fail["sandbox-02/up"] = errors.New("UpdateClusterVersion: ResourceInUseException")
	_, err := automation.RunJob(t.Context(), first.driver, job(objects, plan, 1), up(), require1)
	require.Error(t, err)

	clk.Add(time.Hour)
	_, err = automation.RunJob(t.Context(), machine(clk).driver, job(objects, plan, 2), up(), require1)
	require.ErrorIs(t, err, automation.ErrPreviousWave)
	assert.Contains(t, err.Error(), "sandbox-02: failed: ")
	assert.Contains(t, err.Error(), "ResourceInUseException")
	// sandbox-01 rolled out, but a failed wave stops before its gate.
	assert.Contains(t, err.Error(), "sandbox-01: health gate not reached")

	// The re-run skips what the first attempt rolled out, gates it again
	// on the outputs the backend holds, and records the wave as passed.
	rerun := machine(clk)
	rep, err := automation.RunJob(t.Context(), rerun.driver, job(objects, plan, 1), up(), require1)
	require.NoError(t, err)
	assert.Equal(t, []string{"sandbox-02"}, rerun.f.ClustersOf("up"))
	checked, _ := rerun.gate.Checked()
	assert.ElementsMatch(t, []string{"sandbox-01", "sandbox-02"}, checked)
	res := rep.Waves[0].Clusters[0]
	assert.Equal(t, automation.StatusSkipped, res.Status)
	assert.True(t, res.Resumed)
	assert.Contains(t, res.Reason, "rolled out by an earlier attempt of rollout gh-1234")

	clk.Add(plan.Waves[0].Bake)
	_, err = automation.RunJob(t.Context(), machine(clk).driver, job(objects, plan, 2), up(), require1)
	require.NoError(t, err)
}

func TestAFailedGateStopsTheNextJob(t *testing.T) {
	t.Parallel()
	plan := threeRoles(t)
	objects := automation.FileObjects{Dir: t.TempDir()}
	clk := &clock{now: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	first := machine(clk)
	first.gate.Fail["sandbox-01"] = errors.New("2 of 3 nodes NotReady")
	_, err := automation.RunJob(t.Context(), first.driver, job(objects, plan, 1), up(), require1)
	require.ErrorIs(t, err, automation.ErrGate)

	clk.Add(time.Hour)
	_, err = automation.RunJob(t.Context(), machine(clk).driver, job(objects, plan, 2), up(), require1)
	require.ErrorIs(t, err, automation.ErrPreviousWave)
	assert.Contains(t, err.Error(), "sandbox-01: health gate failed: 2 of 3 nodes NotReady")
}

func TestAJobOfAnotherPlanDoesNotTakeTheRecordsForItsOwn(t *testing.T) {
	t.Parallel()
	plan := threeRoles(t)
	objects := automation.FileObjects{Dir: t.TempDir()}
	clk := &clock{now: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	_, err := automation.RunJob(t.Context(), machine(clk).driver, job(objects, plan, 1), up(), require1)
	require.NoError(t, err)
	clk.Add(time.Hour)

	other := job(objects, plan, 2)
	other.Digest = automation.PlanDigest(plan, "def456", nil) // another commit
	_, err = automation.RunJob(t.Context(), machine(clk).driver, other, up(), require1)
	require.ErrorIs(t, err, automation.ErrPreviousWave)
	assert.Contains(t, err.Error(), "recorded for another plan")

	// And its wave 1 does not resume from them: it rolls both out again.
	again := job(objects, plan, 1)
	again.Digest = other.Digest
	m := machine(clk)
	_, err = automation.RunJob(t.Context(), m.driver, again, up(), require1)
	require.NoError(t, err)
	assert.Len(t, m.f.ClustersOf("up"), 2)
}

func TestMatrixJobsOfOneWaveAllMustPass(t *testing.T) {
	t.Parallel()
	plan := threeRoles(t)
	objects := automation.FileObjects{Dir: t.TempDir()}
	clk := &clock{now: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	a := machine(clk)
	_, err := automation.RunJob(t.Context(), a.driver, job(objects, plan, 1, "sandbox-01"), up(), require1)
	require.NoError(t, err)
	assert.Equal(t, []string{"sandbox-01"}, a.f.ClustersOf("up"))
	clk.Add(time.Hour)

	_, err = automation.RunJob(t.Context(), machine(clk).driver, job(objects, plan, 2), up(), require1)
	require.ErrorIs(t, err, automation.ErrPreviousWave)
	assert.Contains(t, err.Error(), "sandbox-02: no record")

	_, err = automation.RunJob(t.Context(), machine(clk).driver, job(objects, plan, 1, "sandbox-02"), up(), require1)
	require.NoError(t, err)
	// The bake counts from the wave's last record: sandbox-02's, just now.
	_, err = automation.RunJob(t.Context(), machine(clk).driver, job(objects, plan, 2), up(), require1)
	require.ErrorIs(t, err, automation.ErrBaking)
	clk.Add(plan.Waves[0].Bake)
	_, err = automation.RunJob(t.Context(), machine(clk).driver, job(objects, plan, 2), up(), require1)
	require.NoError(t, err)
}

func TestAWaveJobRefusesWhatThePlanDoesNotHave(t *testing.T) {
	t.Parallel()
	plan := threeRoles(t)
	objects := automation.FileObjects{Dir: t.TempDir()}
	clk := &clock{now: time.Now()}
	_, err := automation.RunJob(t.Context(), machine(clk).driver, job(objects, plan, 4), up(), require1)
	require.ErrorContains(t, err, "--wave must be between 1 and 3 (the waves of `eksplatform rollout`: 1 = wave 0, 2 = wave 1, 3 = wave 2), got 4")
	_, err = automation.RunJob(t.Context(), machine(clk).driver, job(objects, plan, 1, "prod-01"), up(), require1)
	require.ErrorContains(t, err, "--wave-cluster prod-01 is not in wave 1 (wave 0), whose clusters are sandbox-01, sandbox-02")
	require.ErrorContains(t, automation.CheckRolloutID("../x"), "--rollout-id must be")
	require.NoError(t, automation.CheckRolloutID("gh-1234.2"))
}

func TestThePlanDigestChangesWithWhatIsRolledOut(t *testing.T) {
	t.Parallel()
	plan := threeRoles(t)
	files := map[string][]byte{"sandbox.json": []byte(`{"eks_version": "1.36"}`)}
	base := automation.PlanDigest(plan, "abc", files)
	assert.Equal(t, base, automation.PlanDigest(plan, "abc", map[string][]byte{"sandbox.json": []byte(`{"eks_version": "1.36"}`)}))
	assert.NotEqual(t, base, automation.PlanDigest(plan, "abd", files), "commit")
	assert.NotEqual(t, base, automation.PlanDigest(plan, "abc", map[string][]byte{"sandbox.json": []byte(`{"eks_version": "1.37"}`)}), "file content")
	fewer := &automation.Rollout{Waves: plan.Waves[:2]}
	assert.NotEqual(t, base, automation.PlanDigest(fewer, "abc", files), "waves")
	assert.Regexp(t, `^r-[0-9a-f]{12}$`, automation.DefaultRolloutID(base))
}

func TestFileObjectsRefuseKeysOutsideTheirFolder(t *testing.T) {
	t.Parallel()
	o := automation.FileObjects{Dir: t.TempDir()}
	require.ErrorContains(t, o.Put(t.Context(), "../escape.json", []byte("x")), "not a clean relative path")
	_, err := o.Get(t.Context(), "rollouts/none.json")
	require.ErrorIs(t, err, automation.ErrNoObject)
	require.NoError(t, o.Put(t.Context(), "a/b.json", []byte("1")))
	require.NoError(t, o.Put(t.Context(), "a/b.json", []byte("2")))
	got, err := o.Get(t.Context(), "a/b.json")
	require.NoError(t, err)
	assert.Equal(t, "2", string(got))
}

func TestTheWaveRecordsLiveBesideTheState(t *testing.T) {
	dir := t.TempDir()
	o, err := automation.ObjectsFor(t.Context(), "file://"+dir)
	require.NoError(t, err)
	assert.Equal(t, automation.FileObjects{Dir: filepath.Join(dir, ".eksplatform")}, o)

	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	s3o, err := automation.ObjectsFor(t.Context(), "s3://state-bucket/fleet/a?region=us-east-2&endpoint=http://127.0.0.1:9000&use_path_style=true&awssdk=v2")
	require.NoError(t, err)
	assert.Equal(t, "s3://state-bucket/fleet/a/.eksplatform", s3o.String())

	_, err = automation.ObjectsFor(t.Context(), "https://api.pulumi.com")
	require.ErrorContains(t, err, "pass --wave-records s3://BUCKET/PREFIX?region=REGION")
	for raw, want := range map[string]string{
		"s3:///prefix":                          "the bucket is missing",
		"s3://b?endpoint=ftp://x":               "endpoint must be an http:// or https:// URL",
		"s3://b?use_path_style=maybe":           "use_path_style must be true or false",
		"s3://b?region=us-east-1&sse=aws%3Akms": `unknown parameter "sse"`,
	} {
		_, err := automation.ParseS3URL(raw)
		assert.ErrorContains(t, err, want, raw)
	}
}
