package foundation

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/internal/iampolicy"
)

// Addon version specs.
const (
	AddonLatest  = "latest"
	AddonDefault = "default"
)

// AddonArgs configures one EKS managed addon.
type AddonArgs struct {
	// ClusterName must come from the Cluster's output.
	ClusterName       pulumi.StringInput
	KubernetesVersion string
	Partition         string
	// Addon is the catalog's entry for the addon: its name, its IRSA role,
	// where its configuration takes tolerations, whether it is preserved.
	Addon catalog.Addon
	// Version is AddonLatest, AddonDefault or an exact version.
	Version string
	// OIDCProviderARN and OIDCIssuerURL back the addon's IRSA role, when it has one.
	OIDCProviderARN pulumi.StringInput
	OIDCIssuerURL   pulumi.StringInput
	// Toleration lets the addon's controllers run on the tainted management nodes.
	Toleration Taint
	Tags       map[string]string
	// WaitFor are resources the addon is installed after (the node group,
	// for addons whose pods need somewhere to schedule).
	WaitFor []pulumi.Resource
}

// Addon is an EKS managed addon, with its IRSA role when it needs AWS access.
type Addon struct {
	pulumi.ResourceState

	// Version is the resolved addon version.
	Version pulumi.StringOutput
	// RoleARN is the IRSA role's ARN, or empty.
	RoleARN pulumi.StringOutput
	// Addon is the EKS addon, for dependencies.
	Addon *awseks.Addon
}

// NewAddon resolves the version, creates the IRSA role if the addon needs one
// and installs the addon, overwriting conflicting self-managed fields.
func NewAddon(ctx *pulumi.Context, name string, args *AddonArgs, opts ...pulumi.ResourceOption) (*Addon, error) {
	if args == nil {
		return nil, fmt.Errorf("Addon %s: args are required", name)
	}
	a := args
	spec := a.Addon
	var errs argcheck.Errors
	errs.Check(spec.Name != "", "Addon is required: the catalog's entry of the addon")
	errs.Check(a.ClusterName != nil, "ClusterName is required")
	errs.Check(a.KubernetesVersion != "", "KubernetesVersion is required")
	errs.Check(a.Version != "", "Version is required")
	errs.Check(a.Partition != "", "Partition is required")
	checkWaitFor(&errs, a.WaitFor)
	if spec.IRSA != nil {
		errs.Check(a.OIDCProviderARN != nil && a.OIDCIssuerURL != nil, "addon %s needs OIDCProviderARN and OIDCIssuerURL for its IRSA role", spec.Name)
	}
	if len(spec.TolerationPath) > 0 {
		_, ok := catalog.TaintEffects[a.Toleration.Effect]
		errs.Check(a.Toleration.Key != "" && ok, "addon %s needs the management Toleration", spec.Name)
	}
	if err := errs.Err("Addon", name); err != nil {
		return nil, err
	}

	ad := &Addon{}
	if err := ctx.RegisterComponentResource("eksplatform:foundation:Addon", name, ad, opts...); err != nil {
		return nil, err
	}

	version := pulumi.String(a.Version).ToStringOutput()
	if a.Version == AddonLatest || a.Version == AddonDefault {
		latest := a.Version == AddonLatest
		version = awseks.GetAddonVersionOutput(ctx, awseks.GetAddonVersionOutputArgs{
			AddonName:         pulumi.String(spec.Name),
			KubernetesVersion: pulumi.String(a.KubernetesVersion),
			MostRecent:        pulumi.Bool(latest),
		}, pulumi.Parent(ad)).Version()
	}

	addonArgs := &awseks.AddonArgs{
		ClusterName:              a.ClusterName,
		AddonName:                pulumi.String(spec.Name),
		AddonVersion:             version,
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		ResolveConflictsOnUpdate: pulumi.String("OVERWRITE"),
		Preserve:                 pulumi.Bool(spec.Preserve),
		Tags:                     pulumi.ToStringMap(a.Tags),
	}
	if cfg := configurationValues(spec, a.Toleration); cfg != "" {
		addonArgs.ConfigurationValues = pulumi.String(cfg)
	}
	ad.RoleARN = pulumi.String("").ToStringOutput()
	deps := append([]pulumi.Resource(nil), a.WaitFor...)
	if spec.IRSA != nil {
		roleArgs := &iam.RoleArgs{
			Description:      pulumi.Sprintf("IRSA role of the %s addon (eksplatform)", spec.Name),
			AssumeRolePolicy: iampolicy.IRSATrust(a.OIDCProviderARN, a.OIDCIssuerURL, spec.IRSA.ServiceAccounts...),
			Tags:             pulumi.ToStringMap(a.Tags),
		}
		if n, ok := RoleNameFor(name); ok {
			roleArgs.Name = pulumi.String(n)
		}
		role, err := iam.NewRole(ctx, name, roleArgs, pulumi.Parent(ad))
		if err != nil {
			return nil, err
		}
		att, err := iam.NewRolePolicyAttachment(ctx, name, &iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: pulumi.String(iampolicy.ManagedPolicyARN(a.Partition, spec.IRSA.ManagedPolicy)),
		}, pulumi.Parent(ad))
		if err != nil {
			return nil, err
		}
		deps = append(deps, att)
		addonArgs.ServiceAccountRoleArn = role.Arn
		ad.RoleARN = role.Arn
	}
	addon, err := awseks.NewAddon(ctx, name, addonArgs, pulumi.Parent(ad), pulumi.DependsOn(deps))
	if err != nil {
		return nil, err
	}
	ad.Addon = addon
	ad.Version = addon.AddonVersion
	if err := ctx.RegisterResourceOutputs(ad, pulumi.Map{"version": ad.Version, "roleArn": ad.RoleARN}); err != nil {
		return nil, err
	}
	return ad, nil
}

// configurationValues renders the addon's configuration JSON: the management
// toleration at the addon's toleration path.
func configurationValues(spec catalog.Addon, t Taint) string {
	if len(spec.TolerationPath) == 0 {
		return ""
	}
	tol := map[string]string{"key": t.Key, "operator": "Equal", "value": t.Value, "effect": t.Effect}
	if t.Value == "" {
		tol = map[string]string{"key": t.Key, "operator": "Exists", "effect": t.Effect}
	}
	var doc any = []any{tol}
	for i := len(spec.TolerationPath) - 1; i >= 0; i-- {
		doc = map[string]any{spec.TolerationPath[i]: doc}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err) // plain maps only
	}
	return string(b)
}

// maxRoleName is IAM's limit on a role name.
const maxRoleName = 64

// RoleNameFor is the explicit name of a role whose logical name is too long
// for Pulumi's auto-name (the logical name, '-' and 7 characters) to fit
// IAM's 64: the logical name's start and 8 hex digits of its hash, so two
// long names never collide. ok is false when the auto-name fits; those
// roles keep it (naming them now would replace them).
func RoleNameFor(logical string) (name string, ok bool) {
	if len(logical)+8 <= maxRoleName {
		return "", false
	}
	sum := sha256.Sum256([]byte(logical))
	return logical[:maxRoleName-9] + "-" + hex.EncodeToString(sum[:])[:8], true
}
