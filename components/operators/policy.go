package operators

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/kube"
	"github.com/eksplatform/eksplatform/components/policy"
)

// PolicyEngineArgs configures the policy engine (OPA Gatekeeper) and the
// role's policy guardrails.
type PolicyEngineArgs struct {
	KubernetesProvider pulumi.ProviderResource
	// Chart is the gatekeeper chart (catalog "gatekeeper").
	Chart      catalog.Chart
	Toleration kube.Taint
	// Settings are the role's policies, mode and exceptions.
	Settings policy.Settings
	WaitFor  []pulumi.Resource
}

// PolicyEngine is Gatekeeper, its ConstraintTemplates, the role's
// constraints and the Config that replicates what the policies read.
type PolicyEngine struct {
	pulumi.ResourceState

	Release *helmv3.Release
	// Templates and Constraints are by policy id.
	Templates   map[string]*apiextensions.CustomResource
	Constraints map[string]*apiextensions.CustomResource
	Config      *apiextensions.CustomResource
}

// GatekeeperReplicas is the number of Gatekeeper's webhook pods; the chart's
// disruption budget keeps one of them up through node drains.
const GatekeeperReplicas = 2

// TemplateWaitFor is the annotation that makes the Kubernetes provider wait
// until Gatekeeper has created a template's constraint CRD
// (status.created), so the constraints that follow find their kind.
const TemplateWaitFor = "jsonpath={.status.created}=true"

// NewPolicyEngine installs the gatekeeper chart (its CRDs come with it and
// its pre-upgrade hook upgrades them), then every ConstraintTemplate, then
// the constraints of the enabled policies and the Config, each after what it
// needs: a constraint's kind exists only once Gatekeeper has read its
// template.
func NewPolicyEngine(ctx *pulumi.Context, name string, args *PolicyEngineArgs, opts ...pulumi.ResourceOption) (*PolicyEngine, error) {
	if args == nil {
		return nil, fmt.Errorf("PolicyEngine %s: args are required", name)
	}
	var errs argcheck.Errors
	errs.Check(args.KubernetesProvider != nil, "KubernetesProvider is required")
	errs.Check(args.Chart.Valid(), "Chart needs repository, chart and version")
	if err := args.Settings.Validate(); err != nil {
		errs.Check(false, "%v", err)
	}
	if err := errs.Err("PolicyEngine", name); err != nil {
		return nil, err
	}
	templates, err := policy.Templates()
	if err != nil {
		return nil, err
	}
	objects, err := policy.Objects(args.Settings)
	if err != nil {
		return nil, err
	}

	pe := &PolicyEngine{Templates: map[string]*apiextensions.CustomResource{}, Constraints: map[string]*apiextensions.CustomResource{}}
	if err := ctx.RegisterComponentResource("eksplatform:operators:PolicyEngine", name, pe, opts...); err != nil {
		return nil, err
	}
	tolerations := pulumi.ToArray(args.Toleration.Tolerations())
	tolerate := pulumi.Map{"tolerations": tolerations}
	pe.Release, err = kube.NewRelease(ctx, name, kube.ReleaseArgs{
		Name: "gatekeeper", Namespace: policy.Namespace, Chart: args.Chart, CreateNamespace: true,
		Values: pulumi.Map{
			"replicas": pulumi.Int(GatekeeperReplicas),
			"pdb":      pulumi.Map{"controllerManager": pulumi.Map{"minAvailable": pulumi.Int(1)}},
			// The webhook, the audit, and the chart's hook jobs (CRD
			// upgrade, namespace labels, webhook probe, cleanup).
			"controllerManager": tolerate,
			"audit":             tolerate,
			"crds":              tolerate,
			"postInstall":       tolerate,
			"postUpgrade":       tolerate,
			"preUninstall":      tolerate,
		},
	}, args.KubernetesProvider, pulumi.Parent(pe), pulumi.DependsOn(args.WaitFor))
	if err != nil {
		return nil, err
	}

	afterRelease := []pulumi.Resource{pe.Release}
	for i, id := range policy.IDs() {
		tpl, err := customResource(ctx, name+"-template-"+id, templates[i], map[string]string{"pulumi.com/waitFor": TemplateWaitFor},
			pulumi.Parent(pe), pulumi.Provider(args.KubernetesProvider), pulumi.DependsOn(afterRelease))
		if err != nil {
			return nil, err
		}
		pe.Templates[id] = tpl
	}
	for _, obj := range objects {
		id := labelOf(obj, policy.PolicyLabel)
		after := afterRelease
		resName := name + "-config"
		if obj["kind"] != "Config" {
			if _, ok := pe.Templates[id]; !ok {
				return nil, fmt.Errorf("PolicyEngine %s: constraint %v has no template", name, obj["kind"])
			}
			after = append(slices.Clone(afterRelease), pe.Templates[id])
			resName = name + "-" + id
		}
		r, err := customResource(ctx, resName, obj, nil,
			pulumi.Parent(pe), pulumi.Provider(args.KubernetesProvider), pulumi.DependsOn(after))
		if err != nil {
			return nil, err
		}
		if obj["kind"] == "Config" {
			pe.Config = r
		} else {
			pe.Constraints[id] = r
		}
	}
	if err := ctx.RegisterResourceOutputs(pe, pulumi.Map{}); err != nil {
		return nil, err
	}
	return pe, nil
}

func labelOf(obj map[string]any, key string) string {
	meta, _ := obj["metadata"].(map[string]any)
	labels, _ := meta["labels"].(map[string]any)
	v, _ := labels[key].(string)
	return v
}

func stringMap(m any, extra map[string]string) pulumi.StringMap {
	out := pulumi.StringMap{}
	if mm, ok := m.(map[string]any); ok {
		for k, v := range mm {
			if s, ok := v.(string); ok {
				out[k] = pulumi.String(s)
			}
		}
	}
	for k, v := range extra {
		out[k] = pulumi.String(v)
	}
	return out
}

// customResource declares one plain object of the policy set.
func customResource(ctx *pulumi.Context, name string, obj map[string]any, annotations map[string]string, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	meta, _ := obj["metadata"].(map[string]any)
	m := &metav1.ObjectMetaArgs{
		Name:        pulumi.String(meta["name"].(string)),
		Labels:      stringMap(meta["labels"], nil),
		Annotations: stringMap(meta["annotations"], annotations),
	}
	if ns, ok := meta["namespace"].(string); ok && ns != "" {
		m.Namespace = pulumi.String(ns)
	}
	return apiextensions.NewCustomResource(ctx, name, &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(obj["apiVersion"].(string)),
		Kind:        pulumi.String(obj["kind"].(string)),
		Metadata:    m,
		OtherFields: kubernetes.UntypedArgs{"spec": obj["spec"]},
	}, opts...)
}
