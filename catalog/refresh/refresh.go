package refresh

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/eksplatform/eksplatform/catalog"
)

// Options are what a refresh reads and decides with.
type Options struct {
	// EKS answers DescribeClusterVersions and DescribeAddonVersions.
	EKS EKSAPI
	// Region is the region EKS was asked in, for the files' source lines.
	Region string
	// Charts reads the charts' repositories.
	Charts ChartRepos
	// FleetMinors returns the Kubernetes minors the fleet's roles run,
	// loaded against the catalog being built (its calendar is already the
	// refreshed one). Charts must support every minor from the oldest of
	// them to the newest EKS offers.
	FleetMinors func(*catalog.Catalog) ([]string, error)
	// Today is the day the facts are checked on.
	Today time.Time
	// AllowMajor applies a chart's new major version; otherwise it is
	// reported and the chart stays on its major.
	AllowMajor bool
}

// Change is one fact the refresh changed.
type Change struct {
	File string `json:"file"`
	What string `json:"what"`
}

// Report is what a refresh found: the facts it changed, and what it would
// not change on its own (a new major, a line no matrix lists, a minor
// karpenter's table lacks).
type Report struct {
	Changes []Change `json:"changes"`
	Notices []Change `json:"notices"`
	// Needed are the minors the charts had to support.
	Needed []string `json:"needed"`
}

func (r *Report) change(file, format string, args ...any) {
	r.Changes = append(r.Changes, Change{File: file, What: fmt.Sprintf(format, args...)})
}

func (r *Report) notice(file, format string, args ...any) {
	r.Notices = append(r.Notices, Change{File: file, What: fmt.Sprintf(format, args...)})
}

// Run rebuilds the catalog: the calendar and the addon versions from EKS,
// the chart pins from their repositories. It changes nothing on error; the
// error names the call that failed.
func Run(ctx context.Context, current *catalog.Catalog, o Options) (*catalog.Catalog, *Report, error) {
	if o.EKS == nil || o.Charts == nil || o.FleetMinors == nil {
		return nil, nil, errors.New("refresh: EKS, Charts and FleetMinors are required")
	}
	today := catalog.DateOf(o.Today)
	next := current.Clone()
	rep := &Report{}
	if err := refreshCalendar(ctx, next, o, today, rep); err != nil {
		return nil, nil, err
	}
	if err := refreshAddons(ctx, next, o, today, rep); err != nil {
		return nil, nil, err
	}
	minors, err := o.FleetMinors(next)
	if err != nil {
		return nil, nil, fmt.Errorf("loading the fleet against the refreshed calendar: %w", err)
	}
	rep.Needed = neededMinors(next, minors, today.Time)
	karpenterNotices(next, rep)
	if err := refreshCharts(ctx, next, o, today, rep); err != nil {
		return nil, nil, err
	}
	return next, rep, nil
}

func refreshCalendar(ctx context.Context, c *catalog.Catalog, o Options, today catalog.Date, rep *Report) error {
	listed, err := ListClusterVersions(ctx, o.EKS)
	if err != nil {
		return err
	}
	if len(listed) == 0 {
		return &CallError{Call: "eks:DescribeClusterVersions", Err: errors.New("no versions listed")}
	}
	byMinor := map[string]catalog.Release{}
	for _, r := range c.Calendar.Releases {
		byMinor[r.Version] = r
	}
	for _, r := range listed {
		old, had := byMinor[r.Version]
		switch {
		case !had:
			rep.change(catalog.FileReleases, "added %s: released %s, standard support to %s, extended to %s", r.Version, r.Released, r.EndOfStandard, r.EndOfExtended)
		case old != r:
			rep.change(catalog.FileReleases, "%s: released %s → %s, end of standard %s → %s, end of extended %s → %s",
				r.Version, old.Released, r.Released, old.EndOfStandard, r.EndOfStandard, old.EndOfExtended, r.EndOfExtended)
		}
		byMinor[r.Version] = r
	}
	// Minors EKS no longer lists stay: clusters and plans still name them,
	// and their end dates say they are gone.
	out := slices.Collect(maps.Values(byMinor))
	sort.Slice(out, func(i, j int) bool { return catalog.CompareMinors(out[i].Version, out[j].Version) < 0 })
	c.Calendar.Releases = out
	c.Calendar.Source = "eks:DescribeClusterVersions in " + o.Region + ", read by `eksplatform catalog refresh`"
	c.Calendar.Checked = today
	return nil
}

