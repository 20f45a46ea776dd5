package inventory

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/automation/audit"
	"github.com/eksplatform/eksplatform/automation/automationtest"
	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/contract"
	"github.com/eksplatform/eksplatform/environments"
)

var update = flag.Bool("update", false, "rewrite the golden inventories under testdata/")

const envDir = "../../environments"

func loadFleet(t testing.TB) *environments.Fleet {
	t.Helper()
	fleet, err := environments.Load(envDir)
	require.NoError(t, err)
	return fleet
}

// fakeState answers from a map; a cluster named in errs fails to read.
type fakeState struct {
	deployed map[string]*Deployed
	errs     map[string]error
}

func (f fakeState) Deployed(_ context.Context, c *environments.Cluster) (*Deployed, error) {
	if err := f.errs[c.Name]; err != nil {
		return nil, err
	}
	return f.deployed[c.Name], nil
}

// day is the inventory's date in the goldens: an input, so the goldens stay
// the same from one day to the next; the command uses today.
var day = time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)

var updated = time.Date(2026, 11, 30, 9, 15, 0, 0, time.UTC)

// deployedProd is prod-i01 as its stack says: one minor behind the file.
func deployedProd() *Deployed {
	return &Deployed{LastUpdate: updated, Outputs: contract.Outputs{
		Role: "prod", Wave: 3, ClusterName: "prod-i01-aws-us-east-2", Kubernetes: "1.35",
		Endpoint: "https://ABCDEF.gr7.us-east-2.eks.amazonaws.com", CertificateAuthority: "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t",
		OIDCIssuerURL:    "https://oidc.eks.us-east-2.amazonaws.com/id/ABCDEF",
		NodeGroupRelease: "1.35.4-20261110", Karpenter: "1.15.2",
		Addons:          map[string]string{"coredns": "v1.12.4-eksbuild.1", "vpc-cni": "v1.20.4-eksbuild.2"},
		EBSStorageClass: "gp3", EFSStorageClass: "prod-i01-aws-us-east-2-efs-csi-storage-class", EFSFileSystemID: "fs-0123456789abcdef0",
		ClusterAdminRole:      "arn:aws:iam::345678901234:role/prod-i01-aws-us-east-2-cluster-admin",
		ContainerInsights:     "https://us-east-2.console.aws.amazon.com/cloudwatch/home?region=us-east-2#container-insights:infrastructure",
		PrometheusWorkspaceID: "ws-0123abcd-4567-89ef-0123-456789abcdef",
		PrometheusEndpoint:    "https://aps-workspaces.us-east-2.amazonaws.com/workspaces/ws-0123abcd-4567-89ef-0123-456789abcdef/",
		Parameters: map[string]string{
			contract.FactEndpoint:        "/eksplatform/prod-i01-aws-us-east-2/endpoint",
			contract.FactEFSFileSystemID: "/eksplatform/prod-i01-aws-us-east-2/efs-filesystem-id",
		},
	}}
}

