package automation_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/automation/automationtest"
	"github.com/eksplatform/eksplatform/environments"
)

func threeRoles(t *testing.T) *automation.Rollout {
	t.Helper()
	fleet := fleetOf(t, role{name: "sandbox", wave: 0, clusters: 2}, role{name: "nonprod", wave: 1, clusters: 2}, role{name: "prod", wave: 2, clusters: 2})
	plan, err := automation.NewRollout(fleet, automation.Selection{}, automation.RolloutOptions{})
	require.NoError(t, err)
	return plan
}

type harness struct {
	f      *automationtest.Backend
	gate   *automationtest.Gate
	sleep  *automationtest.Sleep
	driver *automation.Driver
	log    *strings.Builder
}

func newHarness() *harness {
	f := automationtest.New()
	h := &harness{f: f, gate: &automationtest.Gate{B: f, Fail: map[string]error{}}, sleep: &automationtest.Sleep{B: f}, log: &strings.Builder{}}
	h.driver = &automation.Driver{Backend: f, Gate: h.gate, Sleep: h.sleep.Sleep, Log: h.log, Resources: testResources}
	return h
}

func TestUpRunsWavesInOrderWithGatesAndBakes(t *testing.T) {
	t.Parallel()
	h := newHarness()
	plan := threeRoles(t)
	rep, err := h.driver.Run(t.Context(), plan, automation.RunOptions{Op: automation.OpUp})
	require.NoError(t, err)
	assert.Equal(t, automation.StatusSucceeded, rep.Outcome)

	ups := h.f.Ops("up")
	require.Len(t, ups, 6)
	waveOf := map[string]int{"sandbox": 0, "nonprod": 1, "prod": 2}
	gates := h.f.Ops("gate")
	bakes := h.f.Ops("bake")
	require.Len(t, gates, 6)
	require.Len(t, bakes, 2, "no bake after the last wave")
	for _, later := range ups {
		for _, earlier := range ups {
			we, wl := waveOf[strings.Split(earlier.Cluster, "-")[0]], waveOf[strings.Split(later.Cluster, "-")[0]]
			if we < wl {
				assert.Less(t, earlier.End, later.Start, "%s (wave %d) ends before %s (wave %d) starts", earlier.Cluster, we, later.Cluster, wl)
			}
		}
		w := waveOf[strings.Split(later.Cluster, "-")[0]]
		if w > 0 {
			assert.Less(t, bakes[w-1].End, later.Start, "the bake of wave %d ends before %s starts", w-1, later.Cluster)
			for _, g := range gates {
				if waveOf[strings.Split(g.Cluster, "-")[0]] == w-1 {
					assert.Less(t, g.End, later.Start, "the gate of %s ends before %s starts", g.Cluster, later.Cluster)
				}
			}
		}
	}
	// Every up is preceded by its own preview (the protected-kind check).
	previews := h.f.Ops("preview")
	assert.Len(t, previews, 6)
	for _, w := range rep.Waves {
		assert.Equal(t, "passed", w.Gate, w.Label)
	}
}

func TestMaximumConcurrencyIsTheLimit(t *testing.T) {
	t.Parallel()
	h := newHarness()
	h.f.Delay = 15 * time.Millisecond
	fleet := fleetOf(t, role{name: "big", wave: 0, clusters: 10, extra: `"rollout": {"parallel": 3}`})
	plan, err := automation.NewRollout(fleet, automation.Selection{}, automation.RolloutOptions{})
	require.NoError(t, err)
	require.Equal(t, 3, plan.Waves[0].Parallel)
	_, err = h.driver.Run(t.Context(), plan, automation.RunOptions{Op: automation.OpUp})
	require.NoError(t, err)
	assert.Equal(t, 3, h.f.MaxRunning(), "never more than the limit, and the limit is reached")

	h2 := newHarness()
	h2.f.Delay = 15 * time.Millisecond
	plan, err = automation.NewRollout(fleet, automation.Selection{}, automation.RolloutOptions{Parallel: 5})
	require.NoError(t, err)
	_, err = h2.driver.Run(t.Context(), plan, automation.RunOptions{Op: automation.OpUp})
	require.NoError(t, err)
	assert.Equal(t, 5, h2.f.MaxRunning(), "--parallel overrides the environment")
}

