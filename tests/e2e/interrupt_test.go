package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/automation/audit"
	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/tests/e2e/slowfleet"
	"github.com/eksplatform/eksplatform/tests/fleetfile"
)

// helperDirs are the directories a helper run and its test share.
type helperDirs = slowfleet.Dirs

func backendFor(h helperDirs, cmd *automation.Command, seconds float64) (*automation.PulumiBackend, error) {
	return slowfleet.Backend(h, cmd, seconds)
}

func slowProgram(marker string, seconds float64) func(c *environments.Cluster) pulumi.RunFunc {
	return slowfleet.Program(marker, seconds)
}

// buildSlowProvider builds the slow provider into dir, which the backends
// put on the CLI's PATH, where the engine finds it (an ambient plugin).
func buildSlowProvider(t *testing.T, dir string) {
	t.Helper()
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "pulumi-resource-e2eslow"), "./slowprovider").CombinedOutput()
	require.NoError(t, err, "building the slow provider: %s", out)
}

// buildHelper builds tests/e2e/interrupthelper (an `up` wired as the CLI
// wires it) into dir.
func buildHelper(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "interrupthelper")
	out, err := exec.Command("go", "build", "-o", path, "./interrupthelper").CombinedOutput()
	require.NoError(t, err, "building the interrupt helper: %s", out)
	return path
}

// startHelper writes a fleet of one role of two clusters and starts an up
// of it in a process group of its own, as a terminal starts a command.
func startHelper(t *testing.T) (helperDirs, *exec.Cmd, *bytes.Buffer) {
	t.Helper()
	h := helperDirs{Root: t.TempDir()}
	for _, d := range []string{h.State(), h.Marker(), h.Pids(), h.Home()} {
		require.NoError(t, os.MkdirAll(d, 0o700))
	}
	src := fleetfile.Write(t, fleetfile.Role{Name: "sandbox", Clusters: 2, ClusterPrefix: "e2e-"})
	require.NoError(t, os.CopyFS(h.Envs(), os.DirFS(src)))
	cmd := exec.Command(buildHelper(t, h.Bin()), h.Root)
	buildSlowProvider(t, h.Bin())
	cmd.Env = append(os.Environ(), "E2ESLOW_PID_DIR="+h.Pids())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	return h, cmd, &out
}

// waitForCreates waits until both clusters' slow creates are under way.
func waitForCreates(t *testing.T, h helperDirs, out *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		entries, _ := os.ReadDir(h.Marker())
		if len(entries) == 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the creates never started:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitExit(t *testing.T, cmd *exec.Cmd, out *bytes.Buffer) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		_ = err // the exit code is what the tests read
	case <-time.After(3 * time.Minute):
		t.Fatalf("the interrupted up did not end:\n%s", out)
	}
	return cmd.ProcessState.ExitCode()
}

func openStacks(t *testing.T, h helperDirs, seconds float64) (*automation.PulumiBackend, *environments.Fleet, []automation.Stack) {
	t.Helper()
	backend, err := backendFor(h, pulumiCommand(t), seconds)
	require.NoError(t, err)
	fleet, err := environments.Load(h.Envs())
	require.NoError(t, err)
	var stacks []automation.Stack
	for _, c := range fleet.Clusters() {
		s, err := backend.Open(t.Context(), c)
		require.NoError(t, err)
		stacks = append(stacks, s)
	}
	return backend, fleet, stacks
}

// TestATerminalInterruptLeavesNoPendingOperation: Ctrl-C in a terminal, a
// `kill` of the job or GNU timeout signal the whole process group. The
// Pulumi CLIs run in groups of their own, so each gets one interrupt (from
// eksplatform), lets its slow create finish and records it: no pending
// operation, every stack exports. (Before, the CLIs got the group's SIGTERM
// themselves and stopped mid-step.)
func TestATerminalInterruptLeavesNoPendingOperation(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			h, cmd, out := startHelper(t)
			waitForCreates(t, h, out)
			require.NoError(t, syscall.Kill(-cmd.Process.Pid, sig), "signal the process group")
			code := waitExit(t, cmd, out)
			assert.Equal(t, 1, code, "an interrupted run fails:\n%s", out)
			assert.Contains(t, out.String(), "outcome cancelled")

			_, _, stacks := openStacks(t, h, 0)
			for _, s := range stacks {
				pending, err := s.PendingOperations(t.Context())
				require.NoError(t, err, "%s: the state exports", s.Name())
				assert.Empty(t, pending, "%s: the create in flight finished and was recorded:\n%s", s.Name(), out)
				res, err := s.Resources(t.Context())
				require.NoError(t, err)
				assert.True(t, hasType(res, "e2eslow:index:Slow"), "%s: the slow resource is in the state", s.Name())
			}
		})
	}
}

