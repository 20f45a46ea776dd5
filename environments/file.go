package environments

// The types in this file are the environment files exactly as written. Optional
// scalars are pointers so that "absent" (take the default) and "zero" (a value
// the user chose) stay distinct. The resolved, defaulted view that the rest of
// the program uses is in fleet.go. schema.json describes the same shape for
// editors; schema_test.go keeps the two in step.

// File is one environments/<role>.json.
type File struct {
	Schema      string `json:"$schema,omitempty"`
	Role        string `json:"role"`
	Description string `json:"description,omitempty"`
	// Wave orders the rollout: roles of wave 0 first. Required, >= 0.
	Wave *int `json:"wave"`
	// EKSVersion is the Kubernetes minor version of every cluster of the role,
	// "1.NN". Bumping it is the whole upgrade.
	EKSVersion string `json:"eks_version"`
	// Ephemeral clusters (sandboxes) are not protected against deletion: their
	// EKS cluster, KMS key and file systems may be destroyed. Default false.
	Ephemeral *bool `json:"ephemeral,omitempty"`
	// Support is "standard" (default: running past the end of standard
	// support is an error in plan) or "extended" (the role accepts EKS
	// extended support, billed per cluster hour).
	Support string            `json:"support,omitempty"`
	Tags    map[string]string `json:"tags,omitempty"`
	// EndpointAccess applies to every cluster of the role unless a cluster sets its own.
	EndpointAccess *EndpointAccessSpec `json:"endpoint_access,omitempty"`
	// Deployer says how the pipeline that runs eksplatform reaches the
	// clusters' Kubernetes API (every Helm release and Kubernetes object
	// goes through it). Required here or on every cluster.
	Deployer *DeployerSpec `json:"deployer,omitempty"`
	// ControlPlaneLogging lists log types to switch off; all five are on by default.
	ControlPlaneLogging *LoggingSpec   `json:"control_plane_logging,omitempty"`
	ManagementNodeGroup *NodeGroupSpec `json:"management_node_group,omitempty"`
	// Addons maps an EKS addon name to "latest", "default" or an exact version.
	// The five base addons default to "latest" when not listed.
	Addons        map[string]string `json:"addons,omitempty"`
	AccessEntries []AccessEntrySpec `json:"access_entries,omitempty"`
	// ClusterAdmin is the cluster-admin IAM role of every cluster of the
	// role (a cluster may set its own). Required here or on every cluster.
	ClusterAdmin *ClusterAdminSpec `json:"cluster_admin,omitempty"`
	// Accounts holds account-level settings, keyed by the account id of
	// clusters of this role.
	Accounts             map[string]*AccountSpec `json:"accounts,omitempty"`
	AdminTeamClaim       string                  `json:"admin_team_claim,omitempty"`
	OIDCIdentityProvider *OIDCProviderSpec       `json:"oidc_identity_provider,omitempty"`
	DNS                  *DNSSpec                `json:"dns,omitempty"`
	Network              *NetworkSpec            `json:"network,omitempty"`
	Storage              *StorageSpec            `json:"storage,omitempty"`
	Karpenter            *KarpenterSpec          `json:"karpenter,omitempty"`
	Operators            *OperatorsSpec          `json:"operators,omitempty"`
	Rollout              *RolloutSpec            `json:"rollout,omitempty"`
	// Observability switches Container Insights and the managed Prometheus
	// of every cluster of the role. Default: both off.
	Observability *ObservabilitySpec `json:"observability,omitempty"`
	// Policy installs the policy engine (OPA Gatekeeper) with the
	// platform's guardrails. Default: off.
	Policy *PolicySpec `json:"policy,omitempty"`
	// Charts overrides the repository, chart or version of the Helm charts
	// the layers install (data/charts.json holds the defaults).
	Charts   map[string]*ChartSpec `json:"charts,omitempty"`
	Clusters []ClusterSpec         `json:"clusters"`
}

