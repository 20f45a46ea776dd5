package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/automation/upgrade"
	"github.com/eksplatform/eksplatform/contract"
	"github.com/eksplatform/eksplatform/environments"
)

var update = flag.Bool("update", false, "rewrite the golden plans under testdata/plan")

// planDay fixes the day support windows are measured against, so goldens
// do not age.
const planDay = "2026-12-01"

// bumped copies the example environments with eks_version changed per role;
// the roles named in accept also accept cert-manager on their new version
// (no cert-manager release supports 1.37 yet: see catalog/data/charts.json).
func bumped(t *testing.T, versions map[string]string, accept ...string) string {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join(envDir, "*.json"))
	require.NoError(t, err)
	re := regexp.MustCompile(`"eks_version": "[0-9.]+"`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		role := strings.TrimSuffix(filepath.Base(f), ".json")
		if v, ok := versions[role]; ok {
			require.True(t, re.Match(data), f)
			data = re.ReplaceAll(data, []byte(`"eks_version": "`+v+`"`))
			if slices.Contains(accept, role) {
				require.NotContains(t, string(data), `"charts"`, f)
				data = bytes.Replace(data, []byte(`  "clusters": [`),
					[]byte(`  "charts": { "cert-manager": { "accept_unsupported_kubernetes": ["`+v+`"] } },`+"\n"+`  "clusters": [`), 1)
			}
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o600))
	}
	return dir
}

// golden compares got with testdata/plan/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "plan", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run `go test ./cmd/eksplatform -run TestPlanGoldens -update` to write it")
	assert.Equal(t, string(want), got, "%s changed; if on purpose, rerun with -update and review the diff", path)
}

// TestPlanGoldens: the examples as they are, the examples with nonprod and
// prod bumped (planned against the originals), and an unsafe bump.
func TestPlanGoldens(t *testing.T) {
	t.Parallel()
	upgradeDir := bumped(t, map[string]string{"nonprod": "1.37", "prod": "1.37"}, "nonprod", "prod")
	unsafeDir := bumped(t, map[string]string{"prod": "1.37", "sandbox": "1.36"})
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"examples", []string{"--environments", envDir}, 0},
		{"upgrade", []string{"--environments", upgradeDir, "--base-environments", envDir}, 0},
		{"unsafe", []string{"--environments", unsafeDir, "--base-environments", envDir}, 1},
	} {
		for _, format := range []struct{ flag, ext string }{{"text", "txt"}, {"markdown", "md"}, {"json", "json"}} {
			t.Run(tc.name+"."+format.ext, func(t *testing.T) {
				t.Parallel()
				args := append([]string{"plan", "--offline", "--today", planDay, "--format", format.flag}, tc.args...)
				code, out, errOut := cli(args...)
				assert.Equal(t, tc.code, code, errOut)
				golden(t, tc.name+"."+format.ext, out)
			})
		}
	}
}

func loadPlan(t *testing.T, data string) *upgrade.Plan {
	t.Helper()
	var p upgrade.Plan
	require.NoError(t, json.Unmarshal([]byte(data), &p))
	return &p
}

// findingsOf lists a plan's findings of a severity as "CODE subject".
func findingsOf(p *upgrade.Plan, severity string) []string {
	var out []string
	for _, f := range p.Findings {
		if f.Severity == severity {
			out = append(out, f.Code+" "+f.Subject)
		}
	}
	return out
}

