package storage

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/efs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	storagev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/storage/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/internal/iampolicy"
	"github.com/eksplatform/eksplatform/components/kube"
	"github.com/eksplatform/eksplatform/contract"
)

// EFSStorageClassName is the exact name of a cluster's EFS storage class.
func EFSStorageClassName(cluster string) string { return cluster + "-efs-csi-storage-class" }

// EFSParameterName is where the platform's clusters API finds the file system id.
func EFSParameterName(cluster string) string {
	return contract.ParameterName(cluster, contract.FactEFSFileSystemID)
}

// EFSArgs configures the cluster's file system.
type EFSArgs struct {
	ClusterName string
	VpcID       pulumi.StringInput
	// SubnetKeys and Subnets are the private subnets, by stable key (see
	// network.Vpc): one mount target each.
	SubnetKeys []string
	Subnets    map[string]pulumi.StringOutput
	// SubnetKeyWas are earlier keys of the same mount targets, kept as aliases.
	SubnetKeyWas map[string]string
	// NodeSecurityGroupID is the EKS cluster security group, which every node
	// of the cluster carries; only it may reach NFS.
	NodeSecurityGroupID pulumi.StringInput
	KMSKeyARN           pulumi.StringInput
	// TransitionToIADays is one of the EFS lifecycle transitions (30 -> AFTER_30_DAYS).
	TransitionToIADays int
	Backup             bool
	// DirectoryPerms of each PVC's directory, e.g. "700".
	DirectoryPerms string
	// Protect guards the file system against deletion (false only for ephemeral clusters).
	Protect            bool
	KubernetesProvider pulumi.ProviderResource
	// WaitFor is the aws-efs-csi-driver addon.
	WaitFor []pulumi.Resource
	Tags    map[string]string
}

// EFS is the encrypted file system, its mount targets and storage class.
type EFS struct {
	pulumi.ResourceState

	FileSystemID     pulumi.StringOutput
	StorageClassName string
	// FileSystem is the EFS file system, for dependencies.
	FileSystem *efs.FileSystem
}

// EFSPolicy lets clients mount through a mount target and refuses every
// request that does not use TLS.
func EFSPolicy(fileSystemARN string) string {
	return iampolicy.New(
		iampolicy.Statement{
			Sid: "MountThroughMountTargets", Effect: "Allow", Principal: map[string]any{"AWS": "*"},
			Action:    []string{"elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"},
			Resource:  fileSystemARN,
			Condition: map[string]map[string]any{"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
		},
		iampolicy.Statement{
			Sid: "RequireTLS", Effect: "Deny", Principal: map[string]any{"AWS": "*"},
			Action: "*", Resource: fileSystemARN,
			Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}},
		},
	).JSON()
}

