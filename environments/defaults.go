package environments

import (
	"slices"

	"github.com/eksplatform/eksplatform/catalog"
)

// Defaults live here and nowhere else. applyDefaults fills what a file leaves
// out; it runs before validation so that validation sees the values that will
// be used, and it never overwrites what the file says.

// Default values, exported so that the README and tests can cite them.
const (
	DefaultInstanceType  = "m7g.large"
	DefaultMinSize       = 2
	DefaultDesiredSize   = 2
	DefaultMaxSize       = 3
	DefaultAMIType       = "AL2023_ARM_64_STANDARD"
	DefaultDiskSizeGiB   = 50
	DefaultCapacityType  = "ON_DEMAND"
	DefaultTaintKey      = "dedicated"
	DefaultTaintValue    = "management"
	DefaultTaintEffect   = "NoSchedule"
	DefaultIMDSHopLimit  = 1
	DefaultOIDCName      = "people"
	DefaultUsernameClaim = "email"
	DefaultGroupsClaim   = "groups"
	DefaultOIDCPrefix    = "oidc:"
	DefaultNATGateways   = NATOnePerAZ
	DefaultFlowLogDays   = 90
	// DefaultControlPlaneLogDays keeps the control-plane logs (the audit log
	// among them) a quarter.
	DefaultControlPlaneLogDays = 90

	DefaultIngressClass        = "alb"
	DefaultIngressGroup        = "platform"
	DefaultLBScheme            = "internet-facing"
	DefaultExternalDNSPolicy   = "sync"
	DefaultACMEServer          = "https://acme-v02.api.letsencrypt.org/directory"
	DefaultTransitionToIADays  = 30
	DefaultDirectoryPerms      = "700"
	DefaultKarpenterRunOn      = KarpenterOnManagement
	DefaultKarpenterAMIAlias   = "al2023@latest"
	DefaultNodeVolumeSizeGiB   = 100
	DefaultMinInstanceGen      = 5
	DefaultNodePoolCPULimit    = 1000
	DefaultNodePoolMemoryGiB   = 4000
	DefaultConsolidationPolicy = "WhenEmptyOrUnderutilized"
	DefaultConsolidateAfter    = "1m"
	// DefaultExpireAfter is the platform's weekly refresh of data-plane nodes.
	DefaultExpireAfter       = "168h"
	DefaultPlatformNamespace = "psk-system"
	DefaultSSMPathPrefix     = "/eksplatform/{cluster}/"
	DefaultParallel          = 4
	DefaultGateTimeout       = "20m"
)

// DefaultCapacityTypes and DefaultInstanceCategories of a NodePool.
var (
	DefaultCapacityTypes      = []string{"on-demand", "spot"}
	DefaultInstanceCategories = []string{"c", "m", "r"}
)

// EKS support tiers a role accepts.
const (
	SupportStandard = "standard"
	SupportExtended = "extended"
)

// NAT gateway layouts of a created VPC.
const (
	NATOnePerAZ = "one_per_az"
	NATSingle   = "single"
)

// DefaultLabels are the management node group's labels when none are given.
func DefaultLabels() map[string]string {
	return map[string]string{DefaultTaintKey: DefaultTaintValue}
}

func intPtr(v int) *int { return &v }

