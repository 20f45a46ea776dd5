package upgrade

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/tests/fleetfile"
)

// role is one test environment file: its clusters are <name>-01, <name>-02 …
type role struct {
	name     string
	wave     int
	version  string
	clusters int
	extra    string // more top-level JSON fields
}

func fleetOf(t *testing.T, roles ...role) *environments.Fleet {
	t.Helper()
	return fleetWith(t, catalog.Default(), roles...)
}

// fleetWith loads the roles against a catalog of the test's.
func fleetWith(t *testing.T, cat *catalog.Catalog, roles ...role) *environments.Fleet {
	t.Helper()
	files := make([]fleetfile.Role, 0, len(roles))
	for _, r := range roles {
		files = append(files, fleetfile.Role{Name: r.name, Wave: r.wave, Version: r.version, Clusters: r.clusters, Extra: r.extra})
	}
	return fleetfile.LoadWith(t, cat, files...)
}

// editedCatalog is the built-in catalog with a test's change.
func editedCatalog(edit func(c *catalog.Catalog)) *catalog.Catalog {
	c := catalog.Default().Clone()
	edit(c)
	return c
}

// withoutAddonRow drops one addon's versions for one minor.
func withoutAddonRow(addon, minor string) func(c *catalog.Catalog) {
	return func(c *catalog.Catalog) {
		for i := range c.Addons.Addons {
			if c.Addons.Addons[i].Name == addon {
				delete(c.Addons.Addons[i].Versions, minor)
			}
		}
	}
}

// chartRange sets the supported range of a pinned chart.
func chartRange(name, lo, hi string) func(c *catalog.Catalog) {
	return func(c *catalog.Catalog) {
		ch := c.Charts.Charts[name]
		ch.Kubernetes.Min, ch.Kubernetes.Max = lo, hi
		c.Charts.Charts[name] = ch
	}
}

// state is a StateReader over canned versions.
type state map[string]*Versions

func (s state) Versions(_ context.Context, c *environments.Cluster) (*Versions, error) {
	return s[c.Name], nil
}

// liveCatalog stands in for EKS asked live: it answers from the built-in table.
type liveCatalog struct{}

func (liveCatalog) Versions(ctx context.Context, c *environments.Cluster, addon, k8s string) (catalog.AddonVersions, error) {
	return Offline{}.Versions(ctx, c, addon, k8s)
}

// failingCatalog answers nothing.
type failingCatalog struct{}

func (failingCatalog) Versions(context.Context, *environments.Cluster, string, string) (catalog.AddonVersions, error) {
	return catalog.AddonVersions{}, errors.New("AccessDeniedException: not authorized")
}

var today = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

// running builds state versions as up would have recorded them.
func running(k8s, nodes, karpenter string, addons map[string]string) *Versions {
	if addons == nil {
		addons = map[string]string{}
	}
	return &Versions{Kubernetes: k8s, NodeRelease: nodes, Karpenter: karpenter, Addons: addons}
}

func codes(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Severity+" "+f.Code+" "+f.Subject)
	}
	return out
}

