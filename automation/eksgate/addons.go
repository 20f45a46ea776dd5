package eksgate

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/eks"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/catalog/refresh"
	"github.com/eksplatform/eksplatform/environments"
)

// VersionsAPI is the EKS call the addon catalog uses; *eks.Client satisfies it.
type VersionsAPI = refresh.AddonVersionsAPI

// AddonCatalog answers which addon versions EKS offers, live, through
// DescribeAddonVersions; `eksplatform plan --aws-addon-versions` uses it in
// place of the offline table.
type AddonCatalog struct {
	// Client returns the API for a cluster's region.
	Client func(ctx context.Context, c *environments.Cluster) (VersionsAPI, error)

	mu    sync.Mutex
	cache map[[3]string]catalog.AddonVersions
}

// NewAddonCatalog uses the default credential chain.
func NewAddonCatalog() *AddonCatalog {
	return &AddonCatalog{Client: func(ctx context.Context, c *environments.Cluster) (VersionsAPI, error) {
		api, err := DefaultClient(ctx, c)
		if err != nil {
			return nil, err
		}
		return api.(*eks.Client), nil
	}}
}

// Versions asks EKS for the versions of an addon compatible with a
// Kubernetes minor: the default, the newest and the oldest.
// Answers are kept per region, addon and Kubernetes minor: a plan asks the
// same question for every cluster of a role.
func (a *AddonCatalog) Versions(ctx context.Context, c *environments.Cluster, addon, k8s string) (catalog.AddonVersions, error) {
	key := [3]string{c.Region, addon, k8s}
	a.mu.Lock()
	cached, ok := a.cache[key]
	a.mu.Unlock()
	if ok {
		return cached, nil
	}
	out, err := a.describe(ctx, c, addon, k8s)
	if err != nil {
		return out, err
	}
	a.mu.Lock()
	if a.cache == nil {
		a.cache = map[[3]string]catalog.AddonVersions{}
	}
	a.cache[key] = out
	a.mu.Unlock()
	return out, nil
}

func (a *AddonCatalog) describe(ctx context.Context, c *environments.Cluster, addon, k8s string) (catalog.AddonVersions, error) {
	api, err := a.Client(ctx, c)
	if err != nil {
		return catalog.AddonVersions{}, err
	}
	offered, err := refresh.ListAddonVersions(ctx, api, addon, k8s)
	if err != nil {
		return catalog.AddonVersions{}, fmt.Errorf("describing the versions of addon %s for Kubernetes %s: %w", addon, k8s, err)
	}
	out, ok := catalog.SummarizeAddonVersions(offered)[k8s]
	if !ok {
		return out, fmt.Errorf("EKS offers no version of addon %s for Kubernetes %s", addon, k8s)
	}
	return out, nil
}
