package upgrade

import (
	"fmt"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/environments"
)

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