// TestChecks runs every check with each of its severities, and a clean case.
func TestChecks(t *testing.T) {
	t.Parallel()
	const pinnedKarpenter = `"charts": {"karpenter": {"version": "1.5.0"}, "karpenter-crd": {"version": "1.5.0"}}`
	cases := []struct {
		name    string
		roles   []role
		state   state
		base    []role
		catalog AddonCatalog
		// edit changes the catalog the fleet is loaded against.
		edit  func(c *catalog.Catalog)
		today time.Time
		want  []string
		// message must appear in the finding of the check the case is named
		// after (its name's first word).
		message string
	}{
		{
			name:  "clean: a new 1.35 cluster",
			roles: []role{{name: "dev", version: "1.35"}},
			want:  []string{},
		},
		{
			name:  "clean: one minor up from the state",
			roles: []role{{name: "dev", version: "1.35"}},
			state: state{"dev-01": running("1.34", "1.34.2-20251120", "1.14.1", nil)},
			want:  []string{},
		},
		{
			name:    "EKS101 a skipped minor, from the state",
			roles:   []role{{name: "dev", version: "1.35"}},
			state:   state{"dev-01": running("1.33", "1.33.5-20251101", "1.14.1", nil)},
			want:    []string{"error EKS101 dev-01"},
			message: "eks_version 1.35 skips a minor version: the cluster runs 1.33",
		},
		{
			name:    "EKS101 a skipped minor, from the base branch",
			roles:   []role{{name: "dev", version: "1.35"}},
			base:    []role{{name: "dev", version: "1.33", extra: `"support": "extended"`}},
			want:    []string{"error EKS101 dev-01"},
			message: "skips a minor version",
		},
		{
			name:    "EKS102 a downgrade",
			roles:   []role{{name: "dev", version: "1.34"}},
			state:   state{"dev-01": running("1.35", "1.35.0-20260201", "1.14.1", nil)},
			want:    []string{"error EKS102 dev-01", "warning EKS104 dev-01"},
			message: "eks_version 1.34 is a downgrade from 1.35",
		},
		{
			name:    "EKS103 not released yet on the day of the plan",
			roles:   []role{{name: "dev", version: "1.35"}},
			today:   time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC),
			want:    []string{"error EKS103 dev-01"},
			message: "Kubernetes 1.35 is not released on EKS until 2026-01-27",
		},
		{
			name:  "EKS103 past extended support",
			roles: []role{{name: "dev", version: "1.28", extra: `"support": "extended"`}},
			// The pinned cert-manager and metrics-server do not run on 1.28 either.
			want:    []string{"error EKS103 dev-01", "error CHT101 dev-01", "error CHT101 dev-01"},
			message: "Kubernetes 1.28 left extended support on 2025-11-26",
		},
		{
			name:    "EKS104 standard support ends within 90 days",
			roles:   []role{{name: "dev", version: "1.34"}},
			want:    []string{"warning EKS104 dev-01"},
			message: "standard support of Kubernetes 1.34 ends on 2026-12-02, in 10 days",
		},
		{
			name:    "EKS104 exactly 90 days before the end",
			roles:   []role{{name: "dev", version: "1.34"}},
			today:   time.Date(2026, 9, 3, 0, 0, 0, 0, time.UTC),
			want:    []string{"warning EKS104 dev-01"},
			message: "in 90 days",
		},
		{
			name:  "EKS104 not yet: 91 days before the end",
			roles: []role{{name: "dev", version: "1.34"}},
			today: time.Date(2026, 9, 2, 0, 0, 0, 0, time.UTC),
			want:  []string{},
		},
		{
			name:    "EKS105 past standard support is an error",
			roles:   []role{{name: "dev", version: "1.33"}},
			want:    []string{"error EKS105 dev-01"},
			message: "standard support of Kubernetes 1.33 ended on 2026-07-29",
		},
		{
			name:    "EKS105 past standard support with extended support accepted is a warning",
			roles:   []role{{name: "dev", version: "1.33", extra: `"support": "extended"`}},
			want:    []string{"warning EKS105 dev-01"},
			message: "Kubernetes 1.33 is on extended support (billed) until 2027-07-29",
		},
		{
			name:    "ADD101 a pin older than EKS offers for the target",
			roles:   []role{{name: "dev", version: "1.35", extra: `"addons": {"coredns": "v1.11.4-eksbuild.14"}`}},
			want:    []string{"error ADD101 dev-01"},
			message: "addon coredns v1.11.4-eksbuild.14 is older than the oldest version EKS offers for 1.35 (v1.13.1)",
		},
		{
			name:    "ADD101 kube-proxy of another minor",
			roles:   []role{{name: "dev", version: "1.35", extra: `"addons": {"kube-proxy": "v1.34.2-eksbuild.3"}`}},
			want:    []string{"error ADD101 dev-01"},
			message: "kube-proxy v1.34.2-eksbuild.3 is not for Kubernetes 1.35",
		},
		{
			name:    "ADD102 a pin newer than the table knows",
			roles:   []role{{name: "dev", version: "1.35", extra: `"addons": {"coredns": "v1.15.0-eksbuild.1"}`}},
			want:    []string{"warning ADD102 dev-01"},
			message: "addon coredns v1.15.0-eksbuild.1 is newer than the offline table knows for 1.35",
		},
		{
			name:    "a default the catalog cannot resolve fails the plan",
			roles:   []role{{name: "dev", version: "1.35", extra: `"addons": {"vpc-cni": "v1.20.4-eksbuild.2", "coredns": "default", "kube-proxy": "default", "aws-ebs-csi-driver": "default", "aws-efs-csi-driver": "default"}`}},
			catalog: failingCatalog{},
			want:    nil, // Build fails: "default" cannot be resolved
		},
		{
			name:  "NOD102 not for Bottlerocket, whose releases are not Kubernetes versions",
			roles: []role{{name: "dev", version: "1.35", extra: `"management_node_group": {"ami_type": "BOTTLEROCKET_ARM_64", "release_version": "1.20.1-7c3e9198"}`}},
			state: state{"dev-01": running("1.34", "1.20.1-7c3e9198", "1.14.1", nil)},
			want:  []string{},
		},
		{
			name:    "ADD103 a pin older than the running addon",
			roles:   []role{{name: "dev", version: "1.35", extra: `"addons": {"coredns": "v1.13.1-eksbuild.1"}`}},
			state:   state{"dev-01": running("1.35", "1.35.0-20260201", "1.14.1", map[string]string{"coredns": "v1.13.1-eksbuild.4"})},
			want:    []string{"error ADD103 dev-01"},
			message: "addon coredns pinned to v1.13.1-eksbuild.1, older than the v1.13.1-eksbuild.4 it runs",
		},
		{
			name:    "ADD103 default older than the running addon",
			roles:   []role{{name: "dev", version: "1.35", extra: `"addons": {"coredns": "default"}`}},
			state:   state{"dev-01": running("1.35", "1.35.0-20260201", "1.14.1", map[string]string{"coredns": "v1.14.0-eksbuild.1"})},
			want:    []string{"warning ADD103 dev-01"},
			message: "addon coredns runs v1.14.0-eksbuild.1; \"default\" resolves to the older v1.13.2-eksbuild.31",
		},
		{
			name:  "ADD103 not for latest: up resolves it live, so a newer running addon stays",
			roles: []role{{name: "dev", version: "1.35"}},
			state: state{"dev-01": running("1.35", "1.35.0-20260201", "1.14.1", map[string]string{"coredns": "v1.13.9-eksbuild.1"})},
			want:  []string{},
		},
		{
			name:    "NOD102 nodes two minors behind the control plane",
			roles:   []role{{name: "dev", version: "1.35"}},
			state:   state{"dev-01": running("1.34", "1.32.9-20250901", "1.14.1", nil)},
			want:    []string{"warning NOD102 dev-01"},
			message: "the management nodes run Kubernetes 1.32, 2 minor(s) behind the control plane (1.34)",
		},
		{
			name:    "NOD102 nodes one minor behind, left by an interrupted run",
			roles:   []role{{name: "dev", version: "1.35"}},
			state:   state{"dev-01": running("1.35", "1.34.2-20251120", "1.14.1", nil)},
			want:    []string{"warning NOD102 dev-01"},
			message: "the management nodes run Kubernetes 1.34, 1 minor(s) behind the control plane (1.35)",
		},
		{
			name:    "NOD103 nodes would fall outside the kubelet skew policy",
			roles:   []role{{name: "dev", version: "1.35"}},
			state:   state{"dev-01": running("1.34", "1.31.7-20250501", "1.14.1", nil)},
			want:    []string{"warning NOD102 dev-01", "error NOD103 dev-01"},
			message: "the management nodes run Kubernetes 1.31: once the control plane is at 1.35 they are 4 minors behind, outside the kubelet skew policy (3)",
		},
		{
			name:    "KAR101 karpenter too old for the target",
			roles:   []role{{name: "dev", version: "1.35", extra: pinnedKarpenter}},
			want:    []string{"error KAR101 dev-01"},
			message: "karpenter 1.5.0 does not support Kubernetes 1.35 (needs 1.9.0 or later)",
		},
		{
			name:    "KAR102 karpenter upgraded in the same run as the control plane",
			roles:   []role{{name: "dev", version: "1.35"}},
			state:   state{"dev-01": running("1.34", "1.34.2-20251120", "1.6.0", nil)},
			want:    []string{"warning KAR102 dev-01"},
			message: "karpenter 1.6.0, running now, does not support Kubernetes 1.35",
		},
		{
			name:    "FLT101 a later wave ahead of an earlier one",
			roles:   []role{{name: "nonprod", wave: 0, version: "1.34"}, {name: "prod", wave: 1, version: "1.35"}},
			want:    []string{"warning EKS104 nonprod-01", "error FLT101 prod"},
			message: "role prod (wave 1) asks for Kubernetes 1.35, which earlier waves do not run yet: nonprod (wave 0, 1.34)",
		},
		{
			name:  "FLT101 not within one wave",
			roles: []role{{name: "nonprod", wave: 0, version: "1.34", extra: `"support": "extended"`}, {name: "prod", wave: 0, version: "1.35"}},
			want:  []string{"warning EKS104 nonprod-01"},
		},
		{
			name:    "ADD104 the catalog has no row of an addon the cluster runs at latest",
			roles:   []role{{name: "dev", version: "1.35"}},
			edit:    withoutAddonRow("coredns", "1.35"),
			want:    []string{"error ADD104 dev-01"},
			message: "the catalog has no versions of addon coredns for Kubernetes 1.35: its upgrade cannot be planned",
		},
		{
			name:    "ADD104 nor of a pinned one",
			roles:   []role{{name: "dev", version: "1.35", extra: `"addons": {"coredns": "v1.13.1-eksbuild.1"}`}},
			edit:    withoutAddonRow("coredns", "1.35"),
			want:    []string{"error ADD104 dev-01"},
			message: "addon coredns v1.13.1-eksbuild.1 cannot be checked: the catalog has no versions of addon coredns for Kubernetes 1.35",
		},
		{
			name:    "ADD105 the target's addon rows are estimates",
			roles:   []role{{name: "dev", version: "1.35", clusters: 2}},
			edit:    func(c *catalog.Catalog) { c.Addons.Estimated = []string{"1.35"} },
			want:    []string{"warning ADD105 dev"},
			message: "the addon versions shown for Kubernetes 1.35 are estimates",
		},
		{
			name:    "ADD105 not when EKS is asked live",
			roles:   []role{{name: "dev", version: "1.35", extra: `"addons": {"vpc-cni": "v1.20.4-eksbuild.2"}`}},
			edit:    func(c *catalog.Catalog) { c.Addons.Estimated = []string{"1.35"} },
			catalog: liveCatalog{},
			want:    []string{},
		},
		{
			name:    "KAR103 karpenter's table has no row for the target",
			roles:   []role{{name: "dev", version: "1.35"}},
			edit:    func(c *catalog.Catalog) { delete(c.Karpenter.Minimum, "1.35") },
			want:    []string{"error KAR103 dev-01"},
			message: "the catalog does not know which karpenter supports Kubernetes 1.35",
		},
		{
			name:    "CHT101 a chart that does not support the target",
			roles:   []role{{name: "dev", version: "1.35"}},
			edit:    chartRange("metrics-server", "1.31", "1.34"),
			want:    []string{"error CHT101 dev-01"},
			message: "chart metrics-server 3.13.1 supports Kubernetes 1.31–1.34",
		},
		{
			name:  "CHT101 not for a chart the cluster does not install",
			roles: []role{{name: "dev", version: "1.35", extra: `"operators": {"metrics_server": {"enabled": false}}`}},
			edit:  chartRange("metrics-server", "1.31", "1.34"),
			want:  []string{},
		},
		{
			name:    "CHT101 accepted by the role is a warning",
			roles:   []role{{name: "dev", version: "1.35", extra: `"charts": {"metrics-server": {"accept_unsupported_kubernetes": ["1.35"]}}`}},
			edit:    chartRange("metrics-server", "1.31", "1.34"),
			want:    []string{"warning CHT101 dev-01"},
			message: "the role accepts it (charts.metrics-server.accept_unsupported_kubernetes)",
		},
		{
			name:    "CHT102 a version the catalog has not checked",
			roles:   []role{{name: "dev", version: "1.35", extra: `"charts": {"reloader": {"version": "2.3.0"}}`}},
			want:    []string{"warning CHT102 dev-01"},
			message: "chart reloader 2.3.0: the catalog knows no supported Kubernetes range for this version",
		},
		{
			name:  "FLT102 clusters of one role on different versions",
			roles: []role{{name: "dev", version: "1.35", clusters: 3}},
			state: state{
				"dev-01": running("1.35", "1.35.0-20260201", "1.14.1", nil),
				"dev-02": running("1.34", "1.34.2-20251120", "1.14.1", nil),
				"dev-03": running("1.34", "1.34.2-20251120", "1.14.1", nil),
			},
			want:    []string{"warning FLT102 dev"},
			message: "the clusters of role dev run different versions: 1.34 (dev-02, dev-03), 1.35 (dev-01)",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cat := catalog.Default()
			if tc.edit != nil {
				cat = editedCatalog(tc.edit)
			}
			in := Inputs{Fleet: fleetWith(t, cat, tc.roles...), Today: today, Catalog: tc.catalog}
			if tc.state != nil {
				in.State = tc.state
			}
			if tc.base != nil {
				in.Base = fleetWith(t, cat, tc.base...)
			}
			if !tc.today.IsZero() {
				in.Today = tc.today
			}
			p, err := Build(t.Context(), in)
			if tc.want == nil {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "AccessDeniedException")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, codes(p.Findings))
			assert.Equal(t, strings.Contains(strings.Join(tc.want, " "), "error"), p.Failed())
			if tc.message != "" {
				code := strings.Fields(tc.name)[0]
				var messages []string
				for _, f := range p.Findings {
					if f.Code == code {
						messages = append(messages, f.Message)
					}
				}
				require.NotEmpty(t, messages, "a %s finding", code)
				assert.Contains(t, strings.Join(messages, "\n"), tc.message)
			}
			for _, f := range p.Findings {
				assert.NotEmpty(t, f.Fix, "%s has a fix hint", f.Code)
			}
		})
	}
}

