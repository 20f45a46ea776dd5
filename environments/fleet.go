package environments

import (
	"sort"
	"time"

	"github.com/eksplatform/eksplatform/catalog"
)

// Fleet is every role of an environments directory, loaded, defaulted and
// validated. Roles are in rollout order: by wave, then by name.
type Fleet struct {
	Dir      string
	Roles    []*Role
	Warnings []Warning
	// Accounts are the AWS accounts of the fleet's clusters, by id.
	Accounts []*Account
	// Catalog holds the facts the fleet was checked against.
	Catalog *catalog.Catalog
}

// Account is one AWS account of the fleet and what is created once in it.
type Account struct {
	ID string
	// SpotRoleOwner is the cluster whose stack creates the account's Spot
	// service-linked role: the first cluster of the account in wave order.
	// Empty when the account already has the role (SpotRoleExists).
	SpotRoleOwner  string
	SpotRoleExists bool
	// DeclaredIn is the file that set "exists", for messages.
	DeclaredIn string
}

// Account finds an account by id.
func (f *Fleet) Account(id string) (*Account, bool) {
	for _, a := range f.Accounts {
		if a.ID == id {
			return a, true
		}
	}
	return nil, false
}

// Role is one environment file: a group of clusters that roll out together.
type Role struct {
	Name        string
	File        string
	Description string
	Wave        int
	EKSVersion  string
	Ephemeral   bool
	// ExtendedSupport says the role may run on EKS extended support.
	ExtendedSupport bool
	Clusters        []*Cluster
	Rollout         Rollout
	// Accounts are the account settings the file declares: account id to
	// spot_service_linked_role.
	Accounts map[string]string
}

// Rollout is how the driver rolls a role out.
type Rollout struct {
	// Canary is how many of the role's first clusters go in a wave of their own.
	Canary   int
	Parallel int
	// Bake is the role's declared bake time; BakeSet says whether it was declared.
	Bake        time.Duration
	BakeSet     bool
	GateTimeout time.Duration
	EchoCheck   bool
}

// Cluster is everything one stack needs, with role settings, cluster overrides
// and defaults already merged. Components receive values from here, never the
// raw files.
type Cluster struct {
	Name       string
	Role       string
	File       string // the environment file that declares it
	Wave       int
	EKSVersion string
	// Ephemeral clusters are not protected against deletion.
	Ephemeral bool

	AccountID     string
	Region        string
	Partition     string // aws, aws-us-gov or aws-cn, from the region
	DeployRoleARN string // "" means the ambient credentials

	VPC VPC
	// KMSKeyARN is a brought-in key; "" means the foundation creates one.
	KMSKeyARN string
	// PublicAccessCIDRs is empty for a private-only API endpoint; a public
	// deployer's egress CIDRs are in it.
	PublicAccessCIDRs []string
	// Deployer is how the pipeline reaches the API server.
	Deployer Deployer
	// LogTypes are the enabled control-plane log types, in canonical order.
	LogTypes []string
	// LogRetentionDays keeps the control-plane log group this long.
	LogRetentionDays int
	NodeGroup        NodeGroup
	Addons           []Addon // sorted by name
	AccessEntries    []AccessEntry
	// AdminTeamClaim is the OIDC group bound to cluster-admin ("" for none).
	AdminTeamClaim string
	OIDC           *OIDCProvider
	// Tags are the role's tags with the cluster's on top.
	Tags map[string]string

	DNS       DNS
	Network   Network
	Storage   Storage
	Karpenter Karpenter
	Operators Operators
	// Observability is Container Insights and the managed Prometheus.
	Observability Observability
	// Policy is the policy engine and its guardrails.
	Policy Policy
	// Charts are the Helm charts of the layers, by name: the catalog's pins
	// with the role's overrides applied (an overridden version carries no
	// supported range: the catalog checked only its own pin).
	Charts map[string]catalog.Chart
	// ChartsAcceptedOn are the Kubernetes minors the role accepts a chart on
	// outside its supported range, by chart name
	// (charts.<name>.accept_unsupported_kubernetes).
	ChartsAcceptedOn map[string][]string
	// ChartCRDs are the CRDs the program applies for the charts that keep
	// theirs in crds/ (catalog crds: "program"), by chart name.
	ChartCRDs map[string][]catalog.CRD
	// EchoServerImage is the container image of the echo-server.
	EchoServerImage string
	// Rollout is the role's rollout settings.
	Rollout Rollout
	// ExtendedSupport says the role may run on EKS extended support.
	ExtendedSupport bool
	// ClusterAdmin is the cluster-admin IAM role, created or brought.
	ClusterAdmin ClusterAdmin
	// OwnsSpotRole says this cluster's stack creates its account's Spot
	// service-linked role (see Fleet.Accounts); SpotRoleOwner names the
	// cluster that does, empty when the account already has the role.
	OwnsSpotRole  bool
	SpotRoleOwner string
}

