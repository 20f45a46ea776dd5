package mockengine

import (
	"fmt"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Providers are the two providers every in-cluster component gets.
type Providers struct {
	AWS        *aws.Provider
	Kubernetes *kubernetes.Provider
}

// TB is the part of testing.TB the helpers use (the package is not test-only).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// WithProviders wraps a body with an AWS provider pinned to region and
// account and a Kubernetes provider, as stacks.Cluster does.
func WithProviders(region, account string, body func(ctx *pulumi.Context, p Providers) error) pulumi.RunFunc {
	return WithAWS(region, account, func(ctx *pulumi.Context, a *aws.Provider) error {
		k, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{
			Kubeconfig: pulumi.ToSecret(pulumi.String(`{"apiVersion":"v1","kind":"Config"}`)).(pulumi.StringOutput),
		})
		if err != nil {
			return err
		}
		return body(ctx, Providers{AWS: a, Kubernetes: k})
	})
}

// MustRun runs body under a new engine for stack with both providers and
// fails tb when the program fails.
func MustRun(tb TB, stack, region, account string, body func(ctx *pulumi.Context, p Providers) error) *Engine {
	tb.Helper()
	e := New(stack)
	if err := e.Run(WithProviders(region, account, body)); err != nil {
		tb.Fatalf("program failed: %v", err)
	}
	return e
}

// Must returns the one resource of a type and name or fails tb.
func (e *Engine) Must(tb TB, typ, name string) Resource {
	tb.Helper()
	r, ok := e.Find(typ, name)
	if !ok {
		tb.Fatalf("no %s %q among %d resources", typ, name, len(e.Resources()))
	}
	return r
}

// KubernetesProviderURN is the URN of the Kubernetes provider WithProviders makes.
func (e *Engine) KubernetesProviderURN() string {
	return "urn:pulumi:" + e.stack + "::" + Project + "::pulumi:providers:kubernetes::k8s"
}

// WithAWS wraps a program body with an AWS provider pinned to region and
// account, the way stacks.Cluster runs every component.
func WithAWS(region, account string, body func(ctx *pulumi.Context, provider *aws.Provider) error) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{
			Region:            pulumi.String(region),
			AllowedAccountIds: pulumi.ToStringArray([]string{account}),
		})
		if err != nil {
			return err
		}
		return body(ctx, p)
	}
}

// Await blocks inside a running program until the outputs resolve and returns
// their values, in order. It gives up after 30 seconds so a test never hangs
// on an output that cannot resolve.
func Await(outputs ...pulumi.Output) ([]any, error) {
	inputs := make([]any, len(outputs))
	for i, o := range outputs {
		inputs[i] = o
	}
	ch := make(chan []any, 1)
	pulumi.All(inputs...).ApplyT(func(v []any) []any {
		ch <- v
		return v
	})
	select {
	case v := <-ch:
		return v, nil
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("mockengine: outputs did not resolve")
	}
}

// In returns the resource's inputs as plain data (see Plain).
func (r Resource) In() map[string]any { return PlainMap(r.Inputs) }

// Out returns the resource's outputs as plain data.
func (r Resource) Out() map[string]any { return PlainMap(r.Outputs) }
