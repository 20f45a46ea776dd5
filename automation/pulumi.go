package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/environments"
)

// ProjectName is the Pulumi project of every cluster stack.
const ProjectName = "eksplatform"

// PulumiOptions configure the Automation API backend.
type PulumiOptions struct {
	// BackendURL is where state lives: file://..., s3://..., or Pulumi Cloud.
	BackendURL string
	// SecretsProvider encrypts stack secrets: "passphrase" (the passphrase
	// comes from PULUMI_CONFIG_PASSPHRASE) or e.g. "awskms://alias/pulumi?region=us-east-2".
	SecretsProvider string
	// Command is the Pulumi CLI.
	Command *Command
	// Program is each cluster's inline program (stacks.Cluster in production).
	Program func(c *environments.Cluster) pulumi.RunFunc
	// PulumiHome overrides ~/.pulumi (plugins, workspace settings) when set.
	PulumiHome string
	// Env are extra environment variables for the CLI.
	Env map[string]string
}

// PulumiBackend opens cluster stacks as Automation API inline-program stacks.
// A stack is opened (its workspace made and the stack selected, one CLI call)
// once per backend and reused by later operations.
type PulumiBackend struct {
	opts PulumiOptions

	mu     sync.Mutex
	opened map[string]*pulumiStack
}

var _ Backend = (*PulumiBackend)(nil)

// NewPulumiBackend checks the options.
func NewPulumiBackend(opts PulumiOptions) (*PulumiBackend, error) {
	switch {
	case opts.BackendURL == "":
		return nil, fmt.Errorf("a backend URL is required (file://, s3:// or https://)")
	case opts.Command == nil:
		return nil, fmt.Errorf("a Pulumi CLI is required")
	case opts.Program == nil:
		return nil, fmt.Errorf("a program is required")
	}
	if opts.SecretsProvider == "" {
		opts.SecretsProvider = "passphrase"
	}
	return &PulumiBackend{opts: opts}, nil
}

func (b *PulumiBackend) workspaceOptions() []auto.LocalWorkspaceOption {
	opts := []auto.LocalWorkspaceOption{
		auto.Project(workspace.Project{
			Name:    tokens.PackageName(ProjectName),
			Runtime: workspace.NewProjectRuntimeInfo("go", nil),
			Backend: &workspace.ProjectBackend{URL: b.opts.BackendURL},
		}),
		auto.SecretsProvider(b.opts.SecretsProvider),
		auto.Pulumi(b.opts.Command),
	}
	if len(b.opts.Env) > 0 {
		opts = append(opts, auto.EnvVars(b.opts.Env))
	}
	if b.opts.PulumiHome != "" {
		opts = append(opts, auto.PulumiHome(b.opts.PulumiHome))
	}
	return opts
}

// Kill ends every CLI the backend is running, with its plugins (Command.Kill).
func (b *PulumiBackend) Kill() int { return b.opts.Command.Kill() }

// Open creates or selects the cluster's stack, with its inline program.
func (b *PulumiBackend) Open(ctx context.Context, c *environments.Cluster) (Stack, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.opened[c.Name]; ok {
		// The stack's workspace is kept (opening it runs the CLI), but the
		// program is always the one of the cluster given now: a driver
		// that runs an edited or reloaded fleet runs that fleet.
		s.stack.Workspace().SetProgram(b.opts.Program(c))
		return s, nil
	}
	s, err := auto.UpsertStackInlineSource(ctx, c.Name, ProjectName, b.opts.Program(c), b.workspaceOptions()...)
	if err != nil && strings.Contains(err.Error(), "already exists") {
		// Another first run created the stack between this one's lookup
		// and its create: select it; its lock then says who runs it.
		s, err = auto.SelectStackInlineSource(ctx, c.Name, ProjectName, b.opts.Program(c), b.workspaceOptions()...)
	}
	if err != nil {
		return nil, explain(c.Name, err)
	}
	if b.opened == nil {
		b.opened = map[string]*pulumiStack{}
	}
	st := &pulumiStack{name: c.Name, backend: b.opts.BackendURL, stack: s}
	b.opened[c.Name] = st
	return st, nil
}