func refreshAddons(ctx context.Context, c *catalog.Catalog, o Options, today catalog.Date, rep *Report) error {
	offered := c.OfferedOn(today.Time)
	for i := range c.Addons.Addons {
		a := &c.Addons.Addons[i]
		listed, err := ListAddonVersions(ctx, o.EKS, a.Name, "")
		if err != nil {
			return err
		}
		rows := catalog.SummarizeAddonVersions(listed)
		if a.Versions == nil {
			a.Versions = map[string]catalog.AddonVersions{}
		}
		for _, m := range offered {
			old, had := a.Versions[m]
			row, ok := rows[m]
			switch {
			case !ok && had:
				delete(a.Versions, m)
				rep.change(catalog.FileAddons, "%s %s: EKS lists no version for it any more (was latest %s)", a.Name, m, old.Latest)
			case !ok:
				rep.notice(catalog.FileAddons, "%s: EKS lists no version for Kubernetes %s; plan refuses %s clusters that install it (ADD104)", a.Name, m, m)
			case !had:
				rep.change(catalog.FileAddons, "%s %s: added, default %s, latest %s, oldest %s", a.Name, m, row.Default, row.Latest, row.Min)
			case old != row:
				rep.change(catalog.FileAddons, "%s %s: %s", a.Name, m, diffAddon(old, row))
			}
			if ok {
				a.Versions[m] = row
			}
		}
	}
	was := c.Addons.Estimated
	c.Addons.Estimated = slices.DeleteFunc(slices.Clone(was), func(m string) bool { return slices.Contains(offered, m) })
	if len(c.Addons.Estimated) == 0 {
		c.Addons.Estimated = nil
	}
	if len(was) != len(c.Addons.Estimated) {
		rep.change(catalog.FileAddons, "estimated rows replaced by EKS's answers: %s", strings.Join(slices.DeleteFunc(slices.Clone(was), func(m string) bool { return slices.Contains(c.Addons.Estimated, m) }), ", "))
	}
	c.Addons.Source = "eks:DescribeAddonVersions in " + o.Region + " for every minor EKS offered on " + today.String() + ", read by `eksplatform catalog refresh`"
	c.Addons.Checked = today
	return nil
}

func diffAddon(old, row catalog.AddonVersions) string {
	var parts []string
	for _, p := range [][3]string{{"default", old.Default, row.Default}, {"latest", old.Latest, row.Latest}, {"oldest", old.Min, row.Min}} {
		if p[1] != p[2] {
			parts = append(parts, p[0]+" "+p[1]+" → "+p[2])
		}
	}
	return strings.Join(parts, ", ")
}

// neededMinors are the minors the charts must support: from the oldest the
// fleet runs to the newest EKS offers today (or the newest the fleet runs,
// if that is later).
func neededMinors(c *catalog.Catalog, fleet []string, today time.Time) []string {
	lo, hi := "", c.NewestOn(today)
	for _, m := range fleet {
		if lo == "" || catalog.CompareMinors(m, lo) < 0 {
			lo = m
		}
		if hi == "" || catalog.CompareMinors(m, hi) > 0 {
			hi = m
		}
	}
	if lo == "" {
		lo = hi
	}
	return catalog.MinorsBetween(lo, hi)
}

// karpenterNotices: karpenter's support matrix is no API's answer, so the
// refresh says which rows are missing instead of inventing them.
func karpenterNotices(c *catalog.Catalog, rep *Report) {
	for _, m := range rep.Needed {
		if _, ok := c.KarpenterMinimum(m); !ok {
			rep.notice(catalog.FileKarpenter, "no karpenter row for Kubernetes %s: add it from https://karpenter.sh/docs/upgrading/compatibility/ (plan refuses %s until then, KAR103)", m, m)
		}
	}
}

