package operators

import (
	"fmt"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/kube"
)

// EchoServerName names the echo-server's Deployment, Service and Ingress.
const EchoServerName = "echo-server"

// EchoServerArgs configures the echo-server.
type EchoServerArgs struct {
	ClusterName string
	Namespace   string
	// Host is the DNS name external-dns publishes for the Ingress.
	Host               string
	IngressClass       string
	Image              string
	KubernetesProvider pulumi.ProviderResource
	// WaitFor are the ingress controller and the node pools the pods land on.
	WaitFor []pulumi.Resource
}

// EchoServer is a tiny HTTP service that proves a cluster serves traffic end
// to end: a data-plane node, the ALB, DNS.
type EchoServer struct {
	pulumi.ResourceState

	// URL is what the driver's health gate calls after a rollout.
	URL pulumi.StringOutput
}

// NewEchoServer declares the Deployment, Service and Ingress.
func NewEchoServer(ctx *pulumi.Context, name string, args *EchoServerArgs, opts ...pulumi.ResourceOption) (*EchoServer, error) {
	if args == nil {
		return nil, fmt.Errorf("EchoServer %s: args are required", name)
	}
	a := args
	var errs argcheck.Errors
	errs.Check(a.ClusterName != "" && a.Namespace != "" && a.Host != "" && a.IngressClass != "", "ClusterName, Namespace, Host and IngressClass are required")
	errs.Check(a.Image != "", "Image is required")
	errs.Check(a.KubernetesProvider != nil, "KubernetesProvider is required")
	if err := errs.Err("EchoServer", name); err != nil {
		return nil, err
	}
	e := &EchoServer{URL: pulumi.Sprintf("http://%s/", a.Host)}
	if err := ctx.RegisterComponentResource("eksplatform:operators:EchoServer", name, e, opts...); err != nil {
		return nil, err
	}
	with := []pulumi.ResourceOption{pulumi.Parent(e), pulumi.Provider(a.KubernetesProvider)}
	labels := pulumi.StringMap{"app.kubernetes.io/name": pulumi.String(EchoServerName)}
	deploy, err := appsv1.NewDeployment(ctx, name, &appsv1.DeploymentArgs{
		Metadata: kube.Meta(EchoServerName, a.Namespace, map[string]string{"app.kubernetes.io/name": EchoServerName}),
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(2),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: labels},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: labels},
				Spec: &corev1.PodSpecArgs{
					AutomountServiceAccountToken: pulumi.Bool(false),
					SecurityContext: &corev1.PodSecurityContextArgs{
						RunAsNonRoot:   pulumi.Bool(true),
						RunAsUser:      pulumi.Int(65532),
						SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
					},
					Containers: corev1.ContainerArray{corev1.ContainerArgs{
						Name:  pulumi.String(EchoServerName),
						Image: pulumi.String(a.Image),
						Args:  pulumi.ToStringArray([]string{"-listen=:5678", "-text=" + a.ClusterName + " ok"}),
						Ports: corev1.ContainerPortArray{corev1.ContainerPortArgs{Name: pulumi.String("http"), ContainerPort: pulumi.Int(5678)}},
						ReadinessProbe: &corev1.ProbeArgs{
							HttpGet: &corev1.HTTPGetActionArgs{Path: pulumi.String("/"), Port: pulumi.String("http")},
						},
						Resources: &corev1.ResourceRequirementsArgs{
							Requests: pulumi.StringMap{"cpu": pulumi.String("10m"), "memory": pulumi.String("16Mi")},
							Limits:   pulumi.StringMap{"memory": pulumi.String("32Mi")},
						},
						SecurityContext: &corev1.SecurityContextArgs{
							AllowPrivilegeEscalation: pulumi.Bool(false),
							ReadOnlyRootFilesystem:   pulumi.Bool(true),
							Capabilities:             &corev1.CapabilitiesArgs{Drop: pulumi.ToStringArray([]string{"ALL"})},
						},
					}},
				},
			},
		},
	}, append(with, pulumi.DependsOn(a.WaitFor))...)
	if err != nil {
		return nil, err
	}
	svc, err := corev1.NewService(ctx, name, &corev1.ServiceArgs{
		Metadata: kube.Meta(EchoServerName, a.Namespace, nil),
		Spec: &corev1.ServiceSpecArgs{
			Selector: labels,
			Ports: corev1.ServicePortArray{corev1.ServicePortArgs{
				Name: pulumi.String("http"), Port: pulumi.Int(80), TargetPort: pulumi.String("http"),
			}},
		},
	}, append(with, pulumi.DependsOn([]pulumi.Resource{deploy}))...)
	if err != nil {
		return nil, err
	}
	meta := kube.Meta(EchoServerName, a.Namespace, nil)
	meta.Annotations = pulumi.StringMap{
		"alb.ingress.kubernetes.io/target-type":      pulumi.String("ip"),
		"alb.ingress.kubernetes.io/healthcheck-path": pulumi.String("/"),
	}
	if _, err := networkingv1.NewIngress(ctx, name, &networkingv1.IngressArgs{
		Metadata: meta,
		Spec: &networkingv1.IngressSpecArgs{
			IngressClassName: pulumi.String(a.IngressClass),
			Rules: networkingv1.IngressRuleArray{networkingv1.IngressRuleArgs{
				Host: pulumi.String(a.Host),
				Http: &networkingv1.HTTPIngressRuleValueArgs{Paths: networkingv1.HTTPIngressPathArray{networkingv1.HTTPIngressPathArgs{
					Path:     pulumi.String("/"),
					PathType: pulumi.String("Prefix"),
					Backend: &networkingv1.IngressBackendArgs{Service: &networkingv1.IngressServiceBackendArgs{
						Name: pulumi.String(EchoServerName),
						Port: &networkingv1.ServiceBackendPortArgs{Name: pulumi.String("http")},
					}},
				}}},
			}},
		},
	}, append(with, pulumi.DependsOn([]pulumi.Resource{svc}))...); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(e, pulumi.Map{"url": e.URL}); err != nil {
		return nil, err
	}
	return e, nil
}
