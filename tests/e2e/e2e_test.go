// Package e2e runs the driver against the real Pulumi engine: the CLI that
// `make setup` installs, a file:// backend in a temporary directory, and
// small inline programs that register only component resources and outputs,
// so that no cloud provider is needed.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/tests/fleetfile"
	"github.com/eksplatform/eksplatform/tests/syncbuf"
)

// layer is the one component type the test programs register.
type layer struct{ pulumi.ResourceState }

// programs are the inline programs of the test clusters, with knobs.
type programs struct {
	mu sync.Mutex
	// fail makes a cluster's program return an error.
	fail map[string]bool
	// delay makes a cluster's program wait before registering anything.
	delay map[string]time.Duration
	// layers are the components each program registers.
	layers []string
	// started receives a cluster's name when its program starts.
	started chan string
	// running and maxRunning count the programs running at once.
	running, maxRunning int
}

func newPrograms() *programs {
	return &programs{fail: map[string]bool{}, delay: map[string]time.Duration{}, layers: []string{"foundation", "network", "storage", "operators"}}
}

func (p *programs) For(c *environments.Cluster) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		p.mu.Lock()
		fail, delay, layers, started := p.fail[c.Name], p.delay[c.Name], append([]string(nil), p.layers...), p.started
		p.mu.Unlock()
		if started != nil {
			started <- c.Name
		}
		p.mu.Lock()
		p.running++
		p.maxRunning = max(p.maxRunning, p.running)
		p.mu.Unlock()
		defer func() {
			p.mu.Lock()
			p.running--
			p.mu.Unlock()
		}()
		time.Sleep(delay)
		if fail {
			return fmt.Errorf("simulated failure of %s", c.Name)
		}
		for _, l := range layers {
			var r layer
			if err := ctx.RegisterComponentResource("eksplatform:e2e:Layer", c.Name+"-"+l, &r); err != nil {
				return err
			}
			if err := ctx.RegisterResourceOutputs(&r, pulumi.Map{"layer": pulumi.String(l)}); err != nil {
				return err
			}
		}
		ctx.Export("role", pulumi.String(c.Role))
		ctx.Export("kubernetesVersion", pulumi.String(c.EKSVersion))
		ctx.Export("kubeconfig", pulumi.ToSecret(pulumi.String("apiVersion: v1 # "+c.Name)))
		return nil
	}
}

// env is one test environment: fleet, backend and driver.
type env struct {
	fleet    *environments.Fleet
	backend  *automation.PulumiBackend
	programs *programs
	state    string
	log      *syncbuf.Buffer
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	return root
}

func pulumiCommand(t *testing.T) *automation.Command {
	t.Helper()
	path, err := automation.FindPulumi(repoRoot(t))
	require.NoError(t, err, "the real-engine tests need the Pulumi CLI: run `make setup`")
	cmd, err := automation.NewCommand(path)
	require.NoError(t, err)
	return cmd
}

// writeFleet writes roles × clusters environment files.
func writeFleet(t *testing.T, roles int, clustersPerRole int) *environments.Fleet {
	t.Helper()
	names := []string{"sandbox", "nonprod", "prod", "extra"}
	files := make([]fleetfile.Role, 0, roles)
	for r := range roles {
		// Ephemeral, so that the lifecycle can end with a destroy.
		files = append(files, fleetfile.Role{Name: names[r], Wave: r, Clusters: clustersPerRole, ClusterPrefix: "e2e-", Extra: `"ephemeral": true`})
	}
	return fleetfile.Load(t, files...)
}

func newEnv(t *testing.T, roles, clusters int) *env {
	t.Helper()
	state := t.TempDir()
	e := &env{fleet: writeFleet(t, roles, clusters), programs: newPrograms(), state: state, log: &syncbuf.Buffer{}}
	b, err := automation.NewPulumiBackend(automation.PulumiOptions{
		BackendURL: "file://" + state,
		Command:    pulumiCommand(t),
		Program:    e.programs.For,
		PulumiHome: t.TempDir(),
		Env:        map[string]string{"PULUMI_CONFIG_PASSPHRASE": "e2e-passphrase"},
	})
	require.NoError(t, err)
	e.backend = b
	return e
}

func (e *env) driver() *automation.Driver {
	return &automation.Driver{Backend: e.backend, Log: e.log}
}

