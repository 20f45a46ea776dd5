package operators

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/kube"
)

// MetricsServerArgs configures metrics-server (resource metrics for HPA and kubectl top).
type MetricsServerArgs struct {
	KubernetesProvider pulumi.ProviderResource
	Chart              catalog.Chart
	Toleration         kube.Taint
	WaitFor            []pulumi.Resource
}

// MetricsServer is the metrics-server release.
type MetricsServer struct {
	pulumi.ResourceState
}

// NewMetricsServer installs metrics-server with two replicas and a disruption budget.
func NewMetricsServer(ctx *pulumi.Context, name string, args *MetricsServerArgs, opts ...pulumi.ResourceOption) (*MetricsServer, error) {
	if args == nil {
		return nil, fmt.Errorf("MetricsServer %s: args are required", name)
	}
	var errs argcheck.Errors
	errs.Check(args.KubernetesProvider != nil, "KubernetesProvider is required")
	errs.Check(args.Chart.Valid(), "Chart needs repository, chart and version")
	if err := errs.Err("MetricsServer", name); err != nil {
		return nil, err
	}
	m := &MetricsServer{}
	if err := ctx.RegisterComponentResource("eksplatform:operators:MetricsServer", name, m, opts...); err != nil {
		return nil, err
	}
	if _, err := kube.NewRelease(ctx, name, kube.ReleaseArgs{
		Name: "metrics-server", Namespace: "kube-system", Chart: args.Chart,
		Values: pulumi.Map{
			"replicas":            pulumi.Int(2),
			"podDisruptionBudget": pulumi.Map{"enabled": pulumi.Bool(true), "minAvailable": pulumi.Int(1)},
			"tolerations":         pulumi.ToArray(args.Toleration.Tolerations()),
		},
	}, args.KubernetesProvider, pulumi.Parent(m), pulumi.DependsOn(args.WaitFor)); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(m, pulumi.Map{}); err != nil {
		return nil, err
	}
	return m, nil
}
