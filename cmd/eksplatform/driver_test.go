package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/automation/audit"
	"github.com/eksplatform/eksplatform/automation/automationtest"
	"github.com/eksplatform/eksplatform/automation/upgrade"
	"github.com/eksplatform/eksplatform/environments"
)

func TestDriverCommandsRefuseWhatTheyShouldNot(t *testing.T) {
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "test")
	for name, tc := range map[string]struct {
		args []string
		want []string
	}{
		"preview without a selection": {[]string{"preview"}, []string{"choose the clusters: --role R (repeatable), --cluster C or --all"}},
		"--all with --role":           {[]string{"preview", "--all", "--role", "prod"}, []string{"--all runs every cluster"}},
		"up without --yes": {[]string{"up", "--all"}, []string{
			"up: 5 cluster(s) in 5 wave(s)",
			"wave 0 (sandbox): sbx-i01-aws-us-east-1 — 4 at a time, bake 30m0s",
			"wave 3 (canary) (prod): prod-i01-aws-us-east-2 — 2 at a time, bake 8m0s",
			"run again with --yes to apply",
		}},
		"destroy of a protected role": {[]string{"destroy", "--role", "prod", "--yes"}, []string{
			`destroy refuses to start: prod-i01-aws-us-east-2 (role prod) is not ephemeral; prod-i02-aws-us-west-2 (role prod) is not ephemeral; their EKS clusters, KMS keys and file systems are protected`,
			`Set "ephemeral": true in the role's file (../../environments/prod.json; a reviewed change) first; nothing was changed`}},
		"destroy without --yes": {[]string{"destroy", "--role", "sandbox"}, []string{"destroy deletes every resource of role sandbox; run again with --yes"}},
		"destroy of two roles":  {[]string{"destroy", "--role", "sandbox", "--role", "prod", "--yes"}, []string{"destroy takes exactly one --role"}},
		"bad bake":              {[]string{"up", "--all", "--yes", "--bake", "soon"}, []string{`--bake must be a duration like 30m or 0s, got "soon"`}},
		"resume past the end":   {[]string{"up", "--all", "--yes", "--from-wave", "9"}, []string{"no wave 9 or later in this plan; its waves are 0, 1, 2, 3"}},
		"unknown role":          {[]string{"refresh", "--role", "qa"}, []string{`unknown role "qa"; roles: sandbox, preview, nonprod, prod`}},
		"parallel 0":            {[]string{"up", "--all", "--yes", "--parallel", "0"}, []string{"--parallel must be between 1 and 64, got 0"}},
		"parallel -1":           {[]string{"preview", "--all", "--parallel", "-1"}, []string{"--parallel must be between 1 and 64, got -1"}},
		"negative wave":         {[]string{"up", "--all", "--yes", "--from-wave", "-2"}, []string{"--from-wave must be a wave number (0 or more"}},
		"negative bake":         {[]string{"up", "--all", "--yes", "--bake", "-5m"}, []string{`--bake must be a duration like 30m or 0s, got "-5m"`}},
		"absurd bake":           {[]string{"up", "--all", "--yes", "--bake", "9000h"}, []string{"--bake must be at most 24h0m0s"}},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := cli(append(tc.args, "--environments", envDir, "--backend", "file://"+t.TempDir())...)
			assert.Equal(t, 2, code, errOut)
			for _, w := range tc.want {
				assert.Contains(t, errOut, w)
			}
		})
	}
}

func TestThePassphraseMustBeSet(t *testing.T) {
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "")
	require.NoError(t, os.Unsetenv("PULUMI_CONFIG_PASSPHRASE"))
	code, _, errOut := cli("preview", "--all", "--environments", envDir, "--backend", "file://"+t.TempDir())
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "PULUMI_CONFIG_PASSPHRASE is not set")
	assert.NotContains(t, errOut, "panic")
}

