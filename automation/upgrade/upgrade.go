// Package upgrade computes `eksplatform plan`: for every selected cluster the
// versions it runs now and the versions the environment files ask for, the
// ordered steps between them, and the checks that must pass before anything
// runs — offline, from the catalog (the release calendar, the addon table,
// karpenter's support matrix and the charts' supported ranges), the
// backend's state when there is one, and the environment files of a base
// branch.
package upgrade

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// Codes are the check codes plan knows, for validating --fail-on.
var Codes = []string{"EKS101", "EKS102", "EKS103", "EKS104", "EKS105", "ADD101", "ADD102", "ADD103", "ADD104", "ADD105",
	"NOD102", "NOD103", "KAR101", "KAR102", "KAR103", "CHT101", "CHT102", "FLT101", "FLT102", "SPT101"}

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
	// Today is the date support windows are measured against.
	Today time.Time
}

// Build computes the plan.
func Build(ctx context.Context, in Inputs) (*Plan, error) {
	if in.Catalog == nil {
		in.Catalog = Offline{Catalog: in.Fleet.Catalog}
	}
	waves, err := automation.NewRollout(in.Fleet, in.Selection, automation.RolloutOptions{})
	if err != nil {
		return nil, err
	}
	p := &Plan{Date: in.Today.Format(time.DateOnly), AddonOrder: in.Fleet.Catalog.AddonNames("")}
	for _, w := range waves.Waves {
		ws := WaveSummary{Label: w.Label(), Roles: w.Roles, Parallel: w.Parallel, GateTimeout: duration(w.GateTimeout), EchoCheck: w.EchoCheck, Bake: "none"}
		if w.Bake > 0 {
			ws.Bake = duration(w.Bake)
		}
		for _, c := range w.Clusters {
			ws.Clusters = append(ws.Clusters, c.Name)
			cp, err := planCluster(ctx, in, c, w.Label())
			if err != nil {
				return nil, err
			}
			p.Clusters = append(p.Clusters, cp)
			p.Findings = append(p.Findings, cp.Findings...)
		}
		p.Waves = append(p.Waves, ws)
	}
	p.Accounts = accounts(in.Fleet, p.Clusters)
	spot, err := spotFindings(ctx, in, p.Clusters)
	if err != nil {
		return nil, err
	}
	for _, f := range spot {
		for i := range p.Clusters {
			if p.Clusters[i].Cluster == f.Subject {
				p.Clusters[i].Findings = append(p.Clusters[i].Findings, f)
			}
		}
	}
	p.Findings = append(p.Findings, spot...)
	fleet := fleetFindings(in.Fleet, p.Clusters)
	for _, f := range fleet {
		for i := range p.Clusters {
			if f.Severity == Error && p.Clusters[i].Role == f.Subject {
				p.Clusters[i].Refused = true
			}
		}
	}
	p.Findings = append(p.Findings, fleet...)
	p.Findings = append(p.Findings, estimateFindings(in, p.Clusters)...)
	return p, nil
}

func planCluster(ctx context.Context, in Inputs, c *environments.Cluster, wave string) (ClusterPlan, error) {
	cp := ClusterPlan{Cluster: c.Name, Role: c.Role, Wave: wave}
	desired, missing, err := resolve(ctx, in.Catalog, c, c.EKSVersion, c.Addons, c.NodeGroup.ReleaseVersion, c.Charts["karpenter"].Version)
	if err != nil {
		return cp, err
	}
	cp.Desired = desired
	cp.Current = Current{Source: SourceNew}
	if in.State != nil {
		v, err := in.State.Versions(ctx, c)
		if err != nil {
			return cp, fmt.Errorf("reading the state of %s: %w", c.Name, err)
		}
		if v != nil {
			cp.Current = Current{Source: SourceState, Versions: *v}
		}
	}
	if cp.Current.Source == SourceNew && in.Base != nil {
		if b, ok := in.Base.Cluster(c.Name); ok {
			// What the base branch runs is history: an addon the table no
			// longer lists for its minor is simply not shown.
			v, _, err := resolve(ctx, in.Catalog, b, b.EKSVersion, b.Addons, b.NodeGroup.ReleaseVersion, b.Charts["karpenter"].Version)
			if err != nil {
				return cp, err
			}
			cp.Current = Current{Source: SourceBase, Versions: v}
		}
	}
	if cp.Current.Source == SourceState {
		// "latest" is resolved live by up, so a running version newer than
		// the offline table stays: it is the latest as far as the plan knows.
		for _, a := range c.Addons {
			if now := cp.Current.Addons[a.Name]; a.Version == environments.VersionLatest && now != "" &&
				catalog.CompareVersions(now, cp.Desired.Addons[a.Name]) > 0 {
				cp.Desired.Addons[a.Name] = now
			}
		}
	}
	cp.Steps = steps(in.Fleet.Catalog, c, cp)
	cp.Findings = append(missingAddonFindings(c, missing), clusterFindings(in, c, cp)...)
	for _, f := range cp.Findings {
		cp.Refused = cp.Refused || f.Severity == Error
	}
	return cp, nil
}