// TestUpgradeScenario reads the upgrade and unsafe plans as a tool would.
func TestUpgradeScenario(t *testing.T) {
	t.Parallel()
	code, out, errOut := cli("plan", "--offline", "--today", planDay, "--format", "json",
		"--environments", bumped(t, map[string]string{"nonprod": "1.37", "prod": "1.37"}, "nonprod", "prod"), "--base-environments", envDir)
	require.Equal(t, 0, code, errOut)
	p := loadPlan(t, out)
	require.Len(t, p.Clusters, 5)
	for _, c := range p.Clusters {
		assert.Equal(t, upgrade.SourceBase, c.Current.Source, c.Cluster)
		if c.Role != "nonprod" && c.Role != "prod" {
			assert.Empty(t, c.Steps, "%s is not touched", c.Cluster)
			continue
		}
		var kinds []string
		for _, s := range c.Steps {
			kinds = append(kinds, s.Kind)
		}
		assert.Equal(t, []string{"preflight", "control-plane", "node-group", "addon", "data-plane"}, kinds,
			"%s: preflight, control plane, nodes, then kube-proxy (the other addons are the same build for both minors), data plane", c.Cluster)
		assert.Equal(t, "control plane 1.36 → 1.37", c.Steps[1].Title)
		assert.Equal(t, "addon kube-proxy", c.Steps[3].Title)
		assert.False(t, c.Refused)
		assert.Equal(t, "1.36", c.Current.Kubernetes)
		assert.Equal(t, "1.37", c.Desired.Kubernetes)
	}
	assert.Empty(t, findingsOf(p, upgrade.Error))
	assert.ElementsMatch(t, []string{"ADD105 sandbox", "ADD105 preview", "ADD105 nonprod", "ADD105 prod",
		"CHT101 sbx-i01-aws-us-east-1", "CHT101 pre-i01-aws-us-east-2", "CHT101 np-i01-aws-us-east-2",
		"CHT101 prod-i01-aws-us-east-2", "CHT101 prod-i02-aws-us-west-2"}, findingsOf(p, upgrade.Warning),
		"1.37's addon rows are estimates; every 1.37 role accepts cert-manager beyond its support")

	// The same bump without the acceptance: cert-manager does not support 1.37.
	code, out, _ = cli("plan", "--offline", "--today", planDay, "--format", "json",
		"--environments", bumped(t, map[string]string{"nonprod": "1.37", "prod": "1.37"}), "--base-environments", envDir)
	assert.Equal(t, 1, code, "a chart that does not support the target refuses the bump")
	p = loadPlan(t, out)
	assert.ElementsMatch(t, []string{"CHT101 np-i01-aws-us-east-2", "CHT101 prod-i01-aws-us-east-2", "CHT101 prod-i02-aws-us-west-2"}, findingsOf(p, upgrade.Error))
	for _, f := range p.Findings {
		if f.Code == "CHT101" && f.Severity == upgrade.Error {
			assert.Contains(t, f.Message, "chart cert-manager v1.21.2 supports Kubernetes 1.33–1.36")
			assert.Contains(t, f.Fix, `"accept_unsupported_kubernetes": ["1.37"]`)
		}
	}

	code, out, _ = cli("plan", "--offline", "--today", planDay, "--format", "json",
		"--environments", bumped(t, map[string]string{"prod": "1.37", "sandbox": "1.36"}), "--base-environments", envDir)
	assert.Equal(t, 1, code, "an unsafe bump is refused")
	p = loadPlan(t, out)
	assert.ElementsMatch(t, []string{"EKS102 sbx-i01-aws-us-east-1", "FLT101 preview", "FLT101 prod",
		"CHT101 prod-i01-aws-us-east-2", "CHT101 prod-i02-aws-us-west-2"}, findingsOf(p, upgrade.Error))
	assert.True(t, p.Clusters[0].Refused, "the downgraded sandbox")
	assert.False(t, p.Clusters[2].Refused, "nonprod is not touched")
	assert.True(t, p.Clusters[3].Refused, "prod goes ahead of nonprod")
}

func TestPlanOutAndUsage(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "plan.md")
	code, stdout, errOut := cli("plan", "--offline", "--today", planDay, "--format", "markdown", "--out", out,
		"--environments", bumped(t, map[string]string{"prod": "1.37"}, "prod"))
	assert.Equal(t, 1, code, "FLT101: prod ahead of nonprod")
	assert.Empty(t, stdout)
	assert.Contains(t, errOut, "wrote "+out)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(data), "| ❌ | FLT101 | prod |", "the plan is written even when a check fails")

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "--format", "yaml"}, `--format must be text, json or markdown, got "yaml"`},
		{[]string{"plan", "--today", "22/11/2026"}, "--today must be a date like 2026-11-22"},
		{[]string{"plan", "--offline", "--role", "staging"}, "unknown role"},
		{[]string{"plan", "--backend", "file:///does/not/exist"}, "plan reads state and never creates it"},
		{[]string{"plan", "--offline", "--backend", "file:///tmp"}, "--offline reads no backend"},
		{[]string{"plan", "--offline", "--fail-on", "EKS999"}, `--fail-on takes error, warning or a check code`},
	} {
		code, _, errOut := cli(append(tc.args, "--environments", envDir)...)
		assert.Equal(t, 2, code, "%v", tc.args)
		assert.Contains(t, errOut, tc.want, "%v", tc.args)
	}

	code, _, errOut = cli("plan", "--offline", "--environments", envDir, "--base-environments", badEnvironments(t))
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "the base environments do not load:")
	assert.Contains(t, errOut, `eks_verison: unknown field`)
}

