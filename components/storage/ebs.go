package storage

import (
	"fmt"

	storagev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/storage/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/kube"
)

// EBSStorageClassName is the exact name of a cluster's EBS storage class.
func EBSStorageClassName(cluster string) string { return cluster + "-ebs-csi-storage-class" }

// EBSStorageClassArgs configures the default storage class.
type EBSStorageClassArgs struct {
	ClusterName        string
	KubernetesProvider pulumi.ProviderResource
	// WaitFor is the aws-ebs-csi-driver addon.
	WaitFor []pulumi.Resource
}

// EBSStorageClass is the cluster's default storage class: encrypted gp3.
type EBSStorageClass struct {
	pulumi.ResourceState

	Name string
}

// NewEBSStorageClass declares the gp3 class, the default of the cluster.
func NewEBSStorageClass(ctx *pulumi.Context, name string, args *EBSStorageClassArgs, opts ...pulumi.ResourceOption) (*EBSStorageClass, error) {
	if args == nil {
		return nil, fmt.Errorf("EBSStorageClass %s: args are required", name)
	}
	var errs argcheck.Errors
	errs.Check(args.ClusterName != "", "ClusterName is required")
	errs.Check(args.KubernetesProvider != nil, "KubernetesProvider is required")
	if err := errs.Err("EBSStorageClass", name); err != nil {
		return nil, err
	}
	s := &EBSStorageClass{Name: EBSStorageClassName(args.ClusterName)}
	if err := ctx.RegisterComponentResource("eksplatform:storage:EBSStorageClass", name, s, opts...); err != nil {
		return nil, err
	}
	meta := kube.Meta(s.Name, "", nil)
	meta.Annotations = pulumi.StringMap{"storageclass.kubernetes.io/is-default-class": pulumi.String("true")}
	if _, err := storagev1.NewStorageClass(ctx, name, &storagev1.StorageClassArgs{
		Metadata:    meta,
		Provisioner: pulumi.String("ebs.csi.aws.com"),
		// Encrypted with the account's EBS key: the EBS CSI driver's managed
		// policy covers it without extra KMS grants.
		Parameters: pulumi.StringMap{
			"type":      pulumi.String("gp3"),
			"encrypted": pulumi.String("true"),
			// The CSI parameter; "fsType" is its deprecated spelling.
			"csi.storage.k8s.io/fstype": pulumi.String("ext4"),
		},
		VolumeBindingMode:    pulumi.String("WaitForFirstConsumer"),
		AllowVolumeExpansion: pulumi.Bool(true),
		ReclaimPolicy:        pulumi.String("Delete"),
	}, pulumi.Parent(s), pulumi.Provider(args.KubernetesProvider), pulumi.DependsOn(args.WaitFor)); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"name": pulumi.String(s.Name)}); err != nil {
		return nil, err
	}
	return s, nil
}