// TestPreviewWithoutPluginsSaysSo runs the real program of an example cluster
// through the real engine: with no provider plugins and no AWS credentials on
// this machine it must fail, and say which of the two is missing.
func TestPreviewWithoutPluginsSaysSo(t *testing.T) {
	const passphrase = "p4ss-phrase-canary"
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", passphrase)
	t.Setenv("PULUMI_HOME", t.TempDir())
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "eksplatform-test-nonexistent")
	out := t.TempDir()
	md, js := filepath.Join(out, "report.md"), filepath.Join(out, "report.json")
	state := t.TempDir()
	code, stdout, errOut := cli("preview", "--cluster", "np-i01-aws-us-east-2", "--environments", envDir,
		"--backend", "file://"+state, "--report-md", md, "--json", js)
	assert.Equal(t, 1, code)
	missing := strings.Contains(errOut, "provider plugins are missing") || strings.Contains(errOut, "AWS credentials are missing")
	assert.True(t, missing, "the error says what is missing:\n%s", errOut)
	assert.Contains(t, stdout, "np-i01-aws-us-east-2  failed")

	report, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Contains(t, string(report), "| wave 2 | np-i01-aws-us-east-2 | – | – | – | – | **failed** |")
	var rep automation.Report
	data, err := os.ReadFile(js)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	assert.Equal(t, "failed", rep.Outcome)
	trail, err := os.ReadFile(filepath.Join(state, "audit.jsonl"))
	require.NoError(t, err, "the failed run is in the audit trail beside the state")
	var rec audit.Record
	require.NoError(t, json.Unmarshal(trail, &rec))
	assert.Equal(t, "np-i01-aws-us-east-2", rec.Cluster)
	assert.Equal(t, "preview", rec.Command)
	assert.Equal(t, "failed", rec.Result)
	assert.NotEmpty(t, rec.Reason)
	assert.Regexp(t, `^[0-9a-f]{40}$`, rec.Commit, "the commit of this checkout")
	assert.Contains(t, errOut, "audit: 1 record(s) of run "+rec.RunID)
	assert.NotContains(t, string(data)+string(report)+stdout+errOut+string(trail), passphrase, "the passphrase is never written")
}

// TestAuditOfARunThatNeedsNoCloud: a refresh of clusters whose stacks hold
// nothing succeeds without plugins or credentials; its records are written,
// and a trail that cannot be written fails the run, saying why.
func TestAuditOfARunThatNeedsNoCloud(t *testing.T) {
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "test")
	t.Setenv("PULUMI_HOME", t.TempDir())
	t.Setenv("AWS_PROFILE", "eksplatform-test-nonexistent")
	t.Setenv("EKSPLATFORM_AUDIT", "")
	trailFile := filepath.Join(t.TempDir(), "trail", "audit.jsonl")
	code, _, errOut := cli("refresh", "--role", "prod", "--environments", envDir, "--backend", "file://"+t.TempDir(), "--audit", "file://"+trailFile)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "audit: 2 record(s) of run ")

	code, out, errOut := cli("audit", "--audit", "file://"+trailFile, "--json")
	require.Equal(t, 0, code, errOut)
	var recs []audit.Record
	require.NoError(t, json.Unmarshal([]byte(out), &recs))
	require.Len(t, recs, 2)
	for _, r := range recs {
		assert.Equal(t, "refresh", r.Command)
		assert.Equal(t, "skipped", r.Result)
		assert.Equal(t, "prod", r.Role)
		assert.Equal(t, 3, r.Wave)
		assert.Contains(t, r.Reason, "new cluster")
		assert.Equal(t, recs[0].RunID, r.RunID, "one run id for the run's clusters")
	}

	code, out, errOut = cli("refresh", "--role", "prod", "--environments", envDir, "--backend", "file://"+t.TempDir(), "--audit", "file:///dev/null/audit.jsonl")
	assert.Equal(t, 1, code, "a run whose records cannot be written does not pass")
	assert.Contains(t, errOut, "error: 2 audit record(s) could not be written to file:///dev/null/audit.jsonl: prod-i01-aws-us-east-2: ")
	assert.Contains(t, out, "refresh succeeded", "the run's own outcome is still shown")
}

// statusBackend is a recording backend holding canned stacks: one deployed
// cluster of the fleet, one empty stack of the fleet, and two stacks no file
// declares (one holding resources).
func statusBackend() *automationtest.Backend {
	b := automationtest.New()
	holding := func(n int) []automation.StateResource { return make([]automation.StateResource, n) }
	b.State["np-i01-aws-us-east-2"] = holding(131)
	b.LastUpdate["np-i01-aws-us-east-2"] = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	b.State["pre-i01-aws-us-east-2"] = holding(0)
	b.State["old-sandbox-01"] = holding(40)
	b.State["empty-leftover"] = holding(0)
	return b
}

