// Package boxtest runs the real program (stacks.Cluster) through the driver
// on the real Pulumi engine, with the real kubernetes provider and the
// stand-in aws and eks plugins (tests/box/standin), against a cluster in a
// box (tests/box/box): real kube-apiservers, controller-managers and
// schedulers, kwok's nodes, the real karpenter-crd chart and stand-ins of
// the other charts on a loopback chart repository.
package boxtest

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/components/operators"
	"github.com/eksplatform/eksplatform/contract"
	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/internal/mockengine"
	"github.com/eksplatform/eksplatform/stacks"
	"github.com/eksplatform/eksplatform/tests/box/box"
	"github.com/eksplatform/eksplatform/tests/box/harness"
)

// twoWaves are two clusters of the example fleet in two waves.
var twoWaves = []string{"sbx-i01-aws-us-east-1", "pre-i01-aws-us-east-2"}

// from and to are the minors of the upgrade the tests roll: the box's
// clusters are created at from and bumped to to, the example files' minor.
const from, to = "1.36", "1.37"

// atMinor sets the roles of the two clusters to a minor.
func atMinor(minor string) func(doc map[string]any) {
	return func(doc map[string]any) {
		if doc["role"] == "sandbox" || doc["role"] == "preview" {
			doc["eks_version"] = minor
		}
	}
}

type realEngine struct {
	*harness.Harness
	root  string
	box   *box.Box
	fleet *environments.Fleet
}

// newRealEngine starts the box with the given clusters and the fleet's two
// roles one minor below their files.
func newRealEngine(ctx context.Context, t *testing.T, clusters ...string) *realEngine {
	t.Helper()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	h, err := harness.New(ctx, root, t.TempDir(), clusters...)
	require.NoError(t, err)
	e := &realEngine{Harness: h, root: root, box: h.Box}
	t.Cleanup(func() {
		if t.Failed() {
			for _, c := range e.box.Clusters {
				t.Logf("== %s\n%s", c.Name, c.Describe(context.Background()))
			}
			t.Log(e.box.Logs(20))
		}
		h.Stop()
	})
	e.fleet = e.fleetOf(t, atMinor(from))
	return e
}

func (e *realEngine) fleetOf(t *testing.T, edit func(doc map[string]any)) *environments.Fleet {
	t.Helper()
	fleet, err := e.Fleet(t.TempDir(), edit)
	require.NoError(t, err)
	return fleet
}

func (e *realEngine) run(ctx context.Context, t *testing.T, opts automation.RunOptions, clusters ...string) *automation.Report {
	t.Helper()
	rep, err := e.runFleet(ctx, e.fleet, opts, clusters...)
	require.NoError(t, err)
	return rep
}

func (e *realEngine) runFleet(ctx context.Context, fleet *environments.Fleet, opts automation.RunOptions, clusters ...string) (*automation.Report, error) {
	return e.Run(ctx, fleet, automation.Selection{Clusters: clusters}, opts, nil)
}

func requireSucceeded(t *testing.T, rep *automation.Report, waves int) {
	t.Helper()
	require.Len(t, rep.Waves, waves)
	for _, w := range rep.Waves {
		for _, c := range w.Clusters {
			require.Equal(t, automation.StatusSucceeded, c.Status, "%s: %s", c.Cluster, c.Reason)
			require.NotNil(t, c.Result)
		}
	}
}

