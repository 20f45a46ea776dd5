// Package foundation declares the base of a cluster: the KMS key for secrets
// encryption, the EKS control plane (pulumi-eks v2), the tainted management
// node group and the EKS managed addons. Foundation composes them in the order
// EKS needs: key, cluster, vpc-cni, node group, the other addons.
//
// Every component here follows the same contract: an Args struct of plain,
// already-validated values and typed inputs from earlier components; NewX
// rejects invalid args, registers eksplatform:foundation:<Type>, parents its
// children to itself and ends with RegisterResourceOutputs.
package foundation
