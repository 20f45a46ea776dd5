// Package automationtest is the recording fake of the driver's boundary: a
// Backend whose stacks log every call in order, measure concurrency, answer
// with canned outputs, state, pending operations and changes, and fail where
// told; and a Gate and a Sleep that log into the same sequence. The driver's
// tests and the CLI's tests use it; nothing here talks to Pulumi.
package automationtest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/contract"
	"github.com/eksplatform/eksplatform/environments"
)

// Call is one operation the fake saw: its cluster ("" for a bake), the
// operation (preview, up, refresh, destroy, recover, gate, bake), the URNs
// it was told to replace, and the sequence numbers of its start and end.
type Call struct {
	Cluster string
	Op      string
	Replace []string
	Start   int
	End     int
}

// Backend is an automation.Backend that records. Set its fields before a
// run; read them, or its methods, after.
type Backend struct {
	// Delay is how long each operation takes; DelayOnly, when set, limits
	// the delay to that operation.
	Delay     time.Duration
	DelayOnly string
	// Fail maps "cluster/op" (op as in Call, or "open", "outputs",
	// "pending") to the error that operation returns.
	Fail map[string]error
	// Changes maps a cluster to the changes its preview and up report.
	Changes map[string][]automation.Change
	// State maps a cluster to the resources its stack holds; a cluster not
	// in the map has no stack. An up adds the stack resource.
	State map[string][]automation.StateResource
	// LastUpdate maps a cluster to its stack's last update, for Stacks.
	LastUpdate map[string]time.Time
	// Outputs maps a cluster to its stack's outputs; a cluster not in the
	// map answers with its echo server's URL only.
	Outputs map[string]map[string]any
	// Pending maps a cluster to the pending operations of its state.
	Pending map[string][]automation.PendingOperation
	// Block makes operations wait until their context is cancelled.
	Block bool
	// Rendezvous makes each operation wait (up to a safety bound) until
	// that many run at once, so concurrency is measured, not timed.
	Rendezvous int

	mu         sync.Mutex
	seq        int
	calls      []*Call
	running    int
	maxRunning int
	recovered  map[string]automation.RecoverOptions
}

var _ automation.Backend = (*Backend)(nil)

// New returns an empty recording backend.
func New() *Backend {
	return &Backend{Fail: map[string]error{}, Changes: map[string][]automation.Change{}, State: map[string][]automation.StateResource{},
		LastUpdate: map[string]time.Time{}, Outputs: map[string]map[string]any{}, Pending: map[string][]automation.PendingOperation{},
		recovered: map[string]automation.RecoverOptions{}}
}

// Open returns the cluster's stack (Fail "cluster/open" refuses).
func (b *Backend) Open(_ context.Context, c *environments.Cluster) (automation.Stack, error) {
	if err := b.fail(c.Name, "open"); err != nil {
		return nil, err
	}
	return &stack{b: b, name: c.Name}, nil
}

// Stacks lists the clusters that have state, with their resource counts.
func (b *Backend) Stacks(context.Context) (map[string]automation.StackSummary, error) {
	if err := b.fail("", "stacks"); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]automation.StackSummary{}
	for name, rs := range b.State {
		out[name] = automation.StackSummary{Name: name, ResourceCount: len(rs), LastUpdate: b.LastUpdate[name]}
	}
	return out, nil
}

// Begin records the start of an operation and returns its end: a Gate or a
// Sleep of the test logs into the same sequence as the stacks.
func (b *Backend) Begin(cluster, op string, replace []string) (end func()) {
	b.mu.Lock()
	b.seq++
	c := &Call{Cluster: cluster, Op: op, Replace: replace, Start: b.seq}
	b.calls = append(b.calls, c)
	b.running++
	b.maxRunning = max(b.maxRunning, b.running)
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.seq++
		c.End = b.seq
		b.running--
	}
}

// Calls returns every call, in start order.
func (b *Backend) Calls() []Call {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Call, len(b.calls))
	for i, c := range b.calls {
		out[i] = *c
	}
	return out
}

// Ops returns the calls of one operation, in start order.
func (b *Backend) Ops(op string) []Call {
	var out []Call
	for _, c := range b.Calls() {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// ClustersOf returns the clusters of one operation's calls, in start order.
func (b *Backend) ClustersOf(op string) []string {
	var out []string
	for _, c := range b.Ops(op) {
		out = append(out, c.Cluster)
	}
	return out
}

// MaxRunning is the most operations that ran at once.
func (b *Backend) MaxRunning() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.maxRunning
}

// Recovered returns the options of the cluster's last Recover.
func (b *Backend) Recovered(cluster string) (automation.RecoverOptions, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.recovered[cluster]
	return o, ok
}

// Resources returns what the cluster's state holds now.
func (b *Backend) Resources(cluster string) []automation.StateResource {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]automation.StateResource(nil), b.State[cluster]...)
}

