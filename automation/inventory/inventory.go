// Package inventory is the fleet's single source of truth: per cluster,
// what the environment files declare, what its stack holds where one
// exists, the support window of its Kubernetes minor, its last successful
// rollout and its drift from the audit trail, and the SSM parameters under
// which services find its facts. It renders as JSON, Markdown and Backstage
// catalog entities.
package inventory

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/automation/audit"
	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/contract"
	"github.com/eksplatform/eksplatform/environments"
)

// Inputs are what an inventory is built from.
type Inputs struct {
	Fleet *environments.Fleet
	// Clusters are the selected clusters, in rollout order.
	Clusters []*environments.Cluster
	// Today judges support windows.
	Today time.Time
	// State reads deployed stacks; nil: the environment files only.
	State StateReader
	// Audit is the trail of runs; nil: no rollout or drift history.
	Audit audit.Store
	// Sources name where the state and the trail were read, for the reader.
	Sources Sources
}

// Sources say where an inventory's facts come from.
type Sources struct {
	Environments string `json:"environments"`
	State        string `json:"state,omitempty"`
	Audit        string `json:"audit,omitempty"`
}

// StateReader reads what a cluster's stack holds: nil for a cluster that is
// not deployed.
type StateReader interface {
	Deployed(ctx context.Context, c *environments.Cluster) (*Deployed, error)
}

// Deployed is a deployed stack's outputs and when it last changed.
type Deployed struct {
	Outputs    contract.Outputs
	LastUpdate time.Time
}

// Inventory is the fleet (or a selection of it) on a day.
type Inventory struct {
	// Date is the day the support windows are judged on (YYYY-MM-DD).
	Date     string    `json:"date"`
	Sources  Sources   `json:"sources"`
	Roles    []Role    `json:"roles"`
	Clusters []Cluster `json:"clusters"`
}

// Role is one environment file of the selection.
type Role struct {
	Name        string   `json:"name"`
	File        string   `json:"file"`
	Description string   `json:"description,omitempty"`
	Wave        int      `json:"wave"`
	Clusters    []string `json:"clusters"`
}

// Cluster is one cluster's entry.
type Cluster struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	Wave      int    `json:"wave"`
	File      string `json:"file"`
	AccountID string `json:"accountId"`
	Region    string `json:"region"`
	Partition string `json:"partition"`
	// Deployed says the backend holds the cluster's stack with outputs.
	Deployed   bool       `json:"deployed"`
	LastUpdate *time.Time `json:"lastUpdate,omitempty"`

	Kubernetes Versions `json:"kubernetes"`
	// Addons are the managed addons: declared (a version, "latest" or
	// "default") and deployed.
	Addons           map[string]Versions `json:"addons"`
	NodeGroupRelease Versions            `json:"managementNodeGroupRelease"`
	Karpenter        Versions            `json:"karpenter"`

	Endpoint            string   `json:"endpoint,omitempty"`
	OIDCIssuerURL       string   `json:"oidcIssuerUrl,omitempty"`
	EFSFileSystemID     string   `json:"efsFileSystemId,omitempty"`
	StorageClasses      []string `json:"storageClasses"`
	ClusterAdminRoleARN string   `json:"clusterAdminRoleArn,omitempty"`

	Observability Observability `json:"observability"`
	// Policy is the policy engine's mode ("audit", "enforce"), "off" without it.
	Policy string `json:"policy"`

	Support     Support   `json:"support"`
	LastRollout *Rollout  `json:"lastSuccessfulRollout,omitempty"`
	Drift       Drift     `json:"drift"`
	Parameters  Parameter `json:"parameters"`
	Links       []Link    `json:"links"`

	// Error says why the stack could not be read; the rest is then what
	// the environment files say.
	Error string `json:"error,omitempty"`

	// certificateAuthority is for the Backstage annotation only: public,
	// but long, and not a fact people read in a table.
	certificateAuthority string
}

// Observability is the cluster's observability baseline: what the role
// turns on, and where to look once deployed.
type Observability struct {
	ContainerInsights bool `json:"containerInsights"`
	// ContainerInsightsURL is the console page of the cluster's Container
	// Insights (deployed).
	ContainerInsightsURL string `json:"containerInsightsUrl,omitempty"`
	Prometheus           bool   `json:"prometheus"`
	// PrometheusWorkspaceID and PrometheusEndpoint are the managed
	// Prometheus workspace (deployed).
	PrometheusWorkspaceID string `json:"prometheusWorkspaceId,omitempty"`
	PrometheusEndpoint    string `json:"prometheusEndpoint,omitempty"`
}