func TestBakeRule(t *testing.T) {
	t.Parallel()
	fleet := fleetOf(t, role{name: "sandbox", wave: 0, clusters: 1}, role{name: "preview", wave: 1, clusters: 1},
		role{name: "nonprod", wave: 2, clusters: 4}, role{name: "prod", wave: 3, clusters: 4, extra: `"rollout": {"canary": 1}`})
	plan, err := automation.NewRollout(fleet, automation.Selection{}, automation.RolloutOptions{})
	require.NoError(t, err)
	var bakes []time.Duration
	var labels []string
	for _, w := range plan.Waves {
		bakes = append(bakes, w.Bake)
		labels = append(labels, w.Label())
	}
	assert.Equal(t, []string{"wave 0", "wave 1", "wave 2", "wave 3 (canary)", "wave 3"}, labels)
	// 30m divided by the clusters rolled so far (1, 2, 6, 7), at least 5m; none after the last wave.
	assert.Equal(t, []time.Duration{30 * time.Minute, 15 * time.Minute, 5 * time.Minute, 5 * time.Minute, 0}, bakes)

	declared := fleetOf(t, role{name: "sandbox", wave: 0, clusters: 1, extra: `"rollout": {"bake": "2h"}`}, role{name: "prod", wave: 1, clusters: 1})
	plan, err = automation.NewRollout(declared, automation.Selection{}, automation.RolloutOptions{})
	require.NoError(t, err)
	assert.Equal(t, 2*time.Hour, plan.Waves[0].Bake, "a role's declared bake wins over the rule")

	zero := time.Duration(0)
	plan, err = automation.NewRollout(declared, automation.Selection{}, automation.RolloutOptions{Bake: &zero})
	require.NoError(t, err)
	assert.Equal(t, time.Duration(0), plan.Waves[0].Bake, "--bake overrides everything")
}

func TestBakeIsHonoured(t *testing.T) {
	t.Parallel()
	h := newHarness()
	fleet := fleetOf(t, role{name: "sandbox", wave: 0, clusters: 1, extra: `"rollout": {"bake": "45m"}`}, role{name: "prod", wave: 1, clusters: 1})
	plan, err := automation.NewRollout(fleet, automation.Selection{}, automation.RolloutOptions{})
	require.NoError(t, err)
	rep, err := h.driver.Run(t.Context(), plan, automation.RunOptions{Op: automation.OpUp})
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{45 * time.Minute}, h.sleep.Bakes())
	assert.True(t, rep.Waves[0].Baked)
	assert.Contains(t, h.log.String(), "[wave 0] baking for 45m0s")
}

func TestGateFailureStopsTheRollout(t *testing.T) {
	t.Parallel()
	h := newHarness()
	h.gate.Fail["nonprod-02"] = errors.New("addon coredns DEGRADED")
	rep, err := h.driver.Run(t.Context(), threeRoles(t), automation.RunOptions{Op: automation.OpUp})
	require.Error(t, err)
	assert.ErrorIs(t, err, automation.ErrGate)
	assert.Contains(t, err.Error(), "addon coredns DEGRADED")
	assert.Equal(t, automation.StatusFailed, rep.Outcome)
	assert.Equal(t, automation.StatusFailed, rep.Waves[1].Gate)
	assert.Equal(t, []string{"sandbox-01", "sandbox-02", "nonprod-01", "nonprod-02"}, sorted(h.f.ClustersOf("up")), "prod never starts")
	for _, c := range rep.Waves[2].Clusters {
		assert.Equal(t, automation.StatusNotRun, c.Status)
	}
	assert.Len(t, h.sleep.Bakes(), 1, "no bake after a failed gate")
}

func TestClusterFailureFinishesItsWaveAndStopsTheRollout(t *testing.T) {
	t.Parallel()
	h := newHarness()
	h.f.Delay = 10 * time.Millisecond
	h.f.Fail["nonprod-01/up"] = errors.New("creating node group: AccessDenied")
	rep, err := h.driver.Run(t.Context(), threeRoles(t), automation.RunOptions{Op: automation.OpUp})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nonprod-01 (wave 1): creating node group: AccessDenied")
	assert.Equal(t, automation.StatusFailed, rep.Waves[1].Clusters[0].Status)
	assert.Equal(t, automation.StatusSucceeded, rep.Waves[1].Clusters[1].Status, "the other cluster of the wave finishes")
	assert.Empty(t, rep.Waves[1].Gate, "no gate after a failed wave")
	assert.NotContains(t, h.f.ClustersOf("up"), "prod-01")
	failed := rep.Failed()
	require.Len(t, failed, 1)
	assert.Equal(t, "nonprod-01", failed[0].Cluster)
	assert.Equal(t, "creating node group: AccessDenied", failed[0].Reason)
}

