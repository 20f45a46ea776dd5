package operators

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/internal/iampolicy"
	"github.com/eksplatform/eksplatform/components/irsa"
	"github.com/eksplatform/eksplatform/components/kube"
)

// Karpenter's namespace, service account and node class name.
const (
	KarpenterNamespace      = "karpenter"
	KarpenterServiceAccount = "karpenter"
	NodeClassName           = "default"
	// DiscoveryTag marks the subnets and security groups karpenter launches into.
	DiscoveryTag = "karpenter.sh/discovery"
)

// Where the controller runs.
const (
	RunOnManagement = "management"
	RunOnFargate    = "fargate"
)

// NodePool is one karpenter NodePool.
type NodePool struct {
	// Name is "arm" or "amd"; Architecture "arm64" or "amd64".
	Name                  string
	Architecture          string
	CapacityTypes         []string
	InstanceCategories    []string
	MinInstanceGeneration int
	CPULimit              int
	MemoryLimitGiB        int
	ConsolidationPolicy   string
	ConsolidateAfter      string
	ExpireAfter           string
	// Weight orders pools for pods that fit several; higher is tried first.
	Weight int
}

// InterruptionRule is one EventBridge rule feeding the interruption queue.
type InterruptionRule struct {
	Source, DetailType string
	// Was is the rule's key before the keys were shortened (resource names
	// are autonamed from the key: an EventBridge rule name holds 64
	// characters, and a 32-character cluster name left too few); it keeps
	// existing rules through an alias.
	Was string
}

// InterruptionRules are the EventBridge rules that feed the interruption
// queue, by stable key: the events after which karpenter drains a node early.
var InterruptionRules = map[string]InterruptionRule{
	"health":    {"aws.health", "AWS Health Event", "health-scheduled-change"},
	"spot":      {"aws.ec2", "EC2 Spot Instance Interruption Warning", "spot-interruption"},
	"rebalance": {"aws.ec2", "EC2 Instance Rebalance Recommendation", "rebalance"},
	"state":     {"aws.ec2", "EC2 Instance State-change Notification", "instance-state-change"},
	// Capacity reservations that end: karpenter drains their nodes first.
	"capacity": {"aws.ec2", "EC2 Capacity Reservation Instance Interruption Warning", ""},
}

// KarpenterArgs configures karpenter.
type KarpenterArgs struct {
	ClusterName            string
	Region                 string
	Partition              string
	AccountID              string
	ClusterEndpoint        pulumi.StringInput
	ClusterSecurityGroupID pulumi.StringInput
	IRSA                   irsa.Cluster
	KubernetesProvider     pulumi.ProviderResource
	CRDChart               catalog.Chart
	Chart                  catalog.Chart
	// RunOn is RunOnManagement or RunOnFargate; FargateSubnetIDs are the
	// private subnets of the Fargate profile.
	RunOn            string
	FargateSubnetIDs pulumi.StringArrayInput
	// NodeSubnetIDs select the nodes' subnets by id (an adopted VPC, whose
	// subnets are not the stack's to tag); nil selects the private subnets
	// by the discovery tag the VPC layer puts on them.
	NodeSubnetIDs []string
	// Toleration and NodeSelector put the controller on the management pool.
	Toleration   kube.Taint
	NodeSelector map[string]string
	// AMIAlias is the EC2NodeClass AMI alias, e.g. "al2023@latest".
	AMIAlias          string
	NodeVolumeSizeGiB int
	NodePools         []NodePool
	WaitFor           []pulumi.Resource
	Tags              map[string]string
}

// Karpenter is the controller with its IAM, interruption handling, node
// class and node pools.
type Karpenter struct {
	pulumi.ResourceState

	QueueName   pulumi.StringOutput
	RoleARN     pulumi.StringOutput
	NodeRoleARN pulumi.StringOutput
	// Release is the controller's Helm release, for dependencies.
	Release pulumi.Resource
	// NodePools are the NodePool objects, for workloads that need nodes.
	NodePools []pulumi.Resource
}

