package foundation

import (
	"encoding/json"
	"fmt"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/components/internal/argcheck"

	"github.com/eksplatform/eksplatform/components/internal/iampolicy"
)

// Addon version specs.
const (
	AddonLatest  = "latest"
	AddonDefault = "default"
)

// addonSpec is what the platform knows about an EKS managed addon.
type addonSpec struct {
	// serviceAccounts ("namespace/name") get an IRSA role with policy.
	serviceAccounts []string
	policy          string // managed policy name, "" for none
	// tolerationPath is where the addon's configuration takes controller
	// tolerations ("" when its pods are daemonsets that tolerate everything).
	tolerationPath []string
	// beforeNodes addons are installed before the management node group.
	beforeNodes bool
	// preserve keeps the software running if the addon resource is ever
	// deleted: losing these breaks every pod's networking or DNS.
	preserve bool
}

// AddonCatalog is the set of addons the foundation knows how to install.
var addonCatalog = map[string]addonSpec{
	"vpc-cni": {
		serviceAccounts: []string{"kube-system/aws-node"},
		policy:          "AmazonEKS_CNI_Policy",
		beforeNodes:     true,
		preserve:        true,
	},
	"coredns":    {tolerationPath: []string{"tolerations"}, preserve: true},
	"kube-proxy": {preserve: true},
	"aws-ebs-csi-driver": {
		serviceAccounts: []string{"kube-system/ebs-csi-controller-sa"},
		policy:          "service-role/AmazonEBSCSIDriverPolicy",
		tolerationPath:  []string{"controller", "tolerations"},
	},
	"aws-efs-csi-driver": {
		serviceAccounts: []string{"kube-system/efs-csi-controller-sa", "kube-system/efs-csi-node-sa"},
		policy:          "service-role/AmazonEFSCSIDriverPolicy",
		tolerationPath:  []string{"controller", "tolerations"},
	},
	"eks-pod-identity-agent": {},
	"snapshot-controller":    {tolerationPath: []string{"tolerations"}},
}

// KnownAddon reports whether the foundation can install the addon.
func KnownAddon(name string) bool { _, ok := addonCatalog[name]; return ok }

// AddonBeforeNodes reports whether the addon must exist before any node joins.
func AddonBeforeNodes(name string) bool { return addonCatalog[name].beforeNodes }

// AddonArgs configures one EKS managed addon.
type AddonArgs struct {
	// ClusterName must come from the Cluster's output.
	ClusterName       pulumi.StringInput
	KubernetesVersion string
	Partition         string
	// Addon is the EKS addon name, e.g. "coredns".
	Addon string
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
	spec, known := addonCatalog[a.Addon]
	var errs argcheck.Errors
	errs.Check(known, "unknown addon %q", a.Addon)
	errs.Check(a.ClusterName != nil, "ClusterName is required")
	errs.Check(a.KubernetesVersion != "", "KubernetesVersion is required")
	errs.Check(a.Version != "", "Version is required")
	errs.Check(a.Partition != "", "Partition is required")
	if len(spec.serviceAccounts) > 0 {
		errs.Check(a.OIDCProviderARN != nil && a.OIDCIssuerURL != nil, "addon %s needs OIDCProviderARN and OIDCIssuerURL for its IRSA role", a.Addon)
	}
	if len(spec.tolerationPath) > 0 {
		_, ok := eksTaintEffects[a.Toleration.Effect]
		errs.Check(a.Toleration.Key != "" && ok, "addon %s needs the management Toleration", a.Addon)
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
			AddonName:         pulumi.String(a.Addon),
			KubernetesVersion: pulumi.String(a.KubernetesVersion),
			MostRecent:        pulumi.Bool(latest),
		}, pulumi.Parent(ad)).Version()
	}

	addonArgs := &awseks.AddonArgs{
		ClusterName:              a.ClusterName,
		AddonName:                pulumi.String(a.Addon),
		AddonVersion:             version,
		ResolveConflictsOnCreate: pulumi.String("OVERWRITE"),
		ResolveConflictsOnUpdate: pulumi.String("OVERWRITE"),
		Preserve:                 pulumi.Bool(spec.preserve),
		Tags:                     pulumi.ToStringMap(a.Tags),
	}
	if cfg := configurationValues(spec, a.Toleration); cfg != "" {
		addonArgs.ConfigurationValues = pulumi.String(cfg)
	}
	ad.RoleARN = pulumi.String("").ToStringOutput()
	deps := append([]pulumi.Resource(nil), a.WaitFor...)
	if len(spec.serviceAccounts) > 0 {
		role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
			Description:      pulumi.Sprintf("IRSA role of the %s addon (eksplatform)", a.Addon),
			AssumeRolePolicy: iampolicy.IRSATrust(a.OIDCProviderARN, a.OIDCIssuerURL, spec.serviceAccounts...),
			Tags:             pulumi.ToStringMap(a.Tags),
		}, pulumi.Parent(ad))
		if err != nil {
			return nil, err
		}
		att, err := iam.NewRolePolicyAttachment(ctx, name, &iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: pulumi.String(iampolicy.ManagedPolicyARN(a.Partition, spec.policy)),
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
func configurationValues(spec addonSpec, t Taint) string {
	if len(spec.tolerationPath) == 0 {
		return ""
	}
	tol := map[string]string{"key": t.Key, "operator": "Equal", "value": t.Value, "effect": t.Effect}
	if t.Value == "" {
		tol = map[string]string{"key": t.Key, "operator": "Exists", "effect": t.Effect}
	}
	var doc any = []any{tol}
	for i := len(spec.tolerationPath) - 1; i >= 0; i-- {
		doc = map[string]any{spec.tolerationPath[i]: doc}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err) // plain maps only
	}
	return string(b)
}
