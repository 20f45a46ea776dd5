package environments

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/eksplatform/eksplatform/catalog"
)

var (
	rolePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)
	// clusterNamePattern is a DNS label: the name becomes Kubernetes object
	// names, host names (the echo-server's) and AWS resource names.
	clusterNamePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	// tagCharsRe is AWS's tag character set: letters, digits, spaces and
	// _ . : / = + - @ (Tagging AWS resources, "Tag naming limits").
	tagCharsRe        = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	versionPattern    = regexp.MustCompile(`^1\.[0-9]{1,2}$`)
	accountPattern    = regexp.MustCompile(`^[0-9]{12}$`)
	vpcIDPattern      = regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)
	subnetIDPattern   = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	instanceTypeRe    = regexp.MustCompile(`^([a-z]+)([0-9]+)([a-z-]*)\.([a-z0-9-]+)$`)
	addonVersionRe    = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+(-eksbuild\.[0-9]+)?$`)
	al2023ReleaseRe   = regexp.MustCompile(`^([0-9]+\.[0-9]+)\.[0-9]+-[0-9]{8}$`)
	bottlerocketRelRe = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+-[0-9a-f]{8}$`)
	principalARNRe    = regexp.MustCompile(`^arn:(aws|aws-us-gov|aws-cn):iam::([0-9]{12}):(role|user)/[A-Za-z0-9+=,.@_/-]{1,512}$`)
	roleARNRe         = regexp.MustCompile(`^arn:(aws|aws-us-gov|aws-cn):iam::([0-9]{12}):role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
	kmsKeyARNRe       = regexp.MustCompile(`^arn:(aws|aws-us-gov|aws-cn):kms:([a-z0-9-]+):([0-9]{12}):key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)
	dnsLabelRe        = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	labelKeyNameRe    = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)
	labelValueRe      = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$`)
	dnsSubdomainRe    = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	idpNameRe         = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$`)
)

// MaxClusterNameLength is below EKS's own limit of 100 because IAM role names,
// which the platform derives from the cluster name plus a purpose and Pulumi's
// random suffix, are capped at 64 characters.
const MaxClusterNameLength = 32

// VPC CIDR sizes the network layer can carve into three private and three
// public subnets.
const (
	MinVPCPrefix = 16
	MaxVPCPrefix = 22
)

// validateFile checks one defaulted file. Fleet-wide rules (unique cluster
// names, unique roles) are checked by Load across files.
func validateFile(c *collector, f *File, stem string) {
	switch {
	case f.Role == "":
		c.add("role", "is required: the cluster role this file declares, e.g. %q", stem)
	case !rolePattern.MatchString(f.Role):
		c.add("role", "must be lowercase letters, digits and '-', starting with a letter, at most 31 characters, got %q", f.Role)
	case f.Role != stem:
		c.add("role", "must match the file name: %s.json declares role %q; rename the file or the role", stem, f.Role)
	}

	if f.Wave == nil {
		c.add("wave", "is required: a whole number >= 0 (roles of wave 0 roll out first)")
	} else if *f.Wave < 0 || *f.Wave > 100 {
		c.add("wave", "must be between 0 and 100, got %d", *f.Wave)
	}

	validateVersion(c, "eks_version", f.EKSVersion)
	if f.Support != SupportStandard && f.Support != SupportExtended {
		c.add("support", "must be %q or %q, got %q", SupportStandard, SupportExtended, f.Support)
	}
	validateTags(c, "tags", f.Tags)
	if f.EndpointAccess != nil {
		validateEndpoint(c, "endpoint_access", f.EndpointAccess)
	}
	if f.Deployer != nil {
		validateDeployer(c, "deployer", f.Deployer)
	}
	if f.ControlPlaneLogging != nil {
		validateLogging(c, "control_plane_logging", f.ControlPlaneLogging)
	}
	validateNodeGroup(c, "management_node_group", f.ManagementNodeGroup, f.EKSVersion)
	validateAddons(c, "addons", f.Addons)
	validateAccessEntries(c, f.AccessEntries)
	validateOIDC(c, "oidc_identity_provider", f.OIDCIdentityProvider)
	if f.AdminTeamClaim != "" && strings.TrimSpace(f.AdminTeamClaim) != f.AdminTeamClaim {
		c.add("admin_team_claim", "must not start or end with spaces, got %q", f.AdminTeamClaim)
	}

	validateLayers(c, f)
	validateAdminAndAccounts(c, f)

	if len(f.Clusters) == 0 {
		c.add("clusters", "must list at least one cluster")
	}
	validateDeployerDeclared(c, f)
	validateKarpenterRoom(c, f)
	var cidrs []netip.Prefix
	var cidrPaths []string
	// Names are checked across the fleet once every file loads; a duplicate
	// within one file is reported here, with the file's other problems.
	names := map[string]string{}
	for i := range f.Clusters {
		path := indexPath("clusters", i)
		cl := &f.Clusters[i]
		if prev, dup := names[strings.ToLower(cl.Name)]; dup && cl.Name != "" {
			c.add(path+".name", "%s", duplicateClusterName(cl.Name, describePath(c.file, prev)))
		} else {
			names[strings.ToLower(cl.Name)] = path + ".name"
		}
		validateCluster(c, path, f, cl)
		validateClusterLayers(c, path, f, cl)
		if cl.VPC != nil && cl.VPC.CIDR != "" {
			if p, err := netip.ParsePrefix(cl.VPC.CIDR); err == nil {
				for j, other := range cidrs {
					if other.Overlaps(p) {
						c.add(path+".vpc.cidr", "%s overlaps %s of %s.vpc.cidr; clusters of one role need distinct address space so they can be peered", p, other, cidrPaths[j])
					}
				}
				cidrs = append(cidrs, p)
				cidrPaths = append(cidrPaths, path)
			}
		}
	}
}