// trail writes records to a file store: prod-i01 rolled out twice (the
// second one failed), then a refresh found drift; np-i01's refresh found
// drift that a later up reconciled; pre-i01's refresh found none.
func trail(t *testing.T) audit.Store {
	t.Helper()
	store := audit.NewFileStore(filepath.Join(t.TempDir(), "audit.jsonl"))
	at := func(h int) time.Time { return time.Date(2026, 12, 1, h, 0, 0, 0, time.UTC) }
	for _, r := range []audit.Record{
		{RunID: "r1", Cluster: "prod-i01-aws-us-east-2", Role: "prod", Wave: 3, Command: "up", Result: "succeeded", Start: at(8), End: at(9),
			Commit: "0123456789abcdef0123", Actor: audit.Actor{Identity: "arn:aws:sts::345678901234:assumed-role/PlatformDeploy/ci", CI: "github-actions", JobURL: "https://github.com/o/r/actions/runs/1"}},
		{RunID: "r2", Cluster: "prod-i01-aws-us-east-2", Role: "prod", Wave: 3, Command: "up", Result: "failed", Reason: "boom", Start: at(10), End: at(11)},
		{RunID: "r3", Cluster: "prod-i01-aws-us-east-2", Role: "prod", Wave: 3, Command: "refresh", Result: "succeeded", Start: at(12), End: at(13),
			Counts: map[string]int{"same": 310, "update": 2, "delete": 1}},
		{RunID: "r4", Cluster: "np-i01-aws-us-east-2", Role: "nonprod", Wave: 2, Command: "refresh", Result: "succeeded", Start: at(8), End: at(9),
			Counts: map[string]int{"same": 300, "update": 1}},
		{RunID: "r5", Cluster: "np-i01-aws-us-east-2", Role: "nonprod", Wave: 2, Command: "up", Result: "succeeded", Start: at(10), End: at(11), Actor: audit.Actor{User: "alice"}},
		{RunID: "r6", Cluster: "pre-i01-aws-us-east-2", Role: "preview", Wave: 1, Command: "refresh", Result: "succeeded", Start: at(8), End: at(9),
			Counts: map[string]int{"same": 280}},
		{RunID: "r7", Cluster: "sbx-i01-aws-us-east-1", Role: "sandbox", Wave: 0, Command: "refresh", Result: "failed", Start: at(8), End: at(9)},
	} {
		require.NoError(t, store.Append(context.Background(), r))
	}
	return store
}

func build(t *testing.T, state StateReader, store audit.Store) *Inventory {
	t.Helper()
	fleet := loadFleet(t)
	in := Inputs{Fleet: fleet, Clusters: fleet.Clusters(), Today: day, State: state, Sources: Sources{Environments: "environments"}}
	if store != nil {
		in.Audit, in.Sources.Audit = store, "file://audit.jsonl"
	}
	inv, err := Build(context.Background(), in)
	require.NoError(t, err)
	return inv
}

