package foundation

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/components/internal/argcheck"
)

// SpotService is the service whose linked role lets EC2 launch Spot
// capacity (karpenter's spot node pools) in an account.
const SpotService = "spot.amazonaws.com"

// SpotServiceLinkedRoleArgs configures the account's Spot service-linked role.
type SpotServiceLinkedRoleArgs struct {
	AccountID string
	Tags      map[string]string
}

// SpotServiceLinkedRole is AWSServiceRoleForEC2Spot, created once per
// account by the cluster that owns it (environments.Fleet.Accounts).
type SpotServiceLinkedRole struct {
	pulumi.ResourceState

	ARN pulumi.StringOutput
}

// NewSpotServiceLinkedRole creates the role. It is retained when the owning
// stack is destroyed or stops owning it: other clusters of the account, and
// the Spot instances running, still need it.
func NewSpotServiceLinkedRole(ctx *pulumi.Context, name string, args *SpotServiceLinkedRoleArgs, opts ...pulumi.ResourceOption) (*SpotServiceLinkedRole, error) {
	if args == nil {
		return nil, fmt.Errorf("SpotServiceLinkedRole %s: args are required", name)
	}
	var errs argcheck.Errors
	errs.Check(len(args.AccountID) == 12, "AccountID must be 12 digits, got %q", args.AccountID)
	if err := errs.Err("SpotServiceLinkedRole", name); err != nil {
		return nil, err
	}
	s := &SpotServiceLinkedRole{}
	if err := ctx.RegisterComponentResource("eksplatform:foundation:SpotServiceLinkedRole", name, s, opts...); err != nil {
		return nil, err
	}
	role, err := iam.NewServiceLinkedRole(ctx, name, &iam.ServiceLinkedRoleArgs{
		AwsServiceName: pulumi.String(SpotService),
		Description:    pulumi.String("EC2 Spot for the EKS clusters of account " + args.AccountID + " (eksplatform)"),
		Tags:           pulumi.ToStringMap(args.Tags),
	}, pulumi.Parent(s), pulumi.RetainOnDelete(true))
	if err != nil {
		return nil, err
	}
	s.ARN = role.Arn
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"arn": s.ARN}); err != nil {
		return nil, err
	}
	return s, nil
}