// TestStacksNoFileDeclaresAreWarnedAbout: a deployed stack whose role file
// was renamed would vanish from status, plan and up without a word.
func TestStacksNoFileDeclaresAreWarnedAbout(t *testing.T) {
	t.Parallel()
	fleet, err := environments.Load(envDir)
	require.NoError(t, err)
	names, err := automation.UndeclaredStacks(t.Context(), fleet, statusBackend())
	require.NoError(t, err)
	assert.Equal(t, []string{"old-sandbox-01"}, names, "a stack that holds nothing is not worth a warning")
	var out strings.Builder
	warnUndeclared(t.Context(), &out, fleet, statusBackend())
	assert.Equal(t, "warning: stack old-sandbox-01 in the backend holds resources but no environment file in ../../environments declares it "+
		"(a renamed or deleted role file?); no command touches it until one does\n", out.String())
}

func TestStatusReadsWhatTheBackendHolds(t *testing.T) {
	t.Parallel()
	fleet, err := environments.Load(envDir)
	require.NoError(t, err)
	b := statusBackend()
	b.Outputs["np-i01-aws-us-east-2"] = map[string]any{"kubernetesVersion": "1.33", "karpenterVersion": "1.14.1",
		"managementNodeGroupReleaseVersion": "1.33.5-20251101", "addonVersions": map[string]any{"coredns": "v1.12.2-eksbuild.4"}}
	b.Pending["np-i01-aws-us-east-2"] = []automation.PendingOperation{{Type: "creating", URN: "urn:pulumi:np::eksplatform::aws:eks/nodeGroup:NodeGroup::mgmt"}}
	// A first up killed mid-way (the machine went away): resources, a
	// pending create, no outputs yet.
	killed := "urn:pulumi:prod-i02-aws-us-west-2::eksplatform::kubernetes:helm.sh/v3:Release::karpenter"
	b.State["prod-i02-aws-us-west-2"] = make([]automation.StateResource, 99)
	b.Pending["prod-i02-aws-us-west-2"] = []automation.PendingOperation{{Type: "creating", URN: killed}}
	b.Outputs["prod-i02-aws-us-west-2"] = map[string]any{}
	rows, err := automation.FleetStatus(t.Context(), fleet.Clusters(), b)
	require.NoError(t, err)
	require.Len(t, rows, 5)
	byName := map[string]automation.ClusterStatus{}
	for _, r := range rows {
		byName[r.Cluster] = r
	}
	np := byName["np-i01-aws-us-east-2"]
	assert.True(t, np.Deployed)
	assert.Equal(t, "1.33", np.Kubernetes)
	nonprod, _ := fleet.Role("nonprod")
	assert.Equal(t, nonprod.EKSVersion, np.Desired, "desired comes from the environment files")
	assert.Equal(t, "1.14.1", np.Karpenter)
	assert.Equal(t, map[string]string{"coredns": "v1.12.2-eksbuild.4"}, np.Addons)
	assert.Equal(t, time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC), *np.LastUpdate)
	assert.Equal(t, []automation.PendingOperation{{Type: "creating", URN: "urn:pulumi:np::eksplatform::aws:eks/nodeGroup:NodeGroup::mgmt"}},
		np.Pending, "status shows what an interrupted run left pending")
	assert.False(t, byName["pre-i01-aws-us-east-2"].Deployed, "an empty stack is not deployed")
	assert.False(t, byName["prod-i01-aws-us-east-2"].Deployed)
	half := byName["prod-i02-aws-us-west-2"]
	assert.Empty(t, half.Error, "a stack whose first up was killed reads: it has no outputs yet")
	assert.False(t, half.Deployed, "its cluster is not deployed yet")
	assert.Equal(t, 99, half.Resources)
	assert.Equal(t, []automation.PendingOperation{{Type: "creating", URN: killed}}, half.Pending, "and status names what to recover")
	state := &upgrade.BackendState{Backend: b}
	c, ok := fleet.Cluster("prod-i02-aws-us-west-2")
	require.True(t, ok)
	v, err := state.Versions(t.Context(), c)
	require.NoError(t, err, "plan and the pre-upgrade checks read it as a new cluster")
	assert.Nil(t, v)
	assert.Equal(t, "sbx-i01-aws-us-east-1", rows[0].Cluster, "wave order")
}

