package foundation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/internal/argcheck"
)

// AccessEntry grants an IAM principal an EKS access policy.
type AccessEntry struct {
	// Key is stable and unique in the cluster; it names the entry.
	Key          string
	PrincipalARN string
	// Policy is the access policy's name, e.g. AmazonEKSClusterAdminPolicy.
	Policy string
	// Namespaces scopes the policy; empty means the whole cluster.
	Namespaces       []string
	KubernetesGroups []string
}

// IdentityProvider is an OIDC identity provider for people.
type IdentityProvider struct {
	Name           string
	IssuerURL      string
	ClientID       string
	UsernameClaim  string
	GroupsClaim    string
	UsernamePrefix string
	GroupsPrefix   string
}

// ClusterArgs configures the EKS control plane.
type ClusterArgs struct {
	// Name is the EKS cluster name (and stack name).
	Name string
	// Version is the Kubernetes minor version, "1.NN".
	Version   string
	Partition string
	AccountID string

	VpcID pulumi.StringInput
	// PrivateSubnetIDs are the cluster's subnets: its control-plane network
	// interfaces land there, never in public subnets.
	PrivateSubnetIDs pulumi.StringArrayInput
	// PublicAccessCIDRs opens the public endpoint to these networks; empty
	// keeps the endpoint private.
	PublicAccessCIDRs []string
	// DeployerSecurityGroupIDs and DeployerCIDRs are admitted on 443 to the
	// cluster security group: the pipeline's runners inside the VPC or in a
	// network connected to it (the environment's deployer, in_vpc).
	DeployerSecurityGroupIDs []string
	DeployerCIDRs            []string
	// LogTypes are the enabled control-plane log types.
	LogTypes []string
	// LogRetentionDays keeps the control-plane log group, which the stack
	// creates before the cluster (EKS would create it with no retention and
	// no key); LogKMSKeyARN encrypts it, nil to leave it unencrypted (a
	// brought key whose policy the platform does not control).
	LogRetentionDays int
	LogKMSKeyARN     pulumi.StringInput
	// KMSKeyARN encrypts Kubernetes secrets.
	KMSKeyARN        pulumi.StringInput
	AccessEntries    []AccessEntry
	IdentityProvider *IdentityProvider // optional
	Tags             map[string]string
	// Protect guards the cluster against deletion (false only for ephemeral clusters).
	Protect bool
	// AWSProvider is handed to pulumi-eks explicitly: as a multi-language
	// component it does not see providers through the Go SDK's parent chain
	// (the engine inherits them, but being explicit keeps synth and the
	// mock engine honest about which account and region it runs in).
	AWSProvider pulumi.ProviderResource
	// KubeconfigRoleARN, when set, is assumed by `aws eks get-token` in the
	// kubeconfig, so the Kubernetes provider acts as the deploy role.
	KubeconfigRoleARN string
}

// Cluster is the EKS control plane with its IRSA OIDC provider, access
// entries and optional identity provider for people.
type Cluster struct {
	pulumi.ResourceState

	Name                 pulumi.StringOutput
	Arn                  pulumi.StringOutput
	Endpoint             pulumi.StringOutput
	CertificateAuthority pulumi.StringOutput
	KubernetesVersion    pulumi.StringOutput
	// OIDCIssuerURL is the cluster's IRSA issuer (https://oidc.eks...).
	OIDCIssuerURL pulumi.StringOutput
	// OIDCProviderARN is the IAM OIDC provider pulumi-eks creates for IRSA.
	OIDCProviderARN        pulumi.StringOutput
	ClusterSecurityGroupID pulumi.StringOutput
	// Kubeconfig authenticates with `aws eks get-token`; it is a secret.
	Kubeconfig pulumi.StringOutput

	// EKS is the pulumi-eks component, for dependencies.
	EKS *eks.Cluster
	// DeployerIngress are the security group rules that admit the
	// deployer: in-cluster resources wait for them.
	DeployerIngress []pulumi.Resource
}

// ControlPlaneLogGroup is the log group EKS writes a cluster's control-plane logs to.
func ControlPlaneLogGroup(cluster string) string { return "/aws/eks/" + cluster + "/cluster" }

// AccessPolicyARN is the ARN of an EKS access policy.
func AccessPolicyARN(partition, policy string) string {
	return fmt.Sprintf("arn:%s:eks::aws:cluster-access-policy/%s", partition, policy)
}