func validateKarpenter(a *KarpenterArgs) argcheck.Errors {
	var errs argcheck.Errors
	errs.Check(a.ClusterName != "" && a.Region != "" && a.Partition != "" && a.AccountID != "", "ClusterName, Region, Partition and AccountID are required")
	errs.Check(a.ClusterEndpoint != nil && a.ClusterSecurityGroupID != nil, "ClusterEndpoint and ClusterSecurityGroupID are required")
	errs.Check(a.IRSA.Valid(), "IRSA needs the cluster's OIDC provider ARN and issuer URL")
	errs.Check(a.KubernetesProvider != nil, "KubernetesProvider is required")
	errs.Check(a.CRDChart.Valid() && a.Chart.Valid(), "CRDChart and Chart need repository, chart and version")
	errs.Check(a.RunOn == RunOnManagement || a.RunOn == RunOnFargate, "RunOn must be %q or %q, got %q", RunOnManagement, RunOnFargate, a.RunOn)
	errs.Check(a.RunOn != RunOnFargate || a.FargateSubnetIDs != nil, "FargateSubnetIDs is required to run on Fargate")
	errs.Check(a.RunOn != RunOnManagement || (a.Toleration.Key != "" && len(a.NodeSelector) > 0), "Toleration and NodeSelector are required to run on the management pool")
	errs.Check(strings.Contains(a.AMIAlias, "@"), "AMIAlias must look like family@version, got %q", a.AMIAlias)
	errs.Check(a.NodeVolumeSizeGiB >= 20, "NodeVolumeSizeGiB must be at least 20")
	arches := map[string]bool{}
	for _, p := range a.NodePools {
		errs.Check(p.Name != "" && (p.Architecture == "arm64" || p.Architecture == "amd64"), "node pool %q: architecture must be arm64 or amd64, got %q", p.Name, p.Architecture)
		errs.Check(len(p.CapacityTypes) > 0 && len(p.InstanceCategories) > 0, "node pool %q: capacity types and instance categories are required", p.Name)
		errs.Check(p.ExpireAfter != "" && p.ConsolidateAfter != "", "node pool %q: ExpireAfter and ConsolidateAfter are required", p.Name)
		arches[p.Architecture] = true
	}
	errs.Check(arches["arm64"] && arches["amd64"], "NodePools must cover arm64 and amd64")
	return errs
}

