package upgrade

import (
	"context"
	"fmt"
	"sync"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/stacks/outputs"
)

// BackendState reads current versions from the stack outputs a backend holds.
// Stacks that do not exist, or hold nothing, are new clusters; none is created.
type BackendState struct {
	Backend automation.Backend

	once   sync.Once
	stacks map[string]automation.StackSummary
	err    error
}

var _ StateReader = (*BackendState)(nil)

// Versions returns nil for a cluster the backend holds nothing of.
func (s *BackendState) Versions(ctx context.Context, c *environments.Cluster) (*Versions, error) {
	s.once.Do(func() { s.stacks, s.err = s.Backend.Stacks(ctx) })
	if s.err != nil {
		return nil, s.err
	}
	sum, ok := s.stacks[c.Name]
	if !ok || sum.ResourceCount == 0 {
		return nil, nil
	}
	stack, err := s.Backend.Open(ctx, c)
	if err != nil {
		return nil, err
	}
	outs, err := stack.Outputs(ctx)
	if err != nil {
		return nil, err
	}
	return VersionsFromOutputs(outs)
}

// VersionsFromOutputs maps stack outputs onto versions.
func VersionsFromOutputs(outs map[string]any) (*Versions, error) {
	v := &Versions{Addons: map[string]string{}}
	v.Kubernetes, _ = outs[outputs.KubernetesVersion].(string)
	if v.Kubernetes == "" {
		return nil, fmt.Errorf("the stack has no %s output: was it made by eksplatform?", outputs.KubernetesVersion)
	}
	v.NodeRelease, _ = outs[outputs.NodeGroupRelease].(string)
	v.Karpenter, _ = outs[outputs.KarpenterVersion].(string)
	if addons, ok := outs[outputs.AddonVersions].(map[string]any); ok {
		for name, ver := range addons {
			if s, ok := ver.(string); ok {
				v.Addons[name] = s
			}
		}
	}
	return v, nil
}
