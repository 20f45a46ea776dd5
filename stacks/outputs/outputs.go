// Package outputs names the outputs of a cluster stack. The driver, `plan`
// and `status` read versions from them, so they are the stack's contract; this
// package lets readers use the names without linking the cloud SDKs.
package outputs

// Output names of a cluster stack.
const (
	Role                 = "role"
	Wave                 = "wave"
	ClusterName          = "clusterName"
	Region               = "region"
	AccountID            = "accountId"
	KubernetesVersion    = "kubernetesVersion"
	Endpoint             = "endpoint"
	CertificateAuthority = "certificateAuthority"
	OIDCIssuerURL        = "oidcIssuerUrl"
	OIDCProviderARN      = "oidcProviderArn"
	Kubeconfig           = "kubeconfig"
	NodeGroupName        = "managementNodeGroupName"
	NodeGroupRelease     = "managementNodeGroupReleaseVersion"
	AddonVersions        = "addonVersions"
	KMSKeyARN            = "kmsKeyArn"
	VpcID                = "vpcId"
	PrivateSubnetIDs     = "privateSubnetIds"
	PublicSubnetIDs      = "publicSubnetIds"
	EFSFileSystemID      = "efsFileSystemId"
	EBSStorageClass      = "ebsStorageClass"
	KarpenterVersion     = "karpenterVersion"
	KarpenterQueue       = "karpenterInterruptionQueue"
	EchoServerURL        = "echoServerUrl"
	ChartVersions        = "chartVersions"
	// ClusterAdminRoleARN is the cluster-admin role, created or brought.
	ClusterAdminRoleARN = "clusterAdminRoleArn"
	// SpotServiceLinkedRole is the role's ARN in the stack that creates it,
	// else "created by <cluster>" or "exists in the account".
	SpotServiceLinkedRole = "spotServiceLinkedRole"
	// PodLogGroup is the CloudWatch log group of pod logs (fluent-bit on).
	PodLogGroup = "podLogGroup"
)
