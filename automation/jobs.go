package automation

import (
	"fmt"
	"math"
	"time"

	"github.com/eksplatform/eksplatform/environments"
)

// How long one cluster's part of a wave takes, to size CI jobs. The numbers
// are upper ends, so a job's timeout is not the first thing to fail:
//
//   - JobSetup: checkout, `make setup build`, the provider plugins, the
//     program's first preview.
//   - ControlPlane: a control plane's minor update (UpdateClusterVersion)
//     takes 10 to 15 minutes; the upper end is used.
//   - Addons: each managed addon's update to the new minor's version.
//   - PerNode: the management node group rolls one node at a time (max
//     unavailable 1): a new node launches and joins, the old one drains.
//
// The health gate's timeout and the bake the job may wait out (--wait-bake)
// come on top.
const (
	JobSetup     = 10 * time.Minute
	ControlPlane = 15 * time.Minute
	Addons       = 5 * time.Minute
	PerNode      = 4 * time.Minute
)

// Runner limits of the CI engines the examples target.
const (
	// GitHubJobLimit: a job on a GitHub-hosted runner stops at 6 hours
	// (GitHub's usage limits for Actions, as the issue states them).
	GitHubJobLimit = 6 * time.Hour
	// CircleCIJobLimit: the 5 hours CircleCI cloud allows a job on its
	// default plans (as remembered, not read in CircleCI's documentation
	// here; a plan may allow more, so the limit can only be stricter).
	CircleCIJobLimit = 5 * time.Hour
)

// ClusterTime is the upper-end time of one cluster's up in a wave, without
// the job's setup.
func ClusterTime(c *environments.Cluster) time.Duration {
	nodes := max(c.NodeGroup.DesiredSize, c.NodeGroup.MinSize, 1)
	return ControlPlane + Addons + time.Duration(nodes)*PerNode
}

// JobEstimate is the expected upper-end length of a wave's job.
type JobEstimate struct {
	// Cluster is the slowest cluster of the wave.
	Cluster time.Duration
	// Wave is one job running the whole wave in parallel batches, with the
	// setup and the gate (no bake).
	Wave time.Duration
	// Matrix is one job per cluster: setup, the cluster, its gate.
	Matrix time.Duration
	// BakeWait is the longest the job may wait out the bake before it
	// (--wait-bake when the engine's own wait did not cover it).
	BakeWait time.Duration
}

// Estimate sizes the jobs of wave index i (from 0) of the rollout.
func (p *Rollout) Estimate(i int) JobEstimate {
	w := p.Waves[i]
	var slowest time.Duration
	for _, c := range w.Clusters {
		slowest = max(slowest, ClusterTime(c))
	}
	gate := w.GateTimeout
	if gate == 0 {
		d, _ := time.ParseDuration(environments.DefaultGateTimeout)
		gate = d
	}
	batches := int(math.Ceil(float64(len(w.Clusters)) / float64(max(1, w.Parallel))))
	e := JobEstimate{
		Cluster: slowest,
		Wave:    JobSetup + time.Duration(batches)*slowest + gate,
		Matrix:  JobSetup + slowest + gate,
	}
	if i > 0 {
		e.BakeWait = p.Waves[i-1].Bake
	}
	return e
}

// JobTimeout is a job's timeout for an estimate: half again as long,
// in whole minutes, and within the limit; an estimate the limit cannot hold
// is an error naming the wave.
func JobTimeout(w Wave, estimate, limit time.Duration, engine string) (time.Duration, error) {
	if estimate > limit {
		return 0, fmt.Errorf("%s's job would take up to %s, more than %s's %s limit: split the role's clusters over more waves, raise rollout.parallel, or run its clusters as one job each",
			w.Label(), estimate.Round(time.Minute), engine, limit)
	}
	t := (estimate * 3 / 2).Round(time.Minute)
	return min(t, limit), nil
}
