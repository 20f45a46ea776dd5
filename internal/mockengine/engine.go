// Package mockengine is the one mock Pulumi engine of the project. Unit tests,
// the fleet guardrail tests and the `synth` command all run stacks.Cluster
// under it: it records every registered resource (type, name, parent,
// provider, protect, inputs) behind a mutex, returns deterministic ids and
// canned outputs per type, and answers the invokes the program makes with
// values derived from their arguments, so a test can prove the right
// arguments were passed.
//
// It is not test-only code: `eksplatform synth` uses it to show what each
// cluster declares without an AWS account.
package mockengine

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/internal/awsanswers"
)

// Project is the Pulumi project name the program runs under.
const Project = "eksplatform"

// Resource is one registered resource as the engine saw it.
type Resource struct {
	URN    string
	Type   string
	Name   string
	Parent string // parent URN; the stack's URN for top-level resources
	// Provider is the URN of the provider of a custom resource.
	Provider string
	// Providers are the providers handed to a component, by package.
	Providers map[string]string
	Protect   bool
	// RetainOnDelete keeps the cloud resource when Pulumi deletes it.
	RetainOnDelete bool
	Custom         bool
	Remote         bool // a multi-language component (pulumi-eks)
	// DependsOn are all URNs the resource waits for (explicit and through inputs).
	DependsOn []string
	ID        string
	Inputs    resource.PropertyMap
	Outputs   resource.PropertyMap
}

// Invoke is one data-source call.
type Invoke struct {
	Token    string
	Args     resource.PropertyMap
	Provider string // provider URN
}

// Engine implements pulumi.MockResourceMonitor. One Engine runs one stack.
type Engine struct {
	stack string
	// preview makes the engine answer like a preview of a stack that does not
	// exist yet: every output the cloud would compute is unknown.
	preview bool

	mu        sync.Mutex
	resources map[string]*Resource // by URN
	providers map[string]*Resource // by provider reference "urn::id"
	invokes   []Invoke
}

// New returns an engine for the stack (the cluster name).
func New(stack string) *Engine {
	return &Engine{
		stack:     stack,
		resources: map[string]*Resource{},
		providers: map[string]*Resource{},
	}
}

// NewPreview returns an engine that previews a stack whose resources do not
// exist yet: ids and computed outputs are unknown, as in a first `pulumi
// preview`. A program that needs a known value at preview time fails here.
func NewPreview(stack string) *Engine {
	e := New(stack)
	e.preview = true
	return e
}

// Run runs a Pulumi program under this engine.
func (e *Engine) Run(program pulumi.RunFunc) error {
	opts := []pulumi.RunOption{pulumi.WithMocks(Project, e.stack, e)}
	if e.preview {
		opts = append(opts, func(info *pulumi.RunInfo) { info.DryRun = true })
	}
	return pulumi.RunErr(program, opts...)
}

// Stack is the name of the stack this engine runs.
func (e *Engine) Stack() string { return e.stack }

// StackURN is the URN of the root stack resource, the parent of top-level resources.
func (e *Engine) StackURN() string {
	return string(resource.NewURN(tokens.QName(e.stack), tokens.PackageName(Project), "", resource.RootStackType, Project+"-"+e.stack))
}

// urnOf mirrors the URN the SDK's mock monitor gives a resource.
func (e *Engine) urnOf(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(e.stack), tokens.PackageName(Project), parentType, tokens.Type(typ), name))
}