func validateVersion(c *collector, path, v string) {
	minors := c.cat.Minors()
	last := minors[len(minors)-1]
	switch {
	case v == "":
		c.add(path, "is required: a Kubernetes minor version from %s, e.g. %q", c.cat.CalendarSpan(), last)
	case !versionPattern.MatchString(v):
		c.add(path, "must be a minor version like %q (no patch, no 'v'), got %q", last, v)
	default:
		if _, ok := c.cat.Release(v); !ok {
			c.add(path, "%s is %s", v, c.cat.NotInCalendar(v))
		}
	}
}

func validateCluster(c *collector, path string, f *File, cl *ClusterSpec) {
	switch {
	case cl.Name == "":
		c.add(path+".name", "is required")
	case len(cl.Name) > MaxClusterNameLength:
		c.add(path+".name", "must be at most %d characters (IAM role names derived from it are capped at 64), got %d", MaxClusterNameLength, len(cl.Name))
	case !clusterNamePattern.MatchString(cl.Name):
		c.add(path+".name", "must be lower-case letters, digits and '-', starting and ending with a letter or digit "+
			"(it becomes Kubernetes object names and host names), got %q", cl.Name)
	}
	switch {
	case cl.AccountID == "":
		c.add(path+".account_id", "is required: the 12-digit AWS account id")
	case !accountPattern.MatchString(cl.AccountID):
		c.add(path+".account_id", "must be 12 digits, got %q", cl.AccountID)
	}
	partition := ""
	switch {
	case cl.Region == "":
		c.add(path+".region", "is required, e.g. \"us-east-2\"")
	case catalog.PartitionOf(cl.Region) == "":
		c.add(path+".region", "%q is not a known AWS region", cl.Region)
	default:
		partition = catalog.PartitionOf(cl.Region)
	}
	validateVPC(c, path+".vpc", cl.VPC)
	if cl.DeployRoleARN != "" {
		m := roleARNRe.FindStringSubmatch(cl.DeployRoleARN)
		switch {
		case m == nil:
			c.add(path+".deploy_role_arn", "must be an IAM role ARN (arn:aws:iam::123456789012:role/Name), got %q", cl.DeployRoleARN)
		case partition != "" && m[1] != partition:
			c.add(path+".deploy_role_arn", "is in partition %s but region %s is in %s", m[1], cl.Region, partition)
		case accountPattern.MatchString(cl.AccountID) && m[2] != cl.AccountID:
			c.add(path+".deploy_role_arn", "is a role of account %s, but the cluster is in %s: the stack's AWS provider only accepts credentials of the cluster's account", m[2], cl.AccountID)
		}
		validateDeployerEntries(c, path, f, cl)
	}
	if cl.Deployer != nil {
		validateDeployer(c, path+".deployer", cl.Deployer)
	}

	if cl.KMSKeyARN != "" {
		m := kmsKeyARNRe.FindStringSubmatch(cl.KMSKeyARN)
		switch {
		case m == nil:
			c.add(path+".kms_key_arn", "must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/UUID), got %q", cl.KMSKeyARN)
		case partition != "" && m[2] != cl.Region:
			c.add(path+".kms_key_arn", "key is in region %s but the cluster is in %s; EKS needs a key in the cluster's region", m[2], cl.Region)
		case accountPattern.MatchString(cl.AccountID) && m[3] != cl.AccountID:
			c.add(path+".kms_key_arn", "key is in account %s but the cluster is in %s; bring a key of the cluster's account", m[3], cl.AccountID)
		}
	}
	if cl.EndpointAccess != nil {
		validateEndpoint(c, path+".endpoint_access", cl.EndpointAccess)
	}
	validateTags(c, path+".tags", cl.Tags)
	if partition != "" {
		for i, e := range f.AccessEntries {
			if m := principalARNRe.FindStringSubmatch(e.PrincipalARN); m != nil && m[1] != partition {
				c.add(indexPath("access_entries", i)+".principal_arn", "is in partition %s but cluster %s is in %s (%s)", m[1], cl.Name, partition, cl.Region)
			}
		}
	}
	validateScaling(c, path, f.ManagementNodeGroup, cl.ManagementNodeGroup)
}