// TestPlanFailOn: the scheduled check fails on an approaching end of
// support, which the default does not.
func TestPlanFailOn(t *testing.T) {
	t.Parallel()
	code, _, errOut := cli("plan", "--offline", "--today", planDay, "--environments", envDir)
	assert.Equal(t, 0, code, "warnings alone pass")
	assert.Empty(t, errOut)
	// 1.36's standard support ends on 2027-08-02: 62 days before, nonprod
	// and prod's three clusters are inside the 90-day window.
	code, out, errOut := cli("plan", "--offline", "--today", "2027-06-01", "--environments", envDir, "--fail-on", "error,EKS104,EKS105")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "WARNING EKS104 np-i01-aws-us-east-2", "the plan is still printed")
	assert.Contains(t, errOut, "plan: 3 finding(s) fail it (--fail-on error,EKS104,EKS105)")
	code, _, _ = cli("plan", "--offline", "--today", planDay, "--environments", envDir, "--fail-on", "error,EKS104,EKS105")
	assert.Equal(t, 0, code, "months before the end of support nothing fails")
}

func TestPlanSelectsRoles(t *testing.T) {
	t.Parallel()
	code, out, errOut := cli("plan", "--offline", "--today", planDay, "--format", "json", "--environments", envDir, "--role", "prod")
	require.Equal(t, 0, code, errOut)
	p := loadPlan(t, out)
	require.Len(t, p.Clusters, 2)
	assert.Equal(t, "prod-i01-aws-us-east-2", p.Clusters[0].Cluster)
	assert.Len(t, p.Waves, 2, "prod's canary and the rest")
}