// ClusterSpec is one cluster of a role and the settings it overrides.
type ClusterSpec struct {
	// Name is the EKS cluster name and the Pulumi stack name; unique in the fleet.
	Name      string   `json:"name"`
	AccountID string   `json:"account_id"`
	Region    string   `json:"region"`
	VPC       *VPCSpec `json:"vpc"`
	// DeployRoleARN, when set, is assumed by the AWS provider of this cluster's
	// stack (cross-account pipelines). Default: the ambient credentials.
	DeployRoleARN string `json:"deploy_role_arn,omitempty"`
	// KMSKeyARN brings an existing key for secrets encryption instead of
	// creating one. It must live in the cluster's account and region.
	KMSKeyARN      string              `json:"kms_key_arn,omitempty"`
	EndpointAccess *EndpointAccessSpec `json:"endpoint_access,omitempty"`
	// Deployer replaces the role's deployer for this cluster.
	Deployer            *DeployerSpec     `json:"deployer,omitempty"`
	ManagementNodeGroup *ScalingSpec      `json:"management_node_group,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`
	// DNS replaces the role's zones and domains for this cluster.
	DNS *DNSSpec `json:"dns,omitempty"`
	// ClusterAdmin replaces the role's cluster_admin for this cluster.
	ClusterAdmin *ClusterAdminSpec `json:"cluster_admin,omitempty"`
}

// ClusterAdminSpec is the cluster's admin IAM role: created per cluster and
// assumable only by the trusted principals, or an existing role brought in.
// Either way it gets an access entry with AmazonEKSClusterAdminPolicy.
type ClusterAdminSpec struct {
	// TrustedPrincipals may assume the created role: IAM role or user ARNs,
	// or an account root (arn:aws:iam::123456789012:root).
	TrustedPrincipals []string `json:"trusted_principals,omitempty"`
	// RoleARN brings an existing role instead of creating one.
	RoleARN string `json:"role_arn,omitempty"`
}

// AccountSpec are settings of one AWS account of the fleet.
type AccountSpec struct {
	// SpotServiceLinkedRole is "create" (default: the first cluster of the
	// account, in wave order, creates AWSServiceRoleForEC2Spot) or "exists"
	// (the account has it; nothing is created).
	SpotServiceLinkedRole string `json:"spot_service_linked_role,omitempty"`
}

// VPCSpec either asks for a new VPC (CIDR) or adopts an existing one (ID and subnets).
type VPCSpec struct {
	CIDR string `json:"cidr,omitempty"`
	// NATGateways is "one_per_az" (default: an AZ outage does not cut the
	// others off) or "single" (a cost setting for sandboxes). Created VPCs only.
	NATGateways string `json:"nat_gateways,omitempty"`
	// FlowLogRetentionDays keeps VPC flow logs in CloudWatch Logs this long.
	// Default 90. Created VPCs only.
	FlowLogRetentionDays *int     `json:"flow_log_retention_days,omitempty"`
	ID                   string   `json:"id,omitempty"`
	PrivateSubnetIDs     []string `json:"private_subnet_ids,omitempty"`
	PublicSubnetIDs      []string `json:"public_subnet_ids,omitempty"`
}

// EndpointAccessSpec controls the Kubernetes API endpoint. The private
// endpoint is always on; the public one only exists when CIDRs are listed.
type EndpointAccessSpec struct {
	PublicCIDRs []string `json:"public_cidrs"`
}

// Deployer networks.
const (
	// DeployerInVPC: the deployer runs in the cluster's network (a runner in
	// the VPC, or in a network peered or attached to it) and reaches the
	// private endpoint.
	DeployerInVPC = "in_vpc"
	// DeployerPublic: the deployer reaches the public endpoint from its
	// egress addresses, which are added to the endpoint's public CIDRs.
	DeployerPublic = "public"
)