// TestAPinTheLiveCatalogCannotCheckIsAWarning: a live catalog that fails on
// one addon does not hide the other checks.
func TestAPinTheLiveCatalogCannotCheckIsAWarning(t *testing.T) {
	t.Parallel()
	p, err := Build(t.Context(), Inputs{
		Fleet: fleetOf(t, role{name: "dev", version: "1.35", extra: `"addons": {"vpc-cni": "v1.20.4-eksbuild.2", "coredns": "v1.13.1-eksbuild.1",
			"kube-proxy": "v1.35.0-eksbuild.2", "aws-ebs-csi-driver": "v1.53.0-eksbuild.1", "aws-efs-csi-driver": "v2.1.15-eksbuild.1"}`}),
		Today: today, Catalog: failingCatalog{},
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"warning ADD102 dev-01", "warning ADD102 dev-01", "warning ADD102 dev-01", "warning ADD102 dev-01", "warning ADD102 dev-01"}, codes(p.Findings))
	var messages []string
	for _, f := range p.Findings {
		messages = append(messages, f.Message)
	}
	assert.Contains(t, messages, "addon vpc-cni v1.20.4-eksbuild.2 cannot be checked: AccessDeniedException: not authorized")
	assert.False(t, p.Failed())
}

func kinds(steps []Step) []string {
	out := []string{}
	for _, s := range steps {
		out = append(out, s.Kind+" "+s.From+"→"+s.To)
	}
	return out
}

