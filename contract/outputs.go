// Package contract is the contract between the program and everything that
// reads its stacks: the names of a cluster stack's outputs, a typed reader of
// them, and the resource kinds the driver treats with care. It imports
// nothing, so the driver, the CLI, the health gate and the tests use it
// without linking the cloud SDKs; the program (stacks, components) writes
// what it names.
package contract

// Output names of a cluster stack, each with what it holds and who reads it.
// stacks.Cluster exports every one (TestEveryOutputIsExported keeps the two
// in step); Read is how readers get them.
const (
	// Role is the cluster's role, the environment file it comes from.
	Role = "role"
	// Wave is the environment wave of the role (a number).
	Wave = "wave"
	// ClusterName is the EKS cluster's name.
	ClusterName = "clusterName"
	// Region is the AWS region of the cluster.
	Region = "region"
	// AccountID is the AWS account of the cluster.
	AccountID = "accountId"
	// KubernetesVersion is the control plane's minor ("1.36"). plan (the
	// current version of an upgrade), status and the driver's report read it;
	// a stack without it was not made by eksplatform.
	KubernetesVersion = "kubernetesVersion"
	// Endpoint is the API server's URL; kubeconfigs and people read it.
	Endpoint = "endpoint"
	// CertificateAuthority is the API server's CA bundle, base64.
	CertificateAuthority = "certificateAuthority"
	// OIDCIssuerURL is the cluster's OIDC issuer, for IRSA trust policies.
	OIDCIssuerURL = "oidcIssuerUrl"
	// OIDCProviderARN is the IAM OIDC provider of the issuer.
	OIDCProviderARN = "oidcProviderArn"
	// Kubeconfig is a kubeconfig for the cluster (a secret: readers get
	// "[secret]").
	Kubeconfig = "kubeconfig"
	// NodeGroupName is the management node group's name.
	NodeGroupName = "managementNodeGroupName"
	// NodeGroupRelease is the management node group's AMI release version;
	// plan and status read it.
	NodeGroupRelease = "managementNodeGroupReleaseVersion"
	// AddonVersions maps each managed addon to its version; plan and status
	// read it.
	AddonVersions = "addonVersions"
	// KMSKeyARN is the secrets-encryption key.
	KMSKeyARN = "kmsKeyArn"
	// VpcID is the cluster's VPC.
	VpcID = "vpcId"
	// PrivateSubnetIDs are the VPC's private subnets (nodes, internal load balancers).
	PrivateSubnetIDs = "privateSubnetIds"
	// PublicSubnetIDs are the VPC's public subnets (internet-facing load balancers).
	PublicSubnetIDs = "publicSubnetIds"
	// EFSFileSystemID is the EFS file system, when the role enables it.
	EFSFileSystemID = "efsFileSystemId"
	// EBSStorageClass is the default StorageClass's name.
	EBSStorageClass = "ebsStorageClass"
	// EFSStorageClass is the EFS StorageClass's name, when the role enables EFS.
	EFSStorageClass = "efsStorageClass"
	// KarpenterVersion is the karpenter chart's version; plan and status read it.
	KarpenterVersion = "karpenterVersion"
	// KarpenterQueue is karpenter's interruption queue (SQS).
	KarpenterQueue = "karpenterInterruptionQueue"
	// EchoServerURL is the echo server's URL behind the load balancer; the
	// health gate's end-to-end check requests it.
	EchoServerURL = "echoServerUrl"
	// ChartVersions maps every Helm release the cluster installs to its
	// chart's version.
	ChartVersions = "chartVersions"
	// ClusterAdminRoleARN is the cluster-admin role, created or brought.
	ClusterAdminRoleARN = "clusterAdminRoleArn"
	// SpotServiceLinkedRole is the role's ARN in the stack that creates it,
	// else "created by <cluster>" or "exists in the account".
	SpotServiceLinkedRole = "spotServiceLinkedRole"
	// PodLogGroup is the CloudWatch log group of pod logs (fluent-bit on).
	PodLogGroup = "podLogGroup"
	// Parameters maps each fact the stack publishes in SSM Parameter Store
	// (Facts) to its parameter's name; the inventory lists them.
	Parameters = "parameters"
	// ContainerInsights is the CloudWatch console's Container Insights page
	// of the cluster's region, when the role turns Container Insights on.
	ContainerInsights = "containerInsights"
	// PrometheusWorkspaceID is the cluster's Amazon Managed Service for
	// Prometheus workspace, when the role turns the Prometheus option on.
	PrometheusWorkspaceID = "prometheusWorkspaceId"
	// PrometheusEndpoint is the workspace's Prometheus-compatible endpoint
	// (queries: <endpoint>api/v1/query, SigV4-signed for the aps service).
	PrometheusEndpoint = "prometheusEndpoint"
)

// Names lists every output name, in the order above.
var Names = []string{
	Role, Wave, ClusterName, Region, AccountID, KubernetesVersion, Endpoint, CertificateAuthority,
	OIDCIssuerURL, OIDCProviderARN, Kubeconfig, NodeGroupName, NodeGroupRelease, AddonVersions,
	KMSKeyARN, VpcID, PrivateSubnetIDs, PublicSubnetIDs, EFSFileSystemID, EBSStorageClass,
	EFSStorageClass, KarpenterVersion, KarpenterQueue, EchoServerURL, ChartVersions, ClusterAdminRoleARN,
	SpotServiceLinkedRole, PodLogGroup, Parameters, ContainerInsights, PrometheusWorkspaceID, PrometheusEndpoint,
}
