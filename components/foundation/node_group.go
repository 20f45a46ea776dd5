package foundation

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/contract"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/internal/iampolicy"
)

// NodePolicies are the only managed policies of the management node role:
// kubelet registration, image pulls and SSM access for break-glass sessions.
// The VPC CNI's permissions are not here: vpc-cni runs with its own IRSA role.
var NodePolicies = []string{"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore"}

// ReleaseLatest asks for the newest EKS-optimized AMI release of the version.
const ReleaseLatest = "latest"

// Taint is a node taint; Effect uses the Kubernetes spelling (NoSchedule).
type Taint struct {
	Key, Value, Effect string
}

// NodeGroupSettings are the plain settings of the management node group,
// as the environment gives them.
type NodeGroupSettings struct {
	InstanceTypes []string
	MinSize       int
	DesiredSize   int
	MaxSize       int
	// AMIType is an EKS AMI type such as AL2023_ARM_64_STANDARD.
	AMIType string
	// ReleaseVersion is ReleaseLatest or an exact AMI release.
	ReleaseVersion string
	DiskSizeGiB    int
	CapacityType   string
	Taint          Taint
	Labels         map[string]string
	// IMDSHopLimit is 1 or 2; see the README on why 1 is the default.
	IMDSHopLimit int
}

// ManagementNodeGroupArgs configures the management node group.
type ManagementNodeGroupArgs struct {
	// ClusterName must come from the Cluster's output so the group waits for it.
	ClusterName       pulumi.StringInput
	KubernetesVersion string
	Partition         string
	SubnetIDs         pulumi.StringArrayInput
	NodeGroupSettings
	Tags map[string]string
	// WaitFor are resources the node group is created after (the VPC CNI
	// addon: nodes never become Ready without it). Custom resources only:
	// see checkWaitFor.
	WaitFor []pulumi.Resource
}

// ManagementNodeGroup is the tainted managed node group that runs the
// platform's controllers.
type ManagementNodeGroup struct {
	pulumi.ResourceState

	NodeGroupName  pulumi.StringOutput
	ReleaseVersion pulumi.StringOutput
	NodeRoleARN    pulumi.StringOutput
	// NodeGroup is the EKS node group, for dependencies.
	NodeGroup *awseks.NodeGroup
}

func amiArch(amiType string) (family, arch string, ok bool) {
	switch amiType {
	case "AL2023_ARM_64_STANDARD":
		return "al2023", "arm64", true
	case "AL2023_x86_64_STANDARD":
		return "al2023", "x86_64", true
	case "BOTTLEROCKET_ARM_64":
		return "bottlerocket", "arm64", true
	case "BOTTLEROCKET_x86_64":
		return "bottlerocket", "x86_64", true
	}
	return "", "", false
}

// ReleaseParameter is the public SSM parameter that holds the newest AMI
// release version for a Kubernetes version and AMI type.
func ReleaseParameter(kubernetesVersion, amiType string) (string, error) {
	family, arch, ok := amiArch(amiType)
	if !ok {
		return "", fmt.Errorf("no release parameter for AMI type %q", amiType)
	}
	if family == "bottlerocket" {
		return fmt.Sprintf("/aws/service/bottlerocket/aws-k8s-%s/%s/latest/image_version", kubernetesVersion, arch), nil
	}
	return fmt.Sprintf("/aws/service/eks/optimized-ami/%s/amazon-linux-2023/%s/standard/recommended/release_version", kubernetesVersion, arch), nil
}