// TestSteps: the order of an upgrade's steps, and the two ends: a new
// cluster and one that is up to date.
func TestSteps(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	latest := func(addon, k8s string) string {
		v, ok := catalog.Default().AddonVersionsFor(addon, k8s)
		require.True(t, ok)
		return v.Latest
	}
	old := map[string]string{}
	for _, a := range catalog.Default().AddonNames(catalog.AddonBase) {
		old[a] = latest(a, "1.34")
	}

	t.Run("one minor up, from the state", func(t *testing.T) {
		t.Parallel()
		p, err := Build(ctx, Inputs{Fleet: fleetOf(t, role{name: "dev", version: "1.35"}), Today: today,
			State: state{"dev-01": running("1.34", "1.34.2-20251120", catalog.Default().DefaultCharts()["karpenter"].Version, old)}})
		require.NoError(t, err)
		cp := p.Clusters[0]
		assert.Equal(t, SourceState, cp.Current.Source)
		var want []string
		want = append(want, "preflight →", "control-plane 1.34→1.35")
		if old["vpc-cni"] != latest("vpc-cni", "1.35") {
			want = append(want, "addon "+old["vpc-cni"]+"→"+latest("vpc-cni", "1.35"))
		}
		want = append(want, "node-group 1.34.2-20251120→latest for 1.35")
		for _, a := range catalog.Default().AddonNames("") {
			if _, ok := old[a]; ok && a != "vpc-cni" && old[a] != latest(a, "1.35") {
				want = append(want, "addon "+old[a]+"→"+latest(a, "1.35"))
			}
		}
		want = append(want, "data-plane →")
		assert.Equal(t, want, kinds(cp.Steps))
		assert.Contains(t, kinds(cp.Steps), "addon "+old["coredns"]+"→"+latest("coredns", "1.35"), "coredns changes minor with Kubernetes")
		nodes := slices.Index(kinds(cp.Steps), "node-group 1.34.2-20251120→latest for 1.35")
		proxy := slices.Index(kinds(cp.Steps), "addon "+old["kube-proxy"]+"→"+latest("kube-proxy", "1.35"))
		assert.Less(t, nodes, proxy, "kube-proxy follows the nodes (skew policy)")
		assert.Contains(t, cp.Steps[0].Watch, "aws eks list-insights --cluster-name dev-01 --filter kubernetesVersions=1.35")
		assert.Contains(t, cp.Steps[1].Rollback, "cannot downgrade")
	})

	t.Run("two minors up: one control-plane hop per minor, still refused", func(t *testing.T) {
		t.Parallel()
		p, err := Build(ctx, Inputs{Fleet: fleetOf(t, role{name: "dev", version: "1.35"}), Today: today,
			State: state{"dev-01": running("1.33", "1.33.5-20251101", "1.14.1", nil)}})
		require.NoError(t, err)
		k := kinds(p.Clusters[0].Steps)
		assert.Equal(t, []string{"control-plane 1.33→1.34", "control-plane 1.34→1.35"}, k[1:3])
		assert.True(t, p.Failed())
		assert.True(t, p.Clusters[0].Refused)
		assert.Contains(t, p.Text(), "refused: a check below failed")
	})

	t.Run("karpenter raised with the upgrade", func(t *testing.T) {
		t.Parallel()
		p, err := Build(ctx, Inputs{Fleet: fleetOf(t, role{name: "dev", version: "1.35"}), Today: today,
			Base: fleetOf(t, role{name: "dev", version: "1.34", extra: `"charts": {"karpenter": {"version": "1.9.0"}, "karpenter-crd": {"version": "1.9.0"}}`})})
		require.NoError(t, err)
		cp := p.Clusters[0]
		assert.Equal(t, SourceBase, cp.Current.Source)
		k := kinds(cp.Steps)
		assert.Contains(t, k, "node-group latest for 1.34→latest for 1.35")
		assert.Equal(t, "karpenter 1.9.0→"+catalog.Default().DefaultCharts()["karpenter"].Version, k[len(k)-2])
		assert.Equal(t, "data-plane →", k[len(k)-1])
	})

	t.Run("a new cluster is created", func(t *testing.T) {
		t.Parallel()
		p, err := Build(ctx, Inputs{Fleet: fleetOf(t, role{name: "dev", version: "1.35"}), Today: today,
			Base: fleetOf(t, role{name: "other", version: "1.35"})})
		require.NoError(t, err)
		assert.Equal(t, SourceNew, p.Clusters[0].Current.Source)
		assert.Equal(t, []string{"create →1.35"}, kinds(p.Clusters[0].Steps))
	})

	t.Run("up to date: latest releases met by any release of the minor", func(t *testing.T) {
		t.Parallel()
		now := map[string]string{}
		for _, a := range catalog.Default().AddonNames(catalog.AddonBase) {
			now[a] = latest(a, "1.35")
		}
		p, err := Build(ctx, Inputs{Fleet: fleetOf(t, role{name: "dev", version: "1.35"}), Today: today,
			State: state{"dev-01": running("1.35", "1.35.1-20260301", catalog.Default().DefaultCharts()["karpenter"].Version, now)}})
		require.NoError(t, err)
		assert.Empty(t, p.Clusters[0].Steps)
		assert.Contains(t, p.Text(), "steps: none, the cluster is up to date")
	})

	t.Run("default resolves to the default of the target version", func(t *testing.T) {
		t.Parallel()
		p, err := Build(ctx, Inputs{Fleet: fleetOf(t, role{name: "dev", version: "1.35", extra: `"addons": {"coredns": "default"}`}), Today: today})
		require.NoError(t, err)
		def, _ := catalog.Default().AddonVersionsFor("coredns", "1.35")
		assert.Equal(t, def.Default, p.Clusters[0].Desired.Addons["coredns"])
		assert.Equal(t, latest("vpc-cni", "1.35"), p.Clusters[0].Desired.Addons["vpc-cni"])
	})
}