func TestResumeFromAWave(t *testing.T) {
	t.Parallel()
	h := newHarness()
	plan, err := threeRoles(t).From(1)
	require.NoError(t, err)
	_, err = h.driver.Run(t.Context(), plan, automation.RunOptions{Op: automation.OpUp})
	require.NoError(t, err)
	assert.Equal(t, []string{"nonprod-01", "nonprod-02", "prod-01", "prod-02"}, sorted(h.f.ClustersOf("up")))
	_, err = threeRoles(t).From(7)
	assert.EqualError(t, err, "no wave 7 or later in this plan; its waves are 0, 1, 2")
}

func TestDestroyRunsInReverseWaveOrder(t *testing.T) {
	t.Parallel()
	h := newHarness()
	for _, c := range []string{"sandbox-01", "sandbox-02", "nonprod-01", "nonprod-02", "prod-01", "prod-02"} {
		h.f.State[c] = []automation.StateResource{{URN: "urn:" + c}}
	}
	ephemeral := `"ephemeral": true, "rollout": {"parallel": 1}`
	fleet := fleetOf(t, role{name: "sandbox", wave: 0, clusters: 2, extra: ephemeral},
		role{name: "nonprod", wave: 1, clusters: 2, extra: ephemeral}, role{name: "prod", wave: 2, clusters: 2, extra: ephemeral})
	plan, err := automation.NewRollout(fleet, automation.Selection{}, automation.RolloutOptions{})
	require.NoError(t, err)
	rep, err := h.driver.Run(t.Context(), plan, automation.RunOptions{Op: automation.OpDestroy})
	require.NoError(t, err)
	assert.Equal(t, []string{"prod-02", "prod-01", "nonprod-02", "nonprod-01", "sandbox-02", "sandbox-01"}, h.f.ClustersOf("destroy"))
	assert.Equal(t, "sandbox-01", rep.Waves[0].Clusters[0].Cluster, "the report keeps plan order")
	assert.Empty(t, h.f.Ops("gate"))
	assert.Empty(t, h.sleep.Bakes())
}

// TestDestroyRefusesClustersThatAreNotEphemeral: the engine refuses to
// delete a protected resource only when it reaches it, after it has deleted
// everything unprotected of the stack (the box showed a non-ephemeral
// cluster's StorageClasses, namespaces and releases gone). So the driver
// refuses a destroy that selects any non-ephemeral cluster before it opens
// a single stack.
func TestDestroyRefusesClustersThatAreNotEphemeral(t *testing.T) {
	t.Parallel()
	h := newHarness()
	for _, c := range []string{"sandbox-01", "prod-01"} {
		h.f.State[c] = []automation.StateResource{{URN: "urn:" + c}}
	}
	fleet := fleetOf(t, role{name: "sandbox", wave: 0, clusters: 1, extra: `"ephemeral": true`}, role{name: "prod", wave: 1, clusters: 1})
	plan, err := automation.NewRollout(fleet, automation.Selection{}, automation.RolloutOptions{})
	require.NoError(t, err)
	rep, err := h.driver.Run(t.Context(), plan, automation.RunOptions{Op: automation.OpDestroy})
	require.ErrorIs(t, err, automation.ErrProtected)
	assert.Contains(t, err.Error(), "prod-01 (role prod) is not ephemeral")
	assert.Contains(t, err.Error(), `"ephemeral": true`)
	assert.Empty(t, h.f.ClustersOf("destroy"), "no stack was touched")
	for _, w := range rep.Waves {
		for _, c := range w.Clusters {
			assert.Equal(t, automation.StatusNotRun, c.Status, c.Cluster)
		}
	}
}