// NewManagementNodeGroup declares the node role, a launch template that
// requires IMDSv2 and encrypts the root volume, and the EKS node group.
func NewManagementNodeGroup(ctx *pulumi.Context, name string, args *ManagementNodeGroupArgs, opts ...pulumi.ResourceOption) (*ManagementNodeGroup, error) {
	if args == nil {
		return nil, fmt.Errorf("ManagementNodeGroup %s: args are required", name)
	}
	a := args
	var errs argcheck.Errors
	errs.Check(a.ClusterName != nil, "ClusterName is required")
	errs.Check(a.SubnetIDs != nil, "SubnetIDs is required")
	errs.Check(a.KubernetesVersion != "", "KubernetesVersion is required")
	errs.Check(a.Partition != "", "Partition is required")
	errs.Check(len(a.InstanceTypes) > 0, "InstanceTypes is required")
	errs.Check(a.MinSize >= 1 && a.MinSize <= a.DesiredSize && a.DesiredSize <= a.MaxSize,
		"sizes must satisfy 1 <= min <= desired <= max, got %d/%d/%d", a.MinSize, a.DesiredSize, a.MaxSize)
	_, _, knownAMI := amiArch(a.AMIType)
	errs.Check(knownAMI, "unknown AMIType %q", a.AMIType)
	errs.Check(a.ReleaseVersion != "", "ReleaseVersion is required (%q or an exact release)", ReleaseLatest)
	errs.Check(a.DiskSizeGiB >= 20, "DiskSizeGiB must be at least 20, got %d", a.DiskSizeGiB)
	errs.Check(a.IMDSHopLimit == 1 || a.IMDSHopLimit == 2, "IMDSHopLimit must be 1 or 2, got %d", a.IMDSHopLimit)
	checkWaitFor(&errs, a.WaitFor)
	effect, knownEffect := catalog.TaintEffects[a.Taint.Effect]
	errs.Check(a.Taint.Key != "" && knownEffect, "the management group must be tainted: got key %q effect %q", a.Taint.Key, a.Taint.Effect)
	if err := errs.Err("ManagementNodeGroup", name); err != nil {
		return nil, err
	}

	g := &ManagementNodeGroup{}
	if err := ctx.RegisterComponentResource(contract.ManagementNodeGroup, name, g, opts...); err != nil {
		return nil, err
	}

	role, err := iam.NewRole(ctx, name+"-node", &iam.RoleArgs{
		Description:      pulumi.String("Management node group instances (eksplatform)"),
		AssumeRolePolicy: pulumi.String(iampolicy.ServiceTrust("ec2.amazonaws.com")),
		Tags:             pulumi.ToStringMap(a.Tags),
	}, pulumi.Parent(g))
	if err != nil {
		return nil, err
	}
	var attachments []pulumi.Resource
	for _, p := range NodePolicies {
		att, err := iam.NewRolePolicyAttachment(ctx, name+"-node-"+strings.ToLower(p), &iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: pulumi.String(iampolicy.ManagedPolicyARN(a.Partition, p)),
		}, pulumi.Parent(g))
		if err != nil {
			return nil, err
		}
		attachments = append(attachments, att)
	}

	nodeTags := map[string]string{"Name": name}
	for k, v := range a.Tags {
		nodeTags[k] = v
	}
	lt, err := ec2.NewLaunchTemplate(ctx, name, &ec2.LaunchTemplateArgs{
		Description: pulumi.String("Management node group: IMDSv2 only, encrypted gp3 root volume"),
		MetadataOptions: ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint:            pulumi.String("enabled"),
			HttpTokens:              pulumi.String("required"),
			HttpPutResponseHopLimit: pulumi.Int(a.IMDSHopLimit),
			InstanceMetadataTags:    pulumi.String("disabled"),
		},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String(rootDevice(a.AMIType)),
			Ebs: ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeSize:          pulumi.Int(a.DiskSizeGiB),
				VolumeType:          pulumi.String("gp3"),
				Encrypted:           pulumi.String("true"),
				DeleteOnTermination: pulumi.String("true"),
			},
		}},
		TagSpecifications: ec2.LaunchTemplateTagSpecificationArray{
			ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("instance"), Tags: pulumi.ToStringMap(nodeTags)},
			ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("volume"), Tags: pulumi.ToStringMap(nodeTags)},
		},
		Tags:                 pulumi.ToStringMap(a.Tags),
		UpdateDefaultVersion: pulumi.Bool(true),
	}, pulumi.Parent(g))
	if err != nil {
		return nil, err
	}

	release := pulumi.String(a.ReleaseVersion).ToStringOutput()
	if a.ReleaseVersion == ReleaseLatest {
		param, err := ReleaseParameter(a.KubernetesVersion, a.AMIType)
		if err != nil {
			return nil, err
		}
		// Read on every run: a new AMI release shows up in the next preview
		// as an in-place node group update (a rolling replacement of nodes).
		release = ssm.LookupParameterOutput(ctx, ssm.LookupParameterOutputArgs{Name: pulumi.String(param)}, pulumi.Parent(g)).Value()
	}

	labels := pulumi.StringMap{}
	for _, k := range sortedKeys(a.Labels) {
		labels[k] = pulumi.String(a.Labels[k])
	}
	ng, err := awseks.NewNodeGroup(ctx, name, &awseks.NodeGroupArgs{
		ClusterName:    a.ClusterName,
		NodeRoleArn:    role.Arn,
		SubnetIds:      a.SubnetIDs,
		Version:        pulumi.String(a.KubernetesVersion),
		ReleaseVersion: release,
		AmiType:        pulumi.String(a.AMIType),
		CapacityType:   pulumi.String(a.CapacityType),
		InstanceTypes:  pulumi.ToStringArray(a.InstanceTypes),
		ScalingConfig: awseks.NodeGroupScalingConfigArgs{
			MinSize:     pulumi.Int(a.MinSize),
			DesiredSize: pulumi.Int(a.DesiredSize),
			MaxSize:     pulumi.Int(a.MaxSize),
		},
		// One node at a time: the management group hosts singletons such as
		// the karpenter controller, and PodDisruptionBudgets are honoured.
		UpdateConfig: awseks.NodeGroupUpdateConfigArgs{MaxUnavailable: pulumi.Int(1)},
		Taints: awseks.NodeGroupTaintArray{awseks.NodeGroupTaintArgs{
			Key:    pulumi.String(a.Taint.Key),
			Value:  pulumi.String(a.Taint.Value),
			Effect: pulumi.String(effect),
		}},
		Labels: labels,
		LaunchTemplate: awseks.NodeGroupLaunchTemplateArgs{
			Id:      lt.ID(),
			Version: lt.LatestVersion.ApplyT(func(v int) string { return fmt.Sprint(v) }).(pulumi.StringOutput),
		},
		NodeRepairConfig: awseks.NodeGroupNodeRepairConfigArgs{Enabled: pulumi.Bool(true)},
		Tags:             pulumi.ToStringMap(a.Tags),
	}, pulumi.Parent(g), pulumi.DependsOn(append(attachments, a.WaitFor...)))
	if err != nil {
		return nil, err
	}
	g.NodeGroup = ng
	g.NodeGroupName = ng.NodeGroupName
	g.ReleaseVersion = ng.ReleaseVersion
	g.NodeRoleARN = role.Arn
	if err := ctx.RegisterResourceOutputs(g, pulumi.Map{
		"nodeGroupName":  g.NodeGroupName,
		"releaseVersion": g.ReleaseVersion,
		"nodeRoleArn":    g.NodeRoleARN,
	}); err != nil {
		return nil, err
	}
	return g, nil
}

// rootDevice is the root volume's device name of the AMI family. Bottlerocket
// keeps its OS on /dev/xvda and data on /dev/xvdb; the data volume is the one
// that grows with images, so that is the one sized here.
func rootDevice(amiType string) string {
	if strings.HasPrefix(amiType, "BOTTLEROCKET") {
		return "/dev/xvdb"
	}
	return "/dev/xvda"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkWaitFor refuses components in a WaitFor list: the Go SDK expands a
// dependency on a component into the children it has at that moment, and it
// adds children asynchronously, so waiting for a component can wait for
// nothing. Wait for its custom resources (the addon, not its component).
func checkWaitFor(errs *argcheck.Errors, waitFor []pulumi.Resource) {
	for i, r := range waitFor {
		_, custom := r.(pulumi.CustomResource)
		errs.Check(custom, "WaitFor[%d] is %T, a component: wait for its custom resources (a dependency on a component "+
			"covers only the children it has when the dependency is read)", i, r)
	}
}
