// Package irsa creates IAM roles for Kubernetes service accounts (IRSA):
// trusted by the cluster's OIDC provider for named service accounts only,
// with one inline policy.
package irsa

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/components/internal/iampolicy"
)

// Cluster is what every IRSA role needs to know of the cluster.
type Cluster struct {
	OIDCProviderARN pulumi.StringInput
	OIDCIssuerURL   pulumi.StringInput
}

// Valid reports whether both inputs are set.
func (c Cluster) Valid() bool { return c.OIDCProviderARN != nil && c.OIDCIssuerURL != nil }

// RoleArgs is one IRSA role.
type RoleArgs struct {
	Cluster     Cluster
	Description string
	// ServiceAccounts are "namespace/name"; only these may assume the role.
	ServiceAccounts []string
	// Policy is the role's inline policy document.
	Policy pulumi.StringInput
	Tags   map[string]string
}

// NewRole creates the role and its inline policy; the returned role is ready
// once the policy is attached.
func NewRole(ctx *pulumi.Context, name string, a RoleArgs, opts ...pulumi.ResourceOption) (*iam.Role, error) {
	// IAM role names hold 64 characters; a long cluster name and a long
	// component name together may not (see iampolicy.FitName).
	role, err := iam.NewRole(ctx, iampolicy.FitName(name, 64), &iam.RoleArgs{
		Description:      pulumi.String(a.Description),
		AssumeRolePolicy: iampolicy.IRSATrust(a.Cluster.OIDCProviderARN, a.Cluster.OIDCIssuerURL, a.ServiceAccounts...),
		InlinePolicies: iam.RoleInlinePolicyArray{iam.RoleInlinePolicyArgs{
			Name:   pulumi.String(name),
			Policy: a.Policy,
		}},
		Tags: pulumi.ToStringMap(a.Tags),
	}, opts...)
	return role, err
}