// NewResource records a resource and answers with its id and outputs.
func (e *Engine) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := &Resource{
		Type:     args.TypeToken,
		Name:     args.Name,
		Provider: providerURN(args.Provider),
		Custom:   args.Custom,
		Inputs:   args.Inputs.Copy(),
	}
	parent := ""
	if rpc := args.RegisterRPC; rpc != nil {
		parent = rpc.GetParent()
		r.Protect = rpc.GetProtect()
		r.RetainOnDelete = rpc.GetRetainOnDelete()
		r.Remote = rpc.GetRemote()
		r.DependsOn = slices.Sorted(slices.Values(rpc.GetDependencies()))
		if ps := rpc.GetProviders(); len(ps) > 0 {
			r.Providers = map[string]string{}
			for pkg, ref := range ps {
				r.Providers[pkg] = providerURN(ref)
			}
		}
	} else if rpc := args.ReadRPC; rpc != nil {
		parent = rpc.GetParent()
	}
	if parent == "" {
		parent = e.StackURN()
	}
	r.Parent = parent
	r.URN = e.urnOf(parent, r.Type, r.Name)
	r.ID = args.ID
	if r.ID == "" && (r.Custom || strings.HasPrefix(r.Type, "pulumi:providers:")) {
		r.ID = shortID(r.URN)
	}

	if e.preview && !strings.HasPrefix(r.Type, "pulumi:providers:") {
		// Only what the program said is known; the cloud's answers are not.
		r.ID = ""
		e.mu.Lock()
		r.Outputs = resource.PropertyMap{}
		if r.Custom {
			r.Outputs = r.Inputs.Copy()
		}
		if r.Type == "eks:index:Cluster" {
			// The SDK's mock monitor cannot carry a secret whose value is
			// unknown (it drops unknowns when it decodes inputs), so the
			// kubeconfig stays known here; everything else of the cluster
			// (name, endpoint, issuer, security group) is unknown.
			kubeconfig := awsanswers.KubeconfigFor(awsanswers.Str(r.Inputs, "name"), "https://preview.invalid", "", "preview")
			r.Outputs["kubeconfigJson"] = resource.MakeSecret(resource.NewProperty(kubeconfig))
		}
		e.resources[r.URN] = r
		e.mu.Unlock()
		return "", r.Outputs, nil
	}
	e.mu.Lock()
	outputs, err := e.outputsFor(r)
	if err == nil {
		r.Outputs = outputs
		e.resources[r.URN] = r
		if strings.HasPrefix(r.Type, "pulumi:providers:") {
			e.providers[r.URN] = r
		}
	}
	e.mu.Unlock()
	if err != nil {
		return "", nil, fmt.Errorf("mockengine: %s %q: %w", r.Type, r.Name, err)
	}
	return r.ID, outputs, nil
}

// Call answers an invoke (a data source or provider function).
func (e *Engine) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	inv := Invoke{Token: args.Token, Args: args.Args.Copy(), Provider: providerURN(args.Provider)}
	e.mu.Lock()
	e.invokes = append(e.invokes, inv)
	acct := e.accountOf(inv.Provider)
	e.mu.Unlock()
	out, err := awsanswers.Invoke(args.Token, inv.Args, acct)
	if err != nil {
		return nil, fmt.Errorf("mockengine: invoke %s: %w", args.Token, err)
	}
	return out, nil
}

// MethodCall answers resource methods; the program calls none today.
func (e *Engine) MethodCall(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("mockengine: no canned answer for method %s", args.Token)
}

// Resources returns every recorded resource, sorted by URN.
func (e *Engine) Resources() []Resource {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Resource, 0, len(e.resources))
	for _, r := range e.resources {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Resource) int { return strings.Compare(a.URN, b.URN) })
	return out
}

// ByType returns the resources of one type token, sorted by URN.
func (e *Engine) ByType(typ string) []Resource {
	var out []Resource
	for _, r := range e.Resources() {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Find returns the resource of a type and logical name.
func (e *Engine) Find(typ, name string) (Resource, bool) {
	for _, r := range e.ByType(typ) {
		if r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

// ByURN returns a resource by URN.
func (e *Engine) ByURN(urn string) (Resource, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.resources[urn]
	if !ok {
		return Resource{}, false
	}
	return *r, true
}

// Invokes returns the calls of one invoke token, in call order.
func (e *Engine) Invokes(token string) []Invoke {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Invoke
	for _, inv := range e.invokes {
		if inv.Token == token {
			out = append(out, inv)
		}
	}
	return out
}

// providerURN strips the id from a provider reference "urn::id".
func providerURN(ref string) string {
	if ref == "" {
		return ""
	}
	if i := strings.LastIndex(ref, "::"); i > 0 && strings.HasPrefix(ref, "urn:pulumi:") {
		return ref[:i]
	}
	return ref
}

func shortID(seed string) string { return awsanswers.ShortID(seed) }

// accountOf reads region and account from a recorded AWS provider. Callers hold e.mu.
func (e *Engine) accountOf(providerURN string) awsanswers.Account {
	p, ok := e.providers[providerURN]
	if !ok {
		return awsanswers.AccountOf(nil)
	}
	return awsanswers.AccountOf(p.Inputs)
}
