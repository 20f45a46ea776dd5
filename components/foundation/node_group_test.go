package foundation

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/internal/awsanswers"
	"github.com/eksplatform/eksplatform/internal/mockengine"
)

func nodeGroupArgs(mod func(*ManagementNodeGroupArgs)) *ManagementNodeGroupArgs {
	a := &ManagementNodeGroupArgs{
		ClusterName:       pulumi.String(testCluster),
		KubernetesVersion: "1.34",
		Partition:         "aws",
		SubnetIDs:         pulumi.ToStringArray([]string{"subnet-0a11aa11aa11aa111", "subnet-0b22bb22bb22bb222"}),
		NodeGroupSettings: NodeGroupSettings{
			InstanceTypes: []string{"m7g.large", "m7g.xlarge"},
			MinSize:       2, DesiredSize: 3, MaxSize: 4,
			AMIType:        "AL2023_ARM_64_STANDARD",
			ReleaseVersion: ReleaseLatest,
			DiskSizeGiB:    80,
			CapacityType:   "ON_DEMAND",
			Taint:          mgmtTaint,
			Labels:         map[string]string{"dedicated": "management"},
			IMDSHopLimit:   1,
		},
	}
	if mod != nil {
		mod(a)
	}
	return a
}

func runNodeGroup(t *testing.T, args *ManagementNodeGroupArgs) (*mockengine.Engine, string) {
	t.Helper()
	var release string
	e := run(t, func(ctx *pulumi.Context, p *aws.Provider) error {
		g, err := NewManagementNodeGroup(ctx, "mng", args, pulumi.Providers(p))
		if err != nil {
			return err
		}
		v, err := mockengine.Await(g.ReleaseVersion)
		release, _ = v[0].(string)
		return err
	})
	return e, release
}

func TestNodeGroupIsTaintedArmWithScaling(t *testing.T) {
	t.Parallel()
	e, _ := runNodeGroup(t, nodeGroupArgs(nil))
	in := find(t, e, "aws:eks/nodeGroup:NodeGroup", "mng").In()
	assert.Equal(t, "AL2023_ARM_64_STANDARD", in["amiType"])
	assert.Equal(t, []any{"m7g.large", "m7g.xlarge"}, in["instanceTypes"])
	assert.Equal(t, map[string]any{"minSize": 2.0, "desiredSize": 3.0, "maxSize": 4.0}, in["scalingConfig"])
	assert.Equal(t, []any{map[string]any{"key": "dedicated", "value": "management", "effect": "NO_SCHEDULE"}}, in["taints"])
	assert.Equal(t, map[string]any{"dedicated": "management"}, in["labels"])
	assert.Equal(t, "1.34", in["version"])
	assert.Equal(t, "ON_DEMAND", in["capacityType"])
	assert.Equal(t, map[string]any{"maxUnavailable": 1.0}, in["updateConfig"])
	assert.Equal(t, map[string]any{"enabled": true}, in["nodeRepairConfig"])
	assert.NotContains(t, in, "diskSize", "the launch template sizes the disk")
}

func TestNodeGroupLaunchTemplateRequiresIMDSv2AndEncryption(t *testing.T) {
	t.Parallel()
	for _, hop := range []int{1, 2} {
		e, _ := runNodeGroup(t, nodeGroupArgs(func(a *ManagementNodeGroupArgs) { a.IMDSHopLimit = hop }))
		lt := find(t, e, "aws:ec2/launchTemplate:LaunchTemplate", "mng")
		assert.Equal(t, map[string]any{
			"httpEndpoint": "enabled", "httpTokens": "required",
			"httpPutResponseHopLimit": float64(hop), "instanceMetadataTags": "disabled",
		}, lt.In()["metadataOptions"])
		assert.Equal(t, []any{map[string]any{"deviceName": "/dev/xvda", "ebs": map[string]any{
			"volumeSize": 80.0, "volumeType": "gp3", "encrypted": "true", "deleteOnTermination": "true",
		}}}, lt.In()["blockDeviceMappings"])
		ng := find(t, e, "aws:eks/nodeGroup:NodeGroup", "mng").In()
		assert.Equal(t, lt.ID, ng["launchTemplate"].(map[string]any)["id"])
		assert.Equal(t, "1", ng["launchTemplate"].(map[string]any)["version"])
	}
}

func TestNodeGroupRoleIsLeastPrivilege(t *testing.T) {
	t.Parallel()
	e, _ := runNodeGroup(t, nodeGroupArgs(nil))
	role := find(t, e, "aws:iam/role:Role", "mng-node")
	var trust map[string]any
	require.NoError(t, json.Unmarshal([]byte(role.In()["assumeRolePolicy"].(string)), &trust))
	stmt := trust["Statement"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"Service": "ec2.amazonaws.com"}, stmt["Principal"])
	assert.Equal(t, "sts:AssumeRole", stmt["Action"])

	var policies []string
	for _, att := range e.ByType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
		policies = append(policies, att.In()["policyArn"].(string))
		assert.Equal(t, role.Out()["name"], att.In()["role"])
	}
	assert.ElementsMatch(t, []string{
		"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
		"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
		"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
	}, policies, "no CNI policy on the node role: vpc-cni has its own IRSA role")
	ngRole := find(t, e, "aws:eks/nodeGroup:NodeGroup", "mng").In()["nodeRoleArn"]
	assert.Equal(t, role.Out()["arn"], ngRole)
}

