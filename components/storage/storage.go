package storage

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Args configures the storage layer. EFS nil leaves the file system out.
type Args struct {
	ClusterName        string
	KubernetesProvider pulumi.ProviderResource
	// EBSWaitFor is the EBS CSI driver addon; EFS.WaitFor the EFS one.
	EBSWaitFor []pulumi.Resource
	EFS        *EFSArgs
}

// Storage is the storage layer.
type Storage struct {
	pulumi.ResourceState

	EBS *EBSStorageClass
	EFS *EFS
}

// NewStorage declares the EBS storage class and, when asked, the EFS file system.
func NewStorage(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Storage, error) {
	if args == nil {
		return nil, fmt.Errorf("Storage %s: args are required", name)
	}
	s := &Storage{}
	if err := ctx.RegisterComponentResource("eksplatform:storage:Storage", name, s, opts...); err != nil {
		return nil, err
	}
	ebs, err := NewEBSStorageClass(ctx, name+"-ebs", &EBSStorageClassArgs{
		ClusterName: args.ClusterName, KubernetesProvider: args.KubernetesProvider, WaitFor: args.EBSWaitFor,
	}, pulumi.Parent(s))
	if err != nil {
		return nil, err
	}
	s.EBS = ebs
	out := pulumi.Map{"ebsStorageClass": pulumi.String(ebs.Name)}
	if args.EFS != nil {
		e, err := NewEFS(ctx, name+"-efs", args.EFS, pulumi.Parent(s))
		if err != nil {
			return nil, err
		}
		s.EFS = e
		out["efsFileSystemId"] = e.FileSystemID
	}
	if err := ctx.RegisterResourceOutputs(s, out); err != nil {
		return nil, err
	}
	return s, nil
}