// Versions are a version as declared and as deployed ("" when unknown).
type Versions struct {
	Declared string `json:"declared,omitempty"`
	Deployed string `json:"deployed,omitempty"`
}

// Current is the deployed version, else the declared one.
func (v Versions) Current() string {
	if v.Deployed != "" {
		return v.Deployed
	}
	return v.Declared
}

// Support is the support window of the cluster's current minor.
type Support struct {
	Minor string `json:"minor"`
	// Tier is catalog.Standard, Extended, Ended, NotReleased or "unknown".
	Tier          string `json:"tier"`
	EndOfStandard string `json:"endOfStandard,omitempty"`
	EndOfExtended string `json:"endOfExtended,omitempty"`
	// Until is the end of the support the role runs on: the end of
	// standard support, or of extended support for a role that allows it.
	Until string `json:"until,omitempty"`
	// DaysLeft are the days from the inventory's date to Until (negative
	// once passed); nil when the minor is not in the calendar.
	DaysLeft *int `json:"daysLeft,omitempty"`
}

// Rollout is the last successful `up` of a cluster in the audit trail.
type Rollout struct {
	RunID  string    `json:"runId"`
	End    time.Time `json:"end"`
	Commit string    `json:"commit,omitempty"`
	By     string    `json:"by,omitempty"`
	JobURL string    `json:"jobUrl,omitempty"`
}

// Drift statuses.
const (
	DriftNotChecked = "not checked"    // no refresh in the trail
	DriftInSync     = "in sync"        // the last refresh changed nothing
	DriftDrifted    = "drifted"        // the last refresh found changes and no up ran since
	DriftReconciled = "reconciled"     // drift was found, then an up succeeded
	DriftFailed     = "refresh failed" // the last refresh did not finish
)

// Drift is what the last refresh found.
type Drift struct {
	Status    string         `json:"status"`
	Refreshed *time.Time     `json:"refreshed,omitempty"`
	Changes   map[string]int `json:"changes,omitempty"`
	RunID     string         `json:"runId,omitempty"`
}

// Parameter names the SSM parameters of a cluster's facts.
type Parameter struct {
	Prefix string            `json:"prefix"`
	Names  map[string]string `json:"names"`
}

// Link is a page about the cluster.
type Link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
	Icon  string `json:"icon,omitempty"`
}

// Build makes the inventory of the selected clusters. A stack that cannot be
// read is an entry with Error set, not a failure; a trail that cannot be
// read is an error.
func Build(ctx context.Context, in Inputs) (*Inventory, error) {
	if in.Fleet == nil {
		return nil, fmt.Errorf("inventory: no fleet")
	}
	inv := &Inventory{Date: in.Today.UTC().Format(time.DateOnly), Sources: in.Sources, Clusters: []Cluster{}, Roles: []Role{}}
	var records []audit.Record
	if in.Audit != nil && len(in.Clusters) > 0 {
		names := make([]string, len(in.Clusters))
		for i, c := range in.Clusters {
			names[i] = c.Name
		}
		var err error
		if records, err = in.Audit.List(ctx, audit.Filter{Clusters: names}); err != nil {
			return nil, fmt.Errorf("reading the audit trail %s: %w", in.Audit, err)
		}
	}
	byCluster := map[string][]audit.Record{}
	for _, r := range records {
		byCluster[r.Cluster] = append(byCluster[r.Cluster], r)
	}
	roles := map[string]*Role{}
	var order []string
	for _, c := range in.Clusters {
		e := declared(c)
		if in.State != nil {
			d, err := in.State.Deployed(ctx, c)
			switch {
			case err != nil:
				e.Error = automation.FirstLine(err.Error())
			case d != nil:
				e.deployed(d)
			}
		}
		e.Support = support(in.Fleet.Catalog, c, e.Kubernetes.Current(), in.Today)
		e.LastRollout, e.Drift = history(byCluster[c.Name])
		e.Links = links(&e)
		inv.Clusters = append(inv.Clusters, e)

		r, ok := roles[c.Role]
		if !ok {
			r = &Role{Name: c.Role, File: c.File, Wave: c.Wave}
			if fr, ok := in.Fleet.Role(c.Role); ok {
				r.Description = fr.Description
			}
			roles[c.Role] = r
			order = append(order, c.Role)
		}
		r.Clusters = append(r.Clusters, c.Name)
	}
	for _, name := range order {
		inv.Roles = append(inv.Roles, *roles[name])
	}
	return inv, nil
}