// InstalledCharts are the names of the charts the cluster's layers install,
// sorted: karpenter always, the others where their layer setting is on.
func (c *Cluster) InstalledCharts() []string {
	out := []string{"karpenter", "karpenter-crd"}
	for name, on := range map[string]bool{
		"aws-load-balancer-controller": c.Network.LoadBalancerController.Enabled,
		"external-dns":                 c.Network.ExternalDNS.Enabled,
		"cert-manager":                 c.Network.CertManager.Enabled,
		"metrics-server":               c.Operators.MetricsServer,
		"reloader":                     c.Operators.Reloader,
		"external-secrets":             c.Operators.ExternalSecrets.Enabled,
		"aws-for-fluent-bit":           c.Operators.FluentBit.Enabled,
		"gatekeeper":                   c.Policy.Enabled,
	} {
		if on {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// SpotRole says who provides the Spot service-linked role of the cluster's
// account: "created by this stack", "created by <cluster>" or "exists in
// the account".
func (c *Cluster) SpotRole() string {
	switch {
	case c.OwnsSpotRole:
		return "created by this stack"
	case c.SpotRoleOwner != "":
		return "created by " + c.SpotRoleOwner
	}
	return "exists in the account"
}

// Deployer is how the pipeline reaches the cluster's API server.
type Deployer struct {
	// Network is DeployerInVPC or DeployerPublic.
	Network                 string
	IngressSecurityGroupIDs []string
	IngressCIDRs            []string
	EgressCIDRs             []string
}

// ClusterAdmin is created (TrustedPrincipals) or brought (RoleARN).
type ClusterAdmin struct {
	TrustedPrincipals []string
	RoleARN           string
}

// Creates says the cluster's stack creates the role.
func (a ClusterAdmin) Creates() bool { return a.RoleARN == "" }

// VPC is either created from CIDR or adopted by ID.
type VPC struct {
	CIDR string
	// NATGateways and FlowLogRetentionDays apply to created VPCs.
	NATGateways          string
	FlowLogRetentionDays int
	ID                   string
	PrivateSubnetIDs     []string
	PublicSubnetIDs      []string
}

// Adopted reports whether the VPC already exists.
func (v VPC) Adopted() bool { return v.ID != "" }

// NodeGroup is the resolved management node group.
type NodeGroup struct {
	InstanceTypes []string
	MinSize       int
	DesiredSize   int
	MaxSize       int
	AMIType       string
	Architecture  string // arm64 or x86_64, from AMIType
	// ReleaseVersion is "latest" or an exact AMI release version.
	ReleaseVersion string
	DiskSizeGiB    int
	CapacityType   string
	Taint          Taint
	Labels         map[string]string
	IMDSHopLimit   int
}

// FollowsLatestRelease reports whether the AMI release is resolved on each run.
func (n NodeGroup) FollowsLatestRelease() bool { return n.ReleaseVersion == VersionLatest }

// Taint uses the Kubernetes spelling of the effect (NoSchedule).
type Taint struct {
	Key    string
	Value  string
	Effect string
}

// Addon is an EKS managed addon and its version spec.
type Addon struct {
	Name string
	// Version is VersionLatest, VersionDefault or an exact version.
	Version string
	// Spec is the catalog's entry: what the addon needs and when it is
	// installed.
	Spec catalog.Addon
}

// Version specs of addons and AMI releases.
const (
	VersionLatest  = "latest"
	VersionDefault = "default"
)

// AccessEntry grants an IAM principal an access policy. Key is stable and
// unique within the cluster; resource names derive from it.
type AccessEntry struct {
	Key              string
	PrincipalARN     string
	Policy           string
	Namespaces       []string
	KubernetesGroups []string
}

// OIDCProvider is an identity provider for people.
type OIDCProvider struct {
	Name           string
	IssuerURL      string
	ClientID       string
	UsernameClaim  string
	GroupsClaim    string
	UsernamePrefix string
	GroupsPrefix   string
}

// Clusters returns every cluster in rollout order.
func (f *Fleet) Clusters() []*Cluster {
	var out []*Cluster
	for _, r := range f.Roles {
		out = append(out, r.Clusters...)
	}
	return out
}

// Cluster finds a cluster by name.
func (f *Fleet) Cluster(name string) (*Cluster, bool) {
	for _, c := range f.Clusters() {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

// Role finds a role by name.
func (f *Fleet) Role(name string) (*Role, bool) {
	for _, r := range f.Roles {
		if r.Name == name {
			return r, true
		}
	}
	return nil, false
}

// ClusterNames lists every cluster name, sorted, for error messages.
func (f *Fleet) ClusterNames() []string {
	var names []string
	for _, c := range f.Clusters() {
		names = append(names, c.Name)
	}
	sort.Strings(names)
	return names
}

// RoleNames lists role names in rollout order.
func (f *Fleet) RoleNames() []string {
	names := make([]string, len(f.Roles))
	for i, r := range f.Roles {
		names[i] = r.Name
	}
	return names
}