// TestWavesFollowTheDriverPlan: the plan's waves are the driver's.
func TestWavesFollowTheDriverPlan(t *testing.T) {
	t.Parallel()
	p, err := Build(t.Context(), Inputs{Today: today, Fleet: fleetOf(t,
		role{name: "dev", wave: 0, version: "1.35"},
		role{name: "prod", wave: 1, version: "1.35", clusters: 4, extra: `"rollout": {"canary": 1, "parallel": 2}`})})
	require.NoError(t, err)
	require.Len(t, p.Waves, 3)
	assert.Equal(t, []string{"dev-01"}, p.Waves[0].Clusters)
	assert.Equal(t, []string{"prod-01"}, p.Waves[1].Clusters, "the canary goes alone")
	assert.Equal(t, []string{"prod-02", "prod-03", "prod-04"}, p.Waves[2].Clusters)
	assert.Equal(t, 2, p.Waves[2].Parallel)
	assert.Equal(t, "none", p.Waves[2].Bake, "no bake after the last wave")
	assert.NotEqual(t, "none", p.Waves[0].Bake)
	for i, c := range p.Clusters {
		assert.NotEmpty(t, c.Wave, "cluster %d has its wave", i)
	}
}

// TestRenderings: every format carries the findings and the steps.
func TestRenderings(t *testing.T) {
	t.Parallel()
	p, err := Build(t.Context(), Inputs{Today: today,
		Fleet: fleetOf(t, role{name: "nonprod", wave: 0, version: "1.34"}, role{name: "prod", wave: 1, version: "1.35"}),
		Base:  fleetOf(t, role{name: "nonprod", wave: 0, version: "1.34"}, role{name: "prod", wave: 1, version: "1.34"})})
	require.NoError(t, err)
	text := p.Text()
	assert.Contains(t, text, "1 error(s), 1 warning(s)")
	assert.Contains(t, text, "ERROR FLT101 prod: role prod (wave 1) asks for Kubernetes 1.35, which earlier waves do not run yet: nonprod (wave 0, 1.34)")
	assert.Contains(t, text, "  2. control plane 1.34 → 1.35\n")
	assert.True(t, p.Clusters[1].Refused, "a role going ahead of an earlier wave refuses its clusters")
	assert.False(t, p.Clusters[0].Refused)
	assert.Less(t, strings.Index(text, "ERROR"), strings.Index(text, "WARNING"), "errors first")

	md := p.Markdown()
	assert.Contains(t, md, "❌ 1 check(s) failed")
	assert.Contains(t, md, "| ❌ | FLT101 | prod |")
	assert.Contains(t, md, "<details><summary><b>prod-01</b>")
	assert.Contains(t, md, "rollback: none: EKS cannot downgrade a control plane; fix forward")
	assert.Contains(t, md, "| prod-01 | from the base environment files | 1.34 → **1.35** |")

	js, err := p.JSON()
	require.NoError(t, err)
	assert.Contains(t, string(js), `"code": "FLT101"`)
	assert.Contains(t, string(js), `"source": "base"`)
}