func validateVPC(c *collector, path string, v *VPCSpec) {
	if v == nil {
		c.add(path, `is required: {"cidr": "10.0.0.0/16"} to create one, or {"id": ..., "private_subnet_ids": [...]} to adopt one`)
		return
	}
	switch {
	case v.CIDR != "" && v.ID != "":
		c.add(path, "give either cidr (create a VPC) or id (adopt one), not both")
	case v.CIDR == "" && v.ID == "":
		c.add(path, `needs cidr (create a VPC) or id with private_subnet_ids (adopt one)`)
	case v.CIDR != "":
		validateVPCCIDR(c, path+".cidr", v.CIDR)
		if len(v.PrivateSubnetIDs) > 0 || len(v.PublicSubnetIDs) > 0 {
			c.add(path, "subnet ids go with an adopted VPC (id); a created VPC gets its subnets from the network layer")
		}
		if v.NATGateways != NATOnePerAZ && v.NATGateways != NATSingle {
			c.add(path+".nat_gateways", "must be %q or %q, got %q", NATOnePerAZ, NATSingle, v.NATGateways)
		}
		if !slices.Contains(catalog.LogRetentionDays, *v.FlowLogRetentionDays) {
			c.add(path+".flow_log_retention_days", "must be a CloudWatch Logs retention (%s), got %d", joinInts(catalog.LogRetentionDays), *v.FlowLogRetentionDays)
		}
	default:
		if v.NATGateways != "" || v.FlowLogRetentionDays != nil {
			c.add(path, "nat_gateways and flow_log_retention_days apply to a created VPC (cidr), not an adopted one")
		}
		if !vpcIDPattern.MatchString(v.ID) {
			c.add(path+".id", "must be a VPC id like \"vpc-0a1b2c3d4e5f60718\", got %q", v.ID)
		}
		if len(v.PrivateSubnetIDs) < 2 {
			c.add(path+".private_subnet_ids", "must list at least 2 subnets (EKS needs subnets in two availability zones), got %d", len(v.PrivateSubnetIDs))
		}
		seen := map[string]string{}
		check := func(field string, ids []string) {
			for i, id := range ids {
				p := indexPath(path+"."+field, i)
				if !subnetIDPattern.MatchString(id) {
					c.add(p, "must be a subnet id like \"subnet-0a1b2c3d4e5f60718\", got %q", id)
					continue
				}
				if prev, dup := seen[id]; dup {
					c.add(p, "%s is already listed at %s", id, prev)
				}
				seen[id] = p
			}
		}
		check("private_subnet_ids", v.PrivateSubnetIDs)
		check("public_subnet_ids", v.PublicSubnetIDs)
	}
}

func validateVPCCIDR(c *collector, path, s string) {
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil || !p.Addr().Is4():
		c.add(path, "must be an IPv4 CIDR like \"10.20.0.0/16\", got %q", s)
	case p.Masked() != p:
		c.add(path, "must be a network address: %s has host bits set, did you mean %s?", s, p.Masked())
	case p.Bits() < MinVPCPrefix || p.Bits() > MaxVPCPrefix:
		c.add(path, "prefix must be /%d to /%d (room for three private and three public subnets), got /%d", MinVPCPrefix, MaxVPCPrefix, p.Bits())
	case !p.Addr().IsPrivate():
		c.add(path, "%s is not private (RFC 1918) address space", s)
	}
}