// declared is the entry of a cluster from its environment file alone.
func declared(c *environments.Cluster) Cluster {
	e := Cluster{
		Name: c.Name, Role: c.Role, Wave: c.Wave, File: c.File, AccountID: c.AccountID, Region: c.Region, Partition: c.Partition,
		Kubernetes:       Versions{Declared: c.EKSVersion},
		Addons:           map[string]Versions{},
		NodeGroupRelease: Versions{Declared: c.NodeGroup.ReleaseVersion},
		Karpenter:        Versions{Declared: c.Charts["karpenter"].Version},
		Parameters:       Parameter{Prefix: contract.ParameterPrefix(c.Name), Names: map[string]string{}},
		StorageClasses:   []string{},
		Drift:            Drift{Status: DriftNotChecked},
	}
	for _, a := range c.Addons {
		e.Addons[a.Name] = Versions{Declared: a.Version}
	}
	e.Policy = "off"
	if c.Policy.Enabled {
		e.Policy = c.Policy.Mode
	}
	e.Observability = Observability{ContainerInsights: c.Observability.ContainerInsights, Prometheus: c.Observability.Prometheus.Enabled}
	// The names the stack publishes (or will): every fact, the optional
	// ones where the role has what they name.
	has := map[string]bool{
		contract.FactEFSFileSystemID:       c.Storage.EFS.Enabled,
		contract.FactEFSStorageClass:       c.Storage.EFS.Enabled,
		contract.FactPrometheusWorkspaceID: c.Observability.Prometheus.Enabled,
		contract.FactPrometheusEndpoint:    c.Observability.Prometheus.Enabled,
	}
	for _, f := range contract.Facts {
		if f.Optional && !has[f.Name] {
			continue
		}
		e.Parameters.Names[f.Name] = contract.ParameterName(c.Name, f.Name)
	}
	return e
}

// deployed adds what the stack holds.
func (e *Cluster) deployed(d *Deployed) {
	o := d.Outputs
	e.Deployed = true
	if !d.LastUpdate.IsZero() {
		t := d.LastUpdate.UTC()
		e.LastUpdate = &t
	}
	e.Kubernetes.Deployed = o.Kubernetes
	for name, v := range o.Addons {
		a := e.Addons[name]
		a.Deployed = v
		e.Addons[name] = a
	}
	e.NodeGroupRelease.Deployed = o.NodeGroupRelease
	e.Karpenter.Deployed = o.Karpenter
	e.Endpoint, e.OIDCIssuerURL, e.EFSFileSystemID, e.ClusterAdminRoleARN = o.Endpoint, o.OIDCIssuerURL, o.EFSFileSystemID, o.ClusterAdminRole
	e.certificateAuthority = o.CertificateAuthority
	e.Observability.ContainerInsightsURL = o.ContainerInsights
	e.Observability.PrometheusWorkspaceID, e.Observability.PrometheusEndpoint = o.PrometheusWorkspaceID, o.PrometheusEndpoint
	for _, sc := range []string{o.EBSStorageClass, o.EFSStorageClass} {
		if sc != "" {
			e.StorageClasses = append(e.StorageClasses, sc)
		}
	}
	if len(o.Parameters) > 0 {
		// What the stack says it published wins over what the files imply.
		e.Parameters.Names = map[string]string{}
		for k, v := range o.Parameters {
			e.Parameters.Names[k] = v
		}
	}
}

func support(cat *catalog.Catalog, c *environments.Cluster, minor string, today time.Time) Support {
	s := Support{Minor: minor, Tier: "unknown"}
	if cat == nil {
		return s
	}
	r, ok := cat.Release(minor)
	if !ok {
		return s
	}
	s.Tier = r.SupportOn(today)
	s.EndOfStandard, s.EndOfExtended = r.EndOfStandard.String(), r.EndOfExtended.String()
	until := r.EndOfStandard.Time
	if c.ExtendedSupport {
		until = r.EndOfExtended.Time
	}
	s.Until = until.Format(time.DateOnly)
	days := int(until.Sub(catalog.DateOf(today).Time).Hours() / 24)
	s.DaysLeft = &days
	return s
}