func refreshCharts(ctx context.Context, c *catalog.Catalog, o Options, today catalog.Date, rep *Report) error {
	for _, name := range c.ChartNames() {
		if name == "karpenter-crd" {
			continue // follows karpenter
		}
		cur := c.Charts.Charts[name]
		picked, err := pickChart(ctx, c, o, name, cur, today, rep)
		if err != nil {
			return err
		}
		if picked.Version != cur.Version {
			rep.change(catalog.FileCharts, "%s %s → %s (app %s → %s)", name, cur.Version, picked.Version, orNone(cur.AppVersion), orNone(picked.AppVersion))
		} else if picked.Kubernetes.Range() != cur.Kubernetes.Range() {
			rep.change(catalog.FileCharts, "%s %s: supported Kubernetes %s → %s", name, cur.Version, cur.Kubernetes.Range(), picked.Kubernetes.Range())
		}
		c.Charts.Charts[name] = picked
		if picked.CRDs == catalog.CRDsFromProgram && (picked.Version != cur.Version || !c.HasCRDs(picked)) {
			data, err := o.Charts.CRDs(ctx, picked, picked.Version)
			if err != nil {
				return fmt.Errorf("chart %s %s: reading its crds/: %w", name, picked.Version, err)
			}
			if err := c.SetCRDs(picked, data); err != nil {
				return fmt.Errorf("chart %s %s: %w", name, picked.Version, err)
			}
			crds, _ := c.CRDs(picked)
			rep.change(catalog.CRDsFile(picked), "%d CRDs from the crds/ of %s %s (the program applies them; Helm would not upgrade them)", len(crds), name, picked.Version)
		}
		if name == "karpenter" {
			if err := followKarpenter(ctx, c, o, picked, rep); err != nil {
				return err
			}
		}
	}
	c.Charts.Source = "each chart's repository (index.yaml, OCI tags and chart configs), read by `eksplatform catalog refresh`; supported ranges as each chart's kubernetes.source says"
	c.Charts.Checked = today
	return nil
}

// followKarpenter moves karpenter-crd to karpenter's version: the CRDs and
// the controller are one release.
func followKarpenter(ctx context.Context, c *catalog.Catalog, o Options, k catalog.Chart, rep *Report) error {
	crd := c.Charts.Charts["karpenter-crd"]
	if crd.Version == k.Version && crd.Kubernetes.Range() == k.Kubernetes.Range() {
		return nil
	}
	v, err := o.Charts.Describe(ctx, crd, k.Version)
	if err != nil {
		return fmt.Errorf("chart karpenter-crd %s: %w", k.Version, err)
	}
	if crd.Version != k.Version {
		rep.change(catalog.FileCharts, "karpenter-crd %s → %s (with karpenter)", crd.Version, k.Version)
		rep.notice(catalog.FileCharts, "karpenter %s: tests/guardrails validates the NodePool and EC2NodeClass against the CRDs of github.com/aws/karpenter-provider-aws v%s; re-read components/operators/karpenter.go's values against the new chart", k.Version, k.Version)
	}
	crd.Version, crd.AppVersion, crd.KubeVersion = v.Version, v.AppVersion, v.KubeVersion
	crd.Kubernetes = catalog.SupportRange{Min: k.Kubernetes.Min, Max: k.Kubernetes.Max, For: k.Version,
		Source: "the CRDs of karpenter " + k.Version + ": " + k.Kubernetes.Source}
	c.Charts.Charts["karpenter-crd"] = crd
	return nil
}

type candidate struct {
	v   *semver.Version
	raw string
}

