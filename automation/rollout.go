package automation

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eksplatform/eksplatform/environments"
)

// Bake rule defaults: the soak after a wave shrinks as more of the fleet has
// already taken the change.
const (
	BakeBase  = 30 * time.Minute
	BakeFloor = 5 * time.Minute
)

// Wave is one step of a rollout: clusters that change together.
type Wave struct {
	// Index is the wave's position in the rollout, from 1.
	Index int
	// Number is the environment files' wave number; a canary wave shares it
	// with the rest of its role.
	Number int
	Canary bool
	Roles  []string
	// Clusters in the order the environment files list them.
	Clusters []*environments.Cluster
	// Parallel is how many clusters change at once.
	Parallel int
	// Bake is the wait after this wave passed its gate (0 after the last wave).
	Bake time.Duration
	// GateTimeout and EchoCheck configure the health gate after the wave.
	GateTimeout time.Duration
	EchoCheck   bool
}

// Label names the wave in progress lines and reports.
func (w Wave) Label() string {
	if w.Canary {
		return fmt.Sprintf("wave %d (canary)", w.Number)
	}
	return fmt.Sprintf("wave %d", w.Number)
}

// Names are the wave's cluster names, in order.
func (w Wave) Names() []string {
	names := make([]string, len(w.Clusters))
	for i, c := range w.Clusters {
		names[i] = c.Name
	}
	return names
}

// Rollout is the wave schedule of a run: the selected clusters in waves, in
// order (automation/upgrade's Plan is the upgrade plan that `plan` prints).
type Rollout struct {
	Waves []Wave
}

// Selection narrows a run to roles and clusters; empty means all.
type Selection struct {
	Roles    []string
	Clusters []string
}

// SelectionError is a selection the fleet cannot satisfy: a role or cluster
// it does not declare (Kind and Name, with the Known names), or names that
// match no cluster together (Kind "match"). Callers tell it apart with
// errors.As; the CLI makes it a usage error.
type SelectionError struct {
	Kind  string // "role", "cluster" or "match"
	Name  string
	Known []string
	Sel   Selection
}

func (e *SelectionError) Error() string {
	switch e.Kind {
	case "role":
		return fmt.Sprintf("unknown role %q; roles: %s", e.Name, strings.Join(e.Known, ", "))
	case "cluster":
		return fmt.Sprintf("unknown cluster %q; clusters: %s", e.Name, strings.Join(e.Known, ", "))
	default:
		return fmt.Sprintf("no cluster matches --role %v --cluster %v", e.Sel.Roles, e.Sel.Clusters)
	}
}

// check refuses names the fleet does not declare.
func (s Selection) check(fleet *environments.Fleet) error {
	for _, r := range s.Roles {
		if _, ok := fleet.Role(r); !ok {
			return &SelectionError{Kind: "role", Name: r, Known: fleet.RoleNames(), Sel: s}
		}
	}
	for _, c := range s.Clusters {
		if _, ok := fleet.Cluster(c); !ok {
			return &SelectionError{Kind: "cluster", Name: c, Known: fleet.ClusterNames(), Sel: s}
		}
	}
	return nil
}

func (s Selection) has(c *environments.Cluster) bool {
	return (len(s.Roles) == 0 || slices.Contains(s.Roles, c.Role)) &&
		(len(s.Clusters) == 0 || slices.Contains(s.Clusters, c.Name))
}