func entry(t *testing.T, inv *Inventory, name string) Cluster {
	t.Helper()
	for _, c := range inv.Clusters {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s in the inventory", name)
	return Cluster{}
}

func TestADeployedClusterShowsWhatItsStackHolds(t *testing.T) {
	t.Parallel()
	inv := build(t, fakeState{deployed: map[string]*Deployed{"prod-i01-aws-us-east-2": deployedProd()}}, trail(t))
	fleet := loadFleet(t)
	declared, _ := fleet.Cluster("prod-i01-aws-us-east-2")
	c := entry(t, inv, "prod-i01-aws-us-east-2")

	assert.True(t, c.Deployed)
	assert.Equal(t, Versions{Declared: declared.EKSVersion, Deployed: "1.35"}, c.Kubernetes)
	assert.Equal(t, "v1.12.4-eksbuild.1", c.Addons["coredns"].Deployed)
	assert.NotEmpty(t, c.Addons["coredns"].Declared, "the file's setting beside it")
	assert.Equal(t, "fs-0123456789abcdef0", c.EFSFileSystemID)
	assert.Equal(t, []string{"gp3", "prod-i01-aws-us-east-2-efs-csi-storage-class"}, c.StorageClasses)
	assert.Equal(t, deployedProd().Outputs.Parameters, c.Parameters.Names, "the stack's own list of its parameters wins")
	assert.Equal(t, &updated, c.LastUpdate)
	assert.Equal(t, declared.Observability.Prometheus.Enabled, c.Observability.Prometheus, "declared")
	assert.Equal(t, "ws-0123abcd-4567-89ef-0123-456789abcdef", c.Observability.PrometheusWorkspaceID)
	assert.Contains(t, c.Links, Link{Title: "Managed Prometheus workspace", Icon: "dashboard",
		URL: "https://us-east-2.console.aws.amazon.com/prometheus/home?region=us-east-2#/workspaces/workspace/ws-0123abcd-4567-89ef-0123-456789abcdef"})
	assert.Contains(t, c.Links, Link{Title: "Container Insights", Icon: "dashboard", URL: deployedProd().Outputs.ContainerInsights})

	// The support window is the deployed minor's, from the catalog's calendar.
	rel, ok := fleet.Catalog.Release("1.35")
	require.True(t, ok)
	until := rel.EndOfStandard
	if declared.ExtendedSupport {
		until = rel.EndOfExtended
	}
	assert.Equal(t, "1.35", c.Support.Minor)
	assert.Equal(t, rel.SupportOn(day), c.Support.Tier)
	assert.Equal(t, until.String(), c.Support.Until)
	require.NotNil(t, c.Support.DaysLeft)
	assert.Equal(t, int(until.Sub(day).Hours()/24), *c.Support.DaysLeft)

	// The last successful up, not the later failed one; the refresh after it found drift.
	require.NotNil(t, c.LastRollout)
	assert.Equal(t, "r1", c.LastRollout.RunID)
	assert.Equal(t, "arn:aws:sts::345678901234:assumed-role/PlatformDeploy/ci", c.LastRollout.By)
	assert.Equal(t, DriftDrifted, c.Drift.Status)
	assert.Equal(t, map[string]int{"update": 2, "delete": 1}, c.Drift.Changes, "unchanged resources are not drift")
	assert.Equal(t, "r3", c.Drift.RunID)
}

func TestDriftStatusesFollowTheTrail(t *testing.T) {
	t.Parallel()
	inv := build(t, nil, trail(t))
	for name, want := range map[string]string{
		"np-i01-aws-us-east-2":   DriftReconciled, // drift, then an up
		"pre-i01-aws-us-east-2":  DriftInSync,
		"sbx-i01-aws-us-east-1":  DriftFailed,
		"prod-i02-aws-us-west-2": DriftNotChecked,
	} {
		assert.Equal(t, want, entry(t, inv, name).Drift.Status, name)
	}
	np := entry(t, inv, "np-i01-aws-us-east-2")
	require.NotNil(t, np.LastRollout)
	assert.Equal(t, "alice", np.LastRollout.By, "the OS user when no AWS identity was recorded")
	assert.Nil(t, entry(t, inv, "prod-i02-aws-us-west-2").LastRollout)
}

func TestAnUndeployedClusterIsWhatItsFileDeclares(t *testing.T) {
	t.Parallel()
	inv := build(t, fakeState{}, nil)
	fleet := loadFleet(t)
	for _, declared := range fleet.Clusters() {
		c := entry(t, inv, declared.Name)
		assert.False(t, c.Deployed)
		assert.Equal(t, Versions{Declared: declared.EKSVersion}, c.Kubernetes)
		assert.Empty(t, c.Endpoint)
		assert.Equal(t, DriftNotChecked, c.Drift.Status)
		assert.Equal(t, declared.Charts["karpenter"].Version, c.Karpenter.Declared)
		// Every fact it will publish is named, under its prefix: the
		// optional ones where the role has what they name.
		has := map[string]bool{
			contract.FactEFSFileSystemID: declared.Storage.EFS.Enabled, contract.FactEFSStorageClass: declared.Storage.EFS.Enabled,
			contract.FactPrometheusWorkspaceID: declared.Observability.Prometheus.Enabled, contract.FactPrometheusEndpoint: declared.Observability.Prometheus.Enabled,
		}
		for _, f := range contract.Facts {
			name, ok := c.Parameters.Names[f.Name]
			if f.Optional && !has[f.Name] {
				assert.False(t, ok, "%s: %s", declared.Name, f.Name)
				continue
			}
			assert.Equal(t, contract.ParameterName(declared.Name, f.Name), name)
		}
		assert.Equal(t, declared.Observability.ContainerInsights, c.Observability.ContainerInsights)
		if declared.Policy.Enabled {
			assert.Equal(t, declared.Policy.Mode, c.Policy)
		} else {
			assert.Equal(t, "off", c.Policy)
		}
	}
	assert.Len(t, inv.Roles, len(fleet.Roles))
	assert.Equal(t, fleet.Roles[0].Name, inv.Roles[0].Name, "roles in rollout order")
}

func TestAStackThatDoesNotReadIsAnEntryWithItsError(t *testing.T) {
	t.Parallel()
	inv := build(t, fakeState{errs: map[string]error{"prod-i02-aws-us-west-2": errors.New("the stack's outputs do not match\nsecond line")}}, nil)
	c := entry(t, inv, "prod-i02-aws-us-west-2")
	assert.Equal(t, "the stack's outputs do not match", c.Error)
	assert.False(t, c.Deployed)
	assert.Empty(t, entry(t, inv, "prod-i01-aws-us-east-2").Error)
}

func TestAMinorOutsideTheCalendarHasNoDaysLeft(t *testing.T) {
	t.Parallel()
	fleet := loadFleet(t)
	c, _ := fleet.Cluster("sbx-i01-aws-us-east-1")
	s := support(fleet.Catalog, c, "1.99", day)
	assert.Equal(t, "unknown", s.Tier)
	assert.Nil(t, s.DaysLeft)
	s = support(catalog.Default(), c, c.EKSVersion, day)
	require.NotNil(t, s.DaysLeft)
	s2 := support(catalog.Default(), c, c.EKSVersion, day.AddDate(0, 0, 10))
	assert.Equal(t, *s.DaysLeft-10, *s2.DaysLeft, "ten days later, ten days fewer")
}

// TestGoldens: the three formats of the example fleet with one deployed
// cluster and a trail. `go test ./automation/inventory -update` rewrites
// them; the diff is the review.
func TestGoldens(t *testing.T) {
	t.Parallel()
	inv := build(t, fakeState{deployed: map[string]*Deployed{"prod-i01-aws-us-east-2": deployedProd()}}, trail(t))
	js, err := inv.JSON()
	require.NoError(t, err)
	yml, err := inv.Backstage(BackstageOptions{Owner: "group:default/platform-team"})
	require.NoError(t, err)
	for file, got := range map[string][]byte{"inventory.json": js, "inventory.md": []byte(inv.Markdown()), "catalog-info.yaml": yml} {
		path := filepath.Join("testdata", file)
		if *update {
			require.NoError(t, os.MkdirAll("testdata", 0o755))
			require.NoError(t, os.WriteFile(path, got, 0o644))
			continue
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "run go test ./automation/inventory -update")
		assert.Equal(t, string(want), string(got), "%s is stale: go test ./automation/inventory -update, then review the diff", file)
	}
}

// TestBackendStateReadsTheStacksThroughTheContract: deployed, never
// deployed, a first up that did not finish, and outputs of the wrong shape.
func TestBackendStateReadsTheStacksThroughTheContract(t *testing.T) {
	t.Parallel()
	b := automationtest.New()
	b.State["prod-i01-aws-us-east-2"] = []automation.StateResource{{Type: "pulumi:pulumi:Stack"}}
	b.LastUpdate["prod-i01-aws-us-east-2"] = updated
	b.Outputs["prod-i01-aws-us-east-2"] = map[string]any{contract.KubernetesVersion: "1.35", contract.Endpoint: "https://x",
		contract.EFSFileSystemID: "fs-1", contract.Parameters: map[string]any{contract.FactEndpoint: "/eksplatform/prod-i01-aws-us-east-2/endpoint"}}
	b.State["np-i01-aws-us-east-2"] = []automation.StateResource{{Type: "pulumi:pulumi:Stack"}}
	b.Outputs["np-i01-aws-us-east-2"] = map[string]any{}
	b.State["prod-i02-aws-us-west-2"] = []automation.StateResource{{Type: "pulumi:pulumi:Stack"}}
	b.Outputs["prod-i02-aws-us-west-2"] = map[string]any{contract.KubernetesVersion: 1.36}

	inv := build(t, &BackendState{Backend: b}, nil)
	prod := entry(t, inv, "prod-i01-aws-us-east-2")
	assert.True(t, prod.Deployed)
	assert.Equal(t, "1.35", prod.Kubernetes.Deployed)
	assert.Equal(t, "fs-1", prod.EFSFileSystemID)
	assert.Equal(t, &updated, prod.LastUpdate)
	assert.False(t, entry(t, inv, "np-i01-aws-us-east-2").Deployed, "a first up that did not finish")
	assert.Empty(t, entry(t, inv, "np-i01-aws-us-east-2").Error)
	assert.False(t, entry(t, inv, "sbx-i01-aws-us-east-1").Deployed, "no stack")
	assert.Contains(t, entry(t, inv, "prod-i02-aws-us-west-2").Error, "kubernetesVersion is float64, not a string")
	assert.Empty(t, b.Ops("up"), "reading creates nothing")
}