func (b *Backend) fail(cluster, op string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Fail[cluster+"/"+op]
}

type stack struct {
	b    *Backend
	name string
}

func (s *stack) Name() string { return s.name }

func (s *stack) do(ctx context.Context, op string, replace []string) (*automation.Result, error) {
	end := s.b.Begin(s.name, op, replace)
	defer end()
	if s.b.Block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	for deadline := time.Now().Add(10 * time.Second); s.b.Rendezvous > 0 && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if s.b.MaxRunning() >= s.b.Rendezvous {
			break
		}
	}
	if s.b.Delay > 0 && (s.b.DelayOnly == "" || s.b.DelayOnly == op) {
		select {
		case <-time.After(s.b.Delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err := s.b.fail(s.name, op); err != nil {
		return nil, err
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	changes := append([]automation.Change(nil), s.b.Changes[s.name]...)
	for _, urn := range replace {
		changes = append(changes, automation.Change{URN: urn, Type: contract.NodeGroup, Kind: automation.KindReplace})
	}
	if op == "up" {
		s.b.State[s.name] = append(s.b.State[s.name], automation.StateResource{URN: "urn:" + s.name, Type: "pulumi:pulumi:Stack"})
	}
	return &automation.Result{Changes: changes, Counts: automation.CountsOf(changes)}, nil
}

func (s *stack) Preview(ctx context.Context, o automation.PreviewOptions) (*automation.Result, error) {
	return s.do(ctx, "preview", o.Replace)
}

func (s *stack) Up(ctx context.Context, o automation.UpOptions) (*automation.Result, error) {
	return s.do(ctx, "up", o.Replace)
}

func (s *stack) Refresh(ctx context.Context, _ automation.RefreshOptions) (*automation.Result, error) {
	return s.do(ctx, "refresh", nil)
}

func (s *stack) Destroy(ctx context.Context) (*automation.Result, error) {
	return s.do(ctx, "destroy", nil)
}

func (s *stack) Outputs(context.Context) (map[string]any, error) {
	if err := s.b.fail(s.name, "outputs"); err != nil {
		return nil, err
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if outs, ok := s.b.Outputs[s.name]; ok {
		return outs, nil
	}
	return map[string]any{contract.EchoServerURL: "http://echo-" + s.name + ".example.com/"}, nil
}

func (s *stack) Resources(context.Context) ([]automation.StateResource, error) {
	return s.b.Resources(s.name), nil
}

func (s *stack) PendingOperations(context.Context) ([]automation.PendingOperation, error) {
	if err := s.b.fail(s.name, "pending"); err != nil {
		return nil, err
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	return append([]automation.PendingOperation(nil), s.b.Pending[s.name]...), nil
}

func (s *stack) Recover(ctx context.Context, o automation.RecoverOptions) (*automation.Result, error) {
	r, err := s.do(ctx, "recover", nil)
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.recovered[s.name] = o
	if err == nil && o.Clear {
		delete(s.b.Pending, s.name)
	}
	return r, err
}

// Gate records health checks into the backend's sequence and fails the
// clusters Fail names. It refuses a check that reached it without the
// stack's outputs (the echo server's URL, which every fake stack has).
type Gate struct {
	B    *Backend
	Fail map[string]error

	mu      sync.Mutex
	checked []string
	opts    []automation.GateOptions
}

// Check records the check.
func (g *Gate) Check(_ context.Context, c *environments.Cluster, outputs map[string]any, opts automation.GateOptions) error {
	end := g.B.Begin(c.Name, "gate", nil)
	defer end()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.checked = append(g.checked, c.Name)
	g.opts = append(g.opts, opts)
	if outputs[contract.EchoServerURL] == nil {
		return fmt.Errorf("no outputs reached the gate (no %s)", contract.EchoServerURL)
	}
	return g.Fail[c.Name]
}

// Checked returns the clusters checked, in order, with the options of each.
func (g *Gate) Checked() ([]string, []automation.GateOptions) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.checked...), append([]automation.GateOptions(nil), g.opts...)
}

// Sleep records bakes into the backend's sequence instead of sleeping;
// with Cancel set, the first bake cancels the run and waits for it.
type Sleep struct {
	B      *Backend
	Cancel context.CancelFunc

	mu    sync.Mutex
	bakes []time.Duration
}

// Sleep records the bake.
func (s *Sleep) Sleep(ctx context.Context, d time.Duration) error {
	end := s.B.Begin("", "bake", nil)
	defer end()
	s.mu.Lock()
	s.bakes = append(s.bakes, d)
	cancel := s.Cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// Bakes returns the bakes asked for, in order.
func (s *Sleep) Bakes() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.bakes...)
}