func applyDefaults(cat *catalog.Catalog, f *File) {
	if f.Ephemeral == nil {
		f.Ephemeral = new(bool)
	}
	if f.ManagementNodeGroup == nil {
		f.ManagementNodeGroup = &NodeGroupSpec{}
	}
	ng := f.ManagementNodeGroup
	if ng.InstanceTypes == nil {
		ng.InstanceTypes = []string{DefaultInstanceType}
	}
	if ng.MinSize == nil {
		ng.MinSize = intPtr(DefaultMinSize)
	}
	if ng.DesiredSize == nil {
		ng.DesiredSize = intPtr(max(DefaultDesiredSize, *ng.MinSize))
	}
	if ng.MaxSize == nil {
		ng.MaxSize = intPtr(max(DefaultMaxSize, *ng.DesiredSize))
	}
	if ng.AMIType == "" {
		ng.AMIType = DefaultAMIType
	}
	if ng.ReleaseVersion == "" {
		ng.ReleaseVersion = VersionLatest
	}
	if ng.DiskSizeGiB == nil {
		ng.DiskSizeGiB = intPtr(DefaultDiskSizeGiB)
	}
	if ng.CapacityType == "" {
		ng.CapacityType = DefaultCapacityType
	}
	if ng.Taint == nil {
		ng.Taint = &TaintSpec{Key: DefaultTaintKey, Value: DefaultTaintValue, Effect: DefaultTaintEffect}
	}
	if ng.Labels == nil {
		ng.Labels = DefaultLabels()
	}
	if ng.IMDSHopLimit == nil {
		ng.IMDSHopLimit = intPtr(DefaultIMDSHopLimit)
	}
	for i := range f.Clusters {
		if v := f.Clusters[i].VPC; v != nil && v.CIDR != "" {
			if v.NATGateways == "" {
				v.NATGateways = DefaultNATGateways
			}
			if v.FlowLogRetentionDays == nil {
				v.FlowLogRetentionDays = intPtr(DefaultFlowLogDays)
			}
		}
	}
	if f.Addons == nil {
		f.Addons = map[string]string{}
	}
	for _, name := range cat.AddonNames(catalog.AddonBase) {
		if _, ok := f.Addons[name]; !ok {
			f.Addons[name] = VersionLatest
		}
	}
	if f.ControlPlaneLogging == nil {
		f.ControlPlaneLogging = &LoggingSpec{}
	}
	defaultInt(&f.ControlPlaneLogging.RetentionDays, DefaultControlPlaneLogDays)
	applyLayerDefaults(f)
	applyObservabilityDefaults(f)
	applyPolicyDefaults(f)
	defaultString(&f.Support, SupportStandard)
	if f.Rollout == nil {
		f.Rollout = &RolloutSpec{}
	}
	defaultInt(&f.Rollout.Canary, 0)
	defaultInt(&f.Rollout.Parallel, DefaultParallel)
	defaultString(&f.Rollout.GateTimeout, DefaultGateTimeout)
	defaultBool(&f.Rollout.EchoCheck, true)
	if p := f.OIDCIdentityProvider; p != nil {
		if p.Name == "" {
			p.Name = DefaultOIDCName
		}
		if p.UsernameClaim == "" {
			p.UsernameClaim = DefaultUsernameClaim
		}
		if p.GroupsClaim == "" {
			p.GroupsClaim = DefaultGroupsClaim
		}
		if p.UsernamePrefix == nil {
			p.UsernamePrefix = new(string)
			*p.UsernamePrefix = DefaultOIDCPrefix
		}
		if p.GroupsPrefix == nil {
			p.GroupsPrefix = new(string)
			*p.GroupsPrefix = DefaultOIDCPrefix
		}
	}
}

func boolPtr(v bool) *bool { return &v }

func defaultBool(p **bool, v bool) {
	if *p == nil {
		*p = boolPtr(v)
	}
}