func TestCanaryWaveRunsFirst(t *testing.T) {
	t.Parallel()
	h := newHarness()
	fleet := fleetOf(t, role{name: "prod", wave: 0, clusters: 3, extra: `"rollout": {"canary": 1}`})
	plan, err := automation.NewRollout(fleet, automation.Selection{}, automation.RolloutOptions{})
	require.NoError(t, err)
	require.Len(t, plan.Waves, 2)
	assert.Equal(t, "wave 0 (canary)", plan.Waves[0].Label())
	assert.Equal(t, []string{"prod-01"}, names(plan.Waves[0]))
	assert.Equal(t, []string{"prod-02", "prod-03"}, names(plan.Waves[1]))
	_, err = h.driver.Run(t.Context(), plan, automation.RunOptions{Op: automation.OpUp})
	require.NoError(t, err)
	ups := h.f.Ops("up")
	canary := ups[0]
	require.Equal(t, "prod-01", canary.Cluster)
	for _, u := range ups[1:] {
		assert.Less(t, canary.End, u.Start, "the canary finishes before %s starts", u.Cluster)
	}
}

func TestRefreshSkipsNewClusters(t *testing.T) {
	t.Parallel()
	h := newHarness()
	h.f.State["sandbox-01"] = []automation.StateResource{{URN: "urn:a"}}
	h.f.State["nonprod-02"] = nil // a stack that holds nothing yet
	rep, err := h.driver.Run(t.Context(), threeRoles(t), automation.RunOptions{Op: automation.OpRefresh})
	require.NoError(t, err)
	assert.Equal(t, []string{"sandbox-01"}, h.f.ClustersOf("refresh"))
	assert.Equal(t, automation.StatusSkipped, rep.Waves[1].Clusters[1].Status)
	assert.Equal(t, "new cluster: the backend holds nothing to refresh", rep.Waves[1].Clusters[1].Reason)
	assert.Empty(t, h.f.Ops("gate"), "refresh has no gate")
}

func TestUpRefusesProtectedReplacementsUnlessAllowed(t *testing.T) {
	t.Parallel()
	urn := "urn:pulumi:sandbox-01::eksplatform::eksplatform:storage:EFS$aws:efs/fileSystem:FileSystem::sandbox-01-efs"
	h := newHarness()
	h.f.Changes["sandbox-01"] = []automation.Change{{URN: urn, Type: "aws:efs/fileSystem:FileSystem", Kind: automation.KindReplace}}
	rep, err := h.driver.Run(t.Context(), threeRoles(t), automation.RunOptions{Op: automation.OpUp})
	require.ErrorIs(t, err, automation.ErrProtected)
	assert.Contains(t, rep.Waves[0].Clusters[0].Reason, "replace "+urn+" (EFS file system)")
	assert.NotContains(t, h.f.ClustersOf("up"), "sandbox-01", "nothing is applied")
	require.NotNil(t, rep.Waves[0].Clusters[0].Result)
	assert.Equal(t, "EFS file system", rep.Waves[0].Clusters[0].Result.Changes[0].Protected, "the refused preview says what it would have replaced")

	h = newHarness()
	h.f.Changes["sandbox-01"] = []automation.Change{{URN: urn, Type: "aws:efs/fileSystem:FileSystem", Kind: automation.KindReplace}}
	_, err = h.driver.Run(t.Context(), threeRoles(t), automation.RunOptions{Op: automation.OpUp, AllowReplace: []string{urn}})
	require.NoError(t, err)
	assert.Contains(t, h.f.ClustersOf("up"), "sandbox-01")
}

// TestTheDriverKnowsNoResourceTypes: without the program's Resources nothing
// is protected, and a node refresh is refused rather than guessed.
func TestTheDriverKnowsNoResourceTypes(t *testing.T) {
	t.Parallel()
	urn := "urn:pulumi:sandbox-01::eksplatform::eksplatform:storage:EFS$aws:efs/fileSystem:FileSystem::sandbox-01-efs"
	h := newHarness()
	h.driver.Resources = automation.Resources{}
	h.f.Changes["sandbox-01"] = []automation.Change{{URN: urn, Type: "aws:efs/fileSystem:FileSystem", Kind: automation.KindReplace}}
	rep, err := h.driver.Run(t.Context(), threeRoles(t), automation.RunOptions{Op: automation.OpUp})
	require.NoError(t, err)
	assert.Contains(t, h.f.ClustersOf("up"), "sandbox-01")
	assert.Empty(t, rep.Waves[0].Clusters[0].Result.Changes[0].Protected)

	h = newHarness()
	h.driver.Resources = automation.Resources{Protected: testResources.Protected}
	rep, err = h.driver.Run(t.Context(), threeRoles(t), automation.RunOptions{Op: automation.OpUp, RefreshManagementNodes: true})
	require.Error(t, err)
	assert.Contains(t, rep.Waves[0].Clusters[0].Reason, "refreshing the management nodes needs Driver.Resources.ManagementNodeGroup")
	assert.Empty(t, h.f.ClustersOf("up"), "nothing is applied")
}