// TestPlanReadsTheBackend makes stacks with the real engine in a file://
// backend, with the outputs the cluster program exports, then plans: the
// current versions come from there, not from the environment files.
func TestPlanReadsTheBackend(t *testing.T) {
	const passphrase = "plan-passphrase-canary"
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", passphrase)
	t.Setenv("PULUMI_HOME", t.TempDir())
	state := t.TempDir()
	fleet, err := environments.Load(envDir)
	require.NoError(t, err)

	running := map[string]string{"np-i01-aws-us-east-2": "1.35", "prod-i01-aws-us-east-2": "1.36", "prod-i02-aws-us-west-2": "1.35"}
	path, err := automation.FindPulumi(".")
	require.NoError(t, err, "the real-engine tests need the Pulumi CLI: run `make setup`")
	command, err := automation.NewCommand(path)
	require.NoError(t, err)
	backend, err := automation.NewPulumiBackend(automation.PulumiOptions{
		BackendURL: "file://" + state, Command: command,
		Env: map[string]string{"PULUMI_CONFIG_PASSPHRASE": passphrase},
		Program: func(c *environments.Cluster) pulumi.RunFunc {
			return func(ctx *pulumi.Context) error {
				k8s := running[c.Name]
				var r struct{ pulumi.ResourceState }
				if err := ctx.RegisterComponentResource("eksplatform:test:Foundation", c.Name, &r); err != nil {
					return err
				}
				ctx.Export(contract.KubernetesVersion, pulumi.String(k8s))
				ctx.Export(contract.NodeGroupRelease, pulumi.String(k8s+".4-20251001"))
				ctx.Export(contract.KarpenterVersion, pulumi.String("1.9.0"))
				ctx.Export(contract.AddonVersions, pulumi.StringMap{"coredns": pulumi.String("v1.11.4-eksbuild.14"), "kube-proxy": pulumi.String("v" + k8s + ".9-eksbuild.1")})
				ctx.Export(contract.Kubeconfig, pulumi.ToSecret(pulumi.String("apiVersion: v1")))
				return nil
			}
		},
	})
	require.NoError(t, err)
	ctx := t.Context()
	for name := range running {
		c, ok := fleet.Cluster(name)
		require.True(t, ok)
		stack, err := backend.Open(ctx, c)
		require.NoError(t, err)
		_, err = stack.Up(ctx, automation.UpOptions{})
		require.NoError(t, err, name)
	}

	code, out, errOut := cli("plan", "--today", planDay, "--format", "json", "--environments", envDir, "--backend", "file://"+state)
	assert.Equal(t, 0, code, errOut)
	assert.Contains(t, errOut, "reading current versions from file://"+state)
	p := loadPlan(t, out)
	byName := map[string]upgrade.ClusterPlan{}
	for _, c := range p.Clusters {
		byName[c.Cluster] = c
	}
	np := byName["np-i01-aws-us-east-2"]
	assert.Equal(t, upgrade.Current{Source: upgrade.SourceState, Versions: upgrade.Versions{Kubernetes: "1.35", NodeRelease: "1.35.4-20251001",
		Karpenter: "1.9.0", Addons: map[string]string{"coredns": "v1.11.4-eksbuild.14", "kube-proxy": "v1.35.9-eksbuild.1"}}}, np.Current)
	require.GreaterOrEqual(t, len(np.Steps), 2)
	assert.Equal(t, "control-plane", np.Steps[1].Kind)
	assert.Equal(t, "1.35", np.Steps[1].From)
	assert.Equal(t, upgrade.SourceNew, byName["sbx-i01-aws-us-east-1"].Current.Source, "no stack: a new cluster")

	var kinds []string
	for _, s := range byName["prod-i01-aws-us-east-2"].Steps {
		kinds = append(kinds, s.Kind+" "+s.Title)
	}
	// prod-i01 runs 1.36 already: coredns moves up, the addons its outputs do
	// not list are installed, kube-proxy runs a newer 1.36 build than the
	// table knows and stays, the nodes run a 1.36 release and stay;
	// Container Insights, new in prod's file, is installed last of the addons.
	assert.Equal(t, []string{"addon addon vpc-cni", "addon addon coredns", "addon addon aws-ebs-csi-driver", "addon addon aws-efs-csi-driver",
		"addon addon amazon-cloudwatch-observability", "karpenter karpenter chart and CRDs"}, kinds)
	assert.Equal(t, "none", byName["prod-i01-aws-us-east-2"].Steps[0].From)

	var found []string
	for _, f := range p.Findings {
		found = append(found, f.Severity+" "+f.Code+" "+f.Subject)
	}
	assert.Contains(t, found, "warning FLT102 prod", "prod's clusters run 1.35 and 1.36")
	assert.NotContains(t, out+errOut, passphrase)
	assert.NotContains(t, out, "apiVersion: v1", "secrets are never read")

	code, out, errOut = cli("plan", "--today", planDay, "--environments", bumped(t, map[string]string{"nonprod": "1.37"}, "nonprod"), "--backend", "file://"+state)
	assert.Equal(t, 1, code, errOut)
	assert.Contains(t, out, "ERROR EKS101 np-i01-aws-us-east-2: eks_version 1.37 skips a minor version: the cluster runs 1.35")

	code, out, errOut = cli("status", "--environments", envDir, "--backend", "file://"+state)
	assert.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "np-i01-aws-us-east-2")
	// A wrong passphrase is a failure that says so, not a table of dashes.
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "not-the-passphrase")
	code, _, errOut = cli("status", "--environments", envDir, "--backend", "file://"+state)
	assert.Equal(t, 1, code, errOut)
	assert.Contains(t, errOut, "error: np-i01-aws-us-east-2: stack np-i01-aws-us-east-2: the passphrase does not decrypt the state")
	assert.Contains(t, errOut, "status: the state of 3 cluster(s) could not be read")
}

// TestPlanNeedsNoPassphraseForAnEmptyStateDirectory: a failed status or
// preview leaves an empty .pulumi-state/; make plan must still work
// without a passphrase. With stacks there, the missing passphrase names
// --offline.
func TestPlanNeedsNoPassphraseForAnEmptyStateDirectory(t *testing.T) {
	envs, err := filepath.Abs(envDir)
	require.NoError(t, err)
	t.Chdir(t.TempDir())
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "")
	require.NoError(t, os.Unsetenv("PULUMI_CONFIG_PASSPHRASE"))
	t.Setenv("PULUMI_BACKEND_URL", "")
	require.NoError(t, os.MkdirAll(filepath.Join(automation.DefaultStateDir, ".pulumi", "stacks"), 0o700))
	code, _, errOut := cli("plan", "--today", planDay, "--environments", envs)
	assert.Equal(t, 0, code, errOut)
	assert.NotContains(t, errOut, "PULUMI_CONFIG_PASSPHRASE")

	stack := filepath.Join(automation.DefaultStateDir, ".pulumi", "stacks", "organization", "eksplatform")
	require.NoError(t, os.MkdirAll(stack, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(stack, "np-i01-aws-us-east-2.json"), []byte("{}"), 0o600))
	code, _, errOut = cli("plan", "--today", planDay, "--environments", envs)
	assert.Equal(t, 2, code, errOut)
	assert.Contains(t, errOut, "PULUMI_CONFIG_PASSPHRASE is not set")
	assert.Contains(t, errOut, "--offline plans from the environment files alone")
}
