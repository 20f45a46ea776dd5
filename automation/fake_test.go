package automation

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/tests/fleetfile"
)

// call is one operation the fake saw, in order.
type call struct {
	cluster string
	op      string
	replace []string
	start   int // sequence number of the start
	end     int // sequence number of the end
}

// fakeBackend records every stack operation, measures concurrency and
// injects failures.
type fakeBackend struct {
	mu         sync.Mutex
	seq        int
	calls      []*call
	running    int
	maxRunning int
	// delay is how long each operation takes; delayOnly, when set, limits
	// the delay to that operation.
	delay     time.Duration
	delayOnly string
	// fail maps "cluster/op" to the error that operation returns.
	fail map[string]error
	// changes maps a cluster to the changes its preview and up report.
	changes map[string][]Change
	// state maps a cluster to the resources its stack holds; a cluster not
	// in the map has no stack.
	state map[string][]StateResource
	// block, when set, makes operations wait for ctx to be cancelled.
	block bool
	// rendezvous, when set, makes each operation wait (up to a safety
	// bound) until that many run at once: concurrency is then measured,
	// not left to timing.
	rendezvous int
	// pending maps a cluster to the pending operations of its state.
	pending map[string][]PendingOperation
	// recovered records the options of each Recover.
	recovered map[string]RecoverOptions
}

func newFake() *fakeBackend {
	return &fakeBackend{fail: map[string]error{}, changes: map[string][]Change{}, state: map[string][]StateResource{},
		pending: map[string][]PendingOperation{}, recovered: map[string]RecoverOptions{}}
}

func (f *fakeBackend) Open(_ context.Context, c *environments.Cluster) (Stack, error) {
	if err := f.fail[c.Name+"/open"]; err != nil {
		return nil, err
	}
	return &fakeStack{f: f, name: c.Name}, nil
}

func (f *fakeBackend) Stacks(context.Context) (map[string]StackSummary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]StackSummary{}
	for name, rs := range f.state {
		out[name] = StackSummary{Name: name, ResourceCount: len(rs)}
	}
	return out, nil
}

func (f *fakeBackend) begin(cluster, op string, replace []string) *call {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	c := &call{cluster: cluster, op: op, replace: replace, start: f.seq}
	f.calls = append(f.calls, c)
	f.running++
	f.maxRunning = max(f.maxRunning, f.running)
	return c
}

func (f *fakeBackend) end(c *call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	c.end = f.seq
	f.running--
}

