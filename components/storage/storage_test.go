package storage

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/internal/mockengine"
)

const (
	testCluster = "test-i01-aws-eu-west-1"
	testRegion  = "eu-west-1"
	testAccount = "111122223333"
	testKey     = "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
	testSG      = "sg-0123456789abcdef0"
)

func efsArgs(p mockengine.Providers, mod func(*EFSArgs)) *EFSArgs {
	keys := []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}
	subnets := map[string]pulumi.StringOutput{}
	for i, k := range keys {
		subnets[k] = pulumi.String([]string{"subnet-0a11aa11aa11aa111", "subnet-0b22bb22bb22bb222", "subnet-0c33cc33cc33cc333"}[i]).ToStringOutput()
	}
	a := &EFSArgs{
		ClusterName: testCluster, VpcID: pulumi.String("vpc-0a1b2c3d4e5f60718"),
		SubnetKeys: keys, Subnets: subnets, NodeSecurityGroupID: pulumi.String(testSG), KMSKeyARN: pulumi.String(testKey),
		TransitionToIADays: 30, Backup: true, DirectoryPerms: "700", Protect: true,
		KubernetesProvider: p.Kubernetes, Tags: map[string]string{"team": "platform"},
	}
	if mod != nil {
		mod(a)
	}
	return a
}

func runStorage(t *testing.T, mod func(*EFSArgs)) *mockengine.Engine {
	t.Helper()
	return mockengine.MustRun(t, testCluster, testRegion, testAccount, func(ctx *pulumi.Context, p mockengine.Providers) error {
		_, err := NewStorage(ctx, testCluster, &Args{ClusterName: testCluster, KubernetesProvider: p.Kubernetes, EFS: efsArgs(p, mod)}, pulumi.Providers(p.AWS))
		return err
	})
}

func TestEBSStorageClassIsTheEncryptedGP3Default(t *testing.T) {
	t.Parallel()
	e := runStorage(t, nil)
	sc := e.Must(t, "kubernetes:storage.k8s.io/v1:StorageClass", testCluster+"-ebs")
	in := sc.In()
	meta := in["metadata"].(map[string]any)
	assert.Equal(t, "test-i01-aws-eu-west-1-ebs-csi-storage-class", meta["name"])
	assert.Equal(t, "true", meta["annotations"].(map[string]any)["storageclass.kubernetes.io/is-default-class"])
	assert.Equal(t, "ebs.csi.aws.com", in["provisioner"])
	assert.Equal(t, map[string]any{"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"}, in["parameters"])
	assert.Equal(t, "WaitForFirstConsumer", in["volumeBindingMode"])
	assert.Equal(t, true, in["allowVolumeExpansion"])
	assert.Equal(t, e.KubernetesProviderURN(), sc.Provider)
}

func TestEFSFileSystemIsEncryptedProtectedAndBackedUp(t *testing.T) {
	t.Parallel()
	e := runStorage(t, nil)
	fs := e.Must(t, "aws:efs/fileSystem:FileSystem", testCluster+"-efs")
	in := fs.In()
	assert.Equal(t, true, in["encrypted"])
	assert.Equal(t, testKey, in["kmsKeyId"])
	assert.Equal(t, []any{map[string]any{"transitionToIa": "AFTER_30_DAYS"}, map[string]any{"transitionToPrimaryStorageClass": "AFTER_1_ACCESS"}}, in["lifecyclePolicies"])
	assert.True(t, fs.Protect)
	bp := e.Must(t, "aws:efs/backupPolicy:BackupPolicy", testCluster+"-efs")
	assert.Equal(t, map[string]any{"status": "ENABLED"}, bp.In()["backupPolicy"])
	assert.Equal(t, fs.ID, bp.In()["fileSystemId"])

	var policy struct {
		Statement []struct {
			Effect    string
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(e.Must(t, "aws:efs/fileSystemPolicy:FileSystemPolicy", testCluster+"-efs").In()["policy"].(string)), &policy))
	require.Len(t, policy.Statement, 2)
	assert.Equal(t, "Deny", policy.Statement[1].Effect)
	assert.Equal(t, "false", policy.Statement[1].Condition["Bool"]["aws:SecureTransport"], "TLS is required")
}

func TestEFSEphemeralAndSettings(t *testing.T) {
	t.Parallel()
	e := runStorage(t, func(a *EFSArgs) { a.Protect, a.Backup, a.TransitionToIADays = false, false, 90 })
	fs := e.Must(t, "aws:efs/fileSystem:FileSystem", testCluster+"-efs")
	assert.False(t, fs.Protect)
	assert.Equal(t, "AFTER_90_DAYS", fs.In()["lifecyclePolicies"].([]any)[0].(map[string]any)["transitionToIa"])
	assert.Equal(t, map[string]any{"status": "DISABLED"}, e.Must(t, "aws:efs/backupPolicy:BackupPolicy", testCluster+"-efs").In()["backupPolicy"])
}