func (e *env) plan(t *testing.T) *automation.Rollout {
	t.Helper()
	zero := time.Duration(0)
	p, err := automation.NewRollout(e.fleet, automation.Selection{}, automation.RolloutOptions{Bake: &zero})
	require.NoError(t, err)
	return p
}

func statuses(rep *automation.Report) map[string]string {
	out := map[string]string{}
	for _, w := range rep.Waves {
		for _, c := range w.Clusters {
			out[c.Cluster] = c.Status
		}
	}
	return out
}

func counts(rep *automation.Report, cluster string) map[string]int {
	for _, w := range rep.Waves {
		for _, c := range w.Clusters {
			if c.Cluster == cluster && c.Result != nil {
				return c.Result.Counts
			}
		}
	}
	return nil
}

// TestLifecycleOnTheRealEngine: preview, up, a second up with no changes,
// refresh, destroy — three roles of two clusters each.
func TestLifecycleOnTheRealEngine(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 3, 2)
	ctx := t.Context()
	d := e.driver()
	all := e.fleet.ClusterNames()
	require.Len(t, all, 6)

	rep, err := d.Run(ctx, e.plan(t), automation.RunOptions{Op: automation.OpPreview})
	require.NoError(t, err, e.log.String())
	for _, c := range all {
		assert.Equal(t, map[string]int{automation.KindCreate: 4}, counts(rep, c), "%s: four layers to create", c)
	}
	md := automation.Markdown(rep, automation.MarkdownOptions{})
	assert.Contains(t, md, "| wave 0 | e2e-sandbox-01 | 4 | 0 | 0 | 0 | ok |")
	assert.Contains(t, md, "| **total** | 6 clusters | **24** | **0** | **0** | **0** | |")

	rep, err = d.Run(ctx, e.plan(t), automation.RunOptions{Op: automation.OpUp})
	require.NoError(t, err, e.log.String())
	for _, c := range all {
		assert.Equal(t, automation.StatusSucceeded, statuses(rep)[c])
		assert.Equal(t, 4, counts(rep, c)[automation.KindCreate], c)
	}
	outs := rep.Waves[2].Clusters[1].Result.Outputs
	assert.Equal(t, "prod", outs["role"])
	assert.Equal(t, "1.34", outs["kubernetesVersion"])
	assert.Equal(t, automation.SecretPlaceholder, outs["kubeconfig"], "secrets never leave the engine")

	stacks, err := e.backend.Stacks(ctx)
	require.NoError(t, err)
	for _, c := range all {
		assert.Positive(t, stacks[c].ResourceCount, c)
	}

	rep, err = d.Run(ctx, e.plan(t), automation.RunOptions{Op: automation.OpUp})
	require.NoError(t, err, e.log.String())
	for _, c := range all {
		assert.Empty(t, counts(rep, c), "%s: a second up changes nothing", c)
	}

	rep, err = d.Run(ctx, e.plan(t), automation.RunOptions{Op: automation.OpRefresh, ExpectNoChanges: true})
	require.NoError(t, err, e.log.String())
	for _, c := range all {
		assert.Equal(t, automation.StatusSucceeded, statuses(rep)[c])
	}

	// A layer removed from the program is deleted by the next up.
	e.programs.mu.Lock()
	e.programs.layers = e.programs.layers[:3]
	e.programs.mu.Unlock()
	rep, err = d.Run(ctx, e.plan(t), automation.RunOptions{Op: automation.OpUp})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{automation.KindDelete: 1}, counts(rep, "e2e-nonprod-02"))

	rep, err = d.Run(ctx, e.plan(t), automation.RunOptions{Op: automation.OpDestroy})
	require.NoError(t, err, e.log.String())
	for _, c := range all {
		assert.Equal(t, 3, counts(rep, c)[automation.KindDelete], c)
	}
	stacks, err = e.backend.Stacks(ctx)
	require.NoError(t, err)
	for _, c := range all {
		assert.Zero(t, stacks[c].ResourceCount, "%s holds nothing after destroy", c)
	}
	destroyed := strings.Index(e.log.String(), "[wave 2] destroy")
	assert.Less(t, destroyed, strings.Index(e.log.String(), "[wave 0] destroy"), "destroy runs the last wave first")
}

