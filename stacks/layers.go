package stacks

import (
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/foundation"
	"github.com/eksplatform/eksplatform/components/irsa"
	"github.com/eksplatform/eksplatform/components/kube"
	"github.com/eksplatform/eksplatform/components/network"
	"github.com/eksplatform/eksplatform/components/observability"
	"github.com/eksplatform/eksplatform/components/operators"
	"github.com/eksplatform/eksplatform/components/policy"
	"github.com/eksplatform/eksplatform/components/storage"
	"github.com/eksplatform/eksplatform/environments"
)

// layerInputs maps one environment cluster and the foundation's typed
// outputs onto the Args of the network, storage and operator layers.
type layerInputs struct {
	c    *environments.Cluster
	f    *foundation.Foundation
	vpc  *network.Vpc
	k8s  *kubernetes.Provider
	tags map[string]string
}

func (l layerInputs) chart(name string) catalog.Chart { return l.c.Charts[name] }

func (l layerInputs) toleration() kube.Taint {
	t := l.c.NodeGroup.Taint
	return kube.Taint{Key: t.Key, Value: t.Value, Effect: t.Effect}
}

func (l layerInputs) irsa() irsa.Cluster {
	return irsa.Cluster{OIDCProviderARN: l.f.Cluster.OIDCProviderARN, OIDCIssuerURL: l.f.Cluster.OIDCIssuerURL}
}

func (l layerInputs) networkArgs() *network.Args {
	c, n := l.c, l.c.Network
	a := &network.Args{
		ClusterName: c.Name, Region: c.Region, Partition: c.Partition, AccountID: c.AccountID,
		VpcID: l.vpc.VpcID, ClusterSecurityGroupID: l.f.Cluster.ClusterSecurityGroupID,
		IRSA: l.irsa(), KubernetesProvider: l.k8s,
		Toleration: l.toleration(), WaitFor: l.f.Ready, Tags: l.tags,
	}
	if n.LoadBalancerController.Enabled {
		a.LoadBalancerController = &network.LoadBalancerSettings{
			Chart:        l.chart("aws-load-balancer-controller"),
			CRDs:         c.ChartCRDs["aws-load-balancer-controller"],
			IngressClass: n.LoadBalancerController.IngressClass,
			IngressGroup: n.LoadBalancerController.IngressGroup,
			Scheme:       n.LoadBalancerController.Scheme,
			SubnetIDs:    adoptedSubnets(c, n.LoadBalancerController.Scheme == "internet-facing"),
		}
	}
	if n.ExternalDNS.Enabled {
		a.ExternalDNS = &network.ExternalDNSSettings{
			Chart: l.chart("external-dns"), Policy: n.ExternalDNS.Policy,
			HostedZoneIDs: c.DNS.HostedZoneIDs, DomainFilters: c.DNS.DomainFilters,
		}
	}
	if n.CertManager.Enabled {
		a.CertManager = &network.CertManagerSettings{Chart: l.chart("cert-manager")}
		if n.CertManager.ACMEEmail != "" {
			a.CertManager.Issuer = &network.ACMEIssuer{
				Email: n.CertManager.ACMEEmail, Server: n.CertManager.ACMEServer,
				HostedZoneIDs: c.DNS.HostedZoneIDs, DNSZones: c.DNS.DomainFilters,
			}
		}
	}
	return a
}

func (l layerInputs) addon(name string) []pulumi.Resource {
	if a, ok := l.f.Addons[name]; ok {
		return []pulumi.Resource{a.Addon}
	}
	return nil
}

