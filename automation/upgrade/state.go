package upgrade

import (
	"context"
	"sync"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/contract"
	"github.com/eksplatform/eksplatform/environments"
)

// BackendState reads current versions from the stack outputs a backend holds.
// Stacks that do not exist, or hold nothing, are new clusters; none is created.
type BackendState struct {
	Backend automation.Backend

	once     sync.Once
	deployed *automation.DeployedStacks
}

var _ StateReader = (*BackendState)(nil)

// Versions returns nil for a cluster the backend holds nothing of.
func (s *BackendState) Versions(ctx context.Context, c *environments.Cluster) (*Versions, error) {
	s.once.Do(func() { s.deployed = &automation.DeployedStacks{Backend: s.Backend} })
	o, _, err := s.deployed.Outputs(ctx, c)
	if o == nil || err != nil {
		return nil, err
	}
	return versions(o), nil
}

// VersionsFromOutputs maps stack outputs onto versions, through the
// program's contract.
func VersionsFromOutputs(outs map[string]any) (*Versions, error) {
	o, err := contract.ReadDeployed(outs)
	if err != nil {
		return nil, err
	}
	return versions(&o), nil
}

func versions(o *contract.Outputs) *Versions {
	v := &Versions{Kubernetes: o.Kubernetes, NodeRelease: o.NodeGroupRelease, Karpenter: o.Karpenter, Addons: o.Addons}
	if v.Addons == nil {
		v.Addons = map[string]string{}
	}
	return v
}