// duration prints 30m rather than 30m0s.
func duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// resolve turns version specs into versions for a Kubernetes minor; missing
// are the addons the offline table has no row for (their desired version
// stays unknown).
func resolve(ctx context.Context, addons AddonCatalog, c *environments.Cluster, k8s string, specs []environments.Addon, release, karpenter string) (Versions, []string, error) {
	v := Versions{Kubernetes: k8s, Addons: map[string]string{}, Karpenter: karpenter}
	var missing []string
	for _, a := range specs {
		switch a.Version {
		case environments.VersionLatest, environments.VersionDefault:
			offered, err := addons.Versions(ctx, c, a.Name, k8s)
			var row *MissingRowError
			if errors.As(err, &row) {
				missing = append(missing, a.Name)
				continue
			}
			if err != nil {
				return v, nil, fmt.Errorf("%s: %w", c.Name, err)
			}
			if a.Version == environments.VersionLatest {
				v.Addons[a.Name] = offered.Latest
			} else {
				v.Addons[a.Name] = offered.Default
			}
		default:
			v.Addons[a.Name] = a.Version
		}
	}
	if release == environments.VersionLatest {
		v.NodeRelease = latestFor(k8s)
	} else {
		v.NodeRelease = release
	}
	return v, missing, nil
}

// missingAddonFindings: an addon whose versions for the target minor the
// catalog does not know cannot be planned, so the cluster is refused.
func missingAddonFindings(c *environments.Cluster, missing []string) []Finding {
	var out []Finding
	for _, name := range missing {
		out = append(out, finding("ADD104", Error, c.Name,
			fmt.Sprintf("the catalog has no versions of addon %s for Kubernetes %s: its upgrade cannot be planned", name, c.EKSVersion),
			"run `eksplatform catalog refresh` with AWS credentials (it reads eks:DescribeAddonVersions), or plan with --aws-addon-versions"))
	}
	return out
}

