package contract

import "strings"

// ParameterRoot is where a cluster's facts live in SSM Parameter Store: each
// cluster stack publishes them under /eksplatform/<cluster>/, so that services find a cluster's
// endpoint, issuer or file system with the AWS SDK (ssm:GetParametersByPath
// on the prefix) instead of asking a person or reading Pulumi state. The
// inventory names them.
const ParameterRoot = "/eksplatform/"

// ParameterPrefix is the path under which a cluster's facts live.
func ParameterPrefix(cluster string) string { return ParameterRoot + cluster + "/" }

// ParameterName is the full name of one fact of a cluster.
func ParameterName(cluster, fact string) string { return ParameterPrefix(cluster) + fact }

// Fact is one parameter a cluster stack publishes: its name under the
// cluster's prefix, the stack output it mirrors and its SSM type.
type Fact struct {
	Name   string
	Output string
	// List: an SSM StringList (values joined by commas), else a String.
	List bool
	// Optional: published only when the role has what it names (the EFS
	// file system).
	Optional bool
}

// Fact names under ParameterPrefix.
const (
	FactRole                 = "role"
	FactKubernetesVersion    = "kubernetes-version"
	FactEndpoint             = "endpoint"
	FactCertificateAuthority = "certificate-authority"
	FactOIDCIssuerURL        = "oidc-issuer-url"
	FactOIDCProviderARN      = "oidc-provider-arn"
	FactClusterAdminRoleARN  = "cluster-admin-role-arn"
	FactVpcID                = "vpc-id"
	FactPrivateSubnetIDs     = "private-subnet-ids"
	FactNodeGroupRelease     = "management-node-group-release"
	FactKarpenterVersion     = "karpenter-version"
	FactKarpenterQueue       = "karpenter-interruption-queue"
	FactEBSStorageClass      = "ebs-storage-class"
	// FactEFSFileSystemID is published by the storage layer beside its file
	// system (it was the first fact; its name is kept for its readers).
	FactEFSFileSystemID = "efs-filesystem-id"
	FactEFSStorageClass = "efs-storage-class"
	// The managed Prometheus workspace, when the role has the option.
	FactPrometheusWorkspaceID = "prometheus-workspace-id"
	FactPrometheusEndpoint    = "prometheus-endpoint"
)

// Facts lists every fact a cluster stack publishes, in this order. The
// certificate authority is public data (it is in every kubeconfig); the
// kubeconfig itself is not published.
var Facts = []Fact{
	{Name: FactRole, Output: Role},
	{Name: FactKubernetesVersion, Output: KubernetesVersion},
	{Name: FactEndpoint, Output: Endpoint},
	{Name: FactCertificateAuthority, Output: CertificateAuthority},
	{Name: FactOIDCIssuerURL, Output: OIDCIssuerURL},
	{Name: FactOIDCProviderARN, Output: OIDCProviderARN},
	{Name: FactClusterAdminRoleARN, Output: ClusterAdminRoleARN},
	{Name: FactVpcID, Output: VpcID},
	{Name: FactPrivateSubnetIDs, Output: PrivateSubnetIDs, List: true},
	{Name: FactNodeGroupRelease, Output: NodeGroupRelease},
	{Name: FactKarpenterVersion, Output: KarpenterVersion},
	{Name: FactKarpenterQueue, Output: KarpenterQueue},
	{Name: FactEBSStorageClass, Output: EBSStorageClass},
	{Name: FactEFSFileSystemID, Output: EFSFileSystemID, Optional: true},
	{Name: FactEFSStorageClass, Output: EFSStorageClass, Optional: true},
	{Name: FactPrometheusWorkspaceID, Output: PrometheusWorkspaceID, Optional: true},
	{Name: FactPrometheusEndpoint, Output: PrometheusEndpoint, Optional: true},
}

// FactNamed returns the fact of that name.
func FactNamed(name string) (Fact, bool) {
	for _, f := range Facts {
		if f.Name == name {
			return f, true
		}
	}
	return Fact{}, false
}

// ValidFactName says whether a fact's name is lower-case words joined by
// dashes, an SSM path segment that needs no quoting.
func ValidFactName(name string) bool {
	if name == "" || strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-") {
		return false
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}