// pickChart chooses the newest stable version of the chart's major (any
// major with AllowMajor) whose supported range covers every needed minor.
func pickChart(ctx context.Context, c *catalog.Catalog, o Options, name string, cur catalog.Chart, today catalog.Date, rep *Report) (catalog.Chart, error) {
	tags, err := o.Charts.Versions(ctx, cur)
	if err != nil {
		return cur, fmt.Errorf("chart %s: %w", name, err)
	}
	var cands []candidate
	for _, t := range tags {
		v, err := semver.StrictNewVersion(strings.TrimPrefix(t, "v"))
		if err != nil || v.Prerelease() != "" || v.Metadata() != "" {
			continue
		}
		cands = append(cands, candidate{v, t})
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].v.GreaterThan(cands[j].v) })
	curMajor := catalog.MajorOf(cur.Version)
	reportedMajor := false
	for _, cand := range cands {
		if catalog.CompareVersions(cand.raw, cur.Version) < 0 {
			break // never move a pin back
		}
		if int(cand.v.Major()) > curMajor && !o.AllowMajor {
			if !reportedMajor {
				rep.notice(catalog.FileCharts, "%s %s is a new major (pinned %s): not applied; read its upgrade notes, then run with --allow-major", name, cand.raw, cur.Version)
				reportedMajor = true
			}
			continue
		}
		details, err := o.Charts.Describe(ctx, cur, cand.raw)
		if err != nil {
			return cur, fmt.Errorf("chart %s %s: %w", name, cand.raw, err)
		}
		if details.Deprecated {
			continue
		}
		rng, source, ok := supportedRange(c, name, cur, details, today)
		if !ok {
			rep.notice(catalog.FileCharts, "%s %s: %s", name, cand.raw, source)
			continue
		}
		if missing := uncovered(rng, rep.Needed); len(missing) > 0 {
			if cand.raw == cur.Version {
				rep.notice(catalog.FileCharts, "%s %s (pinned) supports Kubernetes %s, not %s; no version of its repository does", name, cur.Version, rng, strings.Join(missing, ", "))
			}
			continue
		}
		out := cur.WithVersion(cand.raw)
		out.Repository, out.Chart = cur.Repository, cur.Chart
		out.AppVersion, out.KubeVersion = details.AppVersion, details.KubeVersion
		out.Kubernetes = catalog.SupportRange{Min: rng.Min, Max: rng.Max, For: cand.raw, Source: source}
		return out, nil
	}
	if _, ok := cur.Support(""); ok {
		rep.notice(catalog.FileCharts, "%s: no version supports every minor from %s; kept %s", name, strings.Join(rep.Needed, ", "), cur.Version)
	}
	return cur, nil
}

// supportedRange is the minors a chart version supports, and where that
// comes from; ok is false when the catalog cannot say (a line its matrix
// does not list).
func supportedRange(c *catalog.Catalog, name string, cur catalog.Chart, v ChartVersion, today catalog.Date) (catalog.Range, string, bool) {
	newest := c.NewestOn(today.Time)
	if name == "karpenter" {
		lo, hi := cur.Kubernetes.Min, ""
		for _, m := range c.Minors() {
			if minimum, ok := c.KarpenterMinimum(m); ok && catalog.CompareVersions(v.Version, minimum) >= 0 {
				hi = m
			}
		}
		if hi == "" {
			return catalog.Range{}, "karpenter.json lists no minor it supports", false
		}
		return catalog.Range{Min: lo, Max: hi}, "karpenter's compatibility matrix (karpenter.json)", true
	}
	if m := cur.Matrix; m != nil {
		line, ok := m.Lines[catalog.MinorOf(v.Version)]
		if !ok {
			return catalog.Range{}, fmt.Sprintf("newer, but its line %s is not in the support matrix; add it from %s", catalog.MinorOf(v.Version), m.Source), false
		}
		return line, "the project's support matrix (" + m.Source + ")", true
	}
	floor := cur.Kubernetes.Min
	if floor == "" {
		floor = c.Minors()[0]
	}
	if v.KubeVersion == "" {
		return catalog.Range{Min: floor, Max: newest},
			fmt.Sprintf("no kubeVersion and no published matrix; the minimum kept from the previous check, capped at the newest EKS minor on %s", today), true
	}
	constraint, err := semver.NewConstraint(v.KubeVersion)
	if err != nil {
		return catalog.Range{}, fmt.Sprintf("kubeVersion %q does not parse: %v", v.KubeVersion, err), false
	}
	var allowed []string
	for _, m := range c.Minors() {
		if catalog.CompareMinors(m, newest) > 0 {
			break
		}
		if mv, err := semver.NewVersion(m + ".0"); err == nil && constraint.Check(mv) {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) == 0 {
		return catalog.Range{}, fmt.Sprintf("kubeVersion %q admits no minor of the calendar", v.KubeVersion), false
	}
	lo := allowed[0]
	if catalog.CompareMinors(floor, lo) > 0 && slices.Contains(allowed, floor) {
		lo = floor // a stated minimum above the constraint's
	}
	return catalog.Range{Min: lo, Max: allowed[len(allowed)-1]},
		fmt.Sprintf("Chart.yaml kubeVersion %q, capped at the newest EKS minor on %s", v.KubeVersion, today), true
}

func uncovered(r catalog.Range, needed []string) []string {
	var out []string
	for _, m := range needed {
		if !r.Contains(m) {
			out = append(out, m)
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