// karpenterReplicas is how many controller replicas the karpenter chart
// runs; its values require them on distinct nodes (podAntiAffinity on
// kubernetes.io/hostname, requiredDuringScheduling).
const karpenterReplicas = 2

// validateKarpenterRoom: on the management nodes, karpenter's two replicas
// need two nodes at the group's smallest, or the second stays Pending and
// the atomic Helm release times out and rolls back.
func validateKarpenterRoom(c *collector, f *File) {
	if f.Karpenter == nil || f.Karpenter.RunOn != KarpenterOnManagement || f.ManagementNodeGroup == nil || f.ManagementNodeGroup.MinSize == nil {
		return
	}
	msg := "must be at least %d while karpenter runs on the management nodes (karpenter.run_on %q): its %d replicas may not share a node, got %d; raise it or run karpenter on fargate"
	roleMin := *f.ManagementNodeGroup.MinSize
	roleNeeded := false
	for i, cl := range f.Clusters {
		if cl.ManagementNodeGroup != nil && cl.ManagementNodeGroup.MinSize != nil {
			if m := *cl.ManagementNodeGroup.MinSize; m < karpenterReplicas {
				c.add(indexPath("clusters", i)+".management_node_group.min_size", msg, karpenterReplicas, KarpenterOnManagement, karpenterReplicas, m)
			}
			continue
		}
		roleNeeded = true
	}
	if roleNeeded && roleMin < karpenterReplicas {
		c.add("management_node_group.min_size", msg, karpenterReplicas, KarpenterOnManagement, karpenterReplicas, roleMin)
	}
}

// deployerRequired explains what a deployer setting is for.
const deployerRequired = `is required: how the pipeline that runs eksplatform reaches the API server (every Helm release and Kubernetes object goes through it): ` +
	`{"network": "in_vpc"} when it runs in, or is connected to, the cluster's VPC (admit it with ingress_cidrs or ingress_security_group_ids), ` +
	`or {"network": "public", "egress_cidrs": [...]} with the addresses it leaves from`

