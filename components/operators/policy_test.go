package operators

import (
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/catalog/chartcheck"
	"github.com/eksplatform/eksplatform/components/policy"
	"github.com/eksplatform/eksplatform/internal/mockengine"
	"github.com/eksplatform/eksplatform/tests/modzip"
)

func policySettings(mod func(*policy.Settings)) policy.Settings {
	s := policy.Settings{
		Mode:               policy.Enforce,
		NextMinor:          "1.35",
		ExemptNamespaces:   []string{"kube-system"},
		Exceptions:         map[string][]string{policy.PDBRequired: {"legacy"}},
		PlatformNamespaces: []string{"karpenter", "kube-system", "psk-system"},
		ManagementTaint:    policy.Taint{Key: mgmt.Key, Value: mgmt.Value, Effect: mgmt.Effect},
		ManagementLabels:   map[string]string{"dedicated": "management"},
	}
	if mod != nil {
		mod(&s)
	}
	return s
}

func gatekeeperChart(t *testing.T) catalog.Chart {
	t.Helper()
	ch, ok := catalog.Default().Chart("gatekeeper")
	require.True(t, ok, "the catalog pins the gatekeeper chart")
	return ch
}

func runPolicyEngine(t *testing.T, s policy.Settings) *mockengine.Engine {
	t.Helper()
	chart := gatekeeperChart(t)
	return mockengine.MustRun(t, testCluster, testRegion, testAccount, func(ctx *pulumi.Context, p mockengine.Providers) error {
		_, err := NewPolicyEngine(ctx, "policy", &PolicyEngineArgs{
			KubernetesProvider: p.Kubernetes, Chart: chart, Toleration: mgmt, Settings: s,
		}, pulumi.Providers(p.AWS))
		return err
	})
}

const (
	templateType = "kubernetes:templates.gatekeeper.sh/v1:ConstraintTemplate"
	configType   = "kubernetes:config.gatekeeper.sh/v1alpha1:Config"
)

func constraintType(id string) string {
	return "kubernetes:constraints.gatekeeper.sh/v1beta1:" + policy.ConstraintKind(id)
}

func TestPolicyEngineInstallsGatekeeperThenTemplatesThenConstraints(t *testing.T) {
	t.Parallel()
	e := runPolicyEngine(t, policySettings(nil))
	kubeProvider := e.KubernetesProviderURN()

	rel := e.Must(t, "kubernetes:helm.sh/v3:Release", "policy")
	in := rel.In()
	assert.Equal(t, "gatekeeper", in["chart"])
	assert.Equal(t, "https://open-policy-agent.github.io/gatekeeper/charts", in["repositoryOpts"].(map[string]any)["repo"])
	assert.Equal(t, "3.23.1", in["version"])
	assert.Equal(t, "gatekeeper-system", in["namespace"])
	assert.Equal(t, true, in["createNamespace"])
	assert.Equal(t, false, in["skipCrds"], "the chart installs its CRDs and its pre-upgrade hook upgrades them")
	assert.Equal(t, kubeProvider, rel.Provider)
	v := in["values"].(map[string]any)
	assert.Equal(t, 2.0, v["replicas"])
	assert.Equal(t, map[string]any{"controllerManager": map[string]any{"minAvailable": 1.0}}, v["pdb"])
	tol := []any{map[string]any{"key": "dedicated", "operator": "Equal", "value": "management", "effect": "NoSchedule"}}
	for _, k := range []string{"controllerManager", "audit", "crds", "postInstall", "postUpgrade", "preUninstall"} {
		assert.Equal(t, tol, v[k].(map[string]any)["tolerations"], k)
	}

	require.Len(t, e.ByType(templateType), len(policy.IDs()))
	for _, id := range policy.IDs() {
		tpl := e.Must(t, templateType, "policy-template-"+id)
		assert.Equal(t, kubeProvider, tpl.Provider)
		assert.Contains(t, tpl.DependsOn, rel.URN, "%s: the chart's CRDs first", id)
		meta := tpl.In()["metadata"].(map[string]any)
		assert.Equal(t, policy.TemplateName(id), meta["name"])
		assert.Equal(t, TemplateWaitFor, meta["annotations"].(map[string]any)["pulumi.com/waitFor"], "%s: wait for Gatekeeper to create the constraint CRD", id)
		want, err := policy.Template(id)
		require.NoError(t, err)
		assert.Equal(t, want["spec"], tpl.In()["spec"], id)

		c := e.Must(t, constraintType(id), "policy-"+id)
		assert.Equal(t, kubeProvider, c.Provider)
		assert.Contains(t, c.DependsOn, tpl.URN, "%s: the constraint after its template", id)
		assert.Contains(t, c.DependsOn, rel.URN, id)
		spec := c.In()["spec"].(map[string]any)
		assert.Equal(t, "deny", spec["enforcementAction"], id)
		assert.Equal(t, id, c.In()["metadata"].(map[string]any)["name"])
		assert.Equal(t, id, c.In()["metadata"].(map[string]any)["labels"].(map[string]any)[policy.PolicyLabel])
	}
	pdb := e.Must(t, constraintType(policy.PDBRequired), "policy-pdb-required").In()["spec"].(map[string]any)
	assert.Equal(t, []any{"kube-system", "legacy"}, pdb["match"].(map[string]any)["excludedNamespaces"])

	cfg := e.Must(t, configType, "policy-config")
	assert.Contains(t, cfg.DependsOn, rel.URN)
	meta := cfg.In()["metadata"].(map[string]any)
	assert.Equal(t, "config", meta["name"])
	assert.Equal(t, "gatekeeper-system", meta["namespace"])
	assert.Equal(t, []any{map[string]any{"group": "policy", "version": "v1", "kind": "PodDisruptionBudget"}},
		cfg.In()["spec"].(map[string]any)["sync"].(map[string]any)["syncOnly"])
}