func (l layerInputs) storageArgs() *storage.Args {
	c := l.c
	a := &storage.Args{
		ClusterName: c.Name, KubernetesProvider: l.k8s,
		EBSWaitFor: append(l.addon("aws-ebs-csi-driver"), l.f.NodeGroup.NodeGroup),
	}
	if e := c.Storage.EFS; e.Enabled {
		a.EFS = &storage.EFSArgs{
			ClusterName:         c.Name,
			VpcID:               l.vpc.VpcID,
			SubnetKeys:          l.vpc.PrivateSubnetKeys,
			Subnets:             l.vpc.PrivateSubnets,
			SubnetKeyWas:        l.vpc.PrivateSubnetKeyWas,
			NodeSecurityGroupID: l.f.Cluster.ClusterSecurityGroupID,
			KMSKeyARN:           l.f.Key.KeyARN,
			TransitionToIADays:  e.TransitionToIADays,
			Backup:              e.Backup,
			DirectoryPerms:      e.DirectoryPerms,
			Protect:             !c.Ephemeral,
			KubernetesProvider:  l.k8s,
			WaitFor:             append(l.addon("aws-efs-csi-driver"), l.f.NodeGroup.NodeGroup),
			Tags:                l.tags,
		}
	}
	return a
}

func (l layerInputs) operatorsArgs(net *network.Network) *operators.Args {
	c, o := l.c, l.c.Operators
	pools := make([]operators.NodePool, len(c.Karpenter.NodePools))
	for i, p := range c.Karpenter.NodePools {
		pools[i] = operators.NodePool{
			Name: p.Name, Architecture: p.Architecture, CapacityTypes: p.CapacityTypes,
			InstanceCategories: p.InstanceCategories, MinInstanceGeneration: p.MinInstanceGeneration,
			CPULimit: p.CPULimit, MemoryLimitGiB: p.MemoryLimitGiB, ConsolidationPolicy: p.ConsolidationPolicy,
			ConsolidateAfter: p.ConsolidateAfter, ExpireAfter: p.ExpireAfter,
		}
		// Pods that fit either architecture go to Graviton first: it is cheaper.
		if p.Architecture == "arm64" {
			pools[i].Weight = 10
		}
	}
	a := &operators.Args{
		ClusterName: c.Name, Region: c.Region, Partition: c.Partition, AccountID: c.AccountID,
		IRSA: l.irsa(), KubernetesProvider: l.k8s, Toleration: l.toleration(),
		WaitFor: l.f.Ready, Tags: l.tags,
		Karpenter: operators.KarpenterArgs{
			ClusterEndpoint:        l.f.Cluster.Endpoint,
			ClusterSecurityGroupID: l.f.Cluster.ClusterSecurityGroupID,
			CRDChart:               l.chart("karpenter-crd"),
			Chart:                  l.chart("karpenter"),
			RunOn:                  c.Karpenter.RunOn,
			FargateSubnetIDs:       l.vpc.PrivateSubnetIDs,
			NodeSubnetIDs:          adoptedSubnets(c, false),
			NodeSelector:           maps.Clone(c.NodeGroup.Labels),
			AMIAlias:               c.Karpenter.AMIAlias,
			NodeVolumeSizeGiB:      c.Karpenter.NodeVolumeSizeGiB,
			NodePools:              pools,
		},
		PlatformNamespace: o.PlatformNamespace,
	}
	if c.AdminTeamClaim != "" && c.OIDC != nil {
		a.AdminGroup = c.OIDC.GroupsPrefix + c.AdminTeamClaim
	}
	if o.MetricsServer {
		ch := l.chart("metrics-server")
		a.MetricsServer = &ch
	}
	if o.Reloader {
		ch := l.chart("reloader")
		a.Reloader = &ch
	}
	if o.ExternalSecrets.Enabled {
		a.ExternalSecrets = &operators.ExternalSecretsSettings{Chart: l.chart("external-secrets"), SSMPathPrefix: o.ExternalSecrets.SSMPathPrefix}
	}
	if fb := o.FluentBit; fb.Enabled {
		a.FluentBit = &operators.FluentBitSettings{Chart: l.chart("aws-for-fluent-bit"), LogGroup: fb.LogGroup, RetentionDays: fb.RetentionDays}
	}
	if p := c.Policy; p.Enabled {
		a.Policy = &operators.PolicySettings{Chart: l.chart("gatekeeper"), Settings: policySettings(c)}
	}
	if o.EchoServer && net.LoadBalancerController != nil && len(c.DNS.DomainFilters) > 0 {
		a.EchoServer = &operators.EchoServerSettings{
			Host:         EchoServerHost(c),
			IngressClass: net.LoadBalancerController.IngressClass,
			Image:        c.EchoServerImage,
			Ingress:      net.LoadBalancerController.Release,
		}
	}
	return a
}

