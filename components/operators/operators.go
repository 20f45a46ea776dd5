package operators

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/irsa"
	"github.com/eksplatform/eksplatform/components/kube"
	"github.com/eksplatform/eksplatform/components/policy"
)

// ExternalSecretsSettings switch on external-secrets.
type ExternalSecretsSettings struct {
	Chart         catalog.Chart
	SSMPathPrefix string
}

// FluentBitSettings switch on pod log forwarding (see FluentBitArgs).
type FluentBitSettings struct {
	Chart         catalog.Chart
	LogGroup      string
	RetentionDays int
}

// EchoServerSettings switch on the echo-server.
type EchoServerSettings struct {
	Host         string
	IngressClass string
	Image        string
	// Ingress is the load balancer controller the Ingress needs.
	Ingress pulumi.Resource
}

// Args configures the operators layer. A nil pointer or empty chart leaves
// that operator out; karpenter and the platform namespace are always there.
type Args struct {
	ClusterName        string
	Region             string
	Partition          string
	AccountID          string
	IRSA               irsa.Cluster
	KubernetesProvider pulumi.ProviderResource
	Toleration         kube.Taint
	// WaitFor are the foundation's node group and addons.
	WaitFor []pulumi.Resource
	Tags    map[string]string

	Karpenter         KarpenterArgs
	PlatformNamespace string
	// AdminGroup is bound to cluster-admin (see PlatformNamespaceArgs).
	AdminGroup      string
	MetricsServer   *catalog.Chart
	Reloader        *catalog.Chart
	ExternalSecrets *ExternalSecretsSettings
	EchoServer      *EchoServerSettings
	FluentBit       *FluentBitSettings
	// Policy switches on the policy engine (see PolicyEngineArgs); its
	// platform namespaces are completed with this layer's own.
	Policy *PolicySettings
}

// PolicySettings switch on the policy engine.
type PolicySettings struct {
	Chart    catalog.Chart
	Settings policy.Settings
}

// Operators is the operators layer.
type Operators struct {
	pulumi.ResourceState

	Karpenter *Karpenter
	// EchoServerURL is empty when the echo-server is off.
	EchoServerURL pulumi.StringOutput
	// FluentBit is nil when pod log forwarding is off.
	FluentBit *FluentBit
	// Policy is nil when the policy engine is off.
	Policy *PolicyEngine
}

