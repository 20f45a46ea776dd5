package network

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/irsa"
	"github.com/eksplatform/eksplatform/components/kube"
)

// LBControllerNamespace and service account of the aws-load-balancer-controller.
const (
	LBControllerNamespace      = "kube-system"
	LBControllerServiceAccount = "aws-load-balancer-controller"
)

// LoadBalancerControllerArgs configures the aws-load-balancer-controller.
type LoadBalancerControllerArgs struct {
	ClusterName string
	Region      string
	Partition   string
	AccountID   string
	VpcID       pulumi.StringInput
	// ClusterSecurityGroupID is the security group of the cluster's nodes.
	ClusterSecurityGroupID pulumi.StringInput
	IRSA                   irsa.Cluster
	// KubernetesProvider is the cluster's provider; every Kubernetes object uses it.
	KubernetesProvider pulumi.ProviderResource
	Chart              catalog.Chart
	// CRDs are the chart's CustomResourceDefinitions (its crds/, which Helm
	// never upgrades), applied by the program; required when the catalog
	// says the program applies them (Chart.CRDs).
	CRDs []catalog.CRD
	// IngressClass is made the cluster's default class; its Ingresses join
	// IngressGroup, so they share one ALB.
	IngressClass string
	IngressGroup string
	// Scheme is "internet-facing" or "internal".
	Scheme string
	// SubnetIDs put the group's ALB in these subnets (IngressClassParams
	// spec.subnets.ids): an adopted VPC's subnets are not the stack's to
	// tag. Nil lets the controller discover them by kubernetes.io/role tags.
	SubnetIDs  []string
	Toleration kube.Taint
	// WaitFor are what the controller's pods need (nodes, CNI, DNS).
	WaitFor []pulumi.Resource
	Tags    map[string]string
}

// LoadBalancerController is the controller, its IAM role and the default
// IngressClass with its group.
type LoadBalancerController struct {
	pulumi.ResourceState

	RoleARN pulumi.StringOutput
	// IngressClass is the name of the default class.
	IngressClass string
	// Release is the Helm release, for dependencies.
	Release pulumi.Resource
}

