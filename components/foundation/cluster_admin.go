package foundation

import (
	"fmt"
	"slices"
	"strings"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/internal/iampolicy"
)

// ClusterAdminPolicy is the EKS access policy the cluster-admin role gets.
const ClusterAdminPolicy = "AmazonEKSClusterAdminPolicy"

// ClusterAdminArgs configures the cluster-admin role: created (trusted
// principals) or brought (ExistingRoleARN).
type ClusterAdminArgs struct {
	// ClusterName is the cluster's name as an output, so the access entry
	// waits for the cluster.
	ClusterName pulumi.StringInput
	// Cluster is the plain name, for the role name and the describe policy.
	Cluster   string
	Partition string
	Region    string
	AccountID string
	// TrustedPrincipals may assume the created role (IAM role or user ARNs,
	// or account roots). No wildcards.
	TrustedPrincipals []string
	// ExistingRoleARN brings a role instead.
	ExistingRoleARN string
	Tags            map[string]string
}

// ClusterAdmin is the cluster's admin role and its access entry.
type ClusterAdmin struct {
	pulumi.ResourceState

	RoleARN pulumi.StringOutput
	// Role is nil when the role was brought.
	Role  *iam.Role
	Entry *awseks.AccessEntry
}

// ClusterAdminRoleName is the created role's name: <cluster>-cluster-admin.
func ClusterAdminRoleName(cluster string) string { return cluster + "-cluster-admin" }

// ClusterAdminTrust lets the named principals, and only them, assume the role.
func ClusterAdminTrust(principals []string) string {
	sorted := slices.Clone(principals)
	slices.Sort(sorted)
	return iampolicy.New(iampolicy.Statement{
		Sid: "NamedPrincipalsOnly", Effect: "Allow",
		Principal: map[string]any{"AWS": sorted},
		Action:    []string{"sts:AssumeRole", "sts:TagSession"},
	}).JSON()
}

// ClusterAdminPermissions let the role find its cluster (aws eks
// update-kubeconfig); everything inside the cluster comes from the access entry.
func ClusterAdminPermissions(partition, region, account, cluster string) string {
	return iampolicy.New(iampolicy.Statement{
		Sid: "DescribeThisCluster", Effect: "Allow",
		Action:   "eks:DescribeCluster",
		Resource: fmt.Sprintf("arn:%s:eks:%s:%s:cluster/%s", partition, region, account, cluster),
	}).JSON()
}

// NewClusterAdmin creates or brings the cluster-admin role and gives it an
// access entry with AmazonEKSClusterAdminPolicy on the whole cluster.
func NewClusterAdmin(ctx *pulumi.Context, name string, args *ClusterAdminArgs, opts ...pulumi.ResourceOption) (*ClusterAdmin, error) {
	if args == nil {
		return nil, fmt.Errorf("ClusterAdmin %s: args are required", name)
	}
	a := args
	var errs argcheck.Errors
	errs.Check(a.ClusterName != nil && a.Cluster != "", "ClusterName and Cluster are required")
	errs.Check(a.Partition != "" && a.Region != "" && a.AccountID != "", "Partition, Region and AccountID are required")
	errs.Check((len(a.TrustedPrincipals) > 0) != (a.ExistingRoleARN != ""), "exactly one of TrustedPrincipals and ExistingRoleARN is required")
	for _, p := range a.TrustedPrincipals {
		errs.Check(strings.HasPrefix(p, "arn:") && !strings.Contains(p, "*"), "trusted principal %q must be an ARN without wildcards", p)
	}
	if err := errs.Err("ClusterAdmin", name); err != nil {
		return nil, err
	}
	c := &ClusterAdmin{}
	if err := ctx.RegisterComponentResource("eksplatform:foundation:ClusterAdmin", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	principal := pulumi.String(a.ExistingRoleARN).ToStringOutput()
	var deps []pulumi.Resource
	if a.ExistingRoleARN == "" {
		role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
			Name:               pulumi.String(ClusterAdminRoleName(a.Cluster)),
			Description:        pulumi.String("cluster-admin of EKS cluster " + a.Cluster + " (eksplatform)"),
			AssumeRolePolicy:   pulumi.String(ClusterAdminTrust(a.TrustedPrincipals)),
			MaxSessionDuration: pulumi.Int(3600),
			InlinePolicies: iam.RoleInlinePolicyArray{iam.RoleInlinePolicyArgs{
				Name:   pulumi.String("describe-cluster"),
				Policy: pulumi.String(ClusterAdminPermissions(a.Partition, a.Region, a.AccountID, a.Cluster)),
			}},
			Tags: pulumi.ToStringMap(a.Tags),
		}, parent)
		if err != nil {
			return nil, err
		}
		c.Role = role
		principal = role.Arn
		deps = append(deps, role)
	}
	c.RoleARN = principal
	entry, err := awseks.NewAccessEntry(ctx, name, &awseks.AccessEntryArgs{
		ClusterName:  a.ClusterName,
		PrincipalArn: principal,
		Type:         pulumi.String("STANDARD"),
		Tags:         pulumi.ToStringMap(a.Tags),
	}, parent, pulumi.DependsOn(deps))
	if err != nil {
		return nil, err
	}
	c.Entry = entry
	if _, err := awseks.NewAccessPolicyAssociation(ctx, name, &awseks.AccessPolicyAssociationArgs{
		ClusterName:  a.ClusterName,
		PrincipalArn: entry.PrincipalArn,
		PolicyArn:    pulumi.String(AccessPolicyARN(a.Partition, ClusterAdminPolicy)),
		AccessScope:  awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")},
	}, parent); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"roleArn": c.RoleARN}); err != nil {
		return nil, err
	}
	return c, nil
}