func TestEFSMountTargetInEveryPrivateSubnetBehindANodesOnlyGroup(t *testing.T) {
	t.Parallel()
	e := runStorage(t, nil)
	fs := e.Must(t, "aws:efs/fileSystem:FileSystem", testCluster+"-efs")
	sg := e.Must(t, "aws:ec2/securityGroup:SecurityGroup", testCluster+"-efs-efs")
	assert.Equal(t, []any{map[string]any{
		"description": "NFS from cluster nodes", "protocol": "tcp", "fromPort": 2049.0, "toPort": 2049.0,
		"securityGroups": []any{testSG},
	}}, sg.In()["ingress"], "only the cluster's nodes reach NFS")
	assert.NotContains(t, sg.In(), "egress")

	mts := e.ByType("aws:efs/mountTarget:MountTarget")
	require.Len(t, mts, 3)
	for i, zone := range []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"} {
		mt := e.Must(t, "aws:efs/mountTarget:MountTarget", testCluster+"-efs-"+zone)
		assert.Equal(t, fs.ID, mt.In()["fileSystemId"])
		assert.Equal(t, []string{"subnet-0a11aa11aa11aa111", "subnet-0b22bb22bb22bb222", "subnet-0c33cc33cc33cc333"}[i], mt.In()["subnetId"])
		assert.Equal(t, []any{sg.ID}, mt.In()["securityGroups"])
	}
}

func TestEFSStorageClassAndDiscoverableID(t *testing.T) {
	t.Parallel()
	e := runStorage(t, nil)
	fs := e.Must(t, "aws:efs/fileSystem:FileSystem", testCluster+"-efs")
	sc := e.Must(t, "kubernetes:storage.k8s.io/v1:StorageClass", testCluster+"-efs")
	assert.Equal(t, "test-i01-aws-eu-west-1-efs-csi-storage-class", sc.In()["metadata"].(map[string]any)["name"])
	assert.Equal(t, "efs.csi.aws.com", sc.In()["provisioner"])
	assert.Equal(t, map[string]any{
		"provisioningMode": "efs-ap", "fileSystemId": fs.ID, "directoryPerms": "700", "basePath": "/dynamic",
		"subPathPattern": "${.PVC.namespace}/${.PVC.name}", "ensureUniqueDirectory": "true",
	}, sc.In()["parameters"])
	for _, mt := range e.ByType("aws:efs/mountTarget:MountTarget") {
		assert.Contains(t, sc.DependsOn, mt.URN, "volumes mount only once every mount target exists")
	}
	param := e.Must(t, "aws:ssm/parameter:Parameter", testCluster+"-efs-filesystem-id")
	assert.Equal(t, "/eksplatform/test-i01-aws-eu-west-1/efs-filesystem-id", param.In()["name"])
	assert.Equal(t, fs.ID, param.In()["insecureValue"])
	assert.Equal(t, "String", param.In()["type"])
}

func TestStorageWithoutEFS(t *testing.T) {
	t.Parallel()
	e := mockengine.MustRun(t, testCluster, testRegion, testAccount, func(ctx *pulumi.Context, p mockengine.Providers) error {
		_, err := NewStorage(ctx, testCluster, &Args{ClusterName: testCluster, KubernetesProvider: p.Kubernetes})
		return err
	})
	assert.Empty(t, e.ByType("aws:efs/fileSystem:FileSystem"))
	assert.Len(t, e.ByType("kubernetes:storage.k8s.io/v1:StorageClass"), 1)
}

func TestEFSRejectsBadArgs(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		mod  func(*EFSArgs)
		want string
	}{
		"no subnets":         {func(a *EFSArgs) { a.SubnetKeys = nil }, "one mount target per private subnet"},
		"unknown transition": {func(a *EFSArgs) { a.TransitionToIADays = 45 }, "TransitionToIADays 45 is not an EFS lifecycle transition"},
		"missing key":        {func(a *EFSArgs) { a.SubnetKeys = append(a.SubnetKeys, "eu-west-1d") }, `no subnet for key "eu-west-1d"`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := mockengine.New(testCluster).Run(mockengine.WithProviders(testRegion, testAccount, func(ctx *pulumi.Context, p mockengine.Providers) error {
				_, err := NewEFS(ctx, "efs", efsArgs(p, tc.mod))
				return err
			}))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
