package environments

// Settings of the network, storage and operator layers as written in a role
// file. Every block is optional; defaults.go fills what is left out.

// DNSSpec names the Route 53 zones and domains a cluster owns records in.
// external-dns, the cert-manager ClusterIssuer and the echo-server use it.
// A cluster may override the role's.
type DNSSpec struct {
	HostedZoneIDs []string `json:"hosted_zone_ids"`
	DomainFilters []string `json:"domain_filters"`
}

// NetworkSpec configures the in-cluster network controllers.
type NetworkSpec struct {
	LoadBalancerController *LoadBalancerControllerSpec `json:"load_balancer_controller,omitempty"`
	ExternalDNS            *ExternalDNSSpec            `json:"external_dns,omitempty"`
	CertManager            *CertManagerSpec            `json:"cert_manager,omitempty"`
}

// LoadBalancerControllerSpec configures the aws-load-balancer-controller and
// the default IngressClass. Ingresses of the class share one ALB per group.
type LoadBalancerControllerSpec struct {
	Enabled *bool `json:"enabled,omitempty"`
	// IngressClass is the name of the default IngressClass. Default "alb".
	IngressClass string `json:"ingress_class,omitempty"`
	// IngressGroup is the ALB group every Ingress of the class joins. Default "platform".
	IngressGroup string `json:"ingress_group,omitempty"`
	// Scheme is "internet-facing" (default) or "internal".
	Scheme string `json:"scheme,omitempty"`
}

// ExternalDNSSpec configures external-dns.
type ExternalDNSSpec struct {
	Enabled *bool `json:"enabled,omitempty"`
	// Policy is "sync" (default: records external-dns owns are also deleted)
	// or "upsert-only".
	Policy string `json:"policy,omitempty"`
}

// CertManagerSpec configures cert-manager and its optional ACME ClusterIssuer.
type CertManagerSpec struct {
	Enabled *bool `json:"enabled,omitempty"`
	// ACMEEmail creates a ClusterIssuer (ACME, DNS-01 through Route 53) when set.
	ACMEEmail string `json:"acme_email,omitempty"`
	// ACMEServer defaults to Let's Encrypt production.
	ACMEServer string `json:"acme_server,omitempty"`
}

// StorageSpec configures storage classes and file systems.
type StorageSpec struct {
	EFS *EFSSpec `json:"efs,omitempty"`
}

// EFSSpec configures the cluster's EFS file system.
type EFSSpec struct {
	Enabled *bool `json:"enabled,omitempty"`
	// TransitionToIADays moves files not read for this many days to
	// Infrequent Access: 1, 7, 14, 30 (default), 60, 90, 180, 270 or 365.
	TransitionToIADays *int `json:"transition_to_ia_days,omitempty"`
	// DirectoryPerms of each PVC's access point directory. Default "700".
	DirectoryPerms string `json:"directory_perms,omitempty"`
	// Backup turns on AWS Backup for the file system. Default true.
	Backup *bool `json:"backup,omitempty"`
}

// KarpenterSpec configures karpenter and its node pools.
type KarpenterSpec struct {
	// RunOn is "management" (default: the tainted management node group) or
	// "fargate" (a Fargate profile for the karpenter namespace).
	RunOn string `json:"run_on,omitempty"`
	// AMIAlias selects node AMIs, e.g. "al2023@latest" (default) or
	// "bottlerocket@v1.38.0".
	AMIAlias string `json:"ami_alias,omitempty"`
	// NodeVolumeSizeGiB is the encrypted gp3 root volume of data-plane nodes. Default 100.
	NodeVolumeSizeGiB *int `json:"node_volume_size_gib,omitempty"`
	// NodePools configures the two pools, "arm" (arm64) and "amd" (amd64).
	NodePools map[string]*NodePoolSpec `json:"node_pools,omitempty"`
}

// NodePoolSpec configures one karpenter NodePool.
type NodePoolSpec struct {
	// CapacityTypes: any of "on-demand", "spot". Default both.
	CapacityTypes []string `json:"capacity_types,omitempty"`
	// InstanceCategories: EC2 instance categories such as "c", "m", "r". Default c, m, r.
	InstanceCategories []string `json:"instance_categories,omitempty"`
	// MinInstanceGeneration keeps older instance generations out. Default 5 (c5, m5, r5 and newer).
	MinInstanceGeneration *int `json:"min_instance_generation,omitempty"`
	// CPULimit and MemoryLimitGiB cap the pool's total capacity. Defaults 1000 and 4000.
	CPULimit       *int `json:"cpu_limit,omitempty"`
	MemoryLimitGiB *int `json:"memory_limit_gib,omitempty"`
	// ConsolidationPolicy is "WhenEmptyOrUnderutilized" (default) or "WhenEmpty".
	ConsolidationPolicy string `json:"consolidation_policy,omitempty"`
	// ConsolidateAfter is a duration like "1m" (default).
	ConsolidateAfter string `json:"consolidate_after,omitempty"`
	// ExpireAfter replaces nodes older than this; default "168h" (the weekly
	// refresh of data-plane nodes). "Never" turns it off.
	ExpireAfter string `json:"expire_after,omitempty"`
}