// validateDeployerDeclared: every cluster has a deployer, the role's or its own.
func validateDeployerDeclared(c *collector, f *File) {
	if f.Deployer != nil {
		return
	}
	var missing []int
	for i, cl := range f.Clusters {
		if cl.Deployer == nil {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 && len(missing) == len(f.Clusters) {
		c.add("deployer", deployerRequired)
		return
	}
	for _, i := range missing {
		c.add(indexPath("clusters", i)+".deployer", "%s (here, or once for the role)", deployerRequired)
	}
}

// validateDeployerEntries: pulumi-eks gives the identity that creates the
// cluster (the deploy role the provider assumes) an admin access entry of
// its own (bootstrapClusterCreatorAdminPermissions), so a second entry for it
// fails with 409 at CreateAccessEntry.
func validateDeployerEntries(c *collector, path string, f *File, cl *ClusterSpec) {
	for i, e := range f.AccessEntries {
		if e.PrincipalARN == cl.DeployRoleARN {
			c.add(indexPath("access_entries", i)+".principal_arn", "%s is %s.deploy_role_arn, which creates the cluster and so already gets an admin access entry (pulumi-eks's bootstrap entry); "+
				"a second one fails with 409 (ResourceInUseException): remove it from access_entries", e.PrincipalARN, path)
		}
	}
	admin := f.ClusterAdmin
	if cl.ClusterAdmin != nil {
		admin = cl.ClusterAdmin
	}
	if admin != nil && admin.RoleARN != "" && admin.RoleARN == cl.DeployRoleARN {
		where := "cluster_admin.role_arn"
		if cl.ClusterAdmin != nil {
			where = path + ".cluster_admin.role_arn"
		}
		c.add(where, "%s is %s.deploy_role_arn, which already gets an admin access entry as the cluster's creator; bring another role or let eksplatform create one (trusted_principals)", admin.RoleARN, path)
	}
}

var securityGroupIDRe = regexp.MustCompile(`^sg-[0-9a-f]{8}([0-9a-f]{9})?$`)

// privateRanges are where traffic to a private endpoint can come from.
var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("100.64.0.0/10"),
}

func validateDeployer(c *collector, path string, d *DeployerSpec) {
	switch d.Network {
	case DeployerInVPC:
		if len(d.EgressCIDRs) > 0 {
			c.add(path+".egress_cidrs", "is for network %q: an in_vpc deployer reaches the private endpoint; admit it with ingress_cidrs or ingress_security_group_ids", DeployerPublic)
		}
		for i, id := range d.IngressSecurityGroupIDs {
			if !securityGroupIDRe.MatchString(id) {
				c.add(indexPath(path+".ingress_security_group_ids", i), "must be a security group id like \"sg-0123456789abcdef0\", got %q", id)
			}
		}
		for i, s := range d.IngressCIDRs {
			p := indexPath(path+".ingress_cidrs", i)
			prefix, err := netip.ParsePrefix(s)
			switch {
			case err != nil || !prefix.Addr().Is4():
				c.add(p, "must be an IPv4 CIDR like \"10.100.0.0/22\", got %q", s)
			case prefix.Masked() != prefix:
				c.add(p, "must be a network address: %s has host bits set, did you mean %s?", s, prefix.Masked())
			case !slices.ContainsFunc(privateRanges, func(r netip.Prefix) bool { return r.Contains(prefix.Addr()) && r.Bits() <= prefix.Bits() }):
				c.add(p, "%s is not a private range (10/8, 172.16/12, 192.168/16, 100.64/10): traffic to the private endpoint comes from inside the network; a public path is network \"public\" with egress_cidrs", s)
			}
		}
	case DeployerPublic:
		if len(d.IngressSecurityGroupIDs) > 0 || len(d.IngressCIDRs) > 0 {
			c.add(path, "ingress_security_group_ids and ingress_cidrs are for network %q; a public deployer is admitted by its egress_cidrs", DeployerInVPC)
		}
		if len(d.EgressCIDRs) == 0 {
			c.add(path+".egress_cidrs", "must list the addresses the deployer's traffic leaves from (its runners' NAT), e.g. [\"198.51.100.7/32\"]; they are added to the endpoint's public CIDRs")
		}
		validatePublicCIDRs(c, path+".egress_cidrs", d.EgressCIDRs)
	case "":
		c.add(path+".network", "is required: %q or %q", DeployerInVPC, DeployerPublic)
	default:
		c.add(path+".network", "must be %q or %q, got %q", DeployerInVPC, DeployerPublic, d.Network)
	}
}

func validateEndpoint(c *collector, path string, e *EndpointAccessSpec) {
	if len(e.PublicCIDRs) == 0 {
		c.add(path+".public_cidrs", "must list at least one CIDR; leave endpoint_access out for a private-only endpoint")
	}
	validatePublicCIDRs(c, path+".public_cidrs", e.PublicCIDRs)
}

// validatePublicCIDRs checks the networks a public endpoint admits.
func validatePublicCIDRs(c *collector, path string, cidrs []string) {
	var valid []netip.Prefix
	for i, s := range cidrs {
		p := indexPath(path, i)
		prefix, err := netip.ParsePrefix(s)
		switch {
		case err != nil || !prefix.Addr().Is4():
			c.add(p, "must be an IPv4 CIDR like \"203.0.113.0/24\", got %q", s)
		case prefix.Bits() == 0:
			c.add(p, "0.0.0.0/0 opens the Kubernetes API to the whole internet; list the networks that need it")
		case prefix.Masked() != prefix:
			c.add(p, "must be a network address: %s has host bits set, did you mean %s?", s, prefix.Masked())
		default:
			valid = append(valid, prefix)
			if prefix.Bits() < wideCIDRBits {
				c.warn(p, "%s admits %d addresses to the Kubernetes API; a deployer's or office's egress is usually a /%d or narrower",
					s, uint64(1)<<(32-prefix.Bits()), 24)
			}
		}
	}
	if covered := addressesCovered(valid); covered == 1<<32 {
		c.add(path, "%s together cover the whole IPv4 address space, which opens the Kubernetes API to the whole internet as 0.0.0.0/0 would; "+
			"list the networks that need it", strings.Join(cidrs, ", "))
	}
}

// wideCIDRBits: public CIDRs wider than this are warned about.
const wideCIDRBits = 16

// addressesCovered counts the IPv4 addresses the prefixes cover together.
// Two prefixes are either disjoint or one holds the other.
func addressesCovered(prefixes []netip.Prefix) uint64 {
	sorted := slices.Clone(prefixes)
	slices.SortFunc(sorted, func(a, b netip.Prefix) int { return a.Bits() - b.Bits() })
	var kept []netip.Prefix
	var total uint64
	for _, p := range sorted {
		if slices.ContainsFunc(kept, func(k netip.Prefix) bool { return k.Contains(p.Addr()) }) {
			continue
		}
		kept = append(kept, p)
		total += uint64(1) << (32 - p.Bits())
	}
	return total
}

func validateLogging(c *collector, path string, l *LoggingSpec) {
	seen := map[string]bool{}
	for i, t := range l.Disabled {
		p := indexPath(path+".disabled", i)
		if !slices.Contains(catalog.ControlPlaneLogTypes, t) {
			c.add(p, "%q is not a control-plane log type; allowed: %s", t, strings.Join(catalog.ControlPlaneLogTypes, ", "))
		}
		if seen[t] {
			c.add(p, "%q is listed twice", t)
		}
		seen[t] = true
	}
	if l.RetentionDays != nil && !slices.Contains(catalog.LogRetentionDays, *l.RetentionDays) {
		c.add(path+".retention_days", "must be a CloudWatch Logs retention (%s), got %d", joinInts(catalog.LogRetentionDays), *l.RetentionDays)
	}
}

func validateNodeGroup(c *collector, path string, ng *NodeGroupSpec, eksVersion string) {
	arch, knownAMI := catalog.AMITypes[ng.AMIType]
	if !knownAMI {
		c.add(path+".ami_type", "%q is not supported; allowed: %s", ng.AMIType, strings.Join(sortedKeys(catalog.AMITypes), ", "))
	}
	if len(ng.InstanceTypes) == 0 {
		c.add(path+".instance_types", "must list at least one instance type")
	}
	for i, it := range ng.InstanceTypes {
		p := indexPath(path+".instance_types", i)
		itArch, ok := instanceArch(it)
		switch {
		case !ok:
			c.add(p, "%q is not an EC2 instance type like \"m7g.large\"", it)
		case knownAMI && itArch != arch:
			c.add(p, "%s is an %s instance type but ami_type %s needs %s (Graviton types such as m7g.large run arm64)", it, itArch, ng.AMIType, arch)
		}
	}
	if *ng.MinSize < 1 {
		c.add(path+".min_size", "must be at least 1: the management nodes run the platform's controllers, got %d", *ng.MinSize)
	}
	if *ng.MaxSize > 100 {
		c.add(path+".max_size", "must be at most 100, got %d", *ng.MaxSize)
	}
	checkSizes(c, path, *ng.MinSize, *ng.DesiredSize, *ng.MaxSize, "")
	switch {
	case ng.ReleaseVersion == VersionLatest:
	case strings.HasPrefix(ng.AMIType, "AL2023"):
		m := al2023ReleaseRe.FindStringSubmatch(ng.ReleaseVersion)
		if m == nil {
			c.add(path+".release_version", "must be \"latest\" or an AL2023 AMI release like \"1.33.0-20250620\", got %q", ng.ReleaseVersion)
		} else if eksVersion != "" && m[1] != eksVersion {
			c.add(path+".release_version", "%s is an AMI release for Kubernetes %s but eks_version is %s; use \"latest\" or a %s release", ng.ReleaseVersion, m[1], eksVersion, eksVersion)
		}
	case strings.HasPrefix(ng.AMIType, "BOTTLEROCKET"):
		if !bottlerocketRelRe.MatchString(ng.ReleaseVersion) {
			c.add(path+".release_version", "must be \"latest\" or a Bottlerocket release like \"1.20.1-7c3e9198\", got %q", ng.ReleaseVersion)
		}
	}
	if *ng.DiskSizeGiB < 20 || *ng.DiskSizeGiB > 1000 {
		c.add(path+".disk_size_gib", "must be between 20 and 1000 GiB, got %d", *ng.DiskSizeGiB)
	}
	if ng.CapacityType != "ON_DEMAND" && ng.CapacityType != "SPOT" {
		c.add(path+".capacity_type", "must be ON_DEMAND or SPOT, got %q", ng.CapacityType)
	}
	t := ng.Taint
	if !validLabelKey(t.Key) {
		c.add(path+".taint.key", "must be a Kubernetes label key like \"dedicated\", got %q", t.Key)
	}
	if !labelValueRe.MatchString(t.Value) {
		c.add(path+".taint.value", "must be a Kubernetes label value (letters, digits, '-', '_', '.', at most 63), got %q", t.Value)
	}
	if _, ok := catalog.TaintEffects[t.Effect]; !ok {
		c.add(path+".taint.effect", "must be NoSchedule, PreferNoSchedule or NoExecute, got %q", t.Effect)
	}
	for _, k := range sortedKeys(ng.Labels) {
		p := keyPath(path+".labels", k)
		if !validLabelKey(k) {
			c.add(p, "%q is not a Kubernetes label key", k)
		}
		if !labelValueRe.MatchString(ng.Labels[k]) {
			c.add(p, "%q is not a Kubernetes label value", ng.Labels[k])
		}
	}
	if *ng.IMDSHopLimit != 1 && *ng.IMDSHopLimit != 2 {
		c.add(path+".imds_hop_limit", "must be 1 (pods without host networking cannot reach IMDS) or 2, got %d", *ng.IMDSHopLimit)
	}
}

// validateScaling checks the sizes a cluster ends up with after its overrides.
func validateScaling(c *collector, path string, role *NodeGroupSpec, o *ScalingSpec) {
	if o == nil {
		return
	}
	p := path + ".management_node_group"
	pick := func(override, base *int) int {
		if override != nil {
			return *override
		}
		return *base
	}
	minSize := pick(o.MinSize, role.MinSize)
	if o.MinSize != nil && minSize < 1 {
		c.add(p+".min_size", "must be at least 1, got %d", minSize)
	}
	if o.MaxSize != nil && *o.MaxSize > 100 {
		c.add(p+".max_size", "must be at most 100, got %d", *o.MaxSize)
	}
	checkSizes(c, p, minSize, pick(o.DesiredSize, role.DesiredSize), pick(o.MaxSize, role.MaxSize), " (with the role's management_node_group)")
}

func checkSizes(c *collector, path string, minSize, desired, maxSize int, where string) {
	if minSize > desired {
		c.add(path+".desired_size", "must be >= min_size%s: min %d, desired %d", where, minSize, desired)
	}
	if desired > maxSize {
		c.add(path+".max_size", "must be >= desired_size%s: desired %d, max %d", where, desired, maxSize)
	}
}

// instanceArch tells the CPU architecture from an EC2 instance type name:
// Graviton families carry a "g" right after the generation (m7g, c6gn, x2gd,
// im4gn), plus the first-generation a1.
func instanceArch(it string) (string, bool) {
	m := instanceTypeRe.FindStringSubmatch(it)
	if m == nil {
		return "", false
	}
	if m[1] == "a" && m[2] == "1" || strings.HasPrefix(m[3], "g") {
		return "arm64", true
	}
	return "x86_64", true
}

func validateAddons(c *collector, path string, addons map[string]string) {
	known := c.cat.AddonNames("")
	for _, name := range sortedKeys(addons) {
		p := keyPath(path, name)
		if !slices.Contains(known, name) {
			c.add(p, "%q is not an addon this platform manages; allowed: %s", name, strings.Join(known, ", "))
			continue
		}
		v := addons[name]
		if v != VersionLatest && v != VersionDefault && !addonVersionRe.MatchString(v) {
			c.add(p, "must be \"latest\", \"default\" or an exact version like \"v1.19.2-eksbuild.1\", got %q", v)
		}
	}
}

func validateAccessEntries(c *collector, entries []AccessEntrySpec) {
	seen := map[string]string{}
	keys := map[string]string{}
	for i, e := range entries {
		p := indexPath("access_entries", i)
		if e.PrincipalARN == "" {
			c.add(p+".principal_arn", "is required: the IAM role or user ARN to grant access")
		} else if !principalARNRe.MatchString(e.PrincipalARN) {
			c.add(p+".principal_arn", "must be an IAM role or user ARN like \"arn:aws:iam::123456789012:role/PlatformAdmin\", got %q", e.PrincipalARN)
		} else {
			if prev, dup := seen[e.PrincipalARN]; dup {
				c.add(p+".principal_arn", "%s already has an entry at %s; EKS allows one access entry per principal", e.PrincipalARN, prev)
			} else if prev, dup := keys[accessEntryKey(e.PrincipalARN)]; dup {
				c.add(p+".principal_arn", "names the same principal as %s (%q); give distinct role names", prev, accessEntryKey(e.PrincipalARN))
			}
			seen[e.PrincipalARN] = p
			keys[accessEntryKey(e.PrincipalARN)] = p
		}
		if !slices.Contains(catalog.AccessPolicies, e.Policy) {
			c.add(p+".policy", "must be one of %s, got %q", strings.Join(catalog.AccessPolicies, ", "), e.Policy)
		}
		for j, ns := range e.Namespaces {
			if !dnsLabelRe.MatchString(ns) {
				c.add(indexPath(p+".namespaces", j), "%q is not a Kubernetes namespace name", ns)
			}
		}
		for j, g := range e.KubernetesGroups {
			gp := indexPath(p+".kubernetes_groups", j)
			switch {
			case g == "":
				c.add(gp, "must not be empty")
			case strings.HasPrefix(g, "system:"):
				c.add(gp, "EKS rejects groups starting with \"system:\", got %q", g)
			}
		}
	}
}

// accessEntryKey derives the stable key of an access entry from its principal:
// the last path segment of the role or user, lowercased ("PlatformAdmin" ->
// "platformadmin"). Keys, not positions, name the resources, so reordering
// the list changes nothing.
func accessEntryKey(arn string) string {
	_, resource, _ := strings.Cut(arn, ":iam::")
	if i := strings.LastIndex(resource, "/"); i >= 0 {
		resource = resource[i+1:]
	}
	return strings.ToLower(resource)
}

func validateOIDC(c *collector, path string, p *OIDCProviderSpec) {
	if p == nil {
		return
	}
	u, err := url.Parse(p.IssuerURL)
	switch {
	case p.IssuerURL == "":
		c.add(path+".issuer_url", "is required, e.g. \"https://example.okta.com\"")
	case err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		c.add(path+".issuer_url", "must be an https URL without query or fragment (EKS only accepts https issuers), got %q", p.IssuerURL)
	}
	if p.ClientID == "" {
		c.add(path+".client_id", "is required: the OIDC client id the tokens are issued for")
	}
	if !idpNameRe.MatchString(p.Name) {
		c.add(path+".name", "must be letters, digits, '-' and '_', at most 100 characters, got %q", p.Name)
	}
	if strings.TrimSpace(p.UsernameClaim) == "" {
		c.add(path+".username_claim", "must not be blank")
	}
	if strings.TrimSpace(p.GroupsClaim) == "" {
		c.add(path+".groups_claim", "must not be blank")
	}
	if strings.HasPrefix(*p.UsernamePrefix, "system:") {
		c.add(path+".username_prefix", "must not start with \"system:\"")
	}
	if strings.HasPrefix(*p.GroupsPrefix, "system:") {
		c.add(path+".groups_prefix", "must not start with \"system:\"")
	}
}

func validateTags(c *collector, path string, tags map[string]string) {
	for _, k := range sortedKeys(tags) {
		p := keyPath(path, k)
		switch {
		case k == "" || utf8.RuneCountInString(k) > 128:
			c.add(p, "tag keys must be 1 to 128 characters")
		case !tagCharsRe.MatchString(k):
			c.add(p, "tag keys may hold letters, digits, spaces and _ . : / = + - @ only (AWS's tag rules), got %q", k)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			c.add(p, "tag keys starting with \"aws:\" are reserved by AWS")
		case strings.HasPrefix(k, "eksplatform:"):
			c.add(p, "tag keys starting with \"eksplatform:\" are set by the platform")
		}
		switch v := tags[k]; {
		case utf8.RuneCountInString(v) > 256:
			c.add(p, "tag values must be at most 256 characters, got %d", utf8.RuneCountInString(v))
		case !tagCharsRe.MatchString(v):
			c.add(p, "tag values may hold letters, digits, spaces and _ . : / = + - @ only (AWS's tag rules), got %q", v)
		}
	}
}

// validLabelKey accepts Kubernetes label keys: an optional DNS subdomain
// prefix and a name.
func validLabelKey(k string) bool {
	prefix, name, hasPrefix := strings.Cut(k, "/")
	if !hasPrefix {
		name = prefix
		prefix = ""
	}
	if hasPrefix && (prefix == "" || len(prefix) > 253 || !dnsSubdomainRe.MatchString(prefix)) {
		return false
	}
	return labelKeyNameRe.MatchString(name)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// describePath is used by Load for fleet-wide errors that point at another file.
// duplicateClusterName says a cluster name is declared twice (within a file
// or across the fleet).
func duplicateClusterName(name, prev string) string {
	return fmt.Sprintf("%q is already declared at %s; cluster names are stack names and must be unique across the fleet (ignoring case)", name, prev)
}

func describePath(file, path string) string { return fmt.Sprintf("%s (%s)", path, file) }

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, ", ")
}
