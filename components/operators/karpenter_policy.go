package operators

import (
	"fmt"

	"github.com/eksplatform/eksplatform/components/internal/iampolicy"
)

// KarpenterOmittedActions are the AWS calls karpenter's SDK interfaces
// (pkg/aws/sdk.go) declare that this policy does not grant, and why. A test
// compares the policy with the interfaces of the pinned version.
var KarpenterOmittedActions = map[string]string{
	"ec2:RebootInstances":                "node repair's reboot, behind a feature gate the platform leaves off",
	"arc-zonal-shift:GetManagedResource": "zonal shift support, behind a feature gate the platform leaves off",
	"sqs:SendMessage":                    "karpenter only receives from its interruption queue; EventBridge sends (the queue policy)",
	"iam:GetRole":                        "declared by the SDK interface, called by no production code path of the pinned release",
	"timestream:WriteRecords":            "karpenter's own test harness",
}

// KarpenterControllerPolicy is the controller policy karpenter documents for
// v1, scoped to one cluster: instances, launch templates and instance
// profiles are only created, tagged and deleted with this cluster's tags; the
// queue, the node role and the cluster are named by ARN.
func KarpenterControllerPolicy(partition, region, account, cluster, queueARN, nodeRoleARN string) string {
	ec2ARN := func(resource string) string { return fmt.Sprintf("arn:%s:ec2:%s:*:%s", partition, region, resource) }
	clusterTag := "kubernetes.io/cluster/" + cluster
	launched := []string{ec2ARN("fleet/*"), ec2ARN("instance/*"), ec2ARN("volume/*"), ec2ARN("network-interface/*"), ec2ARN("launch-template/*"), ec2ARN("spot-instances-request/*")}
	return iampolicy.New(
		iampolicy.Statement{
			Sid: "AllowScopedEC2InstanceAccessActions", Effect: "Allow",
			Action: []string{"ec2:RunInstances", "ec2:CreateFleet"},
			Resource: []string{
				fmt.Sprintf("arn:%s:ec2:%s::image/*", partition, region),
				fmt.Sprintf("arn:%s:ec2:%s::snapshot/*", partition, region),
				ec2ARN("security-group/*"), ec2ARN("subnet/*"), ec2ARN("capacity-reservation/*"),
			},
		},
		iampolicy.Statement{
			Sid: "AllowScopedEC2LaunchTemplateAccessActions", Effect: "Allow",
			Action:   []string{"ec2:RunInstances", "ec2:CreateFleet"},
			Resource: ec2ARN("launch-template/*"),
			Condition: map[string]map[string]any{
				"StringEquals": {"aws:ResourceTag/" + clusterTag: "owned"},
				"StringLike":   {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
			},
		},
		iampolicy.Statement{
			Sid: "AllowScopedEC2InstanceActionsWithTags", Effect: "Allow",
			Action:   []string{"ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"},
			Resource: launched,
			Condition: map[string]map[string]any{
				"StringEquals": {"aws:RequestTag/" + clusterTag: "owned", "aws:RequestTag/eks:eks-cluster-name": cluster},
				"StringLike":   {"aws:RequestTag/karpenter.sh/nodepool": "*"},
			},
		},
		iampolicy.Statement{
			Sid: "AllowScopedResourceCreationTagging", Effect: "Allow",
			Action:   "ec2:CreateTags",
			Resource: launched,
			Condition: map[string]map[string]any{
				"StringEquals": {
					"aws:RequestTag/" + clusterTag:        "owned",
					"aws:RequestTag/eks:eks-cluster-name": cluster,
					"ec2:CreateAction":                    []string{"RunInstances", "CreateFleet", "CreateLaunchTemplate"},
				},
				"StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
			},
		},
		iampolicy.Statement{
			Sid: "AllowScopedResourceTagging", Effect: "Allow",
			Action: "ec2:CreateTags", Resource: ec2ARN("instance/*"),
			Condition: map[string]map[string]any{
				"StringEquals":              {"aws:ResourceTag/" + clusterTag: "owned"},
				"StringLike":                {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
				"StringEqualsIfExists":      {"aws:RequestTag/eks:eks-cluster-name": cluster},
				"ForAllValues:StringEquals": {"aws:TagKeys": []string{"eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"}},
			},
		},
		iampolicy.Statement{
			Sid: "AllowScopedDeletion", Effect: "Allow",
			Action:   []string{"ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"},
			Resource: []string{ec2ARN("instance/*"), ec2ARN("launch-template/*")},
			Condition: map[string]map[string]any{
				"StringEquals": {"aws:ResourceTag/" + clusterTag: "owned"},
				"StringLike":   {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
			},
		},
		iampolicy.Statement{
			Sid: "AllowRegionalReadActions", Effect: "Allow", Resource: "*",
			Action: []string{
				"ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstances",
				"ec2:DescribeInstanceStatus", "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes",
				"ec2:DescribeLaunchTemplates", "ec2:DescribePlacementGroups", "ec2:DescribeSecurityGroups",
				"ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets",
			},
			Condition: map[string]map[string]any{"StringEquals": {"aws:RequestedRegion": region}},
		},
		iampolicy.Statement{
			Sid: "AllowSSMReadActions", Effect: "Allow", Action: "ssm:GetParameter",
			Resource: fmt.Sprintf("arn:%s:ssm:%s::parameter/aws/service/*", partition, region),
		},
		iampolicy.Statement{Sid: "AllowPricingReadActions", Effect: "Allow", Action: "pricing:GetProducts", Resource: "*"},
		iampolicy.Statement{
			Sid: "AllowInterruptionQueueActions", Effect: "Allow", Resource: queueARN,
			Action: []string{"sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"},
		},
		iampolicy.Statement{
			Sid: "AllowPassingInstanceRole", Effect: "Allow", Action: "iam:PassRole", Resource: nodeRoleARN,
			Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": []string{"ec2.amazonaws.com", "ec2.amazonaws.com.cn"}}},
		},
		iampolicy.Statement{
			Sid: "AllowScopedInstanceProfileCreationActions", Effect: "Allow", Action: "iam:CreateInstanceProfile",
			Resource: fmt.Sprintf("arn:%s:iam::%s:instance-profile/*", partition, account),
			Condition: map[string]map[string]any{
				"StringEquals": {
					"aws:RequestTag/" + clusterTag:                 "owned",
					"aws:RequestTag/eks:eks-cluster-name":          cluster,
					"aws:RequestTag/topology.kubernetes.io/region": region,
				},
				"StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
			},
		},
		iampolicy.Statement{
			Sid: "AllowScopedInstanceProfileTagActions", Effect: "Allow", Action: "iam:TagInstanceProfile",
			Resource: fmt.Sprintf("arn:%s:iam::%s:instance-profile/*", partition, account),
			Condition: map[string]map[string]any{
				"StringEquals": {
					"aws:ResourceTag/" + clusterTag:                 "owned",
					"aws:ResourceTag/topology.kubernetes.io/region": region,
					"aws:RequestTag/" + clusterTag:                  "owned",
					"aws:RequestTag/eks:eks-cluster-name":           cluster,
					"aws:RequestTag/topology.kubernetes.io/region":  region,
				},
				"StringLike": {
					"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
					"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass":  "*",
				},
			},
		},
		iampolicy.Statement{
			Sid: "AllowScopedInstanceProfileActions", Effect: "Allow",
			Action:   []string{"iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"},
			Resource: fmt.Sprintf("arn:%s:iam::%s:instance-profile/*", partition, account),
			Condition: map[string]map[string]any{
				"StringEquals": {
					"aws:ResourceTag/" + clusterTag:                 "owned",
					"aws:ResourceTag/topology.kubernetes.io/region": region,
				},
				"StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
			},
		},
		iampolicy.Statement{
			Sid: "AllowInstanceProfileReadActions", Effect: "Allow", Action: "iam:GetInstanceProfile",
			Resource: fmt.Sprintf("arn:%s:iam::%s:instance-profile/*", partition, account),
		},
		iampolicy.Statement{
			// The instance-profile garbage collection and the EC2NodeClass
			// finalizer list profiles; without it deleting a node class never
			// finishes and destroy hangs. It acts on no resource type: "*".
			Sid: "AllowInstanceProfileListing", Effect: "Allow", Action: "iam:ListInstanceProfiles", Resource: "*",
		},
		iampolicy.Statement{
			Sid: "AllowAPIServerEndpointDiscovery", Effect: "Allow", Action: "eks:DescribeCluster",
			Resource: fmt.Sprintf("arn:%s:eks:%s:%s:cluster/%s", partition, region, account, cluster),
		},
	).JSON()
}