// NewKarpenter declares karpenter and everything it needs.
func NewKarpenter(ctx *pulumi.Context, name string, args *KarpenterArgs, opts ...pulumi.ResourceOption) (*Karpenter, error) {
	if args == nil {
		return nil, fmt.Errorf("Karpenter %s: args are required", name)
	}
	a := args
	if err := validateKarpenter(a).Err("Karpenter", name); err != nil {
		return nil, err
	}
	k := &Karpenter{}
	if err := ctx.RegisterComponentResource("eksplatform:operators:Karpenter", name, k, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(k)

	queue, err := k.interruptionQueue(ctx, name, a)
	if err != nil {
		return nil, err
	}
	nodeRole, entry, err := k.nodeRole(ctx, name, a)
	if err != nil {
		return nil, err
	}
	policy := pulumi.All(queue.Arn, nodeRole.Arn).ApplyT(func(v []any) string {
		return KarpenterControllerPolicy(a.Partition, a.Region, a.AccountID, a.ClusterName, v[0].(string), v[1].(string))
	}).(pulumi.StringOutput)
	role, err := irsa.NewRole(ctx, name, irsa.RoleArgs{
		Cluster:         a.IRSA,
		Description:     "karpenter controller of " + a.ClusterName + " (eksplatform)",
		ServiceAccounts: []string{KarpenterNamespace + "/" + KarpenterServiceAccount},
		Policy:          policy,
		Tags:            a.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	k.RoleARN = role.Arn

	// The EKS-created cluster security group is on every node; karpenter finds
	// it, like the private subnets, by the discovery tag.
	sgTag, err := ec2.NewTag(ctx, name+"-cluster-sg-discovery", &ec2.TagArgs{
		ResourceId: a.ClusterSecurityGroupID,
		Key:        pulumi.String(DiscoveryTag),
		Value:      pulumi.String(a.ClusterName),
	}, parent)
	if err != nil {
		return nil, err
	}

	deps := append([]pulumi.Resource{role, entry, sgTag}, a.WaitFor...)
	if a.RunOn == RunOnFargate {
		profile, err := k.fargateProfile(ctx, name, a)
		if err != nil {
			return nil, err
		}
		deps = append(deps, profile)
	}

	crds, err := kube.NewRelease(ctx, name+"-crd", kube.ReleaseArgs{
		Name: "karpenter-crd", Namespace: KarpenterNamespace, CreateNamespace: true, Chart: a.CRDChart,
	}, a.KubernetesProvider, parent, pulumi.DependsOn(a.WaitFor))
	if err != nil {
		return nil, err
	}
	release, err := kube.NewRelease(ctx, name, kube.ReleaseArgs{
		Name: "karpenter", Namespace: KarpenterNamespace, CreateNamespace: true, Chart: a.Chart,
		Values: karpenterValues(a, queue.Name, role.Arn),
	}, a.KubernetesProvider, parent, pulumi.DependsOn(append(deps, crds)))
	if err != nil {
		return nil, err
	}
	k.Release = release

	nodeClass, err := apiextensions.NewCustomResource(ctx, name+"-"+NodeClassName, &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String("karpenter.k8s.aws/v1"),
		Kind:        pulumi.String("EC2NodeClass"),
		Metadata:    kube.Meta(NodeClassName, "", nil),
		OtherFields: kubernetes.UntypedArgs{"spec": nodeClassSpec(a, nodeRole.Name)},
	}, parent, pulumi.Provider(a.KubernetesProvider), pulumi.DependsOn([]pulumi.Resource{crds, release}))
	if err != nil {
		return nil, err
	}
	for _, p := range a.NodePools {
		np, err := apiextensions.NewCustomResource(ctx, name+"-"+p.Name, &apiextensions.CustomResourceArgs{
			ApiVersion:  pulumi.String("karpenter.sh/v1"),
			Kind:        pulumi.String("NodePool"),
			Metadata:    kube.Meta(p.Name, "", nil),
			OtherFields: kubernetes.UntypedArgs{"spec": NodePoolSpec(p)},
		}, parent, pulumi.Provider(a.KubernetesProvider), pulumi.DependsOn([]pulumi.Resource{crds, release, nodeClass}))
		if err != nil {
			return nil, err
		}
		k.NodePools = append(k.NodePools, np)
	}

	if err := ctx.RegisterResourceOutputs(k, pulumi.Map{
		"queueName":   k.QueueName,
		"roleArn":     k.RoleARN,
		"nodeRoleArn": k.NodeRoleARN,
	}); err != nil {
		return nil, err
	}
	return k, nil
}

// interruptionQueue is the SQS queue karpenter reads interruption events
// from, and the EventBridge rules that fill it.
func (k *Karpenter) interruptionQueue(ctx *pulumi.Context, name string, a *KarpenterArgs) (*sqs.Queue, error) {
	parent := pulumi.Parent(k)
	queue, err := sqs.NewQueue(ctx, name, &sqs.QueueArgs{
		MessageRetentionSeconds: pulumi.Int(300),
		SqsManagedSseEnabled:    pulumi.Bool(true),
		Tags:                    pulumi.ToStringMap(a.Tags),
	}, parent)
	if err != nil {
		return nil, err
	}
	k.QueueName = queue.Name
	if _, err := sqs.NewQueuePolicy(ctx, name, &sqs.QueuePolicyArgs{
		QueueUrl: queue.Url,
		Policy: queue.Arn.ApplyT(func(arn string) string {
			return iampolicy.New(
				iampolicy.Statement{
					Sid: "EventBridgeAndSQSOnly", Effect: "Allow",
					Principal: map[string]any{"Service": []string{"events.amazonaws.com", "sqs.amazonaws.com"}},
					Action:    "sqs:SendMessage", Resource: arn,
				},
				iampolicy.Statement{
					Sid: "DenyHTTP", Effect: "Deny", Principal: "*",
					Action: "sqs:*", Resource: arn,
					Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}},
				},
			).JSON()
		}).(pulumi.StringOutput),
	}, parent); err != nil {
		return nil, err
	}
	for _, key := range slices.Sorted(maps.Keys(InterruptionRules)) {
		r := InterruptionRules[key]
		pattern := fmt.Sprintf(`{"source":[%q],"detail-type":[%q]}`, r.Source, r.DetailType)
		var was []pulumi.ResourceOption
		if r.Was != "" && r.Was != key {
			was = append(was, pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(name + "-" + r.Was)}}))
		}
		rule, err := cloudwatch.NewEventRule(ctx, name+"-"+key, &cloudwatch.EventRuleArgs{
			Description:  pulumi.Sprintf("%s for karpenter of %s", r.DetailType, a.ClusterName),
			EventPattern: pulumi.String(pattern),
			Tags:         pulumi.ToStringMap(a.Tags),
		}, append([]pulumi.ResourceOption{parent}, was...)...)
		if err != nil {
			return nil, err
		}
		if _, err := cloudwatch.NewEventTarget(ctx, name+"-"+key, &cloudwatch.EventTargetArgs{
			Rule:     rule.Name,
			Arn:      queue.Arn,
			TargetId: pulumi.String("karpenter-interruption-queue"),
		}, append([]pulumi.ResourceOption{parent}, was...)...); err != nil {
			return nil, err
		}
	}
	return queue, nil
}