// NewLoadBalancerController installs the controller and the default IngressClass.
func NewLoadBalancerController(ctx *pulumi.Context, name string, args *LoadBalancerControllerArgs, opts ...pulumi.ResourceOption) (*LoadBalancerController, error) {
	if args == nil {
		return nil, fmt.Errorf("LoadBalancerController %s: args are required", name)
	}
	a := args
	var errs argcheck.Errors
	errs.Check(a.ClusterName != "" && a.Region != "" && a.Partition != "", "ClusterName, Region and Partition are required")
	errs.Check(a.AccountID != "", "AccountID is required")
	errs.Check(a.VpcID != nil && a.ClusterSecurityGroupID != nil, "VpcID and ClusterSecurityGroupID are required")
	errs.Check(a.IRSA.Valid(), "IRSA needs the cluster's OIDC provider ARN and issuer URL")
	errs.Check(a.KubernetesProvider != nil, "KubernetesProvider is required")
	errs.Check(a.Chart.Valid(), "Chart needs repository, chart and version")
	errs.Check(a.Chart.CRDs != catalog.CRDsFromProgram || len(a.CRDs) > 0, "CRDs are required: the program applies the CRDs of %s %s (catalog %s)", a.Chart.Chart, a.Chart.Version, catalog.CRDsFile(a.Chart))
	errs.Check(a.IngressClass != "" && a.IngressGroup != "", "IngressClass and IngressGroup are required")
	errs.Check(a.Scheme == "internet-facing" || a.Scheme == "internal", "Scheme must be internet-facing or internal, got %q", a.Scheme)
	errs.Check(a.Toleration.Key != "", "Toleration is required")
	if err := errs.Err("LoadBalancerController", name); err != nil {
		return nil, err
	}

	c := &LoadBalancerController{IngressClass: a.IngressClass}
	if err := ctx.RegisterComponentResource("eksplatform:network:LoadBalancerController", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	role, err := irsa.NewRole(ctx, name, irsa.RoleArgs{
		Cluster:         a.IRSA,
		Description:     "aws-load-balancer-controller of " + a.ClusterName + " (eksplatform)",
		ServiceAccounts: []string{LBControllerNamespace + "/" + LBControllerServiceAccount},
		Policy: pulumi.All(a.VpcID, a.ClusterSecurityGroupID).ApplyT(func(v []any) string {
			return LoadBalancerControllerPolicy(LBPolicyScope{
				Partition: a.Partition, Region: a.Region, Account: a.AccountID, Cluster: a.ClusterName,
				VpcID: v[0].(string), ClusterSecurityGroupID: v[1].(string),
			})
		}).(pulumi.StringOutput),
		Tags: a.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	c.RoleARN = role.Arn

	// The CRDs go first and stay: the release (and its webhooks) and every
	// IngressClassParams or TargetGroupBinding need them.
	crds, err := kube.ApplyCRDs(ctx, name, a.CRDs, a.KubernetesProvider, parent)
	if err != nil {
		return nil, err
	}

	release, err := kube.NewRelease(ctx, name, kube.ReleaseArgs{
		Name:      "aws-load-balancer-controller",
		Namespace: LBControllerNamespace,
		Chart:     a.Chart,
		SkipCRDs:  len(a.CRDs) > 0,
		Values: pulumi.Map{
			"clusterName":    pulumi.String(a.ClusterName),
			"region":         pulumi.String(a.Region),
			"vpcId":          a.VpcID,
			"replicaCount":   pulumi.Int(2),
			"serviceAccount": kube.ServiceAccountValues(LBControllerServiceAccount, role.Arn),
			// The IngressClass is declared below, with its parameters.
			"createIngressClassResource": pulumi.Bool(false),
			"ingressClass":               pulumi.String(a.IngressClass),
			"tolerations":                pulumi.ToArray(a.Toleration.Tolerations()),
			// Chart 3.x defaults this to false, which regenerates the
			// webhook certificate on every upgrade: for a moment the
			// webhooks refuse the Services and Ingresses they validate.
			"keepTLSSecret": pulumi.Bool(true),
		},
	}, a.KubernetesProvider, parent, pulumi.DependsOn(append(append([]pulumi.Resource{role}, crds...), a.WaitFor...)))
	if err != nil {
		return nil, err
	}
	c.Release = release

	// IngressClassParams is a CRD of the chart, so it waits for the release.
	params, err := apiextensions.NewCustomResource(ctx, name+"-"+a.IngressClass, &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String("elbv2.k8s.aws/v1beta1"),
		Kind:        pulumi.String("IngressClassParams"),
		Metadata:    kube.Meta(a.IngressClass, "", nil),
		OtherFields: kubernetes.UntypedArgs{"spec": ingressClassParamsSpec(a)},
	}, parent, pulumi.Provider(a.KubernetesProvider), pulumi.DependsOn([]pulumi.Resource{release}))
	if err != nil {
		return nil, err
	}
	meta := kube.Meta(a.IngressClass, "", nil)
	meta.Annotations = pulumi.StringMap{"ingressclass.kubernetes.io/is-default-class": pulumi.String("true")}
	if _, err := networkingv1.NewIngressClass(ctx, name+"-"+a.IngressClass, &networkingv1.IngressClassArgs{
		Metadata: meta,
		Spec: &networkingv1.IngressClassSpecArgs{
			Controller: pulumi.String("ingress.k8s.aws/alb"),
			Parameters: &networkingv1.IngressClassParametersReferenceArgs{
				ApiGroup: pulumi.String("elbv2.k8s.aws"),
				Kind:     pulumi.String("IngressClassParams"),
				Name:     pulumi.String(a.IngressClass),
			},
		},
	}, parent, pulumi.Provider(a.KubernetesProvider), pulumi.DependsOn([]pulumi.Resource{params})); err != nil {
		return nil, err
	}

	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"roleArn":      c.RoleARN,
		"ingressClass": pulumi.String(a.IngressClass),
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// ingressClassParamsSpec is the group's ALB: its group, scheme and, for an
// adopted VPC, its subnets by id.
func ingressClassParamsSpec(a *LoadBalancerControllerArgs) map[string]any {
	spec := map[string]any{
		"group":  map[string]any{"name": a.IngressGroup},
		"scheme": a.Scheme,
	}
	if len(a.SubnetIDs) > 0 {
		ids := make([]any, len(a.SubnetIDs))
		for i, id := range a.SubnetIDs {
			ids[i] = id
		}
		spec["subnets"] = map[string]any{"ids": ids}
	}
	return spec
}
