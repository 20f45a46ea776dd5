package foundation

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/internal/argcheck"
)

// AddonVersion is an addon (the catalog's entry) and its version spec.
type AddonVersion struct {
	Addon   catalog.Addon
	Version string
}

// Args configures the foundation layer of one cluster.
type Args struct {
	ClusterName       string
	KubernetesVersion string
	Partition         string
	AccountID         string
	// Protect guards the cluster and the KMS key (false only for ephemeral clusters).
	Protect bool
	Tags    map[string]string

	VpcID             pulumi.StringInput
	PrivateSubnetIDs  pulumi.StringArrayInput
	PublicAccessCIDRs []string
	// DeployerSecurityGroupIDs and DeployerCIDRs admit the deployer to the
	// private endpoint (see ClusterArgs).
	DeployerSecurityGroupIDs []string
	DeployerCIDRs            []string
	LogTypes                 []string
	// LogRetentionDays keeps the control-plane log group (see ClusterArgs).
	LogRetentionDays int
	// ExistingKMSKeyARN brings a key; empty creates one.
	ExistingKMSKeyARN string
	AccessEntries     []AccessEntry
	IdentityProvider  *IdentityProvider
	NodeGroup         NodeGroupSettings
	Addons            []AddonVersion
	// AWSProvider is passed on to the pulumi-eks cluster (see ClusterArgs).
	AWSProvider pulumi.ProviderResource
	// KubeconfigRoleARN is the role the kubeconfig assumes (see ClusterArgs).
	KubeconfigRoleARN string
	// Region is the cluster's region (the admin role's describe policy).
	Region string
	// AdminTrustedPrincipals create the cluster-admin role; AdminRoleARN
	// brings one instead. Exactly one is set.
	AdminTrustedPrincipals []string
	AdminRoleARN           string
}

// Foundation is the base of a cluster.
type Foundation struct {
	pulumi.ResourceState

	Key       *SecretsKey
	Cluster   *Cluster
	Admin     *ClusterAdmin
	NodeGroup *ManagementNodeGroup
	Addons    map[string]*Addon
	// AddonVersions maps addon name to the resolved version.
	AddonVersions pulumi.StringMapOutput
	// Ready are the node group and every addon: what in-cluster workloads
	// wait for before they can schedule and resolve names.
	Ready []pulumi.Resource
}