func TestNodeGroupReleaseVersion(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		amiType, release string
		wantParam        string
		wantRelease      string
	}{
		"latest AL2023 arm64": {"AL2023_ARM_64_STANDARD", ReleaseLatest,
			"/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/arm64/standard/recommended/release_version",
			awsanswers.AMIRelease("1.34", "al2023", "arm64")},
		"latest AL2023 x86_64": {"AL2023_x86_64_STANDARD", ReleaseLatest,
			"/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/recommended/release_version",
			awsanswers.AMIRelease("1.34", "al2023", "x86_64")},
		"latest Bottlerocket arm64": {"BOTTLEROCKET_ARM_64", ReleaseLatest,
			"/aws/service/bottlerocket/aws-k8s-1.34/arm64/latest/image_version",
			awsanswers.AMIRelease("1.34", "bottlerocket", "arm64")},
		"pinned release": {"AL2023_ARM_64_STANDARD", "1.34.2-20251120", "", "1.34.2-20251120"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, release := runNodeGroup(t, nodeGroupArgs(func(a *ManagementNodeGroupArgs) {
				a.AMIType, a.ReleaseVersion = tc.amiType, tc.release
				if tc.amiType == "AL2023_x86_64_STANDARD" {
					a.InstanceTypes = []string{"m7i.large"}
				}
			}))
			calls := e.Invokes("aws:ssm/getParameter:getParameter")
			if tc.wantParam == "" {
				assert.Empty(t, calls, "a pinned release reads nothing")
			} else {
				require.Len(t, calls, 1)
				assert.Equal(t, tc.wantParam, calls[0].Args["name"].StringValue())
				assert.Contains(t, calls[0].Provider, "pulumi:providers:aws::aws", "looked up through the cluster's provider")
			}
			assert.Equal(t, tc.wantRelease, find(t, e, "aws:eks/nodeGroup:NodeGroup", "mng").In()["releaseVersion"])
			assert.Equal(t, tc.wantRelease, release)
		})
	}
}

func TestNodeGroupWaitsFor(t *testing.T) {
	t.Parallel()
	e := run(t, func(ctx *pulumi.Context, p *aws.Provider) error {
		before, err := NewSecretsKey(ctx, "before", &SecretsKeyArgs{ClusterName: testCluster, Partition: "aws", Region: "eu-west-1", AccountID: testAccount}, pulumi.Providers(p))
		if err != nil {
			return err
		}
		_, err = NewManagementNodeGroup(ctx, "mng", nodeGroupArgs(func(a *ManagementNodeGroupArgs) {
			a.WaitFor = []pulumi.Resource{before.Key}
		}), pulumi.Providers(p))
		return err
	})
	assert.Contains(t, find(t, e, "aws:eks/nodeGroup:NodeGroup", "mng").DependsOn, find(t, e, "aws:kms/key:Key", "before").URN)
}

// TestWaitForRefusesComponents: waiting for a component raced with the SDK
// adding its children (this test's earlier form, which waited for the
// SecretsKey component, missed the key once in a few dozen runs).
func TestWaitForRefusesComponents(t *testing.T) {
	t.Parallel()
	err := runErr(func(ctx *pulumi.Context, p *aws.Provider) error {
		before, err := NewSecretsKey(ctx, "before", &SecretsKeyArgs{ClusterName: testCluster, Partition: "aws", Region: "eu-west-1", AccountID: testAccount}, pulumi.Providers(p))
		if err != nil {
			return err
		}
		_, err = NewManagementNodeGroup(ctx, "mng", nodeGroupArgs(func(a *ManagementNodeGroupArgs) {
			a.WaitFor = []pulumi.Resource{before}
		}), pulumi.Providers(p))
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WaitFor[0] is *foundation.SecretsKey, a component: wait for its custom resources")
}

func TestNodeGroupRejectsBadArgs(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		mod  func(*ManagementNodeGroupArgs)
		want string
	}{
		"untainted":          {func(a *ManagementNodeGroupArgs) { a.Taint = Taint{} }, "the management group must be tainted"},
		"sizes out of order": {func(a *ManagementNodeGroupArgs) { a.MinSize = 5 }, "1 <= min <= desired <= max, got 5/3/4"},
		"hop limit 3":        {func(a *ManagementNodeGroupArgs) { a.IMDSHopLimit = 3 }, "IMDSHopLimit must be 1 or 2"},
		"unknown AMI":        {func(a *ManagementNodeGroupArgs) { a.AMIType = "AL2_ARM_64" }, `unknown AMIType "AL2_ARM_64"`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := runErr(func(ctx *pulumi.Context, _ *aws.Provider) error {
				_, err := NewManagementNodeGroup(ctx, "mng", nodeGroupArgs(tc.mod))
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