func TestVersionsFromOutputs(t *testing.T) {
	t.Parallel()
	v, err := VersionsFromOutputs(map[string]any{
		"kubernetesVersion": "1.34", "managementNodeGroupReleaseVersion": "1.34.2-20251120", "karpenterVersion": "1.14.1",
		"addonVersions": map[string]any{"coredns": "v1.12.4-eksbuild.1"},
	})
	require.NoError(t, err)
	assert.Equal(t, &Versions{Kubernetes: "1.34", NodeRelease: "1.34.2-20251120", Karpenter: "1.14.1", Addons: map[string]string{"coredns": "v1.12.4-eksbuild.1"}}, v)
	_, err = VersionsFromOutputs(map[string]any{"kubernetesVersion": "1.34", "addonVersions": map[string]any{"bogus": 3}})
	require.ErrorContains(t, err, "addonVersions.bogus is int, not a string", "a version of the wrong shape is not guessed at")
	_, err = VersionsFromOutputs(map[string]any{"role": "dev"})
	require.ErrorContains(t, err, "the stack has no kubernetesVersion output")
}

// TestAccountsShowWhoCreatesTheSpotRole: the owner is named even when it is
// outside the selection.
func TestAccountsShowWhoCreatesTheSpotRole(t *testing.T) {
	t.Parallel()
	fleet := fleetOf(t, role{name: "dev", wave: 0, version: "1.35"}, role{name: "prod", wave: 1, version: "1.35", clusters: 2})
	p, err := Build(t.Context(), Inputs{Fleet: fleet, Today: today, Selection: automation.Selection{Roles: []string{"prod"}}})
	require.NoError(t, err)
	assert.Equal(t, []AccountSummary{{ID: "123456789012", Clusters: []string{"prod-01", "prod-02"}, SpotServiceLinkedRole: "created by dev-01"}}, p.Accounts)
	assert.Contains(t, p.Text(), "123456789012: prod-01, prod-02; Spot service-linked role created by dev-01")
	assert.Contains(t, p.Markdown(), "| 123456789012 | prod-01, prod-02 | created by dev-01 |")
}