// TestAFailingProgramStopsLaterWaves: one cluster of the second wave fails.
func TestAFailingProgramStopsLaterWaves(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 3, 2)
	e.programs.fail["e2e-nonprod-01"] = true
	rep, err := e.driver().Run(t.Context(), e.plan(t), automation.RunOptions{Op: automation.OpUp})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "e2e-nonprod-01 (wave 1)")
	assert.Contains(t, err.Error(), "simulated failure of e2e-nonprod-01")
	// The reason is the engine's error diagnostics, once: not the CLI's
	// raw output, not "exit status N".
	reason := rep.Waves[1].Clusters[0].Reason
	assert.Contains(t, reason, "stack e2e-nonprod-01: ")
	assert.Contains(t, reason, "simulated failure of e2e-nonprod-01")
	assert.NotContains(t, reason, "stdout:")
	assert.NotContains(t, reason, "exit status")
	assert.Equal(t, 1, strings.Count(reason, "simulated failure of e2e-nonprod-01"), reason)
	assert.Less(t, len(reason), 400, reason)
	st := statuses(rep)
	assert.Equal(t, automation.StatusSucceeded, st["e2e-sandbox-01"])
	assert.Equal(t, automation.StatusFailed, st["e2e-nonprod-01"])
	assert.Equal(t, automation.StatusSucceeded, st["e2e-nonprod-02"], "the rest of the wave finishes")
	assert.Equal(t, automation.StatusNotRun, st["e2e-prod-01"])
	assert.Equal(t, automation.StatusNotRun, st["e2e-prod-02"])
	stacks, err := e.backend.Stacks(t.Context())
	require.NoError(t, err)
	_, prodTouched := stacks["e2e-prod-01"]
	assert.False(t, prodTouched, "no stack of a later wave was even created")

	// Fixed, the rollout resumes from the failed wave.
	e.programs.fail["e2e-nonprod-01"] = false
	plan, err := e.plan(t).From(1)
	require.NoError(t, err)
	rep, err = e.driver().Run(t.Context(), plan, automation.RunOptions{Op: automation.OpUp})
	require.NoError(t, err, e.log.String())
	assert.Equal(t, 4, counts(rep, "e2e-nonprod-01")[automation.KindCreate])
	assert.Empty(t, counts(rep, "e2e-nonprod-02"), "already up to date")
	assert.Equal(t, 4, counts(rep, "e2e-prod-02")[automation.KindCreate])
}

// TestASecondUpOnALockedStackIsReportedAsLocked.
func TestASecondUpOnALockedStackIsReportedAsLocked(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 1)
	e.programs.started = make(chan string, 8)
	// Long enough that the first up still holds the lock when the second,
	// after its own export and preview, reaches its up on a loaded machine.
	e.programs.delay["e2e-sandbox-01"] = 20 * time.Second
	plan := e.plan(t)
	first := make(chan error, 1)
	go func() {
		_, err := e.driver().Run(t.Context(), plan, automation.RunOptions{Op: automation.OpUp})
		first <- err
	}()
	// The preview before the up runs the program first; the up's program run
	// is the second start, and by then the update holds the lock.
	for range 2 {
		select {
		case <-e.programs.started:
		case <-time.After(2 * time.Minute):
			t.Fatal("the first up never started")
		}
	}
	e.programs.mu.Lock()
	e.programs.delay["e2e-sandbox-01"] = 0
	e.programs.mu.Unlock()
	start := time.Now()
	rep, err := e.driver().Run(t.Context(), plan, automation.RunOptions{Op: automation.OpUp})
	require.Error(t, err)
	assert.True(t, errors.Is(err, automation.ErrLocked), "got %v", err)
	assert.Contains(t, rep.Waves[0].Clusters[0].Reason, "stack e2e-sandbox-01: stack is locked by another update")
	t.Logf("the locked run gave up after %s", time.Since(start).Round(time.Millisecond))
	require.NoError(t, <-first, "the first up still succeeds")
}

