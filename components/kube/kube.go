// Package kube holds what every layer needs to declare Kubernetes objects
// and Helm releases the platform's way: pinned charts, the explicit
// Kubernetes provider, and pods that tolerate the management taint.
package kube

import (
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/catalog"
)

// Taint is a node taint in Kubernetes spelling.
type Taint struct {
	Key, Value, Effect string
}

// Toleration renders the toleration of a taint as Helm values.
func (t Taint) Toleration() map[string]any {
	if t.Value == "" {
		return map[string]any{"key": t.Key, "operator": "Exists", "effect": t.Effect}
	}
	return map[string]any{"key": t.Key, "operator": "Equal", "value": t.Value, "effect": t.Effect}
}

// Tolerations is the values list most charts take under "tolerations".
func (t Taint) Tolerations() []any { return []any{t.Toleration()} }

// ReleaseArgs is one Helm release.
type ReleaseArgs struct {
	// Name is the Helm release name; it stays stable across chart upgrades.
	Name      string
	Namespace string
	Chart     catalog.Chart
	Values    pulumi.Map
	// CreateNamespace creates the namespace when the chart needs its own.
	CreateNamespace bool
	// SkipCRDs leaves the chart's crds/ alone: the program applies them (ApplyCRDs).
	SkipCRDs bool
}

// NewRelease installs a chart through the given Kubernetes provider. Releases
// are atomic (a failed upgrade rolls back) and keep ten revisions.
func NewRelease(ctx *pulumi.Context, name string, a ReleaseArgs, provider pulumi.ProviderResource, opts ...pulumi.ResourceOption) (*helmv3.Release, error) {
	args := &helmv3.ReleaseArgs{
		Name:            pulumi.String(a.Name),
		Namespace:       pulumi.String(a.Namespace),
		Version:         pulumi.String(a.Chart.Version),
		CreateNamespace: pulumi.Bool(a.CreateNamespace),
		SkipCrds:        pulumi.Bool(a.SkipCRDs),
		Values:          a.Values,
		Atomic:          pulumi.Bool(true),
		CleanupOnFail:   pulumi.Bool(true),
		MaxHistory:      pulumi.Int(10),
		Timeout:         pulumi.Int(600),
	}
	if strings.HasPrefix(a.Chart.Repository, "oci://") {
		args.Chart = pulumi.String(strings.TrimSuffix(a.Chart.Repository, "/") + "/" + a.Chart.Chart)
	} else {
		args.Chart = pulumi.String(a.Chart.Chart)
		args.RepositoryOpts = helmv3.RepositoryOptsArgs{Repo: pulumi.String(a.Chart.Repository)}
	}
	return helmv3.NewRelease(ctx, name, args, append(opts, pulumi.Provider(provider))...)
}

// PatchForce is the annotation that lets the Kubernetes provider's
// server-side apply take over fields another manager set.
const PatchForce = "pulumi.com/patchForce"

// ApplyCRDs declares a chart's CustomResourceDefinitions as the program's
// own: Helm installs crds/ once and never upgrades them, so a chart bump
// would leave the old CRDs behind. Each CRD is applied server-side (an
// upsert that takes over the fields Helm's first install set) and kept on
// delete: removing a CRD deletes every object of its kinds.
func ApplyCRDs(ctx *pulumi.Context, name string, crds []catalog.CRD, provider pulumi.ProviderResource, opts ...pulumi.ResourceOption) ([]pulumi.Resource, error) {
	var out []pulumi.Resource
	for _, crd := range crds {
		meta, _ := crd.Object["metadata"].(map[string]any)
		annotations := pulumi.StringMap{PatchForce: pulumi.String("true")}
		if a, ok := meta["annotations"].(map[string]any); ok {
			for k, v := range a {
				if s, ok := v.(string); ok {
					annotations[k] = pulumi.String(s)
				}
			}
		}
		labels := pulumi.StringMap{"app.kubernetes.io/managed-by": pulumi.String("eksplatform")}
		if l, ok := meta["labels"].(map[string]any); ok {
			for k, v := range l {
				if s, ok := v.(string); ok {
					labels[k] = pulumi.String(s)
				}
			}
		}
		r, err := apiextensions.NewCustomResource(ctx, name+"-crd-"+crd.Name, &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String("apiextensions.k8s.io/v1"),
			Kind:       pulumi.String("CustomResourceDefinition"),
			Metadata: &metav1.ObjectMetaArgs{
				Name:        pulumi.String(crd.Name),
				Labels:      labels,
				Annotations: annotations,
			},
			OtherFields: kubernetes.UntypedArgs{"spec": crd.Object["spec"]},
		}, append(opts, pulumi.Provider(provider), pulumi.RetainOnDelete(true))...)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Meta is object metadata with the platform's labels.
func Meta(name, namespace string, extra map[string]string) *metav1.ObjectMetaArgs {
	labels := pulumi.StringMap{"app.kubernetes.io/managed-by": pulumi.String("eksplatform")}
	for k, v := range extra {
		labels[k] = pulumi.String(v)
	}
	m := &metav1.ObjectMetaArgs{Name: pulumi.String(name), Labels: labels}
	if namespace != "" {
		m.Namespace = pulumi.String(namespace)
	}
	return m
}

// IRSAAnnotation is the service account annotation that binds an IAM role.
const IRSAAnnotation = "eks.amazonaws.com/role-arn"

// ServiceAccountValues is the "serviceAccount" block most charts take: a
// service account of the given name bound to an IRSA role.
func ServiceAccountValues(name string, roleARN pulumi.StringInput) pulumi.Map {
	return pulumi.Map{
		"create":      pulumi.Bool(true),
		"name":        pulumi.String(name),
		"annotations": pulumi.Map{IRSAAnnotation: roleARN},
	}
}
