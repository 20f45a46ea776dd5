package operators

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/kube"
)

// AdminBindingName is the ClusterRoleBinding of the admin team.
const AdminBindingName = "eksplatform-admin-team"

// PlatformNamespaceArgs configures the platform namespace and the admin binding.
type PlatformNamespaceArgs struct {
	Namespace          string
	KubernetesProvider pulumi.ProviderResource
	// AdminGroup is the OIDC group bound to cluster-admin, with the identity
	// provider's groups prefix ("oidc:org/team"); empty binds nobody.
	AdminGroup string
}

// PlatformNamespace is the namespace of the platform's workloads.
type PlatformNamespace struct {
	pulumi.ResourceState

	Name string
	// Namespace is the namespace object, for dependencies.
	Namespace pulumi.Resource
}

// NewPlatformNamespace declares the namespace (restricted pod security) and
// the admin team's cluster-admin binding.
func NewPlatformNamespace(ctx *pulumi.Context, name string, args *PlatformNamespaceArgs, opts ...pulumi.ResourceOption) (*PlatformNamespace, error) {
	if args == nil {
		return nil, fmt.Errorf("PlatformNamespace %s: args are required", name)
	}
	var errs argcheck.Errors
	errs.Check(args.Namespace != "", "Namespace is required")
	errs.Check(args.KubernetesProvider != nil, "KubernetesProvider is required")
	if err := errs.Err("PlatformNamespace", name); err != nil {
		return nil, err
	}
	p := &PlatformNamespace{Name: args.Namespace}
	if err := ctx.RegisterComponentResource("eksplatform:operators:PlatformNamespace", name, p, opts...); err != nil {
		return nil, err
	}
	with := []pulumi.ResourceOption{pulumi.Parent(p), pulumi.Provider(args.KubernetesProvider)}
	ns, err := corev1.NewNamespace(ctx, name, &corev1.NamespaceArgs{
		Metadata: kube.Meta(args.Namespace, "", map[string]string{
			"pod-security.kubernetes.io/enforce": "restricted",
			"pod-security.kubernetes.io/warn":    "restricted",
		}),
	}, with...)
	if err != nil {
		return nil, err
	}
	p.Namespace = ns
	if args.AdminGroup != "" {
		if _, err := rbacv1.NewClusterRoleBinding(ctx, name+"-admin-team", &rbacv1.ClusterRoleBindingArgs{
			Metadata: kube.Meta(AdminBindingName, "", nil),
			RoleRef: &rbacv1.RoleRefArgs{
				ApiGroup: pulumi.String("rbac.authorization.k8s.io"),
				Kind:     pulumi.String("ClusterRole"),
				Name:     pulumi.String("cluster-admin"),
			},
			Subjects: rbacv1.SubjectArray{rbacv1.SubjectArgs{
				ApiGroup: pulumi.String("rbac.authorization.k8s.io"),
				Kind:     pulumi.String("Group"),
				Name:     pulumi.String(args.AdminGroup),
			}},
		}, with...); err != nil {
			return nil, err
		}
	}
	if err := ctx.RegisterResourceOutputs(p, pulumi.Map{"name": pulumi.String(p.Name)}); err != nil {
		return nil, err
	}
	return p, nil
}
