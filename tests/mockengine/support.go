package mockengine

import (
	"fmt"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

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
