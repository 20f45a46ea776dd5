package automation

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/eksplatform/eksplatform/environments"
)

// Operation is what the driver does to each stack.
type Operation string

// The operations of the driver.
const (
	OpPreview Operation = "preview"
	OpUp      Operation = "up"
	OpRefresh Operation = "refresh"
	OpDestroy Operation = "destroy"
)

// Change kinds, as the report counts them.
const (
	KindCreate  = "create"
	KindUpdate  = "update"
	KindReplace = "replace"
	KindDelete  = "delete"
)

// Change is one resource the operation creates, updates, replaces or deletes.
type Change struct {
	URN  string `json:"urn"`
	Type string `json:"type"`
	// Kind is create, update, replace or delete.
	Kind string `json:"kind"`
	// Diffs are the changed properties, with how each changes ("update",
	// "add", "delete", "add-replace", ...), secrets never included.
	Diffs map[string]string `json:"diffs,omitempty"`
	// Protected is what a protected resource is called ("EKS cluster"),
	// empty for the others; the driver sets it from Driver.Resources.
	Protected string `json:"protected,omitempty"`
}

// Result is what one stack operation did or would do.
type Result struct {
	Changes []Change `json:"changes"`
	// Counts are changes by kind.
	Counts map[string]int `json:"counts"`
	// Outputs are the stack outputs after an up (secrets as "[secret]").
	Outputs map[string]any `json:"outputs,omitempty"`
}

// CountsOf tallies changes by kind.
func CountsOf(changes []Change) map[string]int {
	counts := map[string]int{}
	for _, c := range changes {
		counts[c.Kind]++
	}
	return counts
}

// PreviewOptions shape a preview.
type PreviewOptions struct {
	// Replace previews the replacement of these URNs.
	Replace []string
}

// UpOptions shape an up.
type UpOptions struct {
	// Replace forces the replacement of these URNs (targeted replace).
	Replace []string
}

// RefreshOptions shape a refresh.
type RefreshOptions struct {
	// ExpectNoChanges fails the refresh when the cloud drifted from state.
	ExpectNoChanges bool
}

// StateResource is one resource the backend holds for a stack.
type StateResource struct {
	URN    string `json:"urn"`
	Type   string `json:"type"`
	Parent string `json:"parent,omitempty"`
}

// PendingOperation is a step the engine started and never saw end: its CLI
// was killed mid-step. AWS may hold the resource (a create that went
// through) while the state does not know its id.
type PendingOperation struct {
	// Type is creating, updating, deleting or reading.
	Type string `json:"type"`
	URN  string `json:"urn"`
	// ResourceType is the resource's Pulumi type token.
	ResourceType string `json:"resourceType"`
	// ID is the provider's id when the engine knew it (not for creates).
	ID string `json:"id,omitempty"`
}

// RecoverOptions say how pending operations are resolved.
type RecoverOptions struct {
	// Import records pending creates as created, URN to the cloud id of
	// the resource that the interrupted create made.
	Import map[string]string
	// Clear drops the pending creates that Import does not name (the
	// resources were never made, or will be imported by hand) and reads the
	// rest of the state from the cloud: a refresh.
	Clear bool
}

// Check says whether the options resolve every pending create: each URN of
// Import must be a pending create, and without Clear every pending create
// must be imported. A create left unresolved would keep the stack refused.
func (o RecoverOptions) Check(pending []PendingOperation) error {
	creates := map[string]bool{}
	for _, p := range pending {
		if p.Type == "creating" {
			creates[p.URN] = true
		}
	}
	urns := make([]string, 0, len(o.Import))
	for urn := range o.Import {
		urns = append(urns, urn)
	}
	sort.Strings(urns)
	for _, urn := range urns {
		if !creates[urn] {
			return fmt.Errorf("--import %s: not a pending create; the pending creates are listed above", urn)
		}
	}
	if !o.Clear && len(o.Import) < len(creates) {
		return fmt.Errorf("%d pending create(s) would stay: name each with --import URN=ID, or add --clear to drop the others",
			len(creates)-len(o.Import))
	}
	return nil
}

// Stack is one cluster's stack, as the driver needs it.
// Every operation that changes state takes the stack's lock; a held lock is
// ErrLocked, an interrupted context ErrCancelled, and a failure carries the
// engine's error diagnostics.
type Stack interface {
	// Name is the stack's name: the cluster's.
	Name() string
	// Preview computes the changes an up would make (Replace forces the
	// replacement of the given URNs), changing nothing.
	Preview(ctx context.Context, opts PreviewOptions) (*Result, error)
	// Up applies the program (Replace as for Preview).
	Up(ctx context.Context, opts UpOptions) (*Result, error)
	// Refresh reads every resource back from the cloud into the state; with
	// ExpectNoChanges it only previews that refresh and returns ErrDrift,
	// state untouched, when the cloud differs.
	Refresh(ctx context.Context, opts RefreshOptions) (*Result, error)
	// Destroy deletes every resource of the stack (protected ones refuse).
	Destroy(ctx context.Context) (*Result, error)
	// Outputs are the stack's outputs, secrets as "[secret]"; read them
	// through contract.Read.
	Outputs(ctx context.Context) (map[string]any, error)
	// Resources are what the backend's state holds.
	Resources(ctx context.Context) ([]StateResource, error)
	// PendingOperations are the steps an interrupted run left unfinished.
	PendingOperations(ctx context.Context) ([]PendingOperation, error)
	// Recover resolves pending operations with a refresh that imports or
	// clears them.
	Recover(ctx context.Context, opts RecoverOptions) (*Result, error)
}

// StackSummary is what a backend knows of a stack without opening it.
type StackSummary struct {
	Name             string
	LastUpdate       time.Time
	UpdateInProgress bool
	// ResourceCount is 0 for a stack that holds nothing yet.
	ResourceCount int
}

// Backend opens the stacks of clusters.
type Backend interface {
	// Open creates the cluster's stack if needed and selects it.
	Open(ctx context.Context, c *environments.Cluster) (Stack, error)
	// Stacks lists the stacks the backend holds, by name.
	Stacks(ctx context.Context) (map[string]StackSummary, error)
}

// Errors the driver tells apart.
var (
	// ErrLocked means another update holds the stack.
	ErrLocked = errors.New("stack is locked by another update")
	// ErrCancelled means the run was interrupted.
	ErrCancelled = errors.New("cancelled")
	// ErrProtected means the plan replaces or deletes a protected kind.
	ErrProtected = errors.New("refusing to replace or delete a protected resource")
	// ErrPending means an interrupted run left operations pending in the
	// stack's state.
	ErrPending = errors.New("the state holds pending operations of an interrupted run")
	// ErrDrift means a drift check found the cloud different from the state.
	ErrDrift = errors.New("drift")
	// ErrGate means a health gate did not pass.
	ErrGate = errors.New("health gate failed")
)
