package automation_test

import (
	"testing"
	"time"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/automation/automationtest"
)

// BenchmarkScheduling rolls 120 fake clusters out in 4 waves of 30 with a
// limit of 16, each up taking a fixed 50 ms, and reports wall time divided by
// the ideal: the sum over waves of ceil(n/limit) × duration.
func BenchmarkScheduling(b *testing.B) {
	const (
		perWave = 30
		limit   = 16
		d       = 50 * time.Millisecond
	)
	t := &testing.T{}
	fleet := fleetOf(t, role{name: "r0", wave: 0, clusters: perWave}, role{name: "r1", wave: 1, clusters: perWave},
		role{name: "r2", wave: 2, clusters: perWave}, role{name: "r3", wave: 3, clusters: perWave})
	zero := time.Duration(0)
	plan, err := automation.NewRollout(fleet, automation.Selection{}, automation.RolloutOptions{Parallel: limit, Bake: &zero})
	if err != nil {
		b.Fatal(err)
	}
	ideal := time.Duration(0)
	for _, w := range plan.Waves {
		ideal += time.Duration((len(w.Clusters)+limit-1)/limit) * d
	}
	var total time.Duration
	b.ResetTimer()
	for b.Loop() {
		f := automationtest.New()
		f.Delay, f.DelayOnly = d, "up"
		driver := &automation.Driver{Backend: f}
		start := time.Now()
		if _, err := driver.Run(b.Context(), plan, automation.RunOptions{Op: automation.OpUp}); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		if f.MaxRunning() != limit {
			b.Fatalf("max concurrency %d, want %d", f.MaxRunning(), limit)
		}
	}
	b.ReportMetric(float64(total)/float64(b.N)/float64(ideal), "wall/ideal")
	b.ReportMetric(float64(ideal.Milliseconds()), "ideal-ms")
}
