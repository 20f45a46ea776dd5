package environments

// Resolved settings of the network, storage and operator layers.

// DNS is the cluster's Route 53 zones and domains.
type DNS struct {
	HostedZoneIDs []string
	DomainFilters []string
}

// Network is the resolved network layer.
type Network struct {
	LoadBalancerController LoadBalancerController
	ExternalDNS            ExternalDNS
	CertManager            CertManager
}

// LoadBalancerController settings.
type LoadBalancerController struct {
	Enabled      bool
	IngressClass string
	IngressGroup string
	Scheme       string
}

// ExternalDNS settings.
type ExternalDNS struct {
	Enabled bool
	Policy  string
}

// CertManager settings; a ClusterIssuer exists when ACMEEmail is set.
type CertManager struct {
	Enabled    bool
	ACMEEmail  string
	ACMEServer string
}

// Storage is the resolved storage layer.
type Storage struct {
	EFS EFS
}

// EFS settings.
type EFS struct {
	Enabled            bool
	TransitionToIADays int
	DirectoryPerms     string
	Backup             bool
}

// Karpenter is the resolved karpenter configuration.
type Karpenter struct {
	// RunOn is KarpenterOnManagement or KarpenterOnFargate.
	RunOn             string
	AMIAlias          string
	NodeVolumeSizeGiB int
	// NodePools are "arm" and "amd", in that order.
	NodePools []NodePool
}

// Where karpenter's controller runs.
const (
	KarpenterOnManagement = "management"
	KarpenterOnFargate    = "fargate"
)

// NodePool is one karpenter NodePool.
type NodePool struct {
	Name                  string // "arm" or "amd"
	Architecture          string // "arm64" or "amd64"
	CapacityTypes         []string
	InstanceCategories    []string
	MinInstanceGeneration int
	CPULimit              int
	MemoryLimitGiB        int
	ConsolidationPolicy   string
	ConsolidateAfter      string
	ExpireAfter           string
}

// Policy is the resolved policy guardrails.
type Policy struct {
	Enabled          bool
	Mode             string
	Disabled         []string
	Exceptions       map[string][]string
	ExemptNamespaces []string
}

// Observability is the resolved observability baseline.
type Observability struct {
	// ContainerInsights: the amazon-cloudwatch-observability addon is in
	// the cluster's Addons.
	ContainerInsights bool
	Prometheus        Prometheus
}

// Prometheus settings of the cluster's managed Prometheus.
type Prometheus struct {
	Enabled       bool
	RetentionDays int
}

// Any says whether the cluster has any of the baseline.
func (o Observability) Any() bool { return o.ContainerInsights || o.Prometheus.Enabled }

// Operators is the resolved operator switches.
type Operators struct {
	PlatformNamespace string
	MetricsServer     bool
	Reloader          bool
	ExternalSecrets   ExternalSecrets
	EchoServer        bool
	FluentBit         FluentBit
}

// FluentBit settings; LogGroup has the cluster name filled in.
type FluentBit struct {
	Enabled bool
	// LogGroup is /aws/eks/<cluster>/pods.
	LogGroup      string
	RetentionDays int
}

// ExternalSecrets settings; SSMPathPrefix has the cluster name filled in.
type ExternalSecrets struct {
	Enabled       bool
	SSMPathPrefix string
}
