package environments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
)

func TestLayerDefaults(t *testing.T) {
	t.Parallel()
	role, _, err := Parse(testFile, []byte(baseRole))
	require.NoError(t, err)
	c := role.Clusters[0]

	lb := c.Network.LoadBalancerController
	assert.Equal(t, LoadBalancerController{Enabled: true, IngressClass: "alb", IngressGroup: "platform", Scheme: "internet-facing"}, lb)
	assert.False(t, c.Network.ExternalDNS.Enabled, "no DNS declared: external-dns stays off")
	assert.True(t, c.Network.CertManager.Enabled)
	assert.Empty(t, c.Network.CertManager.ACMEEmail, "no ClusterIssuer unless asked")
	assert.Equal(t, EFS{Enabled: true, TransitionToIADays: 30, DirectoryPerms: "700", Backup: true}, c.Storage.EFS)

	k := c.Karpenter
	assert.Equal(t, KarpenterOnManagement, k.RunOn)
	assert.Equal(t, "al2023@latest", k.AMIAlias)
	require.Len(t, k.NodePools, 2)
	assert.Equal(t, NodePool{Name: "arm", Architecture: "arm64", CapacityTypes: []string{"on-demand", "spot"},
		InstanceCategories: []string{"c", "m", "r"}, MinInstanceGeneration: 5, CPULimit: 1000, MemoryLimitGiB: 4000,
		ConsolidationPolicy: "WhenEmptyOrUnderutilized", ConsolidateAfter: "1m", ExpireAfter: "168h"}, k.NodePools[0])
	assert.Equal(t, "amd64", k.NodePools[1].Architecture)

	o := c.Operators
	assert.Equal(t, "psk-system", o.PlatformNamespace)
	assert.True(t, o.MetricsServer)
	assert.True(t, o.Reloader)
	assert.Equal(t, ExternalSecrets{Enabled: true, SSMPathPrefix: "/eksplatform/prod-i01-aws-us-east-2/"}, o.ExternalSecrets)
	assert.False(t, o.EchoServer, "no domain: no echo-server")
	assert.Equal(t, catalog.Default().DefaultCharts(), c.Charts)
	assert.Equal(t, "docker.io/hashicorp/http-echo:1.0.0", c.EchoServerImage)
	assert.Equal(t, Observability{Prometheus: Prometheus{RetentionDays: DefaultPrometheusRetentionDays}}, c.Observability, "both off unless asked")
	for _, a := range c.Addons {
		assert.NotEqual(t, ContainerInsightsAddon, a.Name, "no Container Insights addon unless asked")
	}
}

func TestObservabilityReachesTheClustersAndTheAddons(t *testing.T) {
	t.Parallel()
	on := mutate(t, func(d map[string]any) {
		d["observability"] = map[string]any{"container_insights": true, "prometheus": map[string]any{"enabled": true, "retention_days": 30}}
	})
	role, _, err := Parse(testFile, on)
	require.NoError(t, err)
	for _, c := range role.Clusters {
		assert.Equal(t, Observability{ContainerInsights: true, Prometheus: Prometheus{Enabled: true, RetentionDays: 30}}, c.Observability, c.Name)
		var got []Addon
		for _, a := range c.Addons {
			if a.Name == ContainerInsightsAddon {
				got = append(got, a)
			}
		}
		require.Len(t, got, 1, "%s: Container Insights is an addon of the cluster", c.Name)
		assert.Equal(t, VersionLatest, got[0].Version)
		require.NotNil(t, got[0].Spec.IRSA, "its role comes from the catalog")
		assert.Equal(t, []string{"amazon-cloudwatch/cloudwatch-agent"}, got[0].Spec.IRSA.ServiceAccounts)
		assert.Equal(t, "CloudWatchAgentServerPolicy", got[0].Spec.IRSA.ManagedPolicy)
	}

	pinned := mutate(t, func(d map[string]any) {
		d["observability"] = map[string]any{"container_insights": true}
		d["addons"].(map[string]any)[ContainerInsightsAddon] = "default"
	})
	role, _, err = Parse(testFile, pinned)
	require.NoError(t, err)
	for _, a := range role.Clusters[0].Addons {
		if a.Name == ContainerInsightsAddon {
			assert.Equal(t, "default", a.Version, "addons pins the version the setting installs")
		}
	}
}