func TestManagementNodeRefreshOnlyOnExistingClusters(t *testing.T) {
	t.Parallel()
	h := newHarness()
	ng := "urn:pulumi:sandbox-01::eksplatform::eksplatform:foundation:Foundation$eksplatform:foundation:ManagementNodeGroup$aws:eks/nodeGroup:NodeGroup::sandbox-01-mng"
	h.f.State["sandbox-01"] = []automation.StateResource{{URN: ng, Type: "aws:eks/nodeGroup:NodeGroup",
		Parent: "urn:pulumi:sandbox-01::eksplatform::eksplatform:foundation:Foundation$eksplatform:foundation:ManagementNodeGroup::sandbox-01-mng"}}
	rep, err := h.driver.Run(t.Context(), threeRoles(t), automation.RunOptions{Op: automation.OpUp, RefreshManagementNodes: true})
	require.NoError(t, err, "a protected node group replacement it asked for itself is allowed")
	for _, c := range h.f.Ops("up") {
		if c.Cluster == "sandbox-01" {
			assert.Equal(t, []string{ng}, c.Replace)
		} else {
			assert.Empty(t, c.Replace, c.Cluster)
		}
	}
	assert.Equal(t, []string{"management node refresh: replacing " + ng}, rep.Waves[0].Clusters[0].Notes)
	assert.Equal(t, []string{"management node refresh skipped: the cluster does not exist yet"}, rep.Waves[0].Clusters[1].Notes)
	assert.Equal(t, automation.StatusSucceeded, rep.Waves[0].Clusters[1].Status, "never an error")
}

func TestCancelDuringBake(t *testing.T) {
	t.Parallel()
	h := newHarness()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	h.sleep.Cancel = cancel
	rep, err := h.driver.Run(ctx, threeRoles(t), automation.RunOptions{Op: automation.OpUp})
	require.ErrorIs(t, err, automation.ErrCancelled)
	assert.Equal(t, automation.StatusCancelled, rep.Outcome)
	assert.False(t, rep.Waves[0].Baked)
	assert.Equal(t, []string{"sandbox-01", "sandbox-02"}, sorted(h.f.ClustersOf("up")))
}

// blockedThenCancelled makes the fake's operations block and returns a
// context cancelled once the first wave's two previews are under way.
func blockedThenCancelled(h *harness) context.Context {
	h.f.Block = true
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(h.f.Ops("preview")) < 2 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	return ctx
}

func TestCancelDuringAnOperation(t *testing.T) {
	t.Parallel()
	h := newHarness()
	rep, err := h.driver.Run(blockedThenCancelled(h), threeRoles(t), automation.RunOptions{Op: automation.OpUp})
	require.ErrorIs(t, err, automation.ErrCancelled)
	assert.Equal(t, automation.StatusCancelled, rep.Outcome)
	for _, c := range rep.Waves[0].Clusters {
		assert.Equal(t, automation.StatusCancelled, c.Status)
	}
	assert.Equal(t, automation.StatusNotRun, rep.Waves[1].Clusters[0].Status)
}

func TestLockedStackIsReportedNotRetried(t *testing.T) {
	t.Parallel()
	h := newHarness()
	h.f.Fail["sandbox-01/preview"] = fmt.Errorf("stack sandbox-01: %w", automation.ErrLocked)
	rep, err := h.driver.Run(t.Context(), threeRoles(t), automation.RunOptions{Op: automation.OpUp})
	require.Error(t, err)
	assert.Contains(t, rep.Waves[0].Clusters[0].Reason, "locked by another update")
	assert.Len(t, h.f.Ops("preview"), 2, "one attempt per cluster: no retry storm")
}