func TestPolicyEngineAuditsAndSwitchesPoliciesOff(t *testing.T) {
	t.Parallel()
	e := runPolicyEngine(t, policySettings(func(s *policy.Settings) {
		s.Mode = policy.Audit
		s.Disabled = []string{policy.PDBRequired}
	}))
	for _, id := range []string{policy.DeprecatedAPIs, policy.ManagementNodes} {
		c := e.Must(t, constraintType(id), "policy-"+id)
		assert.Equal(t, "warn", c.In()["spec"].(map[string]any)["enforcementAction"], id)
	}
	assert.Empty(t, e.ByType(constraintType(policy.PDBRequired)), "switched off")
	assert.Empty(t, e.ByType(configType), "nothing reads replicated data")
	assert.Len(t, e.ByType(templateType), len(policy.IDs()), "templates stay: harmless without a constraint")
}

func TestPolicyEngineRefusesBadSettings(t *testing.T) {
	t.Parallel()
	err := mockengine.New(testCluster).Run(mockengine.WithProviders(testRegion, testAccount, func(ctx *pulumi.Context, p mockengine.Providers) error {
		_, err := NewPolicyEngine(ctx, "policy", &PolicyEngineArgs{
			KubernetesProvider: p.Kubernetes, Chart: gatekeeperChart(t), Toleration: mgmt,
			Settings: policySettings(func(s *policy.Settings) { s.Mode = "strict"; s.Disabled = []string{"psp"} }),
		})
		return err
	}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "PolicyEngine policy: invalid args")
	assert.Contains(t, err.Error(), `mode: "strict" is not allowed`)
	assert.Contains(t, err.Error(), `disabled: "psp" is not a policy id`)
}

// The release's values against the gatekeeper chart itself, from the Go
// module of the pinned release (the chart directory of
// github.com/open-policy-agent/gatekeeper/v3 at the chart's version): every
// value is one the chart reads, every toleration lands in a rendered pod,
// and the chart renders for the cluster's minor.
func TestPolicyEngineValuesAreTheGatekeeperCharts(t *testing.T) {
	t.Parallel()
	ch := gatekeeperChart(t)
	mod, err := modzip.FS(t.Context(), "github.com/open-policy-agent/gatekeeper/v3", "v"+ch.Version)
	require.NoError(t, err, "reading the gatekeeper module through the module cache (`make setup`)")
	sub, err := fs.Sub(mod, "charts/gatekeeper")
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, sub))
	c, err := (&chartcheck.Local{Paths: map[string]string{"gatekeeper": dir}}).Fetch(t.Context(), ch)
	require.NoError(t, err)
	assert.Equal(t, ch.AppVersion, c.Metadata.AppVersion, "charts.json app_version")

	e := runPolicyEngine(t, policySettings(nil))
	rel, err := chartcheck.FromInputs(testCluster, "1.34", e.Must(t, chartcheck.ReleaseType, "policy").In())
	require.NoError(t, err)
	assert.Empty(t, chartcheck.CheckRelease(c, rel))

	// The check is real: tolerations under a key the chart does not read
	// (it has none at the top level) are refused.
	rel.Values["tolerations"] = rel.Values["audit"].(map[string]any)["tolerations"]
	problems := strings.Join(chartcheck.CheckRelease(c, rel), "\n")
	assert.Contains(t, problems, "value tolerations is not in the chart")
}

// TestOperatorsInstallThePolicyEngineWithTheirNamespacesAsPlatform: the
// layer's own namespaces join the platform namespaces the management-nodes
// policy lets onto the management nodes, and the engine waits for the
// node pools (its webhook pods need somewhere to run).
func TestOperatorsInstallThePolicyEngineWithTheirNamespacesAsPlatform(t *testing.T) {
	t.Parallel()
	chart := catalog.Chart{Repository: "https://open-policy-agent.github.io/gatekeeper/charts", Chart: "gatekeeper", Version: "3.23.1"}
	e := runOperators(t, func(a *Args) {
		s := policy.Settings{Mode: policy.Audit, NextMinor: "1.37", PlatformNamespaces: []string{"monitoring"},
			ManagementTaint: policy.Taint{Key: "dedicated", Value: "management", Effect: "NoSchedule"}, ManagementLabels: map[string]string{"dedicated": "management"}}
		a.Policy = &PolicySettings{Chart: chart, Settings: s}
		a.FluentBit = &FluentBitSettings{Chart: testChart, LogGroup: "/aws/eks/" + testCluster + "/pods", RetentionDays: 30}
	})
	release := e.Must(t, "kubernetes:helm.sh/v3:Release", testCluster+"-policy")
	assert.Equal(t, "gatekeeper", release.In()["chart"])
	var constraint mockengine.Resource
	for _, r := range e.Resources() {
		if r.Type == "kubernetes:constraints.gatekeeper.sh/v1beta1:"+policy.ConstraintKind(policy.ManagementNodes) {
			constraint = r
		}
	}
	require.NotEmpty(t, constraint.URN, "the management-nodes constraint")
	spec := constraint.In()["spec"].(map[string]any)
	assert.Equal(t, "warn", spec["enforcementAction"])
	platform := mockengine.Strings(spec["parameters"].(map[string]any)["platformNamespaces"])
	for _, ns := range []string{"monitoring", "kube-system", KarpenterNamespace, "psk-system", FluentBitNamespace, policy.Namespace} {
		assert.Contains(t, platform, ns)
	}
	pools := e.ByType("kubernetes:karpenter.sh/v1:NodePool")
	require.NotEmpty(t, pools)
	for _, p := range pools {
		assert.Contains(t, release.DependsOn, p.URN, "the engine waits for the node pools")
	}
}
