package environments

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	assert.Equal(t, DefaultCharts(), c.Charts)
	assert.Equal(t, "docker.io/hashicorp/http-echo:1.0.0", c.EchoServerImage)
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
	assert.Equal(t, Chart{Repository: "oci://public.ecr.aws/karpenter", Chart: "karpenter", Version: "1.14.2"}, east.Charts["karpenter"],
		"a version override keeps the default repository")
	assert.Equal(t, DefaultCharts()["karpenter-crd"], east.Charts["karpenter-crd"])
	assert.Equal(t, "/eksplatform/prod-i02-aws-us-west-2/", west.Operators.ExternalSecrets.SSMPathPrefix)
}

func TestDefaultChartsArePinned(t *testing.T) {
	t.Parallel()
	for name, ch := range DefaultCharts() {
		assert.NotEmpty(t, ch.Repository, name)
		assert.NotEmpty(t, ch.Chart, name)
		assert.Regexp(t, `^v?[0-9]+\.[0-9]+\.[0-9]+$`, ch.Version, name)
	}
}
