package upgrade

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/environments"
)

// Check is one of plan's checks: its code, the severity it fails with and
// what it finds. Checks is the one list of them: --fail-on accepts its codes
// (Codes), every finding names one of them (finding refuses any other), and
// the README's table of checks is this table (TestTheREADMEListsEveryCheck).
type Check struct {
	Code     string
	Severity string
	Finds    string
}

// Checks are plan's checks, in the order the README lists them.
var Checks = []Check{
	{Code: "EKS101", Severity: "error", Finds: "`eks_version` skips a minor (1.33 → 1.35): EKS upgrades one minor at a time"},
	{Code: "EKS102", Severity: "error", Finds: "`eks_version` is lower than what the cluster runs: EKS cannot downgrade"},
	{Code: "EKS103", Severity: "error", Finds: "the version is not released on EKS yet, or has left extended support, on the plan's day"},
	{Code: "EKS104", Severity: "warning", Finds: "standard support of the target version ends within 90 days"},
	{Code: "EKS105", Severity: "error, or warning when the role sets `\"support\": \"extended\"`", Finds: "standard support of the target version has ended"},
	{Code: "ADD101", Severity: "error", Finds: "a pinned addon is older than EKS offers for the target minor, or a kube-proxy pin is for another minor"},
	{Code: "ADD102", Severity: "warning", Finds: "a pin is newer than the table knows, or the live catalog could not answer"},
	{Code: "ADD103", Severity: "error for a pin, warning for `default`", Finds: "the pin is older than the version the cluster runs: EKS does not downgrade addons"},
	{Code: "ADD104", Severity: "error", Finds: "the catalog has no versions of an addon the cluster runs for the target minor"},
	{Code: "ADD105", Severity: "warning", Finds: "the catalog's addon versions for the target minor are estimates (no version EKS published was found yet); not with `--aws-addon-versions`"},
	{Code: "NOD102", Severity: "warning", Finds: "the management nodes (AL2023) run behind the control plane now (an interrupted run)"},
	{Code: "NOD103", Severity: "error", Finds: "after the control plane moves, the management nodes would be more than three minors behind (kubelet skew policy)"},
	{Code: "KAR101", Severity: "error", Finds: "the karpenter chart is older than the first release that supports the target minor"},
	{Code: "KAR102", Severity: "warning", Finds: "karpenter running now does not support the target; its upgrade lands after the control plane in the same run"},
	{Code: "KAR103", Severity: "error", Finds: "karpenter's table has no row for the target minor"},
	{Code: "CHT101", Severity: "error, or warning when the role accepts it", Finds: "a chart the cluster installs does not support the target minor (karpenter's two charts are KAR101–KAR103's)"},
	{Code: "CHT102", Severity: "warning", Finds: "a chart's version has no supported range in the catalog (a role override, or a bump nobody checked yet)"},
	{Code: "FLT101", Severity: "error", Finds: "a role asks for a version an earlier wave does not run yet (prod must not go ahead of nonprod); refuses the role's clusters"},
	{Code: "FLT102", Severity: "warning", Finds: "the clusters of one role run different versions (an interrupted rollout)"},
	{Code: "INS101", Severity: "error", Finds: "an EKS upgrade insight for the target minor is ERROR: the control plane saw a removed API in use, or a node or addon would be out of skew (with `--aws-insights`)"},
	{Code: "INS102", Severity: "warning", Finds: "an EKS upgrade insight for the target minor is WARNING (with `--aws-insights`)"},
	{Code: "INS103", Severity: "warning", Finds: "an EKS upgrade insight for the target minor is UNKNOWN: EKS has not evaluated it yet (with `--aws-insights`)"},
	{Code: "INS104", Severity: "warning", Finds: "the cluster's EKS upgrade insights could not be read (with `--aws-insights`)"},
	{Code: "SPT101", Severity: "warning", Finds: "the run leaves out the cluster that creates its account's Spot service-linked role, and the backend has no stack of it: karpenter's Spot launches fail until it is deployed (read from the backend; not checked with `--offline`)"},
}

// Codes are the check codes plan knows, for validating --fail-on.
var Codes = func() []string {
	out := make([]string, len(Checks))
	for i, c := range Checks {
		out[i] = c.Code
	}
	return out
}()

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

func finding(code, severity, subject, message, fix string) Finding {
	if !slices.Contains(Codes, code) {
		panic("upgrade: finding " + code + " is not in Checks")
	}
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
