package upgrade

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/environments"
)

// Severities of findings.
const (
	Error   = "error"
	Warning = "warning"
)

// Where current versions come from.
const (
	SourceState = "state"
	SourceBase  = "base"
	SourceNew   = "new"
)

// Versions are what a cluster runs or should run.
type Versions struct {
	Kubernetes string `json:"kubernetes"`
	// Addons are resolved versions by addon name.
	Addons map[string]string `json:"addons,omitempty"`
	// NodeRelease is the management node group's AMI release; a symbolic
	// "latest for 1.35" when it follows the newest release.
	NodeRelease string `json:"nodeRelease,omitempty"`
	Karpenter   string `json:"karpenter,omitempty"`
}

// Current is what a cluster runs now and where that knowledge comes from.
type Current struct {
	Source string `json:"source"`
	Versions
}

// Step is one ordered action of a cluster's upgrade.
type Step struct {
	Kind     string `json:"kind"`
	Title    string `json:"title"`
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	Watch    string `json:"watch"`
	Rollback string `json:"rollback"`
}

// Finding is a check that did not pass.
type Finding struct {
	Code     string `json:"code"`
	Severity string `json:"severity"`
	// Subject is the cluster or role the finding is about.
	Subject string `json:"subject"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

// ClusterPlan is one cluster's part of the plan.
type ClusterPlan struct {
	Cluster  string    `json:"cluster"`
	Role     string    `json:"role"`
	Wave     string    `json:"wave"`
	Current  Current   `json:"current"`
	Desired  Versions  `json:"desired"`
	Steps    []Step    `json:"steps"`
	Findings []Finding `json:"findings,omitempty"`
	// Refused: a check of this cluster failed; its steps must not run.
	Refused bool `json:"refused"`
}

// WaveSummary is one wave of the rollout.
type WaveSummary struct {
	Label       string   `json:"label"`
	Roles       []string `json:"roles"`
	Clusters    []string `json:"clusters"`
	Parallel    int      `json:"parallel"`
	Bake        string   `json:"bake"`
	GateTimeout string   `json:"gateTimeout"`
	EchoCheck   bool     `json:"echoCheck"`
}

// AccountSummary is one AWS account of the selected clusters.
type AccountSummary struct {
	ID       string   `json:"id"`
	Clusters []string `json:"clusters"`
	// SpotServiceLinkedRole: "created by <cluster>" or "exists in the account".
	SpotServiceLinkedRole string `json:"spotServiceLinkedRole"`
}

// Plan is the whole rollout plan.
type Plan struct {
	Date     string           `json:"date"`
	Waves    []WaveSummary    `json:"waves"`
	Accounts []AccountSummary `json:"accounts"`
	Clusters []ClusterPlan    `json:"clusters"`
	// Findings are every finding of the plan, cluster and fleet ones alike.
	Findings []Finding `json:"findings"`
	// AddonOrder is the catalog's addon order: how versions are listed and
	// addons upgraded (those installed before the nodes go first).
	AddonOrder []string `json:"addonOrder"`
}

// Failed reports whether a check failed with severity error.
func (p *Plan) Failed() bool { return len(p.FailingOn([]string{Error})) > 0 }

// FailingOn returns the findings that match any of the rules: a severity
// ("error", "warning") or a check code ("EKS104").
func (p *Plan) FailingOn(rules []string) []Finding {
	var out []Finding
	for _, f := range p.Findings {
		for _, r := range rules {
			if strings.EqualFold(r, f.Severity) || strings.EqualFold(r, f.Code) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// StateReader reads the versions a cluster's stack recorded, if it has any.
type StateReader interface {
	Versions(ctx context.Context, c *environments.Cluster) (*Versions, error)
}

// AddonCatalog answers which addon versions EKS offers for a Kubernetes minor.
type AddonCatalog interface {
	Versions(ctx context.Context, c *environments.Cluster, addon, kubernetesVersion string) (catalog.AddonVersions, error)
}

// Offline answers from the catalog's addon table (catalog/data/addons.json).
type Offline struct {
	// Catalog is the table to read; nil is the fleet's.
	Catalog *catalog.Catalog
}

// MissingRowError says the offline table has no versions of an addon for a
// minor: not a failure of the plan, a finding (ADD104).
type MissingRowError struct{ Addon, Kubernetes string }

func (e *MissingRowError) Error() string {
	return fmt.Sprintf("the catalog has no versions of addon %s for Kubernetes %s", e.Addon, e.Kubernetes)
}

// Versions looks the addon up in the table.
func (o Offline) Versions(_ context.Context, _ *environments.Cluster, addon, k8s string) (catalog.AddonVersions, error) {
	cat := o.Catalog
	if cat == nil {
		cat = catalog.Default()
	}
	v, ok := cat.AddonVersionsFor(addon, k8s)
	if !ok {
		return catalog.AddonVersions{}, &MissingRowError{Addon: addon, Kubernetes: k8s}
	}
	return v, nil
}

// Inputs are what a plan is computed from.
type Inputs struct {
	Fleet *environments.Fleet
	// Base are the environment files of the target branch (optional).
	Base *environments.Fleet
	// State reads the backend (optional).
	State     StateReader
	Catalog   AddonCatalog
	Selection automation.Selection
	// Insights reads EKS upgrade insights (optional: plan --aws-insights).
	Insights InsightReader
	// Today is the date support windows are measured against.
	Today time.Time
}