// steps orders what changes: the control plane one minor at a time, the
// addons in the catalog's order (those installed before the nodes first),
// the management node group, karpenter, the data plane.
func steps(cat *catalog.Catalog, c *environments.Cluster, cp ClusterPlan) []Step {
	cur, want := cp.Current, cp.Desired
	if cur.Source == SourceNew {
		return []Step{{
			Kind: "create", Title: "create the cluster at Kubernetes " + want.Kubernetes + " with every layer",
			To: want.Kubernetes, Watch: "the up's progress; the health gate after the wave",
			Rollback: "destroy the new cluster's stack (only ephemeral roles can be destroyed by eksplatform)",
		}}
	}
	var out []Step
	if cur.Kubernetes != want.Kubernetes {
		out = append(out, Step{
			Kind: "preflight", Title: "preflight: EKS upgrade insights and workloads",
			Watch: fmt.Sprintf("`aws eks list-insights --cluster-name %s --filter kubernetesVersions=%s` shows no ERROR (deprecated APIs, kubelet skew); "+
				"PodDisruptionBudgets leave room for a drain; the PR's preview report shows only the expected changes", cp.Cluster, want.Kubernetes),
			Rollback: "nothing has changed yet",
		})
		for _, hop := range hops(cur.Kubernetes, want.Kubernetes) {
			out = append(out, Step{
				Kind: "control-plane", Title: fmt.Sprintf("control plane %s → %s", hop[0], hop[1]), From: hop[0], To: hop[1],
				Watch:    "cluster status UPDATING then ACTIVE (about 10 minutes); API server errors in the api and audit logs",
				Rollback: "none: EKS cannot downgrade a control plane; fix forward",
			})
		}
	}
	install := map[string]string{}
	for _, a := range c.Addons {
		install[a.Name] = a.Spec.Install
	}
	addonSteps := func(when string) {
		for _, a := range addonOrder(cat, c) {
			from, to := cur.Addons[a], want.Addons[a]
			if to == "" || from == to || install[a] != when {
				continue
			}
			out = append(out, Step{
				Kind: "addon", Title: "addon " + a, From: orNone(from), To: to,
				Watch:    "addon status ACTIVE, never DEGRADED; its pods ready in kube-system",
				Rollback: "none in place: EKS does not downgrade addons; fix forward by pinning a newer build in the role's addons (it ran " + orNone(from) + ")",
			})
		}
	}
	addonSteps(catalog.BeforeNodes)
	nodesChange := cur.Kubernetes != want.Kubernetes || !sameRelease(cur.NodeRelease, want)
	if nodesChange {
		out = append(out, Step{
			Kind: "node-group", Title: "management node group roll", From: orNone(cur.NodeRelease), To: want.NodeRelease,
			Watch:    "one node at a time (maxUnavailable 1): node group ACTIVE, no health issues, PodDisruptionBudgets not blocking drains",
			Rollback: "pin release_version to a previous AMI release of the new minor; the Kubernetes minor of nodes cannot go back",
		})
	}
	addonSteps(catalog.AfterNodes)
	if cur.Karpenter != want.Karpenter {
		out = append(out, Step{
			Kind: "karpenter", Title: "karpenter chart and CRDs", From: orNone(cur.Karpenter), To: want.Karpenter,
			Watch:    "karpenter pods ready; NodeClaims launching; no errors in the controller log",
			Rollback: "pin the previous chart versions under charts.karpenter and charts.karpenter-crd (the CRDs are kept)",
		})
	}
	if nodesChange {
		out = append(out, Step{
			Kind: "data-plane", Title: "data-plane drift: karpenter replaces its nodes with AMIs for " + want.Kubernetes,
			Watch:    "node churn within the NodePools' disruption budgets; pods rescheduling; PodDisruptionBudgets",
			Rollback: "none needed: drifted nodes are replaced gradually; pause with a NodePool disruption budget of 0",
		})
	}
	return out
}

// sameRelease: the nodes run what is wanted. "latest for 1.35" is met by
// any 1.35 release the state records: which release is newest is only known
// when up reads the SSM parameter, and a newer one rolls the nodes then.
func sameRelease(current string, want Versions) bool {
	if current == want.NodeRelease {
		return true
	}
	if want.NodeRelease != latestFor(want.Kubernetes) {
		return false
	}
	m, ok := releaseMinor(current)
	_, wm, _ := catalog.ParseMinor(want.Kubernetes)
	return ok && m == wm
}

func latestFor(k8s string) string { return "latest for " + k8s }

