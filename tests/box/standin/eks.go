package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/eksplatform/eksplatform/internal/awsanswers"
)

// BoxDirEnv names the directory where the box keeps one kubeconfig per
// cluster, <dir>/<cluster>/kubeconfig.json: the Cluster component's
// kubeconfig is that file's, so the program's Kubernetes provider talks to
// the cluster's API server in the box. Unset, the kubeconfig is the one
// pulumi-eks writes for EKS (`aws eks get-token`).
const BoxDirEnv = "EKSPLATFORM_BOX_DIR"

// eksProvider stands in for pulumi-eks: it constructs eks:index:Cluster as
// a component whose children (the control plane's IAM role, the
// aws:eks/cluster:Cluster and the IRSA OIDC provider) go through the aws
// provider the program handed it, as pulumi-eks's own do.
type eksProvider struct {
	pulumirpc.UnimplementedResourceProviderServer
	version string
	host    *provider.HostClient
}

func (p *eksProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: p.version}, nil
}

func (*eksProvider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true, AcceptOutputs: true}, nil
}

func (*eksProvider) CheckConfig(_ context.Context, r *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: r.GetNews()}, nil
}

func (*eksProvider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (*eksProvider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, AcceptResources: true, AcceptOutputs: true}, nil
}

func (*eksProvider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (p *eksProvider) Construct(ctx context.Context, req *pulumirpc.ConstructRequest) (*pulumirpc.ConstructResponse, error) {
	if req.GetType() != "eks:index:Cluster" {
		return nil, fmt.Errorf("the eks stand-in constructs eks:index:Cluster only, not %s", req.GetType())
	}
	return provider.Construct(ctx, req, p.host.EngineConn(), constructCluster)
}

// clusterArgs are the inputs of pulumi-eks's Cluster that the stand-in uses.
type clusterArgs struct {
	Name                   pulumi.StringInput      `pulumi:"name"`
	Version                pulumi.StringInput      `pulumi:"version"`
	PrivateSubnetIDs       pulumi.StringArrayInput `pulumi:"privateSubnetIds"`
	EndpointPrivateAccess  pulumi.BoolInput        `pulumi:"endpointPrivateAccess"`
	EndpointPublicAccess   pulumi.BoolInput        `pulumi:"endpointPublicAccess"`
	PublicAccessCidrs      pulumi.StringArrayInput `pulumi:"publicAccessCidrs"`
	EnabledClusterLogTypes pulumi.StringArrayInput `pulumi:"enabledClusterLogTypes"`
	EncryptionConfigKeyArn pulumi.StringInput      `pulumi:"encryptionConfigKeyArn"`
	AuthenticationMode     pulumi.StringInput      `pulumi:"authenticationMode"`
	Tags                   pulumi.StringMapInput   `pulumi:"tags"`
}

// clusterComponent holds the outputs of pulumi-eks's Cluster the program reads.
type clusterComponent struct {
	pulumi.ResourceState
	EksCluster     eks.ClusterOutput   `pulumi:"eksCluster"`
	KubeconfigJSON pulumi.StringOutput `pulumi:"kubeconfigJson"`
	Kubeconfig     pulumi.StringOutput `pulumi:"kubeconfig"`
}

func constructCluster(ctx *pulumi.Context, typ, name string, inputs provider.ConstructInputs, options pulumi.ResourceOption) (*provider.ConstructResult, error) {
	var a clusterArgs
	if err := inputs.CopyTo(&a); err != nil {
		return nil, fmt.Errorf("eks:index:Cluster %s: %w", name, err)
	}
	if a.Name == nil {
		return nil, fmt.Errorf("eks:index:Cluster %s: the stand-in needs an explicit name", name)
	}
	comp := &clusterComponent{}
	if err := ctx.RegisterComponentResource(typ, name, comp, options); err != nil {
		return nil, err
	}
	child := pulumi.Parent(comp)
	role, err := iam.NewRole(ctx, name+"-eksRole", &iam.RoleArgs{
		AssumeRolePolicy:  pulumi.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
		ManagedPolicyArns: pulumi.ToStringArray([]string{"arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"}),
		Tags:              a.Tags,
	}, child)
	if err != nil {
		return nil, err
	}
	args := &eks.ClusterArgs{
		Name:                   a.Name,
		Version:                a.Version,
		RoleArn:                role.Arn,
		EnabledClusterLogTypes: a.EnabledClusterLogTypes,
		Tags:                   a.Tags,
		VpcConfig: eks.ClusterVpcConfigArgs{
			SubnetIds:             a.PrivateSubnetIDs,
			EndpointPrivateAccess: a.EndpointPrivateAccess,
			EndpointPublicAccess:  a.EndpointPublicAccess,
			PublicAccessCidrs:     a.PublicAccessCidrs,
		},
		AccessConfig: eks.ClusterAccessConfigArgs{
			AuthenticationMode:                      a.AuthenticationMode,
			BootstrapClusterCreatorAdminPermissions: pulumi.Bool(false),
		},
	}
	if a.EncryptionConfigKeyArn != nil {
		args.EncryptionConfig = eks.ClusterEncryptionConfigArgs{
			Provider:  eks.ClusterEncryptionConfigProviderArgs{KeyArn: a.EncryptionConfigKeyArn},
			Resources: pulumi.ToStringArray([]string{"secrets"}),
		}
	}
	cluster, err := eks.NewCluster(ctx, name+"-eksCluster", args, child)
	if err != nil {
		return nil, err
	}
	issuer := cluster.Identities.Index(pulumi.Int(0)).Oidcs().Index(pulumi.Int(0)).Issuer().Elem()
	if _, err := iam.NewOpenIdConnectProvider(ctx, name+"-oidcProvider", &iam.OpenIdConnectProviderArgs{
		Url:             issuer,
		ClientIdLists:   pulumi.ToStringArray([]string{"sts.amazonaws.com"}),
		ThumbprintLists: pulumi.ToStringArray([]string{"9e99a48a9960b14926bb7f3b02e22da2b0ab7280"}),
		Tags:            a.Tags,
	}, child); err != nil {
		return nil, err
	}
	kubeconfig := pulumi.All(cluster.Name, cluster.Endpoint, cluster.CertificateAuthority.Data().Elem(), cluster.Arn).ApplyT(
		func(v []any) (string, error) {
			name, endpoint, ca, arn := v[0].(string), v[1].(string), v[2].(string), v[3].(string)
			return kubeconfigOf(name, endpoint, ca, arn)
		}).(pulumi.StringOutput)
	comp.EksCluster = cluster.ToClusterOutput()
	comp.KubeconfigJSON = pulumi.ToSecret(kubeconfig).(pulumi.StringOutput)
	comp.Kubeconfig = comp.KubeconfigJSON
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"eksCluster":     comp.EksCluster,
		"kubeconfigJson": comp.KubeconfigJSON,
		"kubeconfig":     comp.Kubeconfig,
	}); err != nil {
		return nil, err
	}
	return provider.NewConstructResult(comp)
}

// kubeconfigOf is the box's kubeconfig of the cluster when there is a box,
// otherwise the one pulumi-eks writes for EKS.
func kubeconfigOf(name, endpoint, ca, arn string) (string, error) {
	dir := os.Getenv(BoxDirEnv)
	if dir == "" {
		region := "us-east-1"
		if parsed, err := parseARNRegion(arn); err == nil {
			region = parsed
		}
		return awsanswers.KubeconfigFor(name, endpoint, ca, region), nil
	}
	path := filepath.Join(dir, name, "kubeconfig.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cluster %s has no API server in the box (%s): %w", name, path, err)
	}
	if !json.Valid(b) {
		return "", fmt.Errorf("%s is not JSON", path)
	}
	return string(b), nil
}

// parseARNRegion reads the region of arn:partition:service:region:...
func parseARNRegion(arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 || parts[0] != "arn" || parts[3] == "" {
		return "", fmt.Errorf("%q is not an ARN with a region", arn)
	}
	return parts[3], nil
}
