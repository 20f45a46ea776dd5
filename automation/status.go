package automation

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/eksplatform/eksplatform/contract"
	"github.com/eksplatform/eksplatform/environments"
)

// ClusterStatus is what the backend holds of one cluster: `status` prints
// it, and plan reads the same versions (ReadOutputs).
type ClusterStatus struct {
	Cluster          string            `json:"cluster"`
	Role             string            `json:"role"`
	Wave             int               `json:"wave"`
	Deployed         bool              `json:"deployed"`
	LastUpdate       *time.Time        `json:"lastUpdate,omitempty"`
	UpdateInProgress bool              `json:"updateInProgress"`
	Resources        int               `json:"resources"`
	Desired          string            `json:"desiredVersion"`
	Kubernetes       string            `json:"kubernetesVersion,omitempty"`
	NodeRelease      string            `json:"managementNodeGroupReleaseVersion,omitempty"`
	Karpenter        string            `json:"karpenterVersion,omitempty"`
	Addons           map[string]string `json:"addonVersions,omitempty"`
	// Pending are the steps an interrupted run left unfinished.
	Pending []PendingOperation `json:"pendingOperations,omitempty"`
	// Error says why the cluster's state could not be read.
	Error string `json:"error,omitempty"`
}

// FleetStatus reads, for every cluster given, what its stack holds, in wave
// order. Stacks that do not exist are not created.
func FleetStatus(ctx context.Context, clusters []*environments.Cluster, backend Backend) ([]ClusterStatus, error) {
	existing, err := backend.Stacks(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]ClusterStatus, 0, len(clusters))
	for _, c := range clusters {
		row := ClusterStatus{Cluster: c.Name, Role: c.Role, Wave: c.Wave, Desired: c.EKSVersion}
		s, ok := existing[c.Name]
		if ok {
			row.UpdateInProgress, row.Resources = s.UpdateInProgress, s.ResourceCount
			if !s.LastUpdate.IsZero() {
				t := s.LastUpdate
				row.LastUpdate = &t
			}
		}
		if ok && s.ResourceCount > 0 {
			// The pending operations are read whatever the outputs say: a
			// killed first up leaves resources, pending creates and no
			// outputs.
			var errs []string
			stack, err := backend.Open(ctx, c)
			if err == nil {
				if row.Pending, err = stack.PendingOperations(ctx); err != nil {
					errs = append(errs, err.Error())
				}
				var o *contract.Outputs
				if o, err = readOutputs(ctx, stack); err != nil {
					errs = append(errs, err.Error())
				}
				if o != nil {
					row.Deployed = true
					row.Kubernetes, row.NodeRelease, row.Karpenter, row.Addons = o.Kubernetes, o.NodeGroupRelease, o.Karpenter, o.Addons
				}
			} else {
				errs = append(errs, err.Error())
			}
			row.Error = strings.Join(errs, "; ")
		}
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Wave < rows[j].Wave })
	return rows, nil
}

// ReadOutputs reads what a deployed cluster's stack says through the
// program's contract: nil for a cluster the backend holds nothing of
// (summaries is Backend.Stacks) or whose first up did not finish, an error
// for a stack whose outputs do not read.
func ReadOutputs(ctx context.Context, backend Backend, summaries map[string]StackSummary, c *environments.Cluster) (*contract.Outputs, error) {
	if s, ok := summaries[c.Name]; !ok || s.ResourceCount == 0 {
		return nil, nil
	}
	stack, err := backend.Open(ctx, c)
	if err != nil {
		return nil, err
	}
	return readOutputs(ctx, stack)
}

func readOutputs(ctx context.Context, stack Stack) (*contract.Outputs, error) {
	raw, err := stack.Outputs(ctx)
	if err != nil {
		return nil, err
	}
	o, err := contract.ReadDeployed(raw)
	if errors.Is(err, contract.ErrNoOutputs) {
		// A first up that did not finish: nothing is deployed yet as far as
		// versions go (the next up is a create); its pending operations say
		// what is to recover.
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// DeployedStacks reads deployed stacks' outputs through the program's
// contract, listing the backend's stacks once for all the clusters asked
// about. Reading creates no stack. plan and the inventory read through it.
type DeployedStacks struct {
	Backend Backend

	once   sync.Once
	stacks map[string]StackSummary
	err    error
}

// Outputs returns the outputs of a cluster's stack and its summary: nil
// outputs for a cluster the backend holds nothing of, or whose first up did
// not finish; an error for a backend that cannot list its stacks or outputs
// that do not read.
func (s *DeployedStacks) Outputs(ctx context.Context, c *environments.Cluster) (*contract.Outputs, StackSummary, error) {
	s.once.Do(func() { s.stacks, s.err = s.Backend.Stacks(ctx) })
	if s.err != nil {
		return nil, StackSummary{}, s.err
	}
	o, err := ReadOutputs(ctx, s.Backend, s.stacks, c)
	return o, s.stacks[c.Name], err
}

// UndeclaredStacks lists the backend's stacks that hold resources but that no
// environment file of fleet declares: a role file renamed (sandbox.JSON) or
// deleted leaves its deployed clusters out of every command.
func UndeclaredStacks(ctx context.Context, fleet *environments.Fleet, backend Backend) ([]string, error) {
	stacks, err := backend.Stacks(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for name, s := range stacks {
		if _, ok := fleet.Cluster(name); !ok && s.ResourceCount > 0 {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}
