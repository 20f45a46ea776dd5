package contract

// Resource kinds of the program that the driver treats with care. The driver
// (automation) knows no cloud resource types of its own; the CLI hands it
// these.
const (
	// ManagementNodeGroup is the foundation's component type of the tainted
	// management node group.
	ManagementNodeGroup = "eksplatform:foundation:ManagementNodeGroup"
	// NodeGroup is an EKS managed node group.
	NodeGroup = "aws:eks/nodeGroup:NodeGroup"
)

// Protected maps the types whose replacement or deletion loses data or
// access to what messages call them. `up` refuses to replace or delete one
// unless --allow-replace names its URN; the preview report warns first.
var Protected = map[string]string{
	"eks:index:Cluster":             "EKS cluster",
	"aws:eks/cluster:Cluster":       "EKS cluster",
	"aws:efs/fileSystem:FileSystem": "EFS file system",
	"aws:kms/key:Key":               "KMS key",
	NodeGroup:                       "node group",
}