// DeployerSpec is how the pipeline reaches the cluster's API server.
type DeployerSpec struct {
	// Network is "in_vpc" or "public".
	Network string `json:"network"`
	// IngressSecurityGroupIDs and IngressCIDRs (in_vpc) are admitted to the
	// cluster security group on 443: the runners' security group in the
	// VPC, or the private ranges of a peered network.
	IngressSecurityGroupIDs []string `json:"ingress_security_group_ids,omitempty"`
	IngressCIDRs            []string `json:"ingress_cidrs,omitempty"`
	// EgressCIDRs (public) are the addresses the deployer's traffic leaves
	// from (the runners' NAT), added to the public endpoint's allow list.
	EgressCIDRs []string `json:"egress_cidrs,omitempty"`
}

// LoggingSpec switches off control-plane log types. Naming them is the only
// way to lose one: the default is all of api, audit, authenticator,
// controllerManager and scheduler.
type LoggingSpec struct {
	Disabled []string `json:"disabled,omitempty"`
	// RetentionDays keeps the control-plane log group
	// (/aws/eks/<cluster>/cluster) this long; default 90.
	RetentionDays *int `json:"retention_days,omitempty"`
}

// ScalingSpec is the part of the management node group a cluster may override.
type ScalingSpec struct {
	MinSize     *int `json:"min_size,omitempty"`
	DesiredSize *int `json:"desired_size,omitempty"`
	MaxSize     *int `json:"max_size,omitempty"`
}

// NodeGroupSpec is the management node group of every cluster of the role.
type NodeGroupSpec struct {
	InstanceTypes []string `json:"instance_types,omitempty"`
	MinSize       *int     `json:"min_size,omitempty"`
	DesiredSize   *int     `json:"desired_size,omitempty"`
	MaxSize       *int     `json:"max_size,omitempty"`
	// AMIType decides the architecture: AL2023_ARM_64_STANDARD (default),
	// AL2023_x86_64_STANDARD, BOTTLEROCKET_ARM_64 or BOTTLEROCKET_x86_64.
	AMIType string `json:"ami_type,omitempty"`
	// ReleaseVersion is "latest" (default: the newest AMI release for
	// eks_version, read from the public SSM parameter on every run) or an
	// exact release such as "1.33.0-20250620".
	ReleaseVersion string `json:"release_version,omitempty"`
	// DiskSizeGiB is the encrypted gp3 root volume size. Default 50.
	DiskSizeGiB *int `json:"disk_size_gib,omitempty"`
	// CapacityType is ON_DEMAND (default) or SPOT.
	CapacityType string `json:"capacity_type,omitempty"`
	// Taint keeps workloads off the management nodes. Default
	// dedicated=management:NoSchedule. It cannot be removed, only changed.
	Taint  *TaintSpec        `json:"taint,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
	// IMDSHopLimit is the IMDSv2 PUT response hop limit, 1 (default) or 2.
	IMDSHopLimit *int `json:"imds_hop_limit,omitempty"`
}

// TaintSpec is a Kubernetes taint; effect uses the Kubernetes spelling.
type TaintSpec struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect"`
}

// AccessEntrySpec grants an IAM principal an EKS access policy.
type AccessEntrySpec struct {
	PrincipalARN string `json:"principal_arn"`
	Policy       string `json:"policy"`
	// Namespaces narrows the policy to these namespaces; default: the whole cluster.
	Namespaces       []string `json:"namespaces,omitempty"`
	KubernetesGroups []string `json:"kubernetes_groups,omitempty"`
}

// OIDCProviderSpec is an OIDC identity provider for people (not IRSA).
type OIDCProviderSpec struct {
	// Name of the EKS identity provider config. Default "people".
	Name      string `json:"name,omitempty"`
	IssuerURL string `json:"issuer_url"`
	ClientID  string `json:"client_id"`
	// UsernameClaim default "email"; GroupsClaim default "groups".
	UsernameClaim string `json:"username_claim,omitempty"`
	GroupsClaim   string `json:"groups_claim,omitempty"`
	// Prefixes keep OIDC names apart from IAM and system ones. Default "oidc:".
	UsernamePrefix *string `json:"username_prefix,omitempty"`
	GroupsPrefix   *string `json:"groups_prefix,omitempty"`
}