// TestAKilledDriverIsOneInterrupt: a kill -9 of eksplatform alone (the OOM
// killer, `kill -9 PID`) reaches none of the CLIs, which run in process
// groups of their own. Each CLI finds its inline program (served by the
// driver) gone, lets its slow create finish and records it, releases its
// lock and stops its plugins: the state of one Ctrl-C, and the next up just
// runs. (Before, the CLI wrote to a pipe to the dead driver and died of
// SIGPIPE on its next line of output with the lock still held, and its
// provider plugin ran on for good.)
func TestAKilledDriverIsOneInterrupt(t *testing.T) {
	t.Parallel()
	h, cmd, out := startHelper(t)
	waitForCreates(t, h, out)
	require.NoError(t, syscall.Kill(cmd.Process.Pid, syscall.SIGKILL), "kill the driver alone")
	assert.Equal(t, -1, waitExit(t, cmd, out), "the driver was killed:\n%s", out)

	backend, fleet, stacks := openStacks(t, h, 0)
	require.Eventually(t, func() bool {
		for _, c := range fleet.Clusters() {
			if locks, err := automation.FileLocks("file://"+h.State(), c.Name); err != nil || len(locks) > 0 {
				return false
			}
		}
		return true
	}, 2*time.Minute, 100*time.Millisecond, "each CLI ends and releases its stack's lock:\n%s", out)
	requirePluginsGone(t, h, "its CLI")
	ctx := t.Context()
	for _, s := range stacks {
		pending, err := s.PendingOperations(ctx)
		require.NoError(t, err, "%s: the state exports", s.Name())
		assert.Empty(t, pending, "%s: the create in flight finished and was recorded", s.Name())
		res, err := s.Resources(ctx)
		require.NoError(t, err)
		assert.True(t, hasType(res, "e2eslow:index:Slow"), "%s: the slow resource is in the state", s.Name())
	}
	zero := time.Duration(0)
	plan, err := automation.NewRollout(fleet, automation.Selection{}, automation.RolloutOptions{Bake: &zero})
	require.NoError(t, err)
	rep, err := (&automation.Driver{Backend: backend}).Run(ctx, plan, automation.RunOptions{Op: automation.OpUp})
	require.NoError(t, err, "the next up runs: nothing to recover")
	for _, s := range stacks {
		assert.Zero(t, counts(rep, s.Name())[automation.KindCreate], "%s: the recorded create is not made again", s.Name())
	}
}

// TestAKilledRunIsRecordedAndRecovered: a second Ctrl-C kills the CLIs mid-
// step. The run is recorded as interrupted, no provider plugin outlives it,
// the next up refuses the stacks with pending creates, and recover resolves
// them: one by import with its id, one by clearing it.
func TestAKilledRunIsRecordedAndRecovered(t *testing.T) {
	t.Parallel()
	h, cmd, out := startHelper(t)
	waitForCreates(t, h, out)
	require.NoError(t, syscall.Kill(-cmd.Process.Pid, syscall.SIGINT))
	time.Sleep(500 * time.Millisecond)
	require.NoError(t, syscall.Kill(-cmd.Process.Pid, syscall.SIGINT), "a second Ctrl-C")
	assert.Equal(t, 130, waitExit(t, cmd, out), out.String())

	recs, err := audit.NewFileStore(h.Audit()).List(t.Context(), audit.Filter{})
	require.NoError(t, err)
	require.Len(t, recs, 2, "both clusters under way are recorded:\n%s", out)
	for _, r := range recs {
		assert.Equal(t, automation.StatusCancelled, r.Result, r.Cluster)
		assert.Equal(t, "killed by a second interrupt", r.Reason, r.Cluster)
	}
	requirePluginsGone(t, h, "the killed run")

	backend, fleet, stacks := openStacks(t, h, 0)
	ctx := t.Context()
	var creates []automation.PendingOperation
	for _, s := range stacks {
		pending, err := s.PendingOperations(ctx)
		require.NoError(t, err)
		require.Len(t, pending, 1, "%s: the killed create is pending", s.Name())
		assert.Equal(t, "creating", pending[0].Type)
		assert.Equal(t, "e2eslow:index:Slow", pending[0].ResourceType)
		creates = append(creates, pending[0])
	}

	zero := time.Duration(0)
	plan, err := automation.NewRollout(fleet, automation.Selection{}, automation.RolloutOptions{Bake: &zero})
	require.NoError(t, err)
	_, err = (&automation.Driver{Backend: backend}).Run(ctx, plan, automation.RunOptions{Op: automation.OpUp})
	require.ErrorIs(t, err, automation.ErrPending, "up stops before a stack with pending operations")

	_, err = stacks[0].Recover(ctx, automation.RecoverOptions{Clear: true})
	require.ErrorIs(t, err, automation.ErrLocked, "the killed run's lock is still there")
	assert.Contains(t, err.Error(), "that process is gone: the lock is stale", "the error names the stale lock")
	assert.Contains(t, err.Error(), "ago) by ", "and its age")
	for _, s := range stacks {
		released, err := automation.ReleaseStaleLocks("file://"+h.State(), s.Name())
		require.NoError(t, err)
		assert.Len(t, released, 1, s.Name())
	}
	_, err = stacks[0].Recover(ctx, automation.RecoverOptions{Import: map[string]string{creates[0].URN: "slow-imported"}})
	require.NoError(t, err)
	_, err = stacks[1].Recover(ctx, automation.RecoverOptions{Clear: true})
	require.NoError(t, err)
	for _, s := range stacks {
		pending, err := s.PendingOperations(ctx)
		require.NoError(t, err)
		assert.Empty(t, pending, s.Name())
	}
	res, err := stacks[0].Resources(ctx)
	require.NoError(t, err)
	assert.True(t, hasType(res, "e2eslow:index:Slow"), "the imported create is in the state")
	res, err = stacks[1].Resources(ctx)
	require.NoError(t, err)
	assert.False(t, hasType(res, "e2eslow:index:Slow"), "the cleared create is not")

	rep, err := (&automation.Driver{Backend: backend}).Run(ctx, plan, automation.RunOptions{Op: automation.OpUp})
	require.NoError(t, err, "after recovery the up runs")
	assert.Equal(t, 1, counts(rep, stacks[1].Name())[automation.KindCreate], "the cleared resource is created again")
	assert.Zero(t, counts(rep, stacks[0].Name())[automation.KindCreate], "the imported one is not")
}