// OperatorsSpec switches the platform operators.
type OperatorsSpec struct {
	// PlatformNamespace holds the platform's own workloads. Default "psk-system".
	PlatformNamespace string               `json:"platform_namespace,omitempty"`
	MetricsServer     *ToggleSpec          `json:"metrics_server,omitempty"`
	Reloader          *ToggleSpec          `json:"reloader,omitempty"`
	ExternalSecrets   *ExternalSecretsSpec `json:"external_secrets,omitempty"`
	// EchoServer deploys a tiny echo service used by the health gate after a rollout.
	EchoServer *ToggleSpec `json:"echo_server,omitempty"`
	// FluentBit forwards pod logs to CloudWatch Logs. Default off.
	FluentBit *FluentBitSpec `json:"fluent_bit,omitempty"`
}

// FluentBitSpec configures aws-for-fluent-bit and the cluster's pod log group.
type FluentBitSpec struct {
	Enabled *bool `json:"enabled,omitempty"`
	// LogRetentionDays keeps pod logs this long (a CloudWatch retention). Default 30.
	LogRetentionDays *int `json:"log_retention_days,omitempty"`
}

// ObservabilitySpec is the role's observability baseline.
type ObservabilitySpec struct {
	// ContainerInsights installs the EKS managed addon
	// amazon-cloudwatch-observability (CloudWatch Container Insights) with
	// its IRSA role. Default false. Its version follows addons like any
	// addon's ("latest" unless addons pins it).
	ContainerInsights *bool `json:"container_insights,omitempty"`
	// Prometheus is an Amazon Managed Service for Prometheus workspace per
	// cluster, fed by an agentless managed scraper, with the fleet's alert rules.
	Prometheus *PrometheusSpec `json:"prometheus,omitempty"`
}

// PrometheusSpec configures the cluster's managed Prometheus.
type PrometheusSpec struct {
	// Enabled creates the workspace and the scraper. Default false.
	Enabled *bool `json:"enabled,omitempty"`
	// RetentionDays keeps samples this long, 1 to 1095. Default 150 (AMP's own).
	RetentionDays *int `json:"retention_days,omitempty"`
}

// PolicySpec is the role's policy guardrails.
type PolicySpec struct {
	// Enabled installs Gatekeeper and the policies. Default false.
	Enabled *bool `json:"enabled,omitempty"`
	// Mode is "audit" (violations are warnings; Gatekeeper's audit records
	// them) or "enforce" (they are denied). Default audit.
	Mode string `json:"mode,omitempty"`
	// Disabled are the policies the role switches off (PolicyIDs).
	Disabled []string `json:"disabled,omitempty"`
	// Exceptions are namespaces one policy leaves alone, by policy id.
	Exceptions map[string][]string `json:"exceptions,omitempty"`
	// ExemptNamespaces are namespaces every policy leaves alone. Default
	// ["kube-system"].
	ExemptNamespaces []string `json:"exempt_namespaces,omitempty"`
}

// ToggleSpec switches an operator on or off. Default on.
type ToggleSpec struct {
	Enabled *bool `json:"enabled,omitempty"`
}

// ExternalSecretsSpec configures external-secrets and its ClusterSecretStore.
type ExternalSecretsSpec struct {
	Enabled *bool `json:"enabled,omitempty"`
	// SSMPathPrefix is the only SSM Parameter Store path the store can read.
	// "{cluster}" is replaced by the cluster name. Default "/eksplatform/{cluster}/".
	SSMPathPrefix string `json:"ssm_path_prefix,omitempty"`
}

// ChartSpec overrides a Helm chart's source or version for a role.
type ChartSpec struct {
	Repository string `json:"repository,omitempty"`
	Chart      string `json:"chart,omitempty"`
	Version    string `json:"version,omitempty"`
	// AcceptUnsupportedKubernetes are Kubernetes minors the role accepts
	// running the chart on although the catalog says its version does not
	// support them (the upstream has not published or tested it): plan then
	// warns instead of refusing (CHT101). A reviewed decision, like running
	// a canary role ahead of the chart's support matrix.
	AcceptUnsupportedKubernetes []string `json:"accept_unsupported_kubernetes,omitempty"`
}

// RolloutSpec tells the driver how to roll this role out.
type RolloutSpec struct {
	// Canary puts the role's first N clusters in a wave of their own, before
	// the rest of the role (cell-based rollout). Default 0.
	Canary *int `json:"canary,omitempty"`
	// Parallel is how many clusters of the role change at once. Default 4.
	Parallel *int `json:"parallel,omitempty"`
	// Bake is how long to wait after the role's wave passed its health gate
	// before the next wave starts. Default: see the README's rollout rule.
	Bake string `json:"bake,omitempty"`
	// GateTimeout bounds the health gate after the wave. Default "20m".
	GateTimeout string `json:"gate_timeout,omitempty"`
	// EchoCheck also calls the echo-server URL in the gate. Default true.
	EchoCheck *bool `json:"echo_check,omitempty"`
}