func TestPreviewRunsEveryClusterAndKeepsGoing(t *testing.T) {
	t.Parallel()
	h := newHarness()
	h.f.Rendezvous = 6
	h.f.Fail["sandbox-01/preview"] = errors.New("no credentials")
	rep, err := h.driver.Run(t.Context(), threeRoles(t), automation.RunOptions{Op: automation.OpPreview, Parallel: 6})
	require.Error(t, err)
	assert.Len(t, h.f.Ops("preview"), 6, "a failed preview does not stop the others")
	assert.Equal(t, 6, h.f.MaxRunning(), "previews ignore waves")
	assert.Empty(t, h.f.Ops("up"))
	assert.Empty(t, h.f.Ops("gate"))
	assert.Equal(t, automation.StatusFailed, rep.Waves[0].Clusters[0].Status)
	assert.Equal(t, automation.StatusSucceeded, rep.Waves[2].Clusters[1].Status)
}

func TestSelectionErrors(t *testing.T) {
	t.Parallel()
	fleet := fleetOf(t, role{name: "sandbox", wave: 0, clusters: 1})
	_, err := automation.NewRollout(fleet, automation.Selection{Roles: []string{"qa"}}, automation.RolloutOptions{})
	assert.EqualError(t, err, `unknown role "qa"; roles: sandbox`)
	_, err = automation.NewRollout(fleet, automation.Selection{Clusters: []string{"x"}}, automation.RolloutOptions{})
	assert.EqualError(t, err, `unknown cluster "x"; clusters: sandbox-01`)
	plan, err := automation.NewRollout(fleet, automation.Selection{Clusters: []string{"sandbox-01"}}, automation.RolloutOptions{})
	require.NoError(t, err)
	assert.Len(t, plan.Clusters(), 1)
}

func names(w automation.Wave) []string {
	var out []string
	for _, c := range w.Clusters {
		out = append(out, c.Name)
	}
	return out
}