// TestSpotRoleOwnerLeftOut: a run that leaves out the cluster creating its
// account's Spot role, while the backend has no stack of it, warns on every
// cluster of the account whose karpenter may buy Spot.
func TestSpotRoleOwnerLeftOut(t *testing.T) {
	t.Parallel()
	const onDemandOnly = `"karpenter": {"node_pools": {"arm": {"capacity_types": ["on-demand"]}, "amd": {"capacity_types": ["on-demand"]}}}`
	prodOnly := automation.Selection{Roles: []string{"prod"}}
	deployed := state{"dev-01": running("1.35", "1.35.0-20260201", "1.14.1", nil)}
	cases := []struct {
		name      string
		dev, prod string // extra fields of the roles
		selection automation.Selection
		state     StateReader
		want      []string
	}{
		{name: "owner left out and never deployed", selection: prodOnly, state: state{},
			want: []string{"warning SPT101 prod-01", "warning SPT101 prod-02"}},
		{name: "owner left out but deployed", selection: prodOnly, state: deployed, want: []string{}},
		{name: "owner in the run", state: state{}, want: []string{}},
		{name: "offline: the backend is not read", selection: prodOnly, want: []string{}},
		{name: "no Spot capacity in the left-in clusters", selection: prodOnly, state: state{}, prod: onDemandOnly, want: []string{}},
		{name: "the account has the role", selection: prodOnly, state: state{},
			dev: `"accounts": {"123456789012": {"spot_service_linked_role": "exists"}}`, want: []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fleet := fleetOf(t, role{name: "dev", wave: 0, version: "1.35", extra: tc.dev},
				role{name: "prod", wave: 1, version: "1.35", clusters: 2, extra: tc.prod})
			p, err := Build(t.Context(), Inputs{Fleet: fleet, Today: today, Selection: tc.selection, State: tc.state})
			require.NoError(t, err)
			assert.Equal(t, tc.want, codes(p.Findings))
			assert.False(t, p.Failed(), "a missing Spot role does not refuse the upgrade")
			for _, cp := range p.Clusters {
				assert.Equal(t, len(tc.want) > 0, len(cp.Findings) == 1, "%s carries its own finding", cp.Cluster)
			}
			if len(tc.want) > 0 {
				f := p.Findings[0]
				assert.Equal(t, "account 123456789012 gets its Spot service-linked role from dev-01, which is not in this run and has no stack yet: karpenter's Spot launches in prod-01 fail until it exists", f.Message)
				assert.Contains(t, f.Fix, "up --cluster dev-01")
				assert.Contains(t, f.Fix, "dev.json")
			}
		})
	}
}