// Stacks lists the backend's stacks of the project.
func (b *PulumiBackend) Stacks(ctx context.Context) (map[string]StackSummary, error) {
	ws, err := auto.NewLocalWorkspace(ctx, b.workspaceOptions()...)
	if err != nil {
		return nil, fmt.Errorf("opening the workspace of %s: %w", b.opts.BackendURL, err)
	}
	list, err := ws.ListStacks(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the stacks of %s: %w", b.opts.BackendURL, err)
	}
	out := map[string]StackSummary{}
	for _, s := range list {
		sum := StackSummary{Name: s.Name, UpdateInProgress: s.UpdateInProgress}
		if s.ResourceCount != nil {
			sum.ResourceCount = *s.ResourceCount
		}
		if t, err := time.Parse(time.RFC3339, s.LastUpdate); err == nil {
			sum.LastUpdate = t
		}
		out[s.Name] = sum
	}
	return out, nil
}

type pulumiStack struct {
	name    string
	backend string
	stack   auto.Stack
}

// explain is the package's explain, with who holds the lock of a locked
// stack on a file:// backend.
func (s *pulumiStack) explain(err error) error {
	err = explain(s.name, err)
	if !errors.Is(err, ErrLocked) {
		return err
	}
	locks, lerr := FileLocks(s.backend, s.name)
	if lerr != nil || len(locks) == 0 {
		return err
	}
	parts := make([]string, len(locks))
	stale := false
	for i, l := range locks {
		parts[i] = "the lock is " + l.Describe(time.Now())
		stale = stale || l.Stale()
	}
	hint := ""
	if stale {
		hint = fmt.Sprintf("; `eksplatform recover --cluster %s --release-lock` removes a stale lock", s.name)
	}
	return fmt.Errorf("%w; %s%s", err, strings.Join(parts, "; "), hint)
}

func (s *pulumiStack) Name() string { return s.name }

func (s *pulumiStack) Preview(ctx context.Context, o PreviewOptions) (*Result, error) {
	c := newCollector()
	opts := []optpreview.Option{optpreview.EventStreams(c.events)}
	if len(o.Replace) > 0 {
		opts = append(opts, optpreview.Replace(o.Replace))
	}
	_, err := s.stack.Preview(ctx, opts...)
	return c.explained(s, err)
}

func (s *pulumiStack) Up(ctx context.Context, o UpOptions) (*Result, error) {
	c := newCollector()
	opts := []optup.Option{optup.EventStreams(c.events)}
	if len(o.Replace) > 0 {
		opts = append(opts, optup.Replace(o.Replace))
	}
	_, err := s.stack.Up(ctx, opts...)
	return c.explained(s, err)
}

// Refresh reads the cloud into the state. With ExpectNoChanges it is a
// drift check that changes nothing: a refresh preview first, and on drift an
// ErrDrift naming what differs, with the state left as it was (the CLI's own
// --expect-no-changes fails only after writing the drift into the state,
// so the next report would show the drifted value as the old one).
func (s *pulumiStack) Refresh(ctx context.Context, o RefreshOptions) (*Result, error) {
	if o.ExpectNoChanges {
		c := newCollector()
		_, err := s.stack.PreviewRefresh(ctx, optrefresh.EventStreams(c.events))
		r, err := c.explained(s, err)
		if err != nil {
			return r, err
		}
		if len(r.Changes) > 0 || r.Counts[KindUpdate]+r.Counts[KindDelete]+r.Counts[KindCreate]+r.Counts[KindReplace] > 0 {
			return r, fmt.Errorf("stack %s: %w: %s; the state was not changed (a refresh without --expect-no-changes records the cloud's values)",
				s.name, ErrDrift, describeDrift(r))
		}
		return r, nil
	}
	c := newCollector()
	_, err := s.stack.Refresh(ctx, optrefresh.EventStreams(c.events))
	return c.explained(s, err)
}