// NewFoundation declares key → cluster → vpc-cni → node group → other addons.
func NewFoundation(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Foundation, error) {
	if args == nil {
		return nil, fmt.Errorf("Foundation %s: args are required", name)
	}
	a := args
	var errs argcheck.Errors
	errs.Check(a.ClusterName != "", "ClusterName is required")
	for _, ad := range a.Addons {
		errs.Check(ad.Addon.Name != "", "an addon without its catalog entry")
		errs.Check(ad.Addon.Install == catalog.BeforeNodes || ad.Addon.Install == catalog.AfterNodes,
			"addon %s: install must be %s or %s", ad.Addon.Name, catalog.BeforeNodes, catalog.AfterNodes)
	}
	if err := errs.Err("Foundation", name); err != nil {
		return nil, err
	}

	f := &Foundation{Addons: map[string]*Addon{}}
	if err := ctx.RegisterComponentResource("eksplatform:foundation:Foundation", name, f, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(f)

	key, err := NewSecretsKey(ctx, a.ClusterName+"-secrets", &SecretsKeyArgs{
		ClusterName:    a.ClusterName,
		Partition:      a.Partition,
		Region:         a.Region,
		AccountID:      a.AccountID,
		ExistingKeyARN: a.ExistingKMSKeyARN,
		Protect:        a.Protect,
		Tags:           a.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	f.Key = key

	cluster, err := NewCluster(ctx, a.ClusterName, &ClusterArgs{
		Name:                     a.ClusterName,
		Version:                  a.KubernetesVersion,
		Partition:                a.Partition,
		AccountID:                a.AccountID,
		VpcID:                    a.VpcID,
		PrivateSubnetIDs:         a.PrivateSubnetIDs,
		DeployerSecurityGroupIDs: a.DeployerSecurityGroupIDs,
		DeployerCIDRs:            a.DeployerCIDRs,
		PublicAccessCIDRs:        a.PublicAccessCIDRs,
		LogTypes:                 a.LogTypes,
		LogRetentionDays:         a.LogRetentionDays,
		LogKMSKeyARN:             logKey(key),
		KMSKeyARN:                key.KeyARN,
		AccessEntries:            a.AccessEntries,
		IdentityProvider:         a.IdentityProvider,
		Tags:                     a.Tags,
		Protect:                  a.Protect,
		AWSProvider:              a.AWSProvider,
		KubeconfigRoleARN:        a.KubeconfigRoleARN,
	}, parent)
	if err != nil {
		return nil, err
	}
	f.Cluster = cluster

	admin, err := NewClusterAdmin(ctx, a.ClusterName+"-admin", &ClusterAdminArgs{
		ClusterName: cluster.Name, Cluster: a.ClusterName,
		Partition: a.Partition, Region: a.Region, AccountID: a.AccountID,
		TrustedPrincipals: a.AdminTrustedPrincipals, ExistingRoleARN: a.AdminRoleARN, Tags: a.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	f.Admin = admin

	addon := func(ad AddonVersion, deps []pulumi.Resource) (*Addon, error) {
		return NewAddon(ctx, a.ClusterName+"-"+ad.Addon.Name, &AddonArgs{
			ClusterName:       cluster.Name,
			KubernetesVersion: a.KubernetesVersion,
			Partition:         a.Partition,
			Addon:             ad.Addon,
			Version:           ad.Version,
			OIDCProviderARN:   cluster.OIDCProviderARN,
			OIDCIssuerURL:     cluster.OIDCIssuerURL,
			Toleration:        a.NodeGroup.Taint,
			Tags:              a.Tags,
			WaitFor:           deps,
		}, parent)
	}

	// Addons the nodes need to become Ready (the VPC CNI) come first...
	var early []pulumi.Resource
	for _, ad := range a.Addons {
		if ad.Addon.Install != catalog.BeforeNodes {
			continue
		}
		res, err := addon(ad, nil)
		if err != nil {
			return nil, err
		}
		f.Addons[ad.Addon.Name] = res
		// Wait for the addon itself, not its component: a dependency on a
		// component means whichever of its children exist at that moment.
		early = append(early, res.Addon)
	}

	group, err := NewManagementNodeGroup(ctx, a.ClusterName+"-mng", &ManagementNodeGroupArgs{
		ClusterName:       cluster.Name,
		KubernetesVersion: a.KubernetesVersion,
		Partition:         a.Partition,
		SubnetIDs:         a.PrivateSubnetIDs,
		NodeGroupSettings: a.NodeGroup,
		Tags:              a.Tags,
		WaitFor:           early,
	}, parent)
	if err != nil {
		return nil, err
	}
	f.NodeGroup = group

	// ...the others need somewhere to schedule, so they wait for the nodes.
	for _, ad := range a.Addons {
		if ad.Addon.Install == catalog.BeforeNodes {
			continue
		}
		res, err := addon(ad, []pulumi.Resource{group.NodeGroup})
		if err != nil {
			return nil, err
		}
		f.Addons[ad.Addon.Name] = res
	}

	// In-cluster objects wait for the nodes, the addons and the deployer's
	// way in.
	f.Ready = append([]pulumi.Resource{group.NodeGroup}, cluster.DeployerIngress...)
	versions := pulumi.StringMap{}
	names := make([]string, 0, len(f.Addons))
	for n := range f.Addons {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		versions[n] = f.Addons[n].Version
		f.Ready = append(f.Ready, f.Addons[n].Addon)
	}
	f.AddonVersions = versions.ToStringMapOutput()

	if err := ctx.RegisterResourceOutputs(f, pulumi.Map{
		"clusterName":   cluster.Name,
		"kmsKeyArn":     key.KeyARN,
		"nodeGroupName": group.NodeGroupName,
		"addonVersions": f.AddonVersions,
		"adminRoleArn":  admin.RoleARN,
	}); err != nil {
		return nil, err
	}
	return f, nil
}

// logKey encrypts the control-plane logs with the created key, whose policy
// lets CloudWatch Logs use it; a brought key's policy may not.
func logKey(k *SecretsKey) pulumi.StringInput {
	if !k.Created {
		return nil
	}
	return k.KeyARN
}