// history reads a cluster's records, newest first: the last successful up,
// and the drift the last refresh found.
func history(records []audit.Record) (*Rollout, Drift) {
	sorted := slices.Clone(records)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].End.After(sorted[j].End) })
	var last *Rollout
	for _, r := range sorted {
		if r.Command == string(automation.OpUp) && r.Result == "succeeded" {
			by := r.Actor.User
			if r.Actor.Identity != "" {
				by = r.Actor.Identity
			}
			last = &Rollout{RunID: r.RunID, End: r.End.UTC(), Commit: r.Commit, By: by, JobURL: r.Actor.JobURL}
			break
		}
	}
	drift := Drift{Status: DriftNotChecked}
	for _, r := range sorted {
		if r.Command != string(automation.OpRefresh) || r.Result == "skipped" || r.Result == "not run" {
			continue
		}
		t := r.End.UTC()
		drift.Refreshed, drift.RunID = &t, r.RunID
		if r.Result != "succeeded" {
			drift.Status = DriftFailed
			break
		}
		changes := map[string]int{}
		for k, n := range r.Counts {
			if k != "same" && n > 0 {
				changes[k] = n
			}
		}
		switch {
		case len(changes) == 0:
			drift.Status = DriftInSync
		case last != nil && last.End.After(r.End):
			drift.Status, drift.Changes = DriftReconciled, changes
		default:
			drift.Status, drift.Changes = DriftDrifted, changes
		}
		break
	}
	return last, drift
}

// consoleHost is the AWS console of a partition.
func consoleHost(partition, region string) string {
	switch partition {
	case "aws-us-gov":
		return "https://console.amazonaws-us-gov.com"
	case "aws-cn":
		return "https://console.amazonaws.cn"
	}
	return "https://" + region + ".console.aws.amazon.com"
}

// links are the console pages of a cluster: the cluster, its parameters,
// and the log groups it writes.
func links(e *Cluster) []Link {
	host := consoleHost(e.Partition, e.Region)
	q := "?region=" + e.Region
	out := []Link{
		{Title: "EKS console", URL: host + "/eks/clusters/" + url.PathEscape(e.Name) + q, Icon: "cloud"},
		{Title: "Control-plane logs", URL: host + "/cloudwatch/home" + q + "#logsV2:log-groups/log-group/" +
			strings.ReplaceAll(url.QueryEscape("/aws/eks/"+e.Name+"/cluster"), "%", "$25"), Icon: "docs"},
		{Title: "Facts in SSM Parameter Store", URL: host + "/systems-manager/parameters/" + q + "&tab=Table#list_parameter_filters=Path:Recursive:" +
			url.QueryEscape(strings.TrimSuffix(e.Parameters.Prefix, "/")), Icon: "catalog"},
	}
	if u := e.Observability.ContainerInsightsURL; u != "" {
		out = append(out, Link{Title: "Container Insights", URL: u, Icon: "dashboard"})
	}
	if id := e.Observability.PrometheusWorkspaceID; id != "" {
		out = append(out, Link{Title: "Managed Prometheus workspace", URL: host + "/prometheus/home" + q + "#/workspaces/workspace/" + url.PathEscape(id), Icon: "dashboard"})
	}
	return out
}

// BackendState reads deployed stacks from a backend; none is created.
type BackendState struct {
	Backend automation.Backend

	once     sync.Once
	deployed *automation.DeployedStacks
}

var _ StateReader = (*BackendState)(nil)

// Deployed returns nil for a cluster the backend holds nothing of, or whose
// first up did not finish.
func (s *BackendState) Deployed(ctx context.Context, c *environments.Cluster) (*Deployed, error) {
	s.once.Do(func() { s.deployed = &automation.DeployedStacks{Backend: s.Backend} })
	o, summary, err := s.deployed.Outputs(ctx, c)
	if o == nil || err != nil {
		return nil, err
	}
	return &Deployed{Outputs: *o, LastUpdate: summary.LastUpdate}, nil
}