// TestTheRealProgramOnTheBox: the real program of two clusters in two
// waves, through the driver, on the real engine and the box.
func TestTheRealProgramOnTheBox(t *testing.T) {
	t.Parallel() // a box of its own
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Minute)
	defer cancel()
	e := newRealEngine(ctx, t, twoWaves...)

	t.Run("a first preview plans to create every resource and replace none", func(t *testing.T) {
		rep := e.run(ctx, t, automation.RunOptions{Op: automation.OpPreview}, twoWaves...)
		requireSucceeded(t, rep, 2)
		for _, w := range rep.Waves {
			for _, c := range w.Clusters {
				require.Greater(t, c.Result.Counts["create"], 100, "%s: %v", c.Cluster, c.Result.Counts)
				require.Zero(t, c.Result.Counts["replace"], c.Cluster)
			}
		}
	})

	t.Run("up creates every resource", func(t *testing.T) {
		rep := e.run(ctx, t, automation.RunOptions{Op: automation.OpUp}, twoWaves...)
		requireSucceeded(t, rep, 2)
		for _, w := range rep.Waves {
			for _, c := range w.Clusters {
				assert.Greater(t, c.Result.Counts["create"], 100, "%s: %v", c.Cluster, c.Result.Counts)
			}
		}
	})
	if t.Failed() {
		return
	}

	for _, name := range twoWaves {
		t.Run(name+" holds the platform", func(t *testing.T) {
			e.checkPlatform(ctx, t, name)
		})
	}

	t.Run("a second up changes nothing", func(t *testing.T) {
		rep := e.run(ctx, t, automation.RunOptions{Op: automation.OpUp}, twoWaves...)
		requireSucceeded(t, rep, 2)
		for _, w := range rep.Waves {
			for _, c := range w.Clusters {
				requireNoChanges(t, c)
			}
		}
	})

	t.Run("refresh --expect-no-changes passes", func(t *testing.T) {
		rep := e.run(ctx, t, automation.RunOptions{Op: automation.OpRefresh, ExpectNoChanges: true}, twoWaves...)
		requireSucceeded(t, rep, 2)
	})

	// The pull request: sandbox bumped to the next minor, and preview's
	// management node group moved to another instance type (which EKS can
	// only do with a new node group).
	bumped := e.fleetOf(t, func(doc map[string]any) {
		atMinor(from)(doc)
		switch doc["role"] {
		case "sandbox":
			doc["eks_version"] = to
		case "preview":
			doc["management_node_group"].(map[string]any)["instance_types"] = []any{"m7g.xlarge"}
		}
	})
	t.Run("the pull request's preview shows the upgrade's updates and the protected replacement on top", func(t *testing.T) {
		rep, err := e.runFleet(ctx, bumped, automation.RunOptions{Op: automation.OpPreview}, twoWaves...)
		require.NoError(t, err)
		requireSucceeded(t, rep, 2)
		sbx, pre := rep.Waves[0].Clusters[0], rep.Waves[1].Clusters[0]

		// sandbox: exactly the resources whose inputs the bump changes, as
		// the mock engine computes them from the same program, in place.
		want := changedInputs(t, e.fleet, bumped, sbx.Cluster)
		var got []string
		types := map[string]bool{}
		for _, ch := range sbx.Result.Changes {
			assert.Equal(t, "update", ch.Kind, "%s %v", ch.URN, ch.Diffs)
			got = append(got, ch.URN)
			types[ch.Type] = true
			if ch.Type == "aws:eks/cluster:Cluster" {
				// The control plane is a child of pulumi-eks's component,
				// which the mock engine does not look into.
				assert.Contains(t, ch.Diffs, "version", "the cluster's update is its version")
				want = append(want, ch.URN)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		assert.Equal(t, want, got)
		for _, typ := range []string{"aws:eks/cluster:Cluster", "aws:eks/addon:Addon", "aws:eks/nodeGroup:NodeGroup"} {
			assert.True(t, types[typ], "the bump updates a %s: %v", typ, got)
		}

		// preview: the node group is replaced, and that is all.
		require.Len(t, pre.Result.Changes, 1, "%v", pre.Result.Changes)
		ch := pre.Result.Changes[0]
		assert.Equal(t, "replace", ch.Kind)
		assert.Equal(t, contract.NodeGroup, ch.Type)
		assert.Equal(t, "node group", ch.Protected)

		md := automation.Markdown(rep, automation.MarkdownOptions{})
		warn := strings.Index(md, "### Warnings")
		require.GreaterOrEqual(t, warn, 0, md)
		assert.Contains(t, md[warn:], "**replace** of the node group `"+ch.URN+"` in **"+pre.Cluster+"**")
		assert.Less(t, warn, strings.Index(md, "### Changes by cluster"), "the warning comes before the changes")
		for _, urn := range want {
			assert.Contains(t, md, resourceName(urn), "the report shows each update")
		}
	})

	t.Run("up refuses the protected replacement without --allow-replace", func(t *testing.T) {
		rep, err := e.runFleet(ctx, bumped, automation.RunOptions{Op: automation.OpUp}, pre)
		require.Error(t, err)
		require.ErrorIs(t, err, automation.ErrProtected)
		require.NotNil(t, rep)
		c := rep.Waves[0].Clusters[0]
		assert.Equal(t, automation.StatusFailed, c.Status)
		assert.Contains(t, c.Reason, "--allow-replace")
		// Nothing changed: the unchanged fleet still has nothing to do.
		again := e.run(ctx, t, automation.RunOptions{Op: automation.OpPreview}, pre)
		requireNoChanges(t, again.Waves[0].Clusters[0])
	})

	t.Run("up --refresh-management-nodes replaces the management node group and nothing else", func(t *testing.T) {
		before := map[string][]string{}
		for _, name := range twoWaves {
			n, err := e.box.Clusters[name].NodeNames(ctx, "eks.amazonaws.com/nodegroup")
			require.NoError(t, err)
			require.NotEmpty(t, n, name)
			before[name] = n
		}
		rep := e.run(ctx, t, automation.RunOptions{Op: automation.OpUp, RefreshManagementNodes: true}, twoWaves...)
		requireSucceeded(t, rep, 2)
		for _, w := range rep.Waves {
			assert.Equal(t, "passed", w.Gate, "%s: the box's gate after the nodes were replaced", w.Label)
			for _, c := range w.Clusters {
				var replaced []string
				for _, ch := range c.Result.Changes {
					assert.Equal(t, "replace", ch.Kind, "%s: %s", c.Cluster, ch.URN)
					replaced = append(replaced, ch.Type)
				}
				assert.Equal(t, []string{contract.NodeGroup}, replaced, c.Cluster)
				after, err := e.box.Clusters[c.Cluster].NodeNames(ctx, "eks.amazonaws.com/nodegroup")
				require.NoError(t, err)
				assert.Len(t, after, len(before[c.Cluster]), "%s: as many management nodes", c.Cluster)
				for _, n := range after {
					assert.NotContains(t, before[c.Cluster], n, "%s: the old nodes are gone", c.Cluster)
				}
			}
		}
		again := e.run(ctx, t, automation.RunOptions{Op: automation.OpPreview}, twoWaves...)
		for _, w := range again.Waves {
			requireNoChanges(t, w.Clusters[0])
		}
	})

	t.Run("destroy refuses a non-ephemeral cluster before it touches anything; an ephemeral one goes", func(t *testing.T) {
		rep, err := e.runFleet(ctx, e.fleet, automation.RunOptions{Op: automation.OpDestroy}, twoWaves...)
		require.ErrorIs(t, err, automation.ErrProtected)
		assert.Contains(t, err.Error(), pre+" (role preview) is not ephemeral")
		require.NotNil(t, rep)
		for _, w := range rep.Waves {
			for _, c := range w.Clusters {
				assert.Equal(t, automation.StatusNotRun, c.Status, c.Cluster)
			}
		}
		// preview's platform is all there.
		e.checkPlatform(ctx, t, pre)

		// The ephemeral sandbox goes, and its nodes with it.
		rep = e.run(ctx, t, automation.RunOptions{Op: automation.OpDestroy}, twoWaves[0])
		requireSucceeded(t, rep, 1)
		assert.Greater(t, rep.Waves[0].Clusters[0].Result.Counts["delete"], 100, "%v", rep.Waves[0].Clusters[0].Result.Counts)
		c := e.box.Clusters[twoWaves[0]]
		// karpenter's stand-in takes its nodes away on its next round.
		assert.Eventually(t, func() bool {
			nodes, err := c.NodeNames(ctx, box.OwnerLabel)
			return err == nil && len(nodes) == 0
		}, 30*time.Second, 500*time.Millisecond, "the node group's, Fargate's and karpenter's nodes are gone")
		assert.Empty(t, list(ctx, t, c, "/apis/apps/v1/deployments"), "the platform Deployments are gone")
	})
}

// pre is the cluster of wave 1.
var pre = twoWaves[1]

// resourceName is the last part of a URN, as the report names resources.
func resourceName(urn string) string { return urn[strings.LastIndex(urn, "::")+2:] }

// changedInputs are the URNs of the custom resources whose inputs differ
// between two fleets' programs for one cluster, under the mock engine.
func changedInputs(t *testing.T, before, after *environments.Fleet, cluster string) []string {
	t.Helper()
	inputs := func(f *environments.Fleet) map[string]any {
		c, ok := f.Cluster(cluster)
		require.True(t, ok)
		eng := mockengine.New(cluster)
		require.NoError(t, eng.Run(stacks.Cluster(c)))
		out := map[string]any{}
		for _, r := range eng.Resources() {
			if r.Custom {
				out[r.URN] = mockengine.Plain(resource.NewObjectProperty(r.Inputs))
			}
		}
		return out
	}
	a, b := inputs(before), inputs(after)
	var changed []string
	for urn, in := range b {
		if !reflect.DeepEqual(a[urn], in) {
			changed = append(changed, urn)
		}
	}
	slices.Sort(changed)
	return changed
}

// requireNoChanges fails on any step of a cluster's result but "same".
func requireNoChanges(t *testing.T, c automation.ClusterResult) {
	t.Helper()
	for kind, n := range c.Result.Counts {
		if kind != "same" {
			assert.Zero(t, n, "%s: %d to %s: %v", c.Cluster, n, kind, c.Result.Changes)
		}
	}
}

type object struct {
	Metadata struct {
		Name, Namespace string
		Labels          map[string]string
	} `json:"metadata"`
	Spec struct {
		NodeName    string `json:"nodeName"`
		Provisioner string `json:"provisioner"`
	} `json:"spec"`
	Provisioner string `json:"provisioner"`
	Status      struct {
		Conditions []struct{ Type, Status string }
	} `json:"status"`
}

func list(ctx context.Context, t *testing.T, c *box.Cluster, path string) []object {
	t.Helper()
	body, err := c.Do(ctx, http.MethodGet, path, nil)
	require.NoError(t, err)
	var l struct{ Items []object }
	require.NoError(t, json.Unmarshal(body, &l))
	return l.Items
}

func names(objs []object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Metadata.Name)
	}
	slices.Sort(out)
	return out
}