// observabilityArgs: the scraper runs in the VPC's private subnets and
// reaches the API server through the cluster security group; the alarm
// watches karpenter's interruption queue.
func (l layerInputs) observabilityArgs(ops *operators.Operators) *observability.Args {
	c := l.c
	a := &observability.Args{
		ClusterName: c.Name, Region: c.Region, Partition: c.Partition, AccountID: c.AccountID,
		ClusterARN: l.f.Cluster.Arn, VpcID: l.vpc.VpcID,
		ClusterSecurityGroupID: l.f.Cluster.ClusterSecurityGroupID, PrivateSubnetIDs: l.vpc.PrivateSubnetIDs,
		KarpenterQueueName: ops.Karpenter.QueueName, KubernetesProvider: l.k8s,
		WaitFor: l.f.Ready, Tags: l.tags,
	}
	if p := c.Observability.Prometheus; p.Enabled {
		a.Prometheus = &observability.PrometheusArgs{RetentionDays: p.RetentionDays}
	}
	return a
}

// ContainerInsightsURL is the CloudWatch console's Container Insights page
// in the cluster's region (the console lists the region's clusters there).
func ContainerInsightsURL(c *environments.Cluster) string {
	host := "console.aws.amazon.com"
	switch c.Partition {
	case "aws-us-gov":
		host = "console.amazonaws-us-gov.com"
	case "aws-cn":
		host = "console.amazonaws.cn"
	}
	return "https://" + c.Region + "." + host + "/cloudwatch/home?region=" + c.Region + "#container-insights:"
}

// EchoServerHost is the echo-server's DNS name: one label per cluster under
// the cluster's first domain, so clusters sharing a domain never collide.
func EchoServerHost(c *environments.Cluster) string {
	return "echo-" + c.Name + "." + c.DNS.DomainFilters[0]
}

func chartVersions(c *environments.Cluster) pulumi.StringMap {
	out := pulumi.StringMap{}
	for name, ch := range c.Charts {
		out[name] = pulumi.String(ch.Version)
	}
	return out
}

// adoptedSubnets are an adopted VPC's subnets by id (public or private), for
// what would otherwise find them by tags the stack does not put on subnets
// it does not own; nil for a created VPC, whose subnets carry the tags.
func adoptedSubnets(c *environments.Cluster, public bool) []string {
	if !c.VPC.Adopted() {
		return nil
	}
	if public {
		return c.VPC.PublicSubnetIDs
	}
	return c.VPC.PrivateSubnetIDs
}

// policySettings are the role's policies for one cluster: deprecations of
// the minor after the one it runs, its management node group's taint and
// labels, and as platform namespaces those of the network layer's
// controllers and of the addons' service accounts (Container Insights'
// amazon-cloudwatch among them; the operators layer adds its own).
func policySettings(c *environments.Cluster) policy.Settings {
	p := c.Policy
	platform := []string{network.CertManagerNamespace, network.ExternalDNSNamespace}
	for _, a := range c.Addons {
		if a.Spec.IRSA == nil {
			continue
		}
		for _, sa := range a.Spec.IRSA.ServiceAccounts {
			if ns, _, ok := strings.Cut(sa, "/"); ok && !slices.Contains(platform, ns) {
				platform = append(platform, ns)
			}
		}
	}
	return policy.Settings{
		Mode:               policy.Mode(p.Mode),
		Disabled:           slices.Clone(p.Disabled),
		NextMinor:          catalog.NextMinor(c.EKSVersion),
		ExemptNamespaces:   slices.Clone(p.ExemptNamespaces),
		Exceptions:         maps.Clone(p.Exceptions),
		PlatformNamespaces: platform,
		ManagementTaint:    policy.Taint{Key: c.NodeGroup.Taint.Key, Value: c.NodeGroup.Taint.Value, Effect: c.NodeGroup.Taint.Effect},
		ManagementLabels:   maps.Clone(c.NodeGroup.Labels),
	}
}