// TestACancelledUpLeavesEveryStackExportable.
func TestACancelledUpLeavesEveryStackExportable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 2)
	e.programs.started = make(chan string, 32)
	for _, c := range e.fleet.ClusterNames() {
		e.programs.delay[c] = 2 * time.Second
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan struct{})
	var rep *automation.Report
	var err error
	go func() {
		rep, err = e.driver().Run(ctx, e.plan(t), automation.RunOptions{Op: automation.OpUp})
		close(done)
	}()
	// Cancel once the first wave's ups are under way.
	seen := 0
	for seen < 4 {
		select {
		case <-e.programs.started:
			seen++
		case <-time.After(2 * time.Minute):
			t.Fatal("the ups never started")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		t.Fatal("the cancelled run did not return")
	}
	require.ErrorIs(t, err, automation.ErrCancelled)
	assert.Equal(t, automation.StatusCancelled, rep.Outcome)
	for _, c := range rep.Waves[1].Clusters {
		assert.Equal(t, automation.StatusNotRun, c.Status, "no later wave starts")
	}

	stacks, err := e.backend.Stacks(t.Context())
	require.NoError(t, err)
	require.NotEmpty(t, stacks)
	for name, s := range stacks {
		assert.False(t, s.UpdateInProgress, "%s: no update left in progress", name)
		c, ok := e.fleet.Cluster(name)
		require.True(t, ok)
		stack, err := e.backend.Open(t.Context(), c)
		require.NoError(t, err)
		_, err = stack.Resources(t.Context())
		assert.NoError(t, err, "%s: the exported state parses", name)
	}
	// And the next up completes from wherever the cancelled one stopped.
	e.programs.mu.Lock()
	e.programs.delay = map[string]time.Duration{}
	e.programs.mu.Unlock()
	_, err = e.driver().Run(t.Context(), e.plan(t), automation.RunOptions{Op: automation.OpUp})
	require.NoError(t, err, e.log.String())
}

// TestTwoFirstRunsOnANewStack: two runs (two backends, as two CI jobs)
// open and update one new stack at once. Whichever creates the stack
// second selects it instead of failing with "already exists"; an up that
// meets the other's update is told the stack is locked.
func TestTwoFirstRunsOnANewStack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 1)
	c := e.fleet.Clusters()[0]
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			b, err := automation.NewPulumiBackend(automation.PulumiOptions{
				BackendURL: "file://" + e.state, Command: pulumiCommand(t), Program: e.programs.For,
				PulumiHome: t.TempDir(), Env: map[string]string{"PULUMI_CONFIG_PASSPHRASE": "e2e-passphrase"},
			})
			if err != nil {
				errs <- err
				return
			}
			s, err := b.Open(t.Context(), c)
			if err != nil {
				errs <- err
				return
			}
			_, err = s.Up(t.Context(), automation.UpOptions{})
			errs <- err
		}()
	}
	succeeded := 0
	for range 4 {
		err := <-errs
		if err == nil {
			succeeded++
			continue
		}
		assert.ErrorIs(t, err, automation.ErrLocked, "a run that loses the race is told the stack is locked, not %v", err)
	}
	assert.Positive(t, succeeded, "one of the runs updates the stack")
}

// TestABackendRunsTheFleetItIsGiven: a driver that runs a second fleet
// (the same clusters, another eks_version: a reloaded or edited copy of
// the environments) through the same backend runs the second fleet's
// program, not the one its first run opened the stack with.
func TestABackendRunsTheFleetItIsGiven(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, 1)
	ctx := t.Context()
	d := e.driver()
	_, err := d.Run(ctx, e.plan(t), automation.RunOptions{Op: automation.OpUp})
	require.NoError(t, err, e.log.String())

	bumped := *e.fleet
	bumped.Roles = nil
	for _, r := range e.fleet.Roles {
		role := *r
		role.Clusters = nil
		for _, c := range r.Clusters {
			next := *c
			next.EKSVersion = "1.35"
			role.Clusters = append(role.Clusters, &next)
		}
		bumped.Roles = append(bumped.Roles, &role)
	}
	zero := time.Duration(0)
	plan, err := automation.NewRollout(&bumped, automation.Selection{}, automation.RolloutOptions{Bake: &zero})
	require.NoError(t, err)
	rep, err := d.Run(ctx, plan, automation.RunOptions{Op: automation.OpUp})
	require.NoError(t, err, e.log.String())
	c := rep.Waves[0].Clusters[0]
	assert.Equal(t, "1.35", c.Result.Outputs["kubernetesVersion"], "the second fleet's program ran")
}