// hops lists the one-minor steps from a to b (a < b); a downgrade or an equal
// version yields one direct hop, which the checks reject.
func hops(a, b string) [][2]string {
	_, am, ok1 := catalog.ParseMinor(a)
	_, bm, ok2 := catalog.ParseMinor(b)
	if !ok1 || !ok2 || bm <= am {
		return [][2]string{{a, b}}
	}
	var out [][2]string
	for m := am; m < bm; m++ {
		out = append(out, [2]string{fmt.Sprintf("1.%d", m), fmt.Sprintf("1.%d", m+1)})
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func finding(code, severity, subject, message, fix string) Finding {
	return Finding{Code: code, Severity: severity, Subject: subject, Message: message, Fix: fix}
}

// clusterFindings runs the checks of one cluster.
func clusterFindings(in Inputs, c *environments.Cluster, cp ClusterPlan) []Finding {
	var out []Finding
	want, cur := cp.Desired.Kubernetes, cp.Current.Kubernetes
	_, wm, _ := catalog.ParseMinor(want)
	if cp.Current.Source != SourceNew && cur != "" {
		_, cm, ok := catalog.ParseMinor(cur)
		switch {
		case ok && wm < cm:
			out = append(out, finding("EKS102", Error, c.Name, fmt.Sprintf("eks_version %s is a downgrade from %s", want, cur),
				"EKS cannot downgrade a control plane; restore eks_version to "+cur+" or later"))
		case ok && wm > cm+1:
			out = append(out, finding("EKS101", Error, c.Name, fmt.Sprintf("eks_version %s skips a minor version: the cluster runs %s", want, cur),
				fmt.Sprintf("upgrade one minor at a time: set eks_version to 1.%d, roll it out, then continue", cm+1)))
		}
	}
	cat := in.Fleet.Catalog
	out = append(out, supportFindings(cat, c, want, in.Today)...)

	for _, a := range c.Addons {
		if a.Version == environments.VersionLatest || a.Version == environments.VersionDefault {
			continue
		}
		offered, err := in.Catalog.Versions(context.Background(), c, a.Name, want)
		var row *MissingRowError
		if errors.As(err, &row) {
			out = append(out, finding("ADD104", Error, c.Name, fmt.Sprintf("addon %s %s cannot be checked: %v", a.Name, a.Version, err),
				"run `eksplatform catalog refresh` with AWS credentials, or plan with --aws-addon-versions"))
			continue
		}
		if err != nil {
			out = append(out, finding("ADD102", Warning, c.Name, fmt.Sprintf("addon %s %s cannot be checked: %v", a.Name, a.Version, err),
				"check the version with `aws eks describe-addon-versions`"))
			continue
		}
		switch {
		case a.Spec.MatchesMinor && catalog.MinorOf(a.Version) != want:
			out = append(out, finding("ADD101", Error, c.Name, fmt.Sprintf("%s %s is not for Kubernetes %s", a.Name, a.Version, want),
				fmt.Sprintf("use \"latest\" (%s) or a %s build of %s", offered.Latest, want, a.Name)))
		case catalog.CompareVersions(a.Version, offered.Min) < 0:
			out = append(out, finding("ADD101", Error, c.Name, fmt.Sprintf("addon %s %s is older than the oldest version EKS offers for %s (%s)", a.Name, a.Version, want, offered.Min),
				fmt.Sprintf("use \"latest\" (%s), \"default\" (%s) or a version from %s up", offered.Latest, offered.Default, offered.Min)))
		case catalog.CompareVersions(a.Version, offered.Latest) > 0:
			out = append(out, finding("ADD102", Warning, c.Name, fmt.Sprintf("addon %s %s is newer than the offline table knows for %s (%s)", a.Name, a.Version, want, offered.Latest),
				"check it with `eksplatform plan --aws-addon-versions` or `aws eks describe-addon-versions`"))
		}
	}

	// A pinned node release of another minor, like a version missing from
	// the calendar, is refused by the loader (validate) before plan runs.
	if cp.Current.Source == SourceState {
		for _, a := range c.Addons {
			now, next := cp.Current.Addons[a.Name], cp.Desired.Addons[a.Name]
			if now == "" || next == "" || a.Version == environments.VersionLatest || catalog.CompareVersions(next, now) >= 0 {
				continue
			}
			if a.Version == environments.VersionDefault {
				out = append(out, finding("ADD103", Warning, c.Name, fmt.Sprintf("addon %s runs %s; \"default\" resolves to the older %s for Kubernetes %s", a.Name, now, next, want),
					"EKS does not downgrade addons: use \"latest\" or pin "+now+" or later"))
				continue
			}
			out = append(out, finding("ADD103", Error, c.Name, fmt.Sprintf("addon %s pinned to %s, older than the %s it runs", a.Name, next, now),
				"EKS does not downgrade addons: pin "+now+" or later, or use \"latest\""))
		}
	}
	if cp.Current.Source == SourceState && cur != "" && strings.HasPrefix(c.NodeGroup.AMIType, "AL2023") {
		if nm, ok := releaseMinor(cp.Current.NodeRelease); ok {
			_, cm, _ := catalog.ParseMinor(cur)
			if cm-nm >= 1 {
				out = append(out, finding("NOD102", Warning, c.Name,
					fmt.Sprintf("the management nodes run Kubernetes 1.%d, %d minor(s) behind the control plane (%s)", nm, cm-nm, cur),
					"let the nodes catch up first: run up at the current eks_version (release_version \"latest\" rolls them), then bump"))
			}
			if wm-nm > 3 {
				out = append(out, finding("NOD103", Error, c.Name,
					fmt.Sprintf("the management nodes run Kubernetes 1.%d: once the control plane is at %s they are %d minors behind, outside the kubelet skew policy (3)", nm, want, wm-nm),
					"upgrade the nodes to within three minors of the target before the control plane moves"))
			}
		}
	}
	out = append(out, chartFindings(cat, c, want)...)
	minimum, ok := cat.KarpenterMinimum(want)
	if !ok {
		out = append(out, finding("KAR103", Error, c.Name,
			fmt.Sprintf("the catalog does not know which karpenter supports Kubernetes %s (%s has no row for it): karpenter %s may not run on it", want, catalog.FileKarpenter, cp.Desired.Karpenter),
			fmt.Sprintf("add the %s row of karpenter's compatibility matrix (https://karpenter.sh/docs/upgrading/compatibility/) to %s/%s", want, catalog.DataDir, catalog.FileKarpenter)))
	} else {
		k := cp.Desired.Karpenter
		if catalog.CompareVersions(k, minimum) < 0 {
			out = append(out, finding("KAR101", Error, c.Name, fmt.Sprintf("karpenter %s does not support Kubernetes %s (needs %s or later)", k, want, minimum),
				"raise charts.karpenter and charts.karpenter-crd to "+minimum+" or later"))
		} else if cp.Current.Source != SourceNew && cur != want && cp.Current.Karpenter != "" &&
			catalog.CompareVersions(cp.Current.Karpenter, minimum) < 0 {
			out = append(out, finding("KAR102", Warning, c.Name,
				fmt.Sprintf("karpenter %s, running now, does not support Kubernetes %s; its upgrade to %s comes after the control plane in the same run", cp.Current.Karpenter, want, k),
				"upgrade karpenter in a change of its own first, then bump eks_version"))
		}
	}
	return out
}

// releaseMinor reads the Kubernetes minor of an AL2023 AMI release (1.34.2-20251120).
func releaseMinor(r string) (int, bool) {
	parts := strings.SplitN(r, ".", 3)
	if len(parts) < 3 || parts[0] != "1" {
		return 0, false
	}
	_, m, ok := catalog.ParseMinor(parts[0] + "." + parts[1])
	return m, ok
}

// supportFindings checks the target version against the release calendar.
func supportFindings(cat *catalog.Catalog, c *environments.Cluster, version string, today time.Time) []Finding {
	r, ok := cat.Release(version)
	if !ok {
		return []Finding{finding("EKS103", Error, c.Name, fmt.Sprintf("Kubernetes %s is %s", version, cat.NotInCalendar(version)),
			"choose a version of "+catalog.DataDir+"/"+catalog.FileReleases)}
	}
	day := func(d catalog.Date) string { return d.String() }
	switch {
	case today.Before(r.Released.Time):
		return []Finding{finding("EKS103", Error, c.Name, fmt.Sprintf("Kubernetes %s is not released on EKS until %s", version, day(r.Released)),
			"wait for the release or stay on an offered version")}
	case !today.Before(r.EndOfExtended.Time):
		return []Finding{finding("EKS103", Error, c.Name, fmt.Sprintf("Kubernetes %s left extended support on %s: EKS no longer offers it", version, day(r.EndOfExtended)),
			"upgrade to a supported version")}
	case !today.Before(r.EndOfStandard.Time):
		if c.ExtendedSupport {
			return []Finding{finding("EKS105", Warning, c.Name,
				fmt.Sprintf("Kubernetes %s is on extended support (billed) until %s", version, day(r.EndOfExtended)),
				"plan the upgrade before "+day(r.EndOfExtended))}
		}
		return []Finding{finding("EKS105", Error, c.Name,
			fmt.Sprintf("standard support of Kubernetes %s ended on %s", version, day(r.EndOfStandard)),
			"upgrade, or set \"support\": \"extended\" on the role to accept extended support until "+day(r.EndOfExtended))}
	case r.EndOfStandard.Sub(today) <= 90*24*time.Hour:
		days := int(r.EndOfStandard.Sub(today).Hours() / 24)
		return []Finding{finding("EKS104", Warning, c.Name,
			fmt.Sprintf("standard support of Kubernetes %s ends on %s, in %d days", version, day(r.EndOfStandard), days),
			"schedule the upgrade to the next minor before then")}
	}
	return nil
}

// accounts lists the accounts of the planned clusters and who provides each
// one's Spot service-linked role (the owner may be outside the selection).
func accounts(fleet *environments.Fleet, plans []ClusterPlan) []AccountSummary {
	var out []AccountSummary
	for _, a := range fleet.Accounts {
		s := AccountSummary{ID: a.ID, SpotServiceLinkedRole: "exists in the account"}
		if a.SpotRoleOwner != "" {
			s.SpotServiceLinkedRole = "created by " + a.SpotRoleOwner
		}
		for _, cp := range plans {
			if c, ok := fleet.Cluster(cp.Cluster); ok && c.AccountID == a.ID {
				s.Clusters = append(s.Clusters, cp.Cluster)
			}
		}
		if len(s.Clusters) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// spotFindings warns when a run leaves out the cluster that creates its
// account's Spot service-linked role and the backend holds no stack of that
// cluster: the role is then missing, and karpenter's Spot launches in the
// account fail until the owner is deployed. It needs the backend; an offline
// plan cannot tell whether the owner was deployed.
func spotFindings(ctx context.Context, in Inputs, plans []ClusterPlan) ([]Finding, error) {
	if in.State == nil {
		return nil, nil
	}
	planned := map[string]bool{}
	for _, cp := range plans {
		planned[cp.Cluster] = true
	}
	var out []Finding
	for _, a := range in.Fleet.Accounts {
		if a.SpotRoleOwner == "" || planned[a.SpotRoleOwner] {
			continue
		}
		var affected []string
		for _, cp := range plans {
			if c, ok := in.Fleet.Cluster(cp.Cluster); ok && c.AccountID == a.ID && usesSpot(c) {
				affected = append(affected, cp.Cluster)
			}
		}
		if len(affected) == 0 {
			continue
		}
		owner, ok := in.Fleet.Cluster(a.SpotRoleOwner)
		if !ok {
			return nil, fmt.Errorf("account %s: the Spot role owner %s is not a cluster of the fleet", a.ID, a.SpotRoleOwner)
		}
		v, err := in.State.Versions(ctx, owner)
		if err != nil {
			return nil, fmt.Errorf("reading the state of %s: %w", owner.Name, err)
		}
		if v != nil {
			continue
		}
		for _, name := range affected {
			out = append(out, finding("SPT101", Warning, name,
				fmt.Sprintf("account %s gets its Spot service-linked role from %s, which is not in this run and has no stack yet: karpenter's Spot launches in %s fail until it exists", a.ID, owner.Name, name),
				fmt.Sprintf("deploy %s first (up --cluster %s), or set accounts.%s.spot_service_linked_role to \"exists\" in %s if the account already has AWSServiceRoleForEC2Spot", owner.Name, owner.Name, a.ID, owner.File)))
		}
	}
	return out, nil
}

// usesSpot says whether a karpenter NodePool of the cluster may buy Spot.
func usesSpot(c *environments.Cluster) bool {
	for _, p := range c.Karpenter.NodePools {
		if slices.Contains(p.CapacityTypes, "spot") {
			return true
		}
	}
	return false
}

// fleetFindings checks the order of the rollout across roles.
func fleetFindings(fleet *environments.Fleet, plans []ClusterPlan) []Finding {
	var out []Finding
	for _, r := range fleet.Roles {
		var behind, names []string
		for _, earlier := range fleet.Roles {
			if earlier.Wave < r.Wave && catalog.CompareVersions(r.EKSVersion, earlier.EKSVersion) > 0 {
				behind = append(behind, fmt.Sprintf("%s (wave %d, %s)", earlier.Name, earlier.Wave, earlier.EKSVersion))
				names = append(names, earlier.Name)
			}
		}
		if len(behind) > 0 {
			out = append(out, finding("FLT101", Error, r.Name,
				fmt.Sprintf("role %s (wave %d) asks for Kubernetes %s, which earlier waves do not run yet: %s", r.Name, r.Wave, r.EKSVersion, strings.Join(behind, ", ")),
				fmt.Sprintf("upgrade %s to %s first, or keep %s at the version of the earlier waves", strings.Join(names, " and "), r.EKSVersion, r.Name)))
		}
	}
	byRole := map[string]map[string][]string{}
	for _, cp := range plans {
		if cp.Current.Source != SourceState {
			continue
		}
		if byRole[cp.Role] == nil {
			byRole[cp.Role] = map[string][]string{}
		}
		byRole[cp.Role][cp.Current.Kubernetes] = append(byRole[cp.Role][cp.Current.Kubernetes], cp.Cluster)
	}
	for _, r := range fleet.Roles {
		versions := byRole[r.Name]
		if len(versions) < 2 {
			continue
		}
		var parts []string
		keys := make([]string, 0, len(versions))
		for v := range versions {
			keys = append(keys, v)
		}
		slices.Sort(keys)
		for _, v := range keys {
			parts = append(parts, v+" ("+strings.Join(versions[v], ", ")+")")
		}
		out = append(out, finding("FLT102", Warning, r.Name,
			fmt.Sprintf("the clusters of role %s run different versions: %s", r.Name, strings.Join(parts, ", ")),
			"finish the interrupted rollout (up --role "+r.Name+") so the role is uniform"))
	}
	return out
}
