package foundation

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/internal/awsanswers"
	"github.com/eksplatform/eksplatform/internal/mockengine"
)

func foundationArgs() *Args {
	return &Args{
		ClusterName:            testCluster,
		KubernetesVersion:      "1.34",
		Partition:              "aws",
		Region:                 testRegion,
		AccountID:              testAccount,
		Protect:                true,
		AdminTrustedPrincipals: []string{"arn:aws:iam::111122223333:role/PlatformOnCall"},
		VpcID:                  pulumi.String("vpc-0a1b2c3d4e5f60718"),
		PrivateSubnetIDs:       pulumi.ToStringArray([]string{"subnet-0a11aa11aa11aa111", "subnet-0b22bb22bb22bb222"}),
		LogTypes:               catalog.ControlPlaneLogTypes,
		LogRetentionDays:       90,
		NodeGroup: NodeGroupSettings{
			InstanceTypes: []string{"m7g.large"}, MinSize: 1, DesiredSize: 2, MaxSize: 3,
			AMIType: "AL2023_ARM_64_STANDARD", ReleaseVersion: ReleaseLatest, DiskSizeGiB: 50,
			CapacityType: "ON_DEMAND", Taint: mgmtTaint, IMDSHopLimit: 1,
		},
		Addons: []AddonVersion{
			{addonSpec("aws-ebs-csi-driver"), "latest"}, {addonSpec("aws-efs-csi-driver"), "latest"}, {addonSpec("coredns"), "latest"},
			{addonSpec("kube-proxy"), "default"}, {addonSpec("vpc-cni"), "v1.20.4-eksbuild.2"},
		},
	}
}

func TestFoundationOrdersAddonsAroundTheNodeGroup(t *testing.T) {
	t.Parallel()
	var versions map[string]string
	e := run(t, func(ctx *pulumi.Context, p *aws.Provider) error {
		args := foundationArgs()
		args.AWSProvider = p
		f, err := NewFoundation(ctx, testCluster, args, pulumi.Providers(p))
		if err != nil {
			return err
		}
		v, err := mockengine.Await(f.AddonVersions)
		versions = v[0].(map[string]string)
		return err
	})
	nodeGroup := find(t, e, "aws:eks/nodeGroup:NodeGroup", testCluster+"-mng")
	vpcCNI := find(t, e, "aws:eks/addon:Addon", testCluster+"-vpc-cni")
	assert.Contains(t, nodeGroup.DependsOn, vpcCNI.URN, "nodes join only after the VPC CNI is installed")
	assert.NotContains(t, vpcCNI.DependsOn, nodeGroup.URN)
	for _, name := range []string{"coredns", "kube-proxy", "aws-ebs-csi-driver", "aws-efs-csi-driver"} {
		addon := find(t, e, "aws:eks/addon:Addon", testCluster+"-"+name)
		assert.Contains(t, addon.DependsOn, nodeGroup.URN, "%s waits for nodes to schedule on", name)
	}

	cluster := find(t, e, "eks:index:Cluster", testCluster)
	key := find(t, e, "aws:kms/key:Key", testCluster+"-secrets")
	assert.Equal(t, key.Out()["arn"], cluster.In()["encryptionConfigKeyArn"], "secrets are encrypted with the foundation's key")
	assert.True(t, cluster.Protect)
	assert.True(t, key.Protect)

	require.Len(t, versions, 5)
	assert.Equal(t, "v1.20.4-eksbuild.2", versions["vpc-cni"])
	assert.Equal(t, awsanswers.AddonVersion("kube-proxy", "1.34", false), versions["kube-proxy"])
	assert.Equal(t, awsanswers.AddonVersion("coredns", "1.34", true), versions["coredns"])

	for _, typ := range []string{"eksplatform:foundation:SecretsKey", "eksplatform:foundation:Cluster",
		"eksplatform:foundation:ManagementNodeGroup", "eksplatform:foundation:Addon"} {
		for _, r := range e.ByType(typ) {
			assert.Equal(t, find(t, e, "eksplatform:foundation:Foundation", testCluster).URN, r.Parent, "%s %s is a child of the layer", typ, r.Name)
		}
	}
}

func TestFoundationEveryAWSResourceUsesTheClusterProvider(t *testing.T) {
	t.Parallel()
	e := run(t, func(ctx *pulumi.Context, p *aws.Provider) error {
		args := foundationArgs()
		args.AWSProvider = p
		_, err := NewFoundation(ctx, testCluster, args, pulumi.Providers(p))
		return err
	})
	n := 0
	for _, r := range e.Resources() {
		if r.Custom && r.Type != "pulumi:providers:aws" {
			n++
			assert.Contains(t, r.Provider, "pulumi:providers:aws::aws", "%s %s", r.Type, r.Name)
		}
	}
	assert.Greater(t, n, 10)
	for _, inv := range e.Invokes("aws:eks/getAddonVersion:getAddonVersion") {
		assert.Contains(t, inv.Provider, "pulumi:providers:aws::aws")
	}
}

func TestFoundationRejectsUnknownAddon(t *testing.T) {
	t.Parallel()
	err := runErr(func(ctx *pulumi.Context, _ *aws.Provider) error {
		args := foundationArgs()
		args.Addons = append(args.Addons, AddonVersion{catalog.Addon{Name: "istio"}, "latest"})
		_, err := NewFoundation(ctx, testCluster, args)
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "addon istio: install must be before-nodes or after-nodes")
}

func TestFoundationGivesTheClusterAnAdminRole(t *testing.T) {
	t.Parallel()
	var arn string
	e := run(t, func(ctx *pulumi.Context, p *aws.Provider) error {
		args := foundationArgs()
		args.AWSProvider = p
		f, err := NewFoundation(ctx, testCluster, args, pulumi.Providers(p))
		if err != nil {
			return err
		}
		v, err := mockengine.Await(f.Admin.RoleARN)
		arn, _ = v[0].(string)
		return err
	})
	cluster := find(t, e, "eks:index:Cluster", testCluster)
	entry := find(t, e, "aws:eks/accessEntry:AccessEntry", testCluster+"-admin")
	assert.Contains(t, entry.DependsOn, cluster.URN, "the entry is made once the cluster exists")
	assert.Equal(t, arn, entry.In()["principalArn"])
	assert.Equal(t, "arn:aws:iam::111122223333:role/"+testCluster+"-cluster-admin", arn)
	assert.Equal(t, find(t, e, "eksplatform:foundation:Foundation", testCluster).URN,
		find(t, e, "eksplatform:foundation:ClusterAdmin", testCluster+"-admin").Parent)
}