func TestLayerSettingsAndClusterDNS(t *testing.T) {
	t.Parallel()
	data := mutate(t, func(d map[string]any) {
		d["dns"] = map[string]any{"hosted_zone_ids": []any{"Z0AAAAAAAAAAAAAAAAAA1"}, "domain_filters": []any{"prod.example.com"}}
		cluster(d, 1)["dns"] = map[string]any{"hosted_zone_ids": []any{"Z0BBBBBBBBBBBBBBBBBB2"}, "domain_filters": []any{"usw2.prod.example.com"}}
		d["network"] = map[string]any{"external_dns": map[string]any{"policy": "upsert-only"}}
		d["karpenter"] = map[string]any{"run_on": "fargate", "node_pools": map[string]any{"amd": map[string]any{"capacity_types": []any{"spot"}, "expire_after": "Never"}}}
		d["operators"] = map[string]any{"reloader": map[string]any{"enabled": false}}
		d["charts"] = map[string]any{"karpenter": map[string]any{"version": "1.14.2"}}
	})
	role, _, err := Parse(testFile, data)
	require.NoError(t, err)
	east, west := role.Clusters[0], role.Clusters[1]
	assert.Equal(t, DNS{HostedZoneIDs: []string{"Z0AAAAAAAAAAAAAAAAAA1"}, DomainFilters: []string{"prod.example.com"}}, east.DNS)
	assert.Equal(t, DNS{HostedZoneIDs: []string{"Z0BBBBBBBBBBBBBBBBBB2"}, DomainFilters: []string{"usw2.prod.example.com"}}, west.DNS, "cluster override")
	assert.Equal(t, ExternalDNS{Enabled: true, Policy: "upsert-only"}, east.Network.ExternalDNS, "on where DNS is declared")
	assert.True(t, east.Operators.EchoServer)
	assert.False(t, east.Operators.Reloader)
	assert.Equal(t, KarpenterOnFargate, east.Karpenter.RunOn)
	assert.Equal(t, []string{"spot"}, east.Karpenter.NodePools[1].CapacityTypes)
	assert.Equal(t, "Never", east.Karpenter.NodePools[1].ExpireAfter)
	assert.Equal(t, "168h", east.Karpenter.NodePools[0].ExpireAfter, "the other pool keeps its defaults")
	k := east.Charts["karpenter"]
	assert.Equal(t, []string{"oci://public.ecr.aws/karpenter", "karpenter", "1.14.2"}, []string{k.Repository, k.Chart, k.Version},
		"a version override keeps the default repository")
	assert.Empty(t, k.Kubernetes.For, "the catalog knows the supported range of its own pin only")
	_, known := k.Support("1.35")
	assert.False(t, known)
	assert.Equal(t, catalog.Default().DefaultCharts()["karpenter-crd"], east.Charts["karpenter-crd"])
	assert.Equal(t, "/eksplatform/prod-i02-aws-us-west-2/", west.Operators.ExternalSecrets.SSMPathPrefix)
}

func TestChartAcceptancesReachTheClusters(t *testing.T) {
	t.Parallel()
	supported := catalog.Default().DefaultCharts()["cert-manager"].Kubernetes.Max
	data := mutate(t, func(d map[string]any) {
		d["charts"] = map[string]any{"cert-manager": map[string]any{"accept_unsupported_kubernetes": []any{"1.37", supported}}}
	})
	role, warnings, err := Parse(testFile, data)
	require.NoError(t, err)
	for _, c := range role.Clusters {
		assert.Equal(t, map[string][]string{"cert-manager": {"1.37", supported}}, c.ChartsAcceptedOn, c.Name)
		assert.Equal(t, catalog.Default().DefaultCharts()["cert-manager"], c.Charts["cert-manager"], "an acceptance alone keeps the pin")
	}
	var acceptance []Warning
	for _, w := range warnings {
		if strings.HasPrefix(w.Path, "charts.") {
			acceptance = append(acceptance, w)
		}
	}
	require.Len(t, acceptance, 1, "accepting a minor the chart supports is pointless; the unsupported one is fine")
	assert.Equal(t, "charts.cert-manager.accept_unsupported_kubernetes[1]", acceptance[0].Path)
	assert.Contains(t, acceptance[0].Msg, "supports Kubernetes "+supported+" now")
}

func TestLoadAgainstAnotherCatalog(t *testing.T) {
	t.Parallel()
	cat := catalog.Default().Clone()
	last := cat.Calendar.Releases[len(cat.Calendar.Releases)-1]
	next := last
	next.Version = catalog.NextMinor(last.Version)
	cat.Calendar.Releases = append(cat.Calendar.Releases, next)
	data := mutate(t, func(d map[string]any) { d["eks_version"] = next.Version })
	_, _, err := Parse(testFile, data)
	require.Error(t, err, "the built-in calendar does not have %s", next.Version)
	role, _, err := Parse(testFile, data, WithCatalog(cat))
	require.NoError(t, err)
	assert.Equal(t, next.Version, role.EKSVersion)

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "prod.json"), data, 0o600))
	fleet, err := Load(dir, WithCatalog(cat))
	require.NoError(t, err)
	assert.Same(t, cat, fleet.Catalog, "the fleet remembers what it was checked against")
}

func TestPolicyIsOffByDefaultAndReachesTheClusters(t *testing.T) {
	t.Parallel()
	role, _, err := Parse(testFile, mutate(t, func(map[string]any) {}))
	require.NoError(t, err)
	off := role.Clusters[0]
	assert.Equal(t, Policy{Mode: PolicyAudit, ExemptNamespaces: []string{"kube-system"}, Exceptions: map[string][]string{}}, off.Policy)
	assert.NotContains(t, off.InstalledCharts(), "gatekeeper")

	role, _, err = Parse(testFile, mutate(t, func(d map[string]any) {
		d["policy"] = map[string]any{"enabled": true, "mode": "enforce", "disabled": []any{"pdb-required"},
			"exceptions": map[string]any{"management-nodes": []any{"monitoring"}}, "exempt_namespaces": []any{}}
	}))
	require.NoError(t, err)
	for _, c := range role.Clusters {
		assert.Equal(t, Policy{Enabled: true, Mode: PolicyEnforce, Disabled: []string{"pdb-required"},
			Exceptions: map[string][]string{"management-nodes": {"monitoring"}}, ExemptNamespaces: []string{}}, c.Policy, c.Name)
		assert.Contains(t, c.InstalledCharts(), "gatekeeper")
	}
	// Each cluster has its own copy: changing one changes no other.
	if len(role.Clusters) > 1 {
		role.Clusters[0].Policy.Exceptions["management-nodes"][0] = "changed"
		assert.Equal(t, "monitoring", role.Clusters[1].Policy.Exceptions["management-nodes"][0])
	}
}