// ops returns the calls of one operation, in start order.
func (f *fakeBackend) ops(op string) []*call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*call
	for _, c := range f.calls {
		if c.op == op {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeBackend) clustersOf(op string) []string {
	var out []string
	for _, c := range f.ops(op) {
		out = append(out, c.cluster)
	}
	return out
}

type fakeStack struct {
	f    *fakeBackend
	name string
}

func (s *fakeStack) Name() string { return s.name }

func (s *fakeStack) do(ctx context.Context, op string, replace []string) (*Result, error) {
	c := s.f.begin(s.name, op, replace)
	defer s.f.end(c)
	if s.f.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	for deadline := time.Now().Add(10 * time.Second); s.f.rendezvous > 0 && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		s.f.mu.Lock()
		reached := s.f.maxRunning >= s.f.rendezvous
		s.f.mu.Unlock()
		if reached {
			break
		}
	}
	if s.f.delay > 0 && (s.f.delayOnly == "" || s.f.delayOnly == op) {
		select {
		case <-time.After(s.f.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err := s.f.fail[s.name+"/"+op]; err != nil {
		return nil, err
	}
	changes := s.f.changes[s.name]
	for _, urn := range replace {
		changes = append(changes, Change{URN: urn, Type: "aws:eks/nodeGroup:NodeGroup", Kind: KindReplace})
	}
	if op == "up" {
		s.f.mu.Lock()
		s.f.state[s.name] = append(s.f.state[s.name], StateResource{URN: "urn:" + s.name, Type: "pulumi:pulumi:Stack"})
		s.f.mu.Unlock()
	}
	return &Result{Changes: changes, Counts: CountsOf(changes)}, nil
}

func (s *fakeStack) Preview(ctx context.Context, o PreviewOptions) (*Result, error) {
	return s.do(ctx, "preview", o.Replace)
}
func (s *fakeStack) Up(ctx context.Context, o UpOptions) (*Result, error) {
	return s.do(ctx, "up", o.Replace)
}
func (s *fakeStack) Refresh(ctx context.Context, _ RefreshOptions) (*Result, error) {
	return s.do(ctx, "refresh", nil)
}
func (s *fakeStack) Destroy(ctx context.Context) (*Result, error) { return s.do(ctx, "destroy", nil) }
func (s *fakeStack) Outputs(context.Context) (map[string]any, error) {
	return map[string]any{"echoServerUrl": "http://echo-" + s.name + ".example.com/"}, nil
}
func (s *fakeStack) Resources(context.Context) ([]StateResource, error) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	return append([]StateResource(nil), s.f.state[s.name]...), nil
}

func (s *fakeStack) PendingOperations(context.Context) ([]PendingOperation, error) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	return append([]PendingOperation(nil), s.f.pending[s.name]...), nil
}

func (s *fakeStack) Recover(ctx context.Context, o RecoverOptions) (*Result, error) {
	r, err := s.do(ctx, "recover", nil)
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.recovered[s.name] = o
	if err == nil && o.Clear {
		delete(s.f.pending, s.name)
	}
	return r, err
}

// recordingGate records gate checks and fails the named clusters.
type recordingGate struct {
	f       *fakeBackend
	mu      sync.Mutex
	checked []string
	opts    []GateOptions
	fail    map[string]error
}

func (g *recordingGate) Check(_ context.Context, c *environments.Cluster, outputs map[string]any, opts GateOptions) error {
	call := g.f.begin(c.Name, "gate", nil)
	defer g.f.end(call)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.checked = append(g.checked, c.Name)
	g.opts = append(g.opts, opts)
	if outputs["echoServerUrl"] == nil {
		return fmt.Errorf("no outputs reached the gate")
	}
	return g.fail[c.Name]
}

// recordingSleep records bakes instead of sleeping.
type recordingSleep struct {
	f      *fakeBackend
	mu     sync.Mutex
	bakes  []time.Duration
	cancel context.CancelFunc // cancels the run on the first bake when set
}

func (s *recordingSleep) Sleep(ctx context.Context, d time.Duration) error {
	c := s.f.begin("", "bake", nil)
	defer s.f.end(c)
	s.mu.Lock()
	s.bakes = append(s.bakes, d)
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// role describes one test role file.
type role struct {
	name     string
	wave     int
	clusters int
	extra    string // more JSON fields, e.g. `"rollout": {"canary": 1}`
}

// fleetOf writes the roles as environment files and loads them.
func fleetOf(t *testing.T, roles ...role) *environments.Fleet {
	t.Helper()
	files := make([]fleetfile.Role, 0, len(roles))
	for _, r := range roles {
		files = append(files, fleetfile.Role{Name: r.name, Wave: r.wave, Clusters: r.clusters, Extra: r.extra})
	}
	return fleetfile.Load(t, files...)
}

// testResources is what the CLI hands the driver (contract), written
// out here: the driver's tests do not import the program.
var testResources = Resources{
	Protected: map[string]string{
		"eks:index:Cluster":             "EKS cluster",
		"aws:efs/fileSystem:FileSystem": "EFS file system",
		"aws:eks/nodeGroup:NodeGroup":   "node group",
	},
	ManagementNodeGroup: ResourceRef{Type: "aws:eks/nodeGroup:NodeGroup", ParentType: "eksplatform:foundation:ManagementNodeGroup"},
}
