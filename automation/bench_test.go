package automation_test

import (
	"testing"
	"time"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/automation/automationtest"
	"github.com/eksplatform/eksplatform/tests/s3fake"
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

// fleet200 is 200 clusters in 5 waves of 40.
func fleet200(t *testing.T) *automation.Rollout {
	fleet := fleetOf(t, role{name: "r0", wave: 0, clusters: 40}, role{name: "r1", wave: 1, clusters: 40},
		role{name: "r2", wave: 2, clusters: 40}, role{name: "r3", wave: 3, clusters: 40}, role{name: "r4", wave: 4, clusters: 40})
	plan, err := automation.NewRollout(fleet, automation.Selection{}, automation.RolloutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// BenchmarkWaveJobs runs the rollout of 200 clusters in 5 waves as 5 wave
// jobs on the recording backend (operations take no time), each job
// checking the wave before, resuming, running and recording, with the
// records on files or on S3 (gofakes3 on loopback); it reports the jobs'
// own cost per cluster: what `up --wave` adds to the operations.
func BenchmarkWaveJobs(b *testing.B) {
	for _, store := range []string{"file", "s3"} {
		b.Run(store, func(b *testing.B) {
			t := &testing.T{}
			plan := fleet200(t)
			clusters := len(plan.Clusters())
			var objects func() automation.Objects
			switch store {
			case "file":
				objects = func() automation.Objects { return automation.FileObjects{Dir: b.TempDir()} }
			case "s3":
				s := s3fake.Start(b, "bench")
				for k, v := range s.Env {
					b.Setenv(k, v)
				}
				objects = func() automation.Objects {
					o, err := automation.ObjectsFor(b.Context(), s.URL)
					if err != nil {
						b.Fatal(err)
					}
					return o
				}
			}
			digest := automation.PlanDigest(plan, "bench", nil)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				o := objects()
				now := time.Now()
				for i := range plan.Waves {
					f := automationtest.New()
					d := &automation.Driver{Backend: f, Gate: &automationtest.Gate{B: f}, Now: func() time.Time { return now }}
					job := &automation.WaveJob{Objects: o, Rollout: "bench", Digest: digest, Plan: plan, Index: i + 1, Op: automation.OpUp}
					if _, err := automation.RunJob(b.Context(), d, job, automation.RunOptions{Op: automation.OpUp}, automation.JobOptions{RequirePrevious: true}); err != nil {
						b.Fatal(err)
					}
					now = now.Add(plan.Waves[i].Bake)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(clusters), "µs/cluster")
		})
	}
}