// NewCluster declares the EKS cluster through pulumi-eks v2.
func NewCluster(ctx *pulumi.Context, name string, args *ClusterArgs, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if args == nil {
		return nil, fmt.Errorf("Cluster %s: args are required", name)
	}
	a := args
	var errs argcheck.Errors
	errs.Check(a.Name != "", "Name is required")
	errs.Check(a.Version != "", "Version is required")
	errs.Check(a.Partition != "", "Partition is required")
	errs.Check(a.AccountID != "", "AccountID is required")
	errs.Check(a.VpcID != nil, "VpcID is required")
	errs.Check(a.PrivateSubnetIDs != nil, "PrivateSubnetIDs is required")
	errs.Check(a.KMSKeyARN != nil, "KMSKeyARN is required: secrets are always encrypted")
	for _, t := range a.LogTypes {
		errs.Check(slices.Contains(catalog.ControlPlaneLogTypes, t), "unknown log type %q", t)
	}
	for _, id := range a.DeployerSecurityGroupIDs {
		errs.Check(strings.HasPrefix(id, "sg-"), "DeployerSecurityGroupIDs: %q is not a security group id", id)
	}
	errs.Check(slices.Contains(catalog.LogRetentionDays, a.LogRetentionDays), "LogRetentionDays must be a CloudWatch Logs retention, got %d", a.LogRetentionDays)
	keys := map[string]bool{}
	for _, e := range a.AccessEntries {
		errs.Check(e.Key != "" && !keys[e.Key], "access entry keys must be unique and non-empty, got %q", e.Key)
		keys[e.Key] = true
	}
	if err := errs.Err("Cluster", name); err != nil {
		return nil, err
	}

	c := &Cluster{}
	if err := ctx.RegisterComponentResource("eksplatform:foundation:Cluster", name, c, opts...); err != nil {
		return nil, err
	}

	entries := map[string]eks.AccessEntryArgs{}
	for _, e := range a.AccessEntries {
		scope := awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("cluster")}
		if len(e.Namespaces) > 0 {
			scope = awseks.AccessPolicyAssociationAccessScopeArgs{Type: pulumi.String("namespace"), Namespaces: pulumi.ToStringArray(e.Namespaces)}
		}
		entry := eks.AccessEntryArgs{
			PrincipalArn: pulumi.String(e.PrincipalARN),
			Type:         eks.AccessEntryTypeStandard,
			AccessPolicies: map[string]eks.AccessPolicyAssociationInput{
				e.Policy: eks.AccessPolicyAssociationArgs{
					PolicyArn:   pulumi.String(AccessPolicyARN(a.Partition, e.Policy)),
					AccessScope: scope,
				},
			},
		}
		if len(e.KubernetesGroups) > 0 {
			entry.KubernetesGroups = pulumi.ToStringArray(e.KubernetesGroups)
		}
		entries[e.Key] = entry
	}

	public := len(a.PublicAccessCIDRs) > 0
	authMode := eks.AuthenticationModeApi
	skipDefault := true
	useDefaultCNI := true
	clusterArgs := &eks.ClusterArgs{
		Name:                   pulumi.String(a.Name),
		Version:                pulumi.String(a.Version),
		VpcId:                  a.VpcID,
		PrivateSubnetIds:       a.PrivateSubnetIDs,
		EndpointPrivateAccess:  pulumi.Bool(true),
		EndpointPublicAccess:   pulumi.Bool(public),
		EnabledClusterLogTypes: pulumi.ToStringArray(a.LogTypes),
		EncryptionConfigKeyArn: a.KMSKeyARN,
		AuthenticationMode:     &authMode,
		AccessEntries:          entries,
		CreateOidcProvider:     pulumi.Bool(true),
		// Nodes come from the management node group and karpenter, never
		// from pulumi-eks's default group.
		SkipDefaultNodeGroup: &skipDefault,
		// The VPC CNI is an EKS managed addon (see Addon), not pulumi-eks's manifest.
		UseDefaultVpcCni: &useDefaultCNI,
		// Without instance roles pulumi-eks (v2.8.1, cluster.ts) creates a
		// default node role with AmazonEKS_CNI_Policy and an EC2_LINUX access
		// entry for it: a node identity nothing uses that could join the
		// cluster. The management node group's role gets its entry from
		// EKS, karpenter's from the operators layer, so none is named here.
		InstanceRoles: iam.RoleArray{},
		Tags:          pulumi.ToStringMap(a.Tags),
	}
	if public {
		clusterArgs.PublicAccessCidrs = pulumi.ToStringArray(a.PublicAccessCIDRs)
	}
	if a.KubeconfigRoleARN != "" {
		clusterArgs.ProviderCredentialOpts = eks.KubeconfigOptionsArgs{RoleArn: pulumi.String(a.KubeconfigRoleARN)}
	}
	// The control-plane logs (the audit log among them) go to this group;
	// it exists before the cluster, so EKS writes to it instead of creating
	// one of its own.
	logGroupArgs := &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(ControlPlaneLogGroup(a.Name)),
		RetentionInDays: pulumi.Int(a.LogRetentionDays),
		Tags:            pulumi.ToStringMap(a.Tags),
	}
	if a.LogKMSKeyARN != nil {
		logGroupArgs.KmsKeyId = a.LogKMSKeyARN
	}
	logGroup, err := cloudwatch.NewLogGroup(ctx, name+"-control-plane-logs", logGroupArgs, pulumi.Parent(c), pulumi.Protect(a.Protect))
	if err != nil {
		return nil, err
	}
	eksOpts := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Protect(a.Protect), pulumi.DependsOn([]pulumi.Resource{logGroup})}
	if a.AWSProvider != nil {
		eksOpts = append(eksOpts, pulumi.Providers(a.AWSProvider))
	}
	cluster, err := eks.NewCluster(ctx, name, clusterArgs, eksOpts...)
	if err != nil {
		return nil, err
	}
	c.EKS = cluster
	ec := cluster.EksCluster
	c.Name = ec.Name()
	c.Arn = ec.Arn()
	c.Endpoint = ec.Endpoint()
	c.KubernetesVersion = ec.Version()
	c.CertificateAuthority = ec.CertificateAuthority().Data().Elem()
	c.OIDCIssuerURL = ec.Identities().Index(pulumi.Int(0)).Oidcs().Index(pulumi.Int(0)).Issuer().Elem()
	c.ClusterSecurityGroupID = ec.VpcConfig().ClusterSecurityGroupId().Elem()
	// pulumi-eks creates the cluster's IAM OIDC provider (CreateOidcProvider)
	// inside the component; its ARN is read from IAM by the issuer URL, not
	// formatted from it: a provider that does not exist (another partition's
	// ARN format, a component that stopped creating it) fails the run here,
	// not at the first IRSA role's trust policy. (The component's core output
	// holds the provider too, as a reference the mock engine cannot follow.)
	c.OIDCProviderARN = iam.LookupOpenIdConnectProviderOutput(ctx, iam.LookupOpenIdConnectProviderOutputArgs{
		Url: c.OIDCIssuerURL,
	}, pulumi.Parent(c)).Arn()
	c.Kubeconfig = pulumi.ToSecret(cluster.KubeconfigJson).(pulumi.StringOutput)

	// The deployer reaches the private endpoint through the cluster
	// security group; each source is a rule of its own, named by it.
	ingress := func(key, description string, args *ec2.SecurityGroupRuleArgs) error {
		args.Type, args.Protocol = pulumi.String("ingress"), pulumi.String("tcp")
		args.FromPort, args.ToPort = pulumi.Int(443), pulumi.Int(443)
		args.SecurityGroupId = c.ClusterSecurityGroupID
		args.Description = pulumi.String(description)
		rule, err := ec2.NewSecurityGroupRule(ctx, name+"-deployer-"+key, args, pulumi.Parent(c))
		if err != nil {
			return err
		}
		c.DeployerIngress = append(c.DeployerIngress, rule)
		return nil
	}
	for _, id := range a.DeployerSecurityGroupIDs {
		if err := ingress(id, "eksplatform deployer: Kubernetes API from "+id, &ec2.SecurityGroupRuleArgs{SourceSecurityGroupId: pulumi.String(id)}); err != nil {
			return nil, err
		}
	}
	for _, cidr := range a.DeployerCIDRs {
		key := strings.NewReplacer(".", "-", "/", "-").Replace(cidr)
		if err := ingress(key, "eksplatform deployer: Kubernetes API from "+cidr, &ec2.SecurityGroupRuleArgs{CidrBlocks: pulumi.ToStringArray([]string{cidr})}); err != nil {
			return nil, err
		}
	}

	if p := a.IdentityProvider; p != nil {
		if _, err := awseks.NewIdentityProviderConfig(ctx, name+"-"+p.Name, &awseks.IdentityProviderConfigArgs{
			ClusterName: c.Name,
			Oidc: awseks.IdentityProviderConfigOidcArgs{
				IdentityProviderConfigName: pulumi.String(p.Name),
				IssuerUrl:                  pulumi.String(p.IssuerURL),
				ClientId:                   pulumi.String(p.ClientID),
				UsernameClaim:              pulumi.String(p.UsernameClaim),
				GroupsClaim:                pulumi.String(p.GroupsClaim),
				UsernamePrefix:             pulumi.String(p.UsernamePrefix),
				GroupsPrefix:               pulumi.String(p.GroupsPrefix),
			},
			Tags: pulumi.ToStringMap(a.Tags),
		}, pulumi.Parent(c)); err != nil {
			return nil, err
		}
	}

	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"name":                 c.Name,
		"arn":                  c.Arn,
		"endpoint":             c.Endpoint,
		"certificateAuthority": c.CertificateAuthority,
		"kubernetesVersion":    c.KubernetesVersion,
		"oidcIssuerUrl":        c.OIDCIssuerURL,
		"oidcProviderArn":      c.OIDCProviderARN,
		"kubeconfig":           c.Kubeconfig,
	}); err != nil {
		return nil, err
	}
	return c, nil
}