func sorted(xs []string) []string {
	out := append([]string(nil), xs...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if order(out[j]) < order(out[i]) {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func order(name string) string {
	for i, prefix := range []string{"sandbox", "nonprod", "prod"} {
		if strings.HasPrefix(name, prefix) {
			return fmt.Sprint(i) + name
		}
	}
	return name
}

// doneRecorder is an audit trail that keeps what the driver reports.
type doneRecorder struct {
	mu    sync.Mutex
	calls map[string]automation.ClusterResult
	waves map[string]int
	count int
}

func (r *doneRecorder) Err() error { return nil }

func (r *doneRecorder) Done(w automation.Wave, c *environments.Cluster, res automation.ClusterResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls, r.waves = map[string]automation.ClusterResult{}, map[string]int{}
	}
	r.calls[c.Name] = res
	r.waves[c.Name] = w.Number
	r.count++
}

// TestEveryClusterIsReportedDoneOnce: the audit trail
// sees each cluster of the plan exactly once, failed and not-run ones too.
func TestEveryClusterIsReportedDoneOnce(t *testing.T) {
	t.Parallel()
	h := newHarness()
	rec := &doneRecorder{}
	h.driver.Audit = rec
	h.f.Fail["nonprod-01/up"] = errors.New("creating node group: AccessDenied")
	_, err := h.driver.Run(t.Context(), threeRoles(t), automation.RunOptions{Op: automation.OpUp})
	require.Error(t, err)
	assert.Equal(t, 6, rec.count, "once per cluster")
	status := map[string]string{}
	for name, res := range rec.calls {
		status[name] = res.Status
	}
	assert.Equal(t, map[string]string{
		"sandbox-01": automation.StatusSucceeded, "sandbox-02": automation.StatusSucceeded,
		"nonprod-01": automation.StatusFailed, "nonprod-02": automation.StatusSucceeded,
		"prod-01": automation.StatusNotRun, "prod-02": automation.StatusNotRun,
	}, status)
	assert.Equal(t, "creating node group: AccessDenied", rec.calls["nonprod-01"].Reason)
	assert.Equal(t, 1, rec.waves["nonprod-01"])
	ok := rec.calls["sandbox-01"]
	assert.False(t, ok.Started.IsZero())
	assert.False(t, ok.Finished.Before(ok.Started))
	assert.True(t, rec.calls["prod-01"].Started.IsZero(), "a cluster that never ran has no start")

	rec = &doneRecorder{}
	h = newHarness()
	h.driver.Audit = rec
	_, err = h.driver.Run(blockedThenCancelled(h), threeRoles(t), automation.RunOptions{Op: automation.OpUp})
	require.ErrorIs(t, err, automation.ErrCancelled)
	assert.Equal(t, 6, rec.count)
	assert.Equal(t, automation.StatusCancelled, rec.calls["sandbox-01"].Status)
	assert.Equal(t, automation.StatusNotRun, rec.calls["prod-02"].Status)
}

// TestPendingOperationsStopEveryOperationOfTheirStack: a stack an
// interrupted run left with pending operations is neither previewed nor
// changed; the error names them and the recovery command. The other
// clusters of the wave still run.
func TestPendingOperationsStopEveryOperationOfTheirStack(t *testing.T) {
	t.Parallel()
	for _, op := range []automation.Operation{automation.OpPreview, automation.OpUp, automation.OpRefresh} {
		h := newHarness()
		plan := threeRoles(t)
		name := plan.Waves[0].Clusters[0].Name
		for _, c := range plan.Clusters() {
			h.f.State[c.Name] = []automation.StateResource{{URN: "urn:" + c.Name, Type: "pulumi:pulumi:Stack"}}
		}
		h.f.Pending[name] = []automation.PendingOperation{{Type: "creating", URN: "urn:pulumi:" + name + "::eksplatform::aws:eks/nodeGroup:NodeGroup::mgmt", ResourceType: "aws:eks/nodeGroup:NodeGroup"}}
		rep, err := h.driver.Run(t.Context(), plan, automation.RunOptions{Op: op})
		require.ErrorIs(t, err, automation.ErrPending, op)
		res := rep.Waves[0].Clusters[0]
		assert.Equal(t, automation.StatusFailed, res.Status, op)
		assert.Contains(t, res.Reason, "1 pending operation(s): creating urn:pulumi:"+name+"::eksplatform::aws:eks/nodeGroup:NodeGroup::mgmt", op)
		assert.Contains(t, res.Reason, "eksplatform recover --cluster "+name, op)
		for _, c := range h.f.Calls() {
			assert.NotEqual(t, name, c.Cluster, "%s: %s was not touched (%s)", op, name, c.Op)
		}
		assert.Equal(t, automation.StatusSucceeded, rep.Waves[0].Clusters[1].Status, "%s: the rest of the wave runs", op)
	}
}

// failingTrail is an audit trail whose records could not be written.
type failingTrail struct {
	mu   sync.Mutex
	done []string
}

func (f *failingTrail) Done(_ automation.Wave, c *environments.Cluster, _ automation.ClusterResult) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done = append(f.done, c.Name)
}

func (f *failingTrail) Err() error { return errors.New("2 audit record(s) could not be written") }

// TestATrailThatCannotBeWrittenFailsTheRunAfterItsOwnError: the rule is the
// driver's, so every caller gets it.
func TestATrailThatCannotBeWrittenFailsTheRunAfterItsOwnError(t *testing.T) {
	t.Parallel()
	h := newHarness()
	trail := &failingTrail{}
	h.driver.Audit = trail
	rep, err := h.driver.Run(t.Context(), threeRoles(t), automation.RunOptions{Op: automation.OpRefresh})
	var ae *automation.AuditError
	require.ErrorAs(t, err, &ae, "a run that succeeded fails with its trail")
	assert.Equal(t, automation.StatusSucceeded, rep.Outcome, "the report still says how the run went")
	assert.Len(t, trail.done, 6, "every cluster was handed to the trail")

	h = newHarness()
	h.driver.Audit = &failingTrail{}
	h.f.Fail["sandbox-01/preview"] = errors.New("no credentials")
	_, err = h.driver.Run(t.Context(), threeRoles(t), automation.RunOptions{Op: automation.OpPreview})
	require.ErrorAs(t, err, &ae)
	errs := err.(interface{ Unwrap() []error }).Unwrap()
	require.Len(t, errs, 2)
	assert.Contains(t, errs[0].Error(), "no credentials", "the run's own error first")
	assert.Equal(t, "2 audit record(s) could not be written", errs[1].Error())
}