// NewOperators installs karpenter, the platform namespace and the operators
// the args switch on.
func NewOperators(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Operators, error) {
	if args == nil {
		return nil, fmt.Errorf("Operators %s: args are required", name)
	}
	a := args
	var errs argcheck.Errors
	errs.Check(a.ClusterName != "" && a.KubernetesProvider != nil, "ClusterName and KubernetesProvider are required")
	errs.Check(a.PlatformNamespace != "", "PlatformNamespace is required")
	if err := errs.Err("Operators", name); err != nil {
		return nil, err
	}
	o := &Operators{EchoServerURL: pulumi.String("").ToStringOutput()}
	if err := ctx.RegisterComponentResource("eksplatform:operators:Operators", name, o, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(o)

	kargs := a.Karpenter
	kargs.ClusterName, kargs.Region, kargs.Partition, kargs.AccountID = a.ClusterName, a.Region, a.Partition, a.AccountID
	kargs.IRSA, kargs.KubernetesProvider, kargs.Toleration = a.IRSA, a.KubernetesProvider, a.Toleration
	kargs.WaitFor, kargs.Tags = a.WaitFor, a.Tags
	k, err := NewKarpenter(ctx, name+"-karpenter", &kargs, parent)
	if err != nil {
		return nil, err
	}
	o.Karpenter = k

	ns, err := NewPlatformNamespace(ctx, name+"-platform", &PlatformNamespaceArgs{
		Namespace: a.PlatformNamespace, KubernetesProvider: a.KubernetesProvider, AdminGroup: a.AdminGroup,
	}, parent)
	if err != nil {
		return nil, err
	}
	if a.MetricsServer != nil {
		if _, err := NewMetricsServer(ctx, name+"-metrics-server", &MetricsServerArgs{
			KubernetesProvider: a.KubernetesProvider, Chart: *a.MetricsServer, Toleration: a.Toleration, WaitFor: a.WaitFor,
		}, parent); err != nil {
			return nil, err
		}
	}
	if a.Reloader != nil {
		if _, err := NewReloader(ctx, name+"-reloader", &ReloaderArgs{
			KubernetesProvider: a.KubernetesProvider, Chart: *a.Reloader, Toleration: a.Toleration, WaitFor: a.WaitFor,
		}, parent); err != nil {
			return nil, err
		}
	}
	if s := a.ExternalSecrets; s != nil {
		if _, err := NewExternalSecrets(ctx, name+"-external-secrets", &ExternalSecretsArgs{
			ClusterName: a.ClusterName, Region: a.Region, Partition: a.Partition, AccountID: a.AccountID,
			SSMPathPrefix: s.SSMPathPrefix, IRSA: a.IRSA, KubernetesProvider: a.KubernetesProvider,
			Chart: s.Chart, Toleration: a.Toleration, WaitFor: a.WaitFor, Tags: a.Tags,
		}, parent); err != nil {
			return nil, err
		}
	}
	if s := a.FluentBit; s != nil {
		fb, err := NewFluentBit(ctx, name+"-fluent-bit", &FluentBitArgs{
			ClusterName: a.ClusterName, Region: a.Region, Partition: a.Partition, AccountID: a.AccountID,
			LogGroup: s.LogGroup, RetentionDays: s.RetentionDays, IRSA: a.IRSA, KubernetesProvider: a.KubernetesProvider,
			Chart: s.Chart, WaitFor: a.WaitFor, Tags: a.Tags,
		}, parent)
		if err != nil {
			return nil, err
		}
		o.FluentBit = fb
	}
	if s := a.Policy; s != nil {
		settings := s.Settings
		// The namespaces of the platform's own components, whose pods may
		// run on the management nodes.
		settings.PlatformNamespaces = union(settings.PlatformNamespaces, a.platformNamespaces())
		pe, err := NewPolicyEngine(ctx, name+"-policy", &PolicyEngineArgs{
			KubernetesProvider: a.KubernetesProvider, Chart: s.Chart, Toleration: a.Toleration, Settings: settings,
			WaitFor: append(append([]pulumi.Resource{}, a.WaitFor...), k.NodePools...),
		}, parent)
		if err != nil {
			return nil, err
		}
		o.Policy = pe
	}
	if s := a.EchoServer; s != nil {
		wait := append([]pulumi.Resource{ns.Namespace}, k.NodePools...)
		if s.Ingress != nil {
			wait = append(wait, s.Ingress)
		}
		echo, err := NewEchoServer(ctx, name+"-echo-server", &EchoServerArgs{
			ClusterName: a.ClusterName, Namespace: a.PlatformNamespace, Host: s.Host, IngressClass: s.IngressClass,
			Image: s.Image, KubernetesProvider: a.KubernetesProvider, WaitFor: wait,
		}, parent)
		if err != nil {
			return nil, err
		}
		o.EchoServerURL = echo.URL
	}
	if err := ctx.RegisterResourceOutputs(o, pulumi.Map{"echoServerUrl": o.EchoServerURL}); err != nil {
		return nil, err
	}
	return o, nil
}

// platformNamespaces are the namespaces this layer installs into (and
// kube-system, where the addons run): the platform components whose pods may
// tolerate the management taint.
func (a *Args) platformNamespaces() []string {
	out := []string{"kube-system", KarpenterNamespace, a.PlatformNamespace}
	if a.Reloader != nil {
		out = append(out, "reloader")
	}
	if a.ExternalSecrets != nil {
		out = append(out, ExternalSecretsNamespace)
	}
	if a.FluentBit != nil {
		out = append(out, FluentBitNamespace)
	}
	return out
}

// union is a followed by the elements of b it lacks.
func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