// describeDrift names what a refresh preview found different.
func describeDrift(r *Result) string {
	if len(r.Changes) == 0 {
		return fmt.Sprintf("%d resource(s) differ from the state", r.Counts[KindUpdate]+r.Counts[KindDelete])
	}
	parts := make([]string, 0, len(r.Changes))
	for _, ch := range r.Changes {
		part := ch.Kind + " " + ch.URN
		if len(ch.Diffs) > 0 {
			keys := make([]string, 0, len(ch.Diffs))
			for k := range ch.Diffs {
				keys = append(keys, k+" ("+ch.Diffs[k]+")")
			}
			sort.Strings(keys)
			part += ": " + strings.Join(keys, ", ")
		}
		parts = append(parts, part)
	}
	return fmt.Sprintf("%d resource(s) differ from the state: %s", len(r.Changes), strings.Join(parts, "; "))
}

func (s *pulumiStack) Destroy(ctx context.Context) (*Result, error) {
	c := newCollector()
	_, err := s.stack.Destroy(ctx, optdestroy.EventStreams(c.events))
	return c.explained(s, err)
}

func (s *pulumiStack) Outputs(ctx context.Context) (map[string]any, error) {
	outs, err := s.stack.Outputs(ctx)
	if err != nil {
		return nil, s.explain(err)
	}
	out := make(map[string]any, len(outs))
	for k, v := range outs {
		if v.Secret {
			out[k] = SecretPlaceholder
			continue
		}
		out[k] = v.Value
	}
	return out, nil
}

func (s *pulumiStack) Resources(ctx context.Context) ([]StateResource, error) {
	dep, err := s.stack.Export(ctx)
	if err != nil {
		return nil, s.explain(err)
	}
	return ParseDeployment(dep)
}

func (s *pulumiStack) PendingOperations(ctx context.Context) ([]PendingOperation, error) {
	dep, err := s.stack.Export(ctx)
	if err != nil {
		return nil, s.explain(err)
	}
	return ParsePendingOperations(dep)
}

// Recover edits the exported state, as Pulumi's manual recovery does:
// each pending create named in Import becomes a resource with its id, the
// others are dropped when Clear is set; the state is imported back and a
// refresh then reads the imported resources (and every other) from the
// cloud. (The CLI's own --import-pending-creates only retypes the pending
// operation, which the refresh then drops: the resource never reaches the
// state.)
func (s *pulumiStack) Recover(ctx context.Context, o RecoverOptions) (*Result, error) {
	dep, err := s.stack.Export(ctx)
	if err != nil {
		return nil, s.explain(err)
	}
	edited, err := resolvePending(dep, o)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", s.name, err)
	}
	if err := s.stack.Import(ctx, edited); err != nil {
		return nil, s.explain(err)
	}
	c := newCollector()
	_, err = s.stack.Refresh(ctx, optrefresh.EventStreams(c.events))
	return c.explained(s, err)
}

// resolvePending applies RecoverOptions to an exported deployment.
func resolvePending(dep apitype.UntypedDeployment, o RecoverOptions) (apitype.UntypedDeployment, error) {
	var d map[string]json.RawMessage
	if err := json.Unmarshal(dep.Deployment, &d); err != nil {
		return dep, fmt.Errorf("the exported state does not parse: %w", err)
	}
	var resources []map[string]any
	var pending []struct {
		Type     string         `json:"type"`
		Resource map[string]any `json:"resource"`
	}
	if raw, ok := d["resources"]; ok {
		if err := json.Unmarshal(raw, &resources); err != nil {
			return dep, fmt.Errorf("the exported resources do not parse: %w", err)
		}
	}
	if raw, ok := d["pending_operations"]; ok {
		if err := json.Unmarshal(raw, &pending); err != nil {
			return dep, fmt.Errorf("the exported pending operations do not parse: %w", err)
		}
	}
	kept := pending[:0]
	imported := map[string]bool{}
	for _, p := range pending {
		urn, _ := p.Resource["urn"].(string)
		if id, ok := o.Import[urn]; ok && p.Type == "creating" {
			p.Resource["id"] = id
			resources = append(resources, p.Resource)
			imported[urn] = true
			continue
		}
		if o.Clear && p.Type == "creating" {
			continue
		}
		kept = append(kept, p)
	}
	for urn := range o.Import {
		if !imported[urn] {
			return dep, fmt.Errorf("%s is not a pending create", urn)
		}
	}
	var err error
	if d["resources"], err = json.Marshal(resources); err != nil {
		return dep, err
	}
	if d["pending_operations"], err = json.Marshal(kept); err != nil {
		return dep, err
	}
	out, err := json.Marshal(d)
	if err != nil {
		return dep, err
	}
	return apitype.UntypedDeployment{Version: dep.Version, Deployment: out}, nil
}