// nodeRole is the role of the nodes karpenter launches and the access entry
// that lets them join the cluster.
func (k *Karpenter) nodeRole(ctx *pulumi.Context, name string, a *KarpenterArgs) (*iam.Role, pulumi.Resource, error) {
	parent := pulumi.Parent(k)
	role, err := iam.NewRole(ctx, name+"-node", &iam.RoleArgs{
		Description:      pulumi.Sprintf("Nodes karpenter launches for %s (eksplatform)", a.ClusterName),
		AssumeRolePolicy: pulumi.String(iampolicy.ServiceTrust("ec2.amazonaws.com")),
		Tags:             pulumi.ToStringMap(a.Tags),
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	var attachments []pulumi.Resource
	for _, p := range []string{"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore"} {
		att, err := iam.NewRolePolicyAttachment(ctx, name+"-node-"+strings.ToLower(p), &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String(iampolicy.ManagedPolicyARN(a.Partition, p)),
		}, parent)
		if err != nil {
			return nil, nil, err
		}
		attachments = append(attachments, att)
	}
	k.NodeRoleARN = role.Arn
	entry, err := awseks.NewAccessEntry(ctx, name+"-node", &awseks.AccessEntryArgs{
		ClusterName:  pulumi.String(a.ClusterName),
		PrincipalArn: role.Arn,
		Type:         pulumi.String("EC2_LINUX"),
		Tags:         pulumi.ToStringMap(a.Tags),
	}, parent, pulumi.DependsOn(append(attachments, a.WaitFor...)))
	if err != nil {
		return nil, nil, err
	}
	return role, entry, nil
}

// fargateProfile runs the karpenter namespace on Fargate, so the controller
// never depends on nodes it manages.
func (k *Karpenter) fargateProfile(ctx *pulumi.Context, name string, a *KarpenterArgs) (pulumi.Resource, error) {
	parent := pulumi.Parent(k)
	sourceARN := fmt.Sprintf("arn:%s:eks:%s:%s:fargateprofile/%s/*", a.Partition, a.Region, a.AccountID, a.ClusterName)
	role, err := iam.NewRole(ctx, name+"-fargate", &iam.RoleArgs{
		Description: pulumi.Sprintf("Fargate pods of karpenter on %s (eksplatform)", a.ClusterName),
		AssumeRolePolicy: pulumi.String(iampolicy.New(iampolicy.Statement{
			Effect: "Allow", Principal: map[string]any{"Service": "eks-fargate-pods.amazonaws.com"},
			Action:    "sts:AssumeRole",
			Condition: map[string]map[string]any{"ArnLike": {"aws:SourceArn": sourceARN}},
		}).JSON()),
		Tags: pulumi.ToStringMap(a.Tags),
	}, parent)
	if err != nil {
		return nil, err
	}
	att, err := iam.NewRolePolicyAttachment(ctx, name+"-fargate", &iam.RolePolicyAttachmentArgs{
		Role: role.Name, PolicyArn: pulumi.String(iampolicy.ManagedPolicyARN(a.Partition, "AmazonEKSFargatePodExecutionRolePolicy")),
	}, parent)
	if err != nil {
		return nil, err
	}
	return awseks.NewFargateProfile(ctx, name, &awseks.FargateProfileArgs{
		ClusterName:         pulumi.String(a.ClusterName),
		PodExecutionRoleArn: role.Arn,
		SubnetIds:           a.FargateSubnetIDs,
		Selectors:           awseks.FargateProfileSelectorArray{awseks.FargateProfileSelectorArgs{Namespace: pulumi.String(KarpenterNamespace)}},
		Tags:                pulumi.ToStringMap(a.Tags),
	}, parent, pulumi.DependsOn(append([]pulumi.Resource{att}, a.WaitFor...)))
}