// checkPlatform: what up left in the cluster's API server, as the real
// API server, its CRDs and CEL rules, and the scheduler accepted it.
func (e *realEngine) checkPlatform(ctx context.Context, t *testing.T, name string) {
	c := e.box.Clusters[name]
	cl, ok := e.fleet.Cluster(name)
	require.True(t, ok, name)

	var provisioners []string
	for _, sc := range list(ctx, t, c, "/apis/storage.k8s.io/v1/storageclasses") {
		provisioners = append(provisioners, sc.Provisioner)
	}
	assert.Contains(t, provisioners, "ebs.csi.aws.com", "StorageClasses")
	if cl.Storage.EFS.Enabled {
		assert.Contains(t, provisioners, "efs.csi.aws.com", "StorageClasses")
	}

	body, err := c.Do(ctx, http.MethodGet, "/api/v1/namespaces/"+cl.Operators.PlatformNamespace, nil)
	require.NoError(t, err, "the platform namespace")
	var ns object
	require.NoError(t, json.Unmarshal(body, &ns))
	assert.Equal(t, "restricted", ns.Metadata.Labels["pod-security.kubernetes.io/enforce"])

	_, err = c.Do(ctx, http.MethodGet, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/"+operators.AdminBindingName, nil)
	assert.NoError(t, err, "the admin team's ClusterRoleBinding")
	if cl.Network.LoadBalancerController.Enabled {
		_, err = c.Do(ctx, http.MethodGet, "/apis/networking.k8s.io/v1/ingressclasses/"+cl.Network.LoadBalancerController.IngressClass, nil)
		assert.NoError(t, err, "the IngressClass")
	}

	assert.Equal(t, []string{operators.NodeClassName}, names(list(ctx, t, c, "/apis/karpenter.k8s.aws/v1/ec2nodeclasses")))
	var pools []string
	for _, p := range cl.Karpenter.NodePools {
		pools = append(pools, p.Name)
	}
	slices.Sort(pools)
	assert.Equal(t, pools, names(list(ctx, t, c, "/apis/karpenter.sh/v1/nodepools")))

	deployments := list(ctx, t, c, "/apis/apps/v1/deployments")
	assert.GreaterOrEqual(t, len(deployments), 6, "platform Deployments")
	for _, d := range deployments {
		available := slices.ContainsFunc(d.Status.Conditions, func(c struct{ Type, Status string }) bool {
			return c.Type == "Available" && c.Status == "True"
		})
		assert.True(t, available, "Deployment %s/%s Available", d.Metadata.Namespace, d.Metadata.Name)
	}

	// karpenter's controller runs where the role says: on the tainted
	// management nodes, or on Fargate.
	nodes := map[string]map[string]string{}
	for _, n := range list(ctx, t, c, "/api/v1/nodes") {
		nodes[n.Metadata.Name] = n.Metadata.Labels
	}
	pods := list(ctx, t, c, "/api/v1/namespaces/karpenter/pods")
	require.NotEmpty(t, pods, "karpenter pods")
	for _, p := range pods {
		labels := nodes[p.Spec.NodeName]
		if cl.Karpenter.RunOn == environments.KarpenterOnFargate {
			assert.Equal(t, "fargate", labels["eks.amazonaws.com/compute-type"], "karpenter pod %s on %s", p.Metadata.Name, p.Spec.NodeName)
		} else {
			assert.NotEmpty(t, labels["eks.amazonaws.com/nodegroup"], "karpenter pod %s on %s", p.Metadata.Name, p.Spec.NodeName)
			assert.Equal(t, "arm64", labels["kubernetes.io/arch"])
		}
	}
}