// TestTheREADMEListsEveryCheck: the README's table of checks is Checks,
// row for row.
func TestTheREADMEListsEveryCheck(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	rows := regexp.MustCompile(`(?m)^\| ([A-Z]{3}1[0-9]{2}) \| .+ \|$`).FindAllString(string(readme), -1)
	var want []string
	for _, c := range Checks {
		want = append(want, fmt.Sprintf("| %s | %s | %s |", c.Code, c.Severity, c.Finds))
	}
	assert.ElementsMatch(t, want, rows)
}

// TestAFindingNamesACheck: a finding whose code is not in Checks would be
// one --fail-on cannot name.
func TestAFindingNamesACheck(t *testing.T) {
	t.Parallel()
	assert.PanicsWithValue(t, "upgrade: finding XYZ999 is not in Checks", func() { finding("XYZ999", Error, "s", "m", "f") })
	assert.Len(t, Codes, len(Checks))
	assert.Equal(t, "EKS101", Codes[0])
}

func TestFailingOn(t *testing.T) {
	t.Parallel()
	p := &Plan{Findings: []Finding{{Code: "EKS104", Severity: Warning}, {Code: "ADD102", Severity: Warning}}}
	assert.False(t, p.Failed())
	assert.Empty(t, p.FailingOn([]string{"error"}))
	assert.Len(t, p.FailingOn([]string{"error", "eks104"}), 1, "codes match whatever their case")
	assert.Len(t, p.FailingOn([]string{"warning"}), 2)
}

// TestPreflightSortsErrorsIntoAllowedAndRefused: what up and preview run
// first. Warnings never stop a run; an error stops it unless its code is
// allowed, in any case.
func TestPreflightSortsErrorsIntoAllowedAndRefused(t *testing.T) {
	t.Parallel()
	// prod ahead of nonprod (FLT101, error) while nonprod's 1.34 nears the end
	// of standard support (EKS104, warning).
	in := Inputs{Fleet: fleetOf(t, role{name: "nonprod", wave: 0, version: "1.34"}, role{name: "prod", wave: 1, version: "1.35"}), Today: today}
	p, err := RunPreflight(t.Context(), in, nil)
	require.NoError(t, err)
	assert.Empty(t, p.Allowed)
	require.Len(t, p.Refused, 1)
	assert.Equal(t, "FLT101", p.Refused[0].Code)
	assert.Equal(t, []string{"FLT101"}, p.RefusedCodes())

	p, err = RunPreflight(t.Context(), in, []string{"flt101"})
	require.NoError(t, err)
	assert.Empty(t, p.Refused)
	assert.Equal(t, []string{"FLT101 prod: role prod (wave 1) asks for Kubernetes 1.35, which earlier waves do not run yet: nonprod (wave 0, 1.34)"}, p.Overrides())
}
