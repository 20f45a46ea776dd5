package foundation

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/internal/mockengine"
)

func TestSecretsKeyCreatesRotatedProtectedKey(t *testing.T) {
	t.Parallel()
	var arn string
	e := run(t, func(ctx *pulumi.Context, p *aws.Provider) error {
		k, err := NewSecretsKey(ctx, "k", &SecretsKeyArgs{ClusterName: testCluster, Partition: "aws", Region: "eu-west-1", AccountID: testAccount, Protect: true}, pulumi.Providers(p))
		if err != nil {
			return err
		}
		v, err := mockengine.Await(k.KeyARN)
		arn, _ = v[0].(string)
		return err
	})
	key := find(t, e, "aws:kms/key:Key", "k")
	in := key.In()
	assert.Equal(t, true, in["enableKeyRotation"])
	assert.Equal(t, 30.0, in["deletionWindowInDays"])
	assert.Equal(t, "SYMMETRIC_DEFAULT", in["customerMasterKeySpec"])
	assert.True(t, key.Protect, "the key that encrypts secrets is protected")

	// An explicit policy: the account administers the key, and uses it only
	// through EKS, EFS and the cluster's log groups, in this region.
	policy := mockengine.Statements(t, in["policy"].(string))
	bySid := map[string]mockengine.Statement{}
	for _, st := range policy {
		bySid[st.Sid] = st
	}
	require.Len(t, bySid, 4)
	root := map[string]any{"AWS": "arn:aws:iam::111122223333:root"}
	admin := bySid["KeyAdministration"]
	assert.Equal(t, root, admin.Principal)
	for _, a := range mockengine.Strings(admin.Action) {
		assert.NotContains(t, []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:CreateGrant", "kms:*"}, a, "administration cannot use the key")
	}
	for sid, service := range map[string]string{"EKSSecretsEncryption": "eks.eu-west-1.amazonaws.com", "EFSEncryption": "elasticfilesystem.eu-west-1.amazonaws.com"} {
		st := bySid[sid]
		assert.Equal(t, root, st.Principal, sid)
		assert.Contains(t, mockengine.Strings(st.Action), "kms:Decrypt", sid)
		assert.Equal(t, map[string]map[string]any{"StringEquals": {"kms:ViaService": service, "kms:CallerAccount": testAccount}}, st.Condition, sid)
	}
	logs := bySid["ControlPlaneLogs"]
	assert.Equal(t, map[string]any{"Service": "logs.eu-west-1.amazonaws.com"}, logs.Principal)
	assert.Equal(t, map[string]map[string]any{"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/eks/" + testCluster + "/*"}}, logs.Condition)
	assert.Regexp(t, `^arn:aws:kms:eu-west-1:111122223333:key/[0-9a-f-]{36}$`, arn)

	alias := find(t, e, "aws:kms/alias:Alias", "k")
	assert.Equal(t, "alias/eksplatform/"+testCluster, alias.In()["name"])
	assert.Equal(t, key.Out()["keyId"], alias.In()["targetKeyId"])
	assert.Equal(t, "ENCRYPT_DECRYPT", in["keyUsage"], "EKS envelope encryption needs a symmetric encrypt/decrypt key")
	assert.Equal(t, "EKS secrets encryption for cluster "+testCluster+" (eksplatform)", in["description"])
	assert.Equal(t, key.Parent, find(t, e, "eksplatform:foundation:SecretsKey", "k").URN, "children are parented to the component")
	assert.Equal(t, key.Parent, alias.Parent, "the alias too")
}

func TestSecretsKeyEphemeralIsNotProtected(t *testing.T) {
	t.Parallel()
	e := run(t, func(ctx *pulumi.Context, p *aws.Provider) error {
		_, err := NewSecretsKey(ctx, "k", &SecretsKeyArgs{ClusterName: testCluster, Partition: "aws", Region: "eu-west-1", AccountID: testAccount, Protect: false}, pulumi.Providers(p))
		return err
	})
	assert.False(t, find(t, e, "aws:kms/key:Key", "k").Protect)
}

func TestSecretsKeyBroughtInCreatesNothing(t *testing.T) {
	t.Parallel()
	const existing = "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
	var arn any
	var created bool
	e := run(t, func(ctx *pulumi.Context, p *aws.Provider) error {
		k, err := NewSecretsKey(ctx, "k", &SecretsKeyArgs{ClusterName: testCluster, ExistingKeyARN: existing}, pulumi.Providers(p))
		if err != nil {
			return err
		}
		created = k.Created
		v, err := mockengine.Await(k.KeyARN)
		arn = v[0]
		return err
	})
	assert.Empty(t, e.ByType("aws:kms/key:Key"))
	assert.Empty(t, e.ByType("aws:kms/alias:Alias"))
	assert.False(t, created)
	assert.Equal(t, existing, arn)
}

func TestSecretsKeyRejectsBadArgs(t *testing.T) {
	t.Parallel()
	for name, args := range map[string]*SecretsKeyArgs{
		"nil args":              nil,
		"no cluster name":       {},
		"short deletion window": {ClusterName: testCluster, DeletionWindowDays: 3},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := runErr(func(ctx *pulumi.Context, _ *aws.Provider) error {
				_, err := NewSecretsKey(ctx, "k", args)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "SecretsKey k")
		})
	}
}