// TestUpAndPreviewRefuseWhatPlanRefuses: prod bumped ahead of nonprod is an
// error of plan (FLT101); up and preview refuse it before touching any
// stack, naming the check and the flag, and --allow-check lets the run go
// on with the override in its audit records.
func TestUpAndPreviewRefuseWhatPlanRefuses(t *testing.T) {
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "test")
	envs := bumped(t, map[string]string{"prod": "1.37"}, "prod")
	for _, args := range [][]string{{"up", "--role", "prod", "--yes"}, {"preview", "--role", "prod"}} {
		state := t.TempDir()
		code, _, errOut := cli(append(args, "--environments", envs, "--backend", "file://"+state, "--audit", "file://"+state+"/audit.jsonl")...)
		assert.Equal(t, 1, code, errOut)
		assert.Contains(t, errOut, "FLT101 prod: ", args)
		assert.Contains(t, errOut, args[0]+" refuses to run: 1 check(s) of `eksplatform plan` fail with an error (above); nothing was changed", args)
		assert.Contains(t, errOut, "--allow-check FLT101", args)
		stacks, _ := filepath.Glob(filepath.Join(state, ".pulumi", "stacks", "*", "*", "*"))
		assert.Empty(t, stacks, "%v: no stack was created", args)
		assert.NoFileExists(t, filepath.Join(state, "audit.jsonl"), "%v: no run was recorded", args)
	}

	state := t.TempDir()
	code, _, errOut := cli("preview", "--role", "prod", "--allow-check", "flt101", "--environments", envs,
		"--backend", "file://"+state, "--audit", "file://"+state+"/audit.jsonl")
	assert.NotContains(t, errOut, "refuses to run")
	assert.Contains(t, errOut, "(allowed by --allow-check FLT101)")
	recs, err := audit.NewFileStore(filepath.Join(state, "audit.jsonl")).List(t.Context(), audit.Filter{})
	require.NoError(t, err, errOut)
	require.NotEmpty(t, recs, "exit %d: %s", code, errOut)
	for _, r := range recs {
		require.Len(t, r.Overrides, 1, r.Cluster)
		assert.True(t, strings.HasPrefix(r.Overrides[0], "FLT101 prod: "), r.Overrides[0])
	}

	code, _, errOut = cli("up", "--role", "prod", "--yes", "--allow-check", "EKS999", "--environments", envs, "--backend", "file://"+t.TempDir())
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `--allow-check takes a check code of `+"`eksplatform plan`")
}

// TestASharedCauseIsWrittenOnce: when every cluster fails for the same cause
// (no provider plugins, no credentials), the table says it once and the
// final error names the clusters together.
func TestASharedCauseIsWrittenOnce(t *testing.T) {
	t.Parallel()
	cause := "provider plugins are missing: Could not automatically download and install resource plugin 'pulumi-resource-aws'"
	rep := &automation.Report{Operation: automation.OpPreview, Outcome: automation.StatusFailed, Waves: []automation.WaveResult{
		{Label: "wave 3 (canary)", Clusters: []automation.ClusterResult{{Cluster: "prod-i01", Status: automation.StatusFailed, Reason: "stack prod-i01: " + cause}}},
		{Label: "wave 3", Clusters: []automation.ClusterResult{
			{Cluster: "prod-i02", Status: automation.StatusFailed, Reason: "stack prod-i02: " + cause},
			{Cluster: "prod-i03", Status: automation.StatusFailed, Reason: "stack prod-i03: no credentials"},
		}},
	}}
	var out strings.Builder
	printTable(&out, rep)
	assert.Equal(t, 1, strings.Count(out.String(), "provider plugins are missing"), out.String())
	assert.Contains(t, out.String(), "the same cause as prod-i01")
	assert.Contains(t, out.String(), "no credentials")
	assert.NotContains(t, out.String(), "stack prod-i0", "the CLUSTER column names the stack")

	audit := &automation.AuditError{Err: errors.New("records lost")}
	run := errors.New("2 cluster(s) failed")
	assert.Equal(t, []error{run, audit}, joined(errors.Join(run, audit)))
	assert.Equal(t, []error{audit}, joined(errors.Join(nil, audit)))
	both := errors.Join(run, errors.New("not an audit error"))
	assert.Equal(t, []error{both}, joined(both), "only the driver's run+audit join is split")
	assert.Nil(t, joined(nil))
}

// TestALongNoteIsCutOnACharacter: the table's notes are cut to 120
// characters, never inside a multi-byte one.
func TestALongNoteIsCutOnACharacter(t *testing.T) {
	t.Parallel()
	rep := &automation.Report{Operation: automation.OpUp, Waves: []automation.WaveResult{{Label: "wave 0", Clusters: []automation.ClusterResult{
		{Cluster: "c", Status: automation.StatusFailed, Reason: strings.Repeat("é", 200)},
	}}}}
	var out strings.Builder
	printTable(&out, rep)
	assert.True(t, utf8.ValidString(out.String()))
	assert.Contains(t, out.String(), strings.Repeat("é", 119)+"…")
}
