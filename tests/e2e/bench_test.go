package e2e

import (
	"runtime"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/tests/s3fake"
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

// BenchmarkWaveOnS3 runs the first up of 20 toy stacks on S3 state
// (gofakes3 on loopback), once one stack at a time and once as one wave of
// 20 in parallel, each on a fresh bucket, and reports the wave's wall time
// against the sum of the single runs (parallel-efficiency is sum / (wall ×
// min(20, cores)); at 1.0 the engine would scale perfectly on this machine).
func BenchmarkWaveOnS3(b *testing.B) {
	const n = 20
	t := &testing.T{}
	var sum, wall time.Duration
	for b.Loop() {
		e := newEnv(t, 1, n)
		if t.Failed() {
			b.Fatal("setup failed")
		}
		run := func(s3 *s3fake.Server, sel automation.Selection, parallel int) time.Duration {
			zero := time.Duration(0)
			plan, err := automation.NewRollout(e.fleet, sel, automation.RolloutOptions{Bake: &zero, Parallel: parallel})
			if err != nil {
				b.Fatal(err)
			}
			d := &automation.Driver{Backend: e.machineOn(t, s3, "e2e-passphrase")}
			start := time.Now()
			if _, err := d.Run(b.Context(), plan, automation.RunOptions{Op: automation.OpUp}); err != nil {
				b.Fatal(err)
			}
			return time.Since(start)
		}
		single := s3fake.Start(b, "single")
		for _, c := range e.fleet.Clusters() {
			sum += run(single, automation.Selection{Clusters: []string{c.Name}}, 1)
		}
		wall += run(s3fake.Start(b, "wave"), automation.Selection{}, n)
	}
	cores := min(n, runtime.NumCPU())
	b.ReportMetric(sum.Seconds()/float64(b.N), "sum-of-singles-s")
	b.ReportMetric(wall.Seconds()/float64(b.N), "wave-wall-s")
	b.ReportMetric(float64(sum)/float64(wall), "speedup")
	b.ReportMetric(float64(sum)/float64(wall)/float64(cores), "parallel-efficiency")
}