// ParsePendingOperations reads the pending operations of an exported stack.
func ParsePendingOperations(dep apitype.UntypedDeployment) ([]PendingOperation, error) {
	var d struct {
		Pending []struct {
			Type     string `json:"type"`
			Resource struct {
				URN  string `json:"urn"`
				Type string `json:"type"`
				ID   string `json:"id"`
			} `json:"resource"`
		} `json:"pending_operations"`
	}
	if len(dep.Deployment) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(dep.Deployment, &d); err != nil {
		return nil, fmt.Errorf("the exported state does not parse: %w", err)
	}
	out := make([]PendingOperation, 0, len(d.Pending))
	for _, p := range d.Pending {
		out = append(out, PendingOperation{Type: p.Type, URN: p.Resource.URN, ResourceType: p.Resource.Type, ID: p.Resource.ID})
	}
	return out, nil
}

// ParseDeployment reads the resources of an exported stack.
func ParseDeployment(dep apitype.UntypedDeployment) ([]StateResource, error) {
	var d struct {
		Resources []StateResource `json:"resources"`
	}
	if len(dep.Deployment) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(dep.Deployment, &d); err != nil {
		return nil, fmt.Errorf("the exported state does not parse: %w", err)
	}
	return d.Resources, nil
}

// SecretPlaceholder replaces secret values in results and reports.
const SecretPlaceholder = "[secret]"

// secretSig is the key the engine marks secret values with.
const secretSig = "4dabf18193072939515e22adb298388d"

// collector turns the engine's event stream into changes.
type collector struct {
	mu sync.Mutex
	// diags are the engine's error diagnostics, in order, once each.
	diags   []string
	events  chan events.EngineEvent
	done    chan struct{}
	changes map[string]*Change
	counts  map[string]int
}

func newCollector() *collector {
	c := &collector{events: make(chan events.EngineEvent), done: make(chan struct{}), changes: map[string]*Change{}}
	go func() {
		defer close(c.done)
		for e := range c.events {
			c.mu.Lock()
			c.add(e)
			c.mu.Unlock()
		}
	}()
	return c
}

// rank orders change kinds so one URN ends with its strongest kind.
var rank = map[string]int{KindCreate: 1, KindUpdate: 2, KindDelete: 3, KindReplace: 4}

func kindOf(op apitype.OpType) string {
	switch op {
	case apitype.OpCreate, apitype.OpImport:
		return KindCreate
	case apitype.OpUpdate:
		return KindUpdate
	case apitype.OpReplace, apitype.OpCreateReplacement, apitype.OpDeleteReplaced, apitype.OpDiscardReplaced, apitype.OpImportReplacement:
		return KindReplace
	case apitype.OpDelete, apitype.OpReadDiscard:
		return KindDelete
	}
	return ""
}