// NewEFS declares the file system and everything that makes it usable and discoverable.
func NewEFS(ctx *pulumi.Context, name string, args *EFSArgs, opts ...pulumi.ResourceOption) (*EFS, error) {
	if args == nil {
		return nil, fmt.Errorf("EFS %s: args are required", name)
	}
	a := args
	transition, knownTransition := catalog.EFSTransitions[a.TransitionToIADays]
	var errs argcheck.Errors
	errs.Check(a.ClusterName != "", "ClusterName is required")
	errs.Check(a.VpcID != nil && a.NodeSecurityGroupID != nil && a.KMSKeyARN != nil, "VpcID, NodeSecurityGroupID and KMSKeyARN are required")
	errs.Check(len(a.SubnetKeys) > 0, "SubnetKeys is required: one mount target per private subnet")
	for _, k := range a.SubnetKeys {
		_, ok := a.Subnets[k]
		errs.Check(ok, "no subnet for key %q", k)
	}
	errs.Check(knownTransition, "TransitionToIADays %d is not an EFS lifecycle transition", a.TransitionToIADays)
	errs.Check(a.DirectoryPerms != "", "DirectoryPerms is required")
	errs.Check(a.KubernetesProvider != nil, "KubernetesProvider is required")
	if err := errs.Err("EFS", name); err != nil {
		return nil, err
	}

	e := &EFS{StorageClassName: EFSStorageClassName(a.ClusterName)}
	if err := ctx.RegisterComponentResource("eksplatform:storage:EFS", name, e, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(e)
	tags := pulumi.StringMap{"Name": pulumi.String(a.ClusterName)}
	for k, v := range a.Tags {
		tags[k] = pulumi.String(v)
	}

	fs, err := efs.NewFileSystem(ctx, name, &efs.FileSystemArgs{
		Encrypted:       pulumi.Bool(true),
		KmsKeyId:        a.KMSKeyARN,
		PerformanceMode: pulumi.String("generalPurpose"),
		ThroughputMode:  pulumi.String("elastic"),
		LifecyclePolicies: efs.FileSystemLifecyclePolicyArray{
			efs.FileSystemLifecyclePolicyArgs{TransitionToIa: pulumi.String(transition)},
			efs.FileSystemLifecyclePolicyArgs{TransitionToPrimaryStorageClass: pulumi.String("AFTER_1_ACCESS")},
		},
		Tags: tags,
	}, parent, pulumi.Protect(a.Protect))
	if err != nil {
		return nil, err
	}
	e.FileSystem = fs
	e.FileSystemID = fs.ID().ToStringOutput()

	status := "DISABLED"
	if a.Backup {
		status = "ENABLED"
	}
	if _, err := efs.NewBackupPolicy(ctx, name, &efs.BackupPolicyArgs{
		FileSystemId: fs.ID(),
		BackupPolicy: efs.BackupPolicyBackupPolicyArgs{Status: pulumi.String(status)},
	}, parent); err != nil {
		return nil, err
	}
	if _, err := efs.NewFileSystemPolicy(ctx, name, &efs.FileSystemPolicyArgs{
		FileSystemId: fs.ID(),
		Policy:       fs.Arn.ApplyT(EFSPolicy).(pulumi.StringOutput),
	}, parent); err != nil {
		return nil, err
	}

	sg, err := ec2.NewSecurityGroup(ctx, name+"-efs", &ec2.SecurityGroupArgs{
		VpcId:       a.VpcID,
		Description: pulumi.Sprintf("NFS to the EFS file system of %s, from the cluster's nodes only", a.ClusterName),
		Ingress: ec2.SecurityGroupIngressArray{ec2.SecurityGroupIngressArgs{
			Description:    pulumi.String("NFS from cluster nodes"),
			Protocol:       pulumi.String("tcp"),
			FromPort:       pulumi.Int(2049),
			ToPort:         pulumi.Int(2049),
			SecurityGroups: pulumi.StringArray{a.NodeSecurityGroupID},
		}},
		Tags: tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	var mounts []pulumi.Resource
	for _, key := range a.SubnetKeys {
		mtOpts := []pulumi.ResourceOption{parent}
		if was := a.SubnetKeyWas[key]; was != "" && was != key {
			mtOpts = append(mtOpts, pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(name + "-" + was)}}))
		}
		mt, err := efs.NewMountTarget(ctx, name+"-"+key, &efs.MountTargetArgs{
			FileSystemId:   fs.ID(),
			SubnetId:       a.Subnets[key],
			SecurityGroups: pulumi.StringArray{sg.ID()},
		}, mtOpts...)
		if err != nil {
			return nil, err
		}
		mounts = append(mounts, mt)
	}

	if _, err := ssm.NewParameter(ctx, name+"-filesystem-id", &ssm.ParameterArgs{
		Name:        pulumi.String(EFSParameterName(a.ClusterName)),
		Description: pulumi.Sprintf("EFS file system of EKS cluster %s (eksplatform)", a.ClusterName),
		Type:        pulumi.String("String"),
		// A file system id is not a secret; InsecureValue keeps it readable
		// in state, previews and synth.
		InsecureValue: fs.ID(),
		Tags:          pulumi.ToStringMap(a.Tags),
	}, parent); err != nil {
		return nil, err
	}

	if _, err := storagev1.NewStorageClass(ctx, name, &storagev1.StorageClassArgs{
		Metadata:    kube.Meta(e.StorageClassName, "", nil),
		Provisioner: pulumi.String("efs.csi.aws.com"),
		Parameters: pulumi.StringMap{
			"provisioningMode":      pulumi.String("efs-ap"),
			"fileSystemId":          fs.ID(),
			"directoryPerms":        pulumi.String(a.DirectoryPerms),
			"basePath":              pulumi.String("/dynamic"),
			"subPathPattern":        pulumi.String("${.PVC.namespace}/${.PVC.name}"),
			"ensureUniqueDirectory": pulumi.String("true"),
		},
		// Deleting a PVC removes its access point; the data directory stays
		// (deleteAccessPointRootDir is off).
		ReclaimPolicy:     pulumi.String("Delete"),
		VolumeBindingMode: pulumi.String("Immediate"),
	}, parent, pulumi.Provider(a.KubernetesProvider), pulumi.DependsOn(append(mounts, a.WaitFor...))); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(e, pulumi.Map{"fileSystemId": e.FileSystemID}); err != nil {
		return nil, err
	}
	return e, nil
}
