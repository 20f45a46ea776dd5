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
	"strings"
	"time"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/environments"
)

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
	cp.Findings = append(cp.Findings, insightFindings(ctx, in, c, cp)...)
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