// Select returns the fleet's clusters the selection names, in the fleet's
// order (roles by wave, then name). An unknown name, or names that together
// match no cluster, is a *SelectionError.
func Select(fleet *environments.Fleet, sel Selection) ([]*environments.Cluster, error) {
	if err := sel.check(fleet); err != nil {
		return nil, err
	}
	var out []*environments.Cluster
	for _, c := range fleet.Clusters() {
		if sel.has(c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, &SelectionError{Kind: "match", Sel: sel}
	}
	return out, nil
}

// RolloutOptions override what the environment files say.
type RolloutOptions struct {
	// Parallel overrides every wave's parallelism when > 0.
	Parallel int
	// Bake overrides every wave's bake time when set.
	Bake *time.Duration
}

// NewRollout orders the selected clusters into waves: roles by wave number,
// roles sharing a number together, a role's canary clusters in a wave of
// their own before the rest.
func NewRollout(fleet *environments.Fleet, sel Selection, opts RolloutOptions) (*Rollout, error) {
	if err := sel.check(fleet); err != nil {
		return nil, err
	}

	type group struct {
		number int
		canary []*environments.Cluster
		rest   []*environments.Cluster
		roles  []*environments.Role
	}
	var groups []*group
	for _, r := range fleet.Roles { // already ordered by wave, then name
		if len(groups) == 0 || groups[len(groups)-1].number != r.Wave {
			groups = append(groups, &group{number: r.Wave})
		}
		g := groups[len(groups)-1]
		var picked []*environments.Cluster
		for _, c := range r.Clusters {
			if sel.has(c) {
				picked = append(picked, c)
			}
		}
		if len(picked) == 0 {
			continue
		}
		g.roles = append(g.roles, r)
		canary := 0
		if r.Rollout.Canary > 0 {
			canary = min(r.Rollout.Canary, len(picked)-1)
		}
		g.canary = append(g.canary, picked[:canary]...)
		g.rest = append(g.rest, picked[canary:]...)
	}

	p := &Rollout{}
	for _, g := range groups {
		if len(g.roles) == 0 {
			continue
		}
		parallel, gate, echo := DefaultParallel(g.roles), gateTimeout(g.roles), echoCheck(g.roles)
		names := make([]string, len(g.roles))
		for i, r := range g.roles {
			names[i] = r.Name
		}
		for _, part := range []struct {
			canary   bool
			clusters []*environments.Cluster
		}{{true, g.canary}, {false, g.rest}} {
			if len(part.clusters) == 0 {
				continue
			}
			p.Waves = append(p.Waves, Wave{
				Index: len(p.Waves) + 1, Number: g.number, Canary: part.canary, Roles: names,
				Clusters: part.clusters, Parallel: parallel, GateTimeout: gate, EchoCheck: echo,
			})
		}
	}
	if len(p.Waves) == 0 {
		return nil, &SelectionError{Kind: "match", Sel: sel}
	}
	p.applyBake(opts)
	for i := range p.Waves {
		if opts.Parallel > 0 {
			p.Waves[i].Parallel = opts.Parallel
		}
	}
	return p, nil
}

// applyBake sets each wave's bake: an override wins, then the longest bake a
// role of the wave declares, then the default rule — BakeBase divided by the
// number of clusters rolled so far (this wave included), never below
// BakeFloor. Nothing bakes after the last wave.
func (p *Rollout) applyBake(opts RolloutOptions) {
	rolled := 0
	for i := range p.Waves {
		w := &p.Waves[i]
		rolled += len(w.Clusters)
		switch {
		case i == len(p.Waves)-1:
			w.Bake = 0
		case opts.Bake != nil:
			w.Bake = *opts.Bake
		case declaredBake(w) >= 0:
			w.Bake = declaredBake(w)
		default:
			w.Bake = max(BakeFloor, (BakeBase / time.Duration(rolled)).Round(time.Minute))
		}
	}
}

func declaredBake(w *Wave) time.Duration {
	longest := time.Duration(-1)
	for _, r := range w.roleRollouts() {
		if r.BakeSet && r.Bake > longest {
			longest = r.Bake
		}
	}
	return longest
}

func (w *Wave) roleRollouts() []environments.Rollout {
	seen := map[string]bool{}
	var out []environments.Rollout
	for _, c := range w.Clusters {
		if seen[c.Role] {
			continue
		}
		seen[c.Role] = true
		out = append(out, c.Rollout)
	}
	return out
}

// DefaultParallel is the most cautious parallelism the wave's roles declare.
func DefaultParallel(roles []*environments.Role) int {
	n := 0
	for _, r := range roles {
		if n == 0 || r.Rollout.Parallel < n {
			n = r.Rollout.Parallel
		}
	}
	if n == 0 {
		return environments.DefaultParallel
	}
	return n
}

func gateTimeout(roles []*environments.Role) time.Duration {
	var d time.Duration
	for _, r := range roles {
		d = max(d, r.Rollout.GateTimeout)
	}
	return d
}

func echoCheck(roles []*environments.Role) bool {
	for _, r := range roles {
		if !r.Rollout.EchoCheck {
			return false
		}
	}
	return true
}

// From returns the rollout from the first wave whose environment wave number is
// at least n: how a stopped rollout resumes.
func (p *Rollout) From(n int) (*Rollout, error) {
	for i, w := range p.Waves {
		if w.Number >= n {
			return &Rollout{Waves: p.Waves[i:]}, nil
		}
	}
	numbers := make([]string, 0, len(p.Waves))
	for _, w := range p.Waves {
		numbers = append(numbers, fmt.Sprint(w.Number))
	}
	return nil, fmt.Errorf("no wave %d or later in this plan; its waves are %s", n, strings.Join(slices.Compact(numbers), ", "))
}

// Clusters returns every cluster of the rollout in wave order.
func (p *Rollout) Clusters() []*environments.Cluster {
	var out []*environments.Cluster
	for _, w := range p.Waves {
		out = append(out, w.Clusters...)
	}
	return out
}
