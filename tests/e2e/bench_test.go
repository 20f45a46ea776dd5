package e2e

import (
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/eksplatform/eksplatform/automation"
)

// BenchmarkPreviewOverhead compares, on the same file backend and inline
// program, the driver's preview of one stack (open, preview, collect events)
// with a direct auto.Stack.Preview, and reports driver/direct.
func BenchmarkPreviewOverhead(b *testing.B) {
	t := &testing.T{}
	e := newEnv(t, 1, 1)
	if t.Failed() {
		b.Fatal("setup failed")
	}
	ctx := b.Context()
	zero := time.Duration(0)
	plan, err := automation.NewRollout(e.fleet, automation.Selection{}, automation.RolloutOptions{Bake: &zero})
	if err != nil {
		b.Fatal(err)
	}
	d := &automation.Driver{Backend: e.backend}
	if _, err := d.Run(ctx, plan, automation.RunOptions{Op: automation.OpUp}); err != nil {
		b.Fatal(err)
	}
	c := plan.Clusters()[0]
	direct, err := auto.UpsertStackInlineSource(ctx, c.Name, automation.ProjectName, e.programs.For(c),
		auto.Project(workspace.Project{Name: tokens.PackageName(automation.ProjectName), Runtime: workspace.NewProjectRuntimeInfo("go", nil),
			Backend: &workspace.ProjectBackend{URL: "file://" + e.state}}),
		auto.Pulumi(pulumiCommand(t)), auto.PulumiHome(b.TempDir()),
		auto.EnvVars(map[string]string{"PULUMI_CONFIG_PASSPHRASE": "e2e-passphrase"}))
	if err != nil {
		b.Fatal(err)
	}
	var viaDriver, viaAuto time.Duration
	runDirect := func() {
		start := time.Now()
		if _, err := direct.Preview(ctx); err != nil {
			b.Fatal(err)
		}
		viaAuto += time.Since(start)
	}
	runDriver := func() {
		start := time.Now()
		if _, err := d.Run(ctx, plan, automation.RunOptions{Op: automation.OpPreview}); err != nil {
			b.Fatal(err)
		}
		viaDriver += time.Since(start)
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		// Alternate which goes first, so neither pays for the other's warm-up.
		if i%2 == 0 {
			runDirect()
			runDriver()
		} else {
			runDriver()
			runDirect()
		}
		i++
	}
	b.ReportMetric(float64(viaAuto.Milliseconds())/float64(b.N), "direct-ms")
	b.ReportMetric(float64(viaDriver.Milliseconds())/float64(b.N), "driver-ms")
	b.ReportMetric(float64(viaDriver)/float64(viaAuto), "driver/direct")
}