func defaultString(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func defaultInt(p **int, v int) {
	if *p == nil {
		*p = intPtr(v)
	}
}

// applyLayerDefaults fills the network, storage, karpenter and operator
// settings. Every operator is on unless switched off.
func applyLayerDefaults(f *File) {
	if f.Network == nil {
		f.Network = &NetworkSpec{}
	}
	n := f.Network
	if n.LoadBalancerController == nil {
		n.LoadBalancerController = &LoadBalancerControllerSpec{}
	}
	defaultBool(&n.LoadBalancerController.Enabled, true)
	defaultString(&n.LoadBalancerController.IngressClass, DefaultIngressClass)
	defaultString(&n.LoadBalancerController.IngressGroup, DefaultIngressGroup)
	defaultString(&n.LoadBalancerController.Scheme, DefaultLBScheme)
	if n.ExternalDNS == nil {
		n.ExternalDNS = &ExternalDNSSpec{}
	}
	// external-dns and the echo-server default to on where the cluster has
	// DNS to manage; resolve decides per cluster (see clusterDefaultsOn).
	defaultString(&n.ExternalDNS.Policy, DefaultExternalDNSPolicy)
	if n.CertManager == nil {
		n.CertManager = &CertManagerSpec{}
	}
	defaultBool(&n.CertManager.Enabled, true)
	if n.CertManager.ACMEEmail != "" {
		defaultString(&n.CertManager.ACMEServer, DefaultACMEServer)
	}

	if f.Storage == nil {
		f.Storage = &StorageSpec{}
	}
	if f.Storage.EFS == nil {
		f.Storage.EFS = &EFSSpec{}
	}
	e := f.Storage.EFS
	defaultBool(&e.Enabled, true)
	defaultInt(&e.TransitionToIADays, DefaultTransitionToIADays)
	defaultString(&e.DirectoryPerms, DefaultDirectoryPerms)
	defaultBool(&e.Backup, true)

	if f.Karpenter == nil {
		f.Karpenter = &KarpenterSpec{}
	}
	k := f.Karpenter
	defaultString(&k.RunOn, DefaultKarpenterRunOn)
	defaultString(&k.AMIAlias, DefaultKarpenterAMIAlias)
	defaultInt(&k.NodeVolumeSizeGiB, DefaultNodeVolumeSizeGiB)
	if k.NodePools == nil {
		k.NodePools = map[string]*NodePoolSpec{}
	}
	for name := range KarpenterNodePools {
		if k.NodePools[name] == nil {
			k.NodePools[name] = &NodePoolSpec{}
		}
	}
	for _, p := range k.NodePools {
		if p == nil {
			continue
		}
		if p.CapacityTypes == nil {
			p.CapacityTypes = append([]string(nil), DefaultCapacityTypes...)
		}
		if p.InstanceCategories == nil {
			p.InstanceCategories = append([]string(nil), DefaultInstanceCategories...)
		}
		defaultInt(&p.MinInstanceGeneration, DefaultMinInstanceGen)
		defaultInt(&p.CPULimit, DefaultNodePoolCPULimit)
		defaultInt(&p.MemoryLimitGiB, DefaultNodePoolMemoryGiB)
		defaultString(&p.ConsolidationPolicy, DefaultConsolidationPolicy)
		defaultString(&p.ConsolidateAfter, DefaultConsolidateAfter)
		defaultString(&p.ExpireAfter, DefaultExpireAfter)
	}

	if f.Operators == nil {
		f.Operators = &OperatorsSpec{}
	}
	o := f.Operators
	defaultString(&o.PlatformNamespace, DefaultPlatformNamespace)
	for _, t := range []**ToggleSpec{&o.MetricsServer, &o.Reloader, &o.EchoServer} {
		if *t == nil {
			*t = &ToggleSpec{}
		}
	}
	defaultBool(&o.MetricsServer.Enabled, true)
	defaultBool(&o.Reloader.Enabled, true)
	if o.ExternalSecrets == nil {
		o.ExternalSecrets = &ExternalSecretsSpec{}
	}
	defaultBool(&o.ExternalSecrets.Enabled, true)
	defaultString(&o.ExternalSecrets.SSMPathPrefix, DefaultSSMPathPrefix)
	if o.FluentBit == nil {
		o.FluentBit = &FluentBitSpec{}
	}
	defaultBool(&o.FluentBit.Enabled, false)
	defaultInt(&o.FluentBit.LogRetentionDays, DefaultPodLogRetentionDays)
}

// ContainerInsightsAddon is the EKS managed addon observability.container_insights installs.
const ContainerInsightsAddon = "amazon-cloudwatch-observability"

// Managed Prometheus retention: AMP's default and its bounds.
const (
	DefaultPrometheusRetentionDays = 150
	MinPrometheusRetentionDays     = 1
	MaxPrometheusRetentionDays     = 1095
)

// applyObservabilityDefaults: both options off; Container Insights puts its
// addon in the role's addons at "latest" unless addons pins it.
func applyObservabilityDefaults(f *File) {
	if f.Observability == nil {
		f.Observability = &ObservabilitySpec{}
	}
	o := f.Observability
	defaultBool(&o.ContainerInsights, false)
	if o.Prometheus == nil {
		o.Prometheus = &PrometheusSpec{}
	}
	defaultBool(&o.Prometheus.Enabled, false)
	defaultInt(&o.Prometheus.RetentionDays, DefaultPrometheusRetentionDays)
	if *o.ContainerInsights {
		if _, ok := f.Addons[ContainerInsightsAddon]; !ok {
			f.Addons[ContainerInsightsAddon] = VersionLatest
		}
	}
}

// Policy modes and the ids of the platform's policies. components/policy
// defines the policies; stacks' tests keep the two lists equal (this package
// imports no component).
const (
	PolicyAudit   = "audit"
	PolicyEnforce = "enforce"
)

// PolicyIDs are the policies a role can switch off.
var PolicyIDs = []string{"deprecated-apis", "pdb-required", "management-nodes"}

// DefaultPolicyExemptNamespaces is the namespace every policy leaves alone
// by default: the control plane's own.
var DefaultPolicyExemptNamespaces = []string{"kube-system"}

// applyPolicyDefaults: off; audit; kube-system exempt.
func applyPolicyDefaults(f *File) {
	if f.Policy == nil {
		f.Policy = &PolicySpec{}
	}
	p := f.Policy
	defaultBool(&p.Enabled, false)
	defaultString(&p.Mode, PolicyAudit)
	if p.ExemptNamespaces == nil {
		p.ExemptNamespaces = slices.Clone(DefaultPolicyExemptNamespaces)
	}
}

// clusterDefaultsOn resolves a switch whose default depends on the cluster:
// an explicit value wins, otherwise it is on when the cluster has what it needs.
func clusterDefaultsOn(explicit *bool, hasWhatItNeeds bool) bool {
	if explicit != nil {
		return *explicit
	}
	return hasWhatItNeeds
}

// DefaultPodLogRetentionDays keeps forwarded pod logs a month.
const DefaultPodLogRetentionDays = 30

// PodLogGroup is the CloudWatch log group aws-for-fluent-bit writes a
// cluster's pod logs to, beside EKS's own /aws/eks/<cluster>/cluster.
func PodLogGroup(cluster string) string { return "/aws/eks/" + cluster + "/pods" }

// Spot service-linked role settings of an account.
const (
	SpotRoleCreate = "create"
	SpotRoleExists = "exists"
)