func (c *collector) add(e events.EngineEvent) {
	var m *apitype.StepEventMetadata
	switch {
	case e.ResourcePreEvent != nil:
		m = &e.ResourcePreEvent.Metadata
	case e.ResOutputsEvent != nil:
		m = &e.ResOutputsEvent.Metadata
	case e.DiagnosticEvent != nil:
		if d := e.DiagnosticEvent; d.Severity == "error" {
			msg := strings.TrimSpace(ansi.ReplaceAllString(d.Message, ""))
			msg = strings.Join(strings.Fields(msg), " ")
			if msg != "" && !slices.Contains(c.diags, msg) && !strings.HasPrefix(msg, "update failed") && !strings.HasPrefix(msg, "preview failed") {
				c.diags = append(c.diags, msg)
			}
		}
		return
	case e.SummaryEvent != nil:
		c.counts = map[string]int{}
		for op, n := range e.SummaryEvent.ResourceChanges {
			if k := kindOf(op); k != "" {
				c.counts[k] += n
			}
		}
		return
	default:
		return
	}
	kind := kindOf(m.Op)
	if m.Op == apitype.OpRefresh && (len(m.Diffs) > 0 || len(m.DetailedDiff) > 0) {
		kind = KindUpdate // a refresh that found the resource changed
	}
	if kind == "" || m.Type == "pulumi:pulumi:Stack" {
		return
	}
	ch, ok := c.changes[m.URN]
	if !ok {
		ch = &Change{URN: m.URN, Type: m.Type, Kind: kind}
		c.changes[m.URN] = ch
	}
	if rank[kind] > rank[ch.Kind] {
		ch.Kind = kind
	}
	for path, d := range m.DetailedDiff {
		if ch.Diffs == nil {
			ch.Diffs = map[string]string{}
		}
		ch.Diffs[path] = describeDiff(string(d.Kind), m, path)
	}
	if len(m.DetailedDiff) == 0 {
		for _, k := range m.Diffs {
			if ch.Diffs == nil {
				ch.Diffs = map[string]string{}
			}
			if _, seen := ch.Diffs[k]; !seen {
				ch.Diffs[k] = describeDiff("update", m, k)
			}
		}
	}
}

// describeDiff says how a property changes, with old and new values when they
// are plain and short; secrets never appear.
func describeDiff(kind string, m *apitype.StepEventMetadata, path string) string {
	top, _, _ := strings.Cut(path, ".")
	top, _, _ = strings.Cut(top, "[")
	var oldV, newV any
	if m.Old != nil {
		oldV = m.Old.Inputs[top]
	}
	if m.New != nil {
		newV = m.New.Inputs[top]
	}
	if top != path || !plain(oldV) || !plain(newV) {
		return kind
	}
	return fmt.Sprintf("%s: %s → %s", kind, show(oldV), show(newV))
}

func plain(v any) bool {
	switch v.(type) {
	case nil, string, float64, bool:
		return true
	}
	return false
}

func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "(none)"
	case string:
		if x == SecretPlaceholder || strings.Contains(x, secretSig) {
			return SecretPlaceholder
		}
		if len(x) > 60 {
			return fmt.Sprintf("%q…", x[:57])
		}
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprint(v)
}

// ansi matches terminal color codes in engine messages.
var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m|<\{%[^%]*%\}>`)

// explained waits for the stream and explains err with its diagnostics.
func (c *collector) explained(s *pulumiStack, err error) (*Result, error) {
	r := c.result()
	if err == nil {
		return r, nil
	}
	c.mu.Lock()
	diags := slices.Clone(c.diags)
	c.mu.Unlock()
	return r, withDiagnostics(s.name, s.explain(err), diags)
}

// result waits for the stream to end and sorts the changes by URN. The
// Automation API closes the stream when an operation streamed events, but not
// when the CLI failed before it started one (a locked stack), so after the
// operation has returned the wait is bounded.
func (c *collector) result() *Result {
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r := &Result{Changes: []Change{}}
	for _, ch := range c.changes {
		r.Changes = append(r.Changes, *ch)
	}
	sort.Slice(r.Changes, func(i, j int) bool { return r.Changes[i].URN < r.Changes[j].URN })
	r.Counts = CountsOf(r.Changes)
	if c.counts != nil && len(r.Changes) == 0 {
		r.Counts = c.counts
	}
	return r
}