// requirePluginsGone: the slow provider ran, and none of its processes
// outlived what ended them.
func requirePluginsGone(t *testing.T, h helperDirs, ender string) {
	t.Helper()
	pids, err := os.ReadDir(h.Pids())
	require.NoError(t, err)
	require.NotEmpty(t, pids, "the slow provider ran")
	for _, p := range pids {
		pid, err := strconv.Atoi(p.Name())
		require.NoError(t, err)
		assert.False(t, aliveAfterKill(pid), "provider plugin %d outlived %s", pid, ender)
	}
}

func hasType(res []automation.StateResource, typ string) bool {
	for _, r := range res {
		if r.Type == typ {
			return true
		}
	}
	return false
}

// aliveAfterKill says whether pid still runs once a SIGKILL sent to it has
// had time to take effect.
func aliveAfterKill(pid int) bool {
	for range 50 {
		if !alive(pid) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return alive(pid)
}

// alive says whether pid is a running process (a zombie is not).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z")
}

// TestADriftCheckLeavesTheStateAsItWas: refresh --expect-no-changes that
// finds drift names it and fails, and the state keeps what was deployed, so
// a second check finds the same drift (the CLI's own --expect-no-changes
// wrote the drift into the state first; the next check then passed).
func TestADriftCheckLeavesTheStateAsItWas(t *testing.T) {
	t.Parallel()
	h := helperDirs{Root: t.TempDir()}
	for _, d := range []string{h.State(), h.Marker(), h.Home()} {
		require.NoError(t, os.MkdirAll(d, 0o700))
	}
	buildSlowProvider(t, h.Bin())
	src := fleetfile.Write(t, fleetfile.Role{Name: "sandbox", Clusters: 1, ClusterPrefix: "e2e-"})
	require.NoError(t, os.CopyFS(h.Envs(), os.DirFS(src)))
	ctx := t.Context()
	_, _, stacks := openStacks(t, h, 0)
	_, err := stacks[0].Up(ctx, automation.UpOptions{})
	require.NoError(t, err)

	drifted, err := automation.NewPulumiBackend(automation.PulumiOptions{
		BackendURL: "file://" + h.State(), Command: pulumiCommand(t), Program: slowProgram(h.Marker(), 0), PulumiHome: h.Home(),
		Env: map[string]string{"PULUMI_CONFIG_PASSPHRASE": "e2e-passphrase", "E2ESLOW_DRIFT": "changed by hand",
			"PATH": h.Bin() + string(os.PathListSeparator) + os.Getenv("PATH")},
	})
	require.NoError(t, err)
	fleet, err := environments.Load(h.Envs())
	require.NoError(t, err)
	s, err := drifted.Open(ctx, fleet.Clusters()[0])
	require.NoError(t, err)
	for range 2 {
		res, err := s.Refresh(ctx, automation.RefreshOptions{ExpectNoChanges: true})
		require.ErrorIs(t, err, automation.ErrDrift)
		assert.Contains(t, err.Error(), "1 resource(s) differ from the state: update urn:pulumi:e2e-sandbox-01::eksplatform::e2eslow:index:Slow::e2e-sandbox-01-slow")
		assert.Contains(t, err.Error(), "the state was not changed")
		require.Len(t, res.Changes, 1)
		assert.Equal(t, automation.KindUpdate, res.Changes[0].Kind)
		assert.Equal(t, map[string]string{"drift": `update: (none) → "changed by hand"`}, res.Changes[0].Diffs, "the report shows the drift itself")
	}
	// Without the drift the check passes; a plain refresh then records drift.
	res, err := stacks[0].Refresh(ctx, automation.RefreshOptions{ExpectNoChanges: true})
	require.NoError(t, err)
	assert.Empty(t, res.Changes)
	_, err = s.Refresh(ctx, automation.RefreshOptions{})
	require.NoError(t, err)
	_, err = s.Refresh(ctx, automation.RefreshOptions{ExpectNoChanges: true})
	require.NoError(t, err, "the recorded drift is the state now")
}
