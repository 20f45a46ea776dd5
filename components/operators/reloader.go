package operators

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/kube"
)

// ReloaderArgs configures reloader (rolls workloads when their ConfigMaps or Secrets change).
type ReloaderArgs struct {
	KubernetesProvider pulumi.ProviderResource
	Chart              catalog.Chart
	Toleration         kube.Taint
	WaitFor            []pulumi.Resource
}

// Reloader is the reloader release.
type Reloader struct {
	pulumi.ResourceState
}

// NewReloader installs reloader, watching every namespace.
func NewReloader(ctx *pulumi.Context, name string, args *ReloaderArgs, opts ...pulumi.ResourceOption) (*Reloader, error) {
	if args == nil {
		return nil, fmt.Errorf("Reloader %s: args are required", name)
	}
	var errs argcheck.Errors
	errs.Check(args.KubernetesProvider != nil, "KubernetesProvider is required")
	errs.Check(args.Chart.Valid(), "Chart needs repository, chart and version")
	if err := errs.Err("Reloader", name); err != nil {
		return nil, err
	}
	r := &Reloader{}
	if err := ctx.RegisterComponentResource("eksplatform:operators:Reloader", name, r, opts...); err != nil {
		return nil, err
	}
	if _, err := kube.NewRelease(ctx, name, kube.ReleaseArgs{
		Name: "reloader", Namespace: "reloader", CreateNamespace: true, Chart: args.Chart,
		Values: pulumi.Map{"reloader": pulumi.Map{
			"watchGlobally": pulumi.Bool(true),
			"deployment":    pulumi.Map{"tolerations": pulumi.ToArray(args.Toleration.Tolerations())},
		}},
	}, args.KubernetesProvider, pulumi.Parent(r), pulumi.DependsOn(args.WaitFor)); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(r, pulumi.Map{}); err != nil {
		return nil, err
	}
	return r, nil
}
