package foundation

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/internal/iampolicy"
)

// SecretsKeyArgs configures the KMS key that encrypts Kubernetes secrets.
type SecretsKeyArgs struct {
	// ClusterName names the key's alias (alias/eksplatform/<cluster>).
	ClusterName string
	// Partition, Region and AccountID scope the created key's policy.
	Partition string
	Region    string
	AccountID string
	// ExistingKeyARN brings a key instead of creating one; nothing is created then.
	ExistingKeyARN string
	// DeletionWindowDays is how long a deleted key can still be recovered: 7 to 30, default 30.
	DeletionWindowDays int
	// Protect guards the created key against deletion (false only for ephemeral clusters).
	Protect bool
	Tags    map[string]string
}

// SecretsKey is the key used for EKS envelope encryption of secrets.
type SecretsKey struct {
	pulumi.ResourceState

	// KeyARN is the ARN of the created or brought-in key.
	KeyARN pulumi.StringOutput
	// Created reports whether this component owns the key.
	Created bool
	// Key is the created key, nil when brought in.
	Key *kms.Key
}

// NewSecretsKey creates the key (rotation on, alias per cluster) or adopts ExistingKeyARN.
func NewSecretsKey(ctx *pulumi.Context, name string, args *SecretsKeyArgs, opts ...pulumi.ResourceOption) (*SecretsKey, error) {
	if args == nil {
		return nil, fmt.Errorf("SecretsKey %s: args are required", name)
	}
	a := *args
	if a.DeletionWindowDays == 0 {
		a.DeletionWindowDays = 30
	}
	var errs argcheck.Errors
	errs.Check(a.ClusterName != "", "ClusterName is required")
	errs.Check(a.ExistingKeyARN != "" || (a.Partition != "" && a.Region != "" && a.AccountID != ""), "Partition, Region and AccountID are required for a created key's policy")
	errs.Check(a.DeletionWindowDays >= 7 && a.DeletionWindowDays <= 30, "DeletionWindowDays must be 7 to 30, got %d", a.DeletionWindowDays)
	if err := errs.Err("SecretsKey", name); err != nil {
		return nil, err
	}

	k := &SecretsKey{}
	if err := ctx.RegisterComponentResource("eksplatform:foundation:SecretsKey", name, k, opts...); err != nil {
		return nil, err
	}
	if a.ExistingKeyARN != "" {
		k.KeyARN = pulumi.String(a.ExistingKeyARN).ToStringOutput()
	} else {
		key, err := kms.NewKey(ctx, name, &kms.KeyArgs{
			Description:           pulumi.Sprintf("EKS secrets encryption for cluster %s (eksplatform)", a.ClusterName),
			KeyUsage:              pulumi.String("ENCRYPT_DECRYPT"),
			CustomerMasterKeySpec: pulumi.String("SYMMETRIC_DEFAULT"),
			EnableKeyRotation:     pulumi.Bool(true),
			DeletionWindowInDays:  pulumi.Int(a.DeletionWindowDays),
			Policy:                pulumi.String(SecretsKeyPolicy(a.Partition, a.Region, a.AccountID, a.ClusterName)),
			Tags:                  pulumi.ToStringMap(a.Tags),
		}, pulumi.Parent(k), pulumi.Protect(a.Protect))
		if err != nil {
			return nil, err
		}
		if _, err := kms.NewAlias(ctx, name, &kms.AliasArgs{
			Name:        pulumi.Sprintf("alias/eksplatform/%s", a.ClusterName),
			TargetKeyId: key.KeyId,
		}, pulumi.Parent(k)); err != nil {
			return nil, err
		}
		k.Key = key
		k.Created = true
		k.KeyARN = key.Arn
	}
	if err := ctx.RegisterResourceOutputs(k, pulumi.Map{"keyArn": k.KeyARN}); err != nil {
		return nil, err
	}
	return k, nil
}

// keyAdministration are the key policy's administrative actions: the account
// manages the key through IAM, but uses it only through the services below.
var keyAdministration = []string{
	"kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey", "kms:DisableKey",
	"kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus",
	"kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListResourceTags", "kms:PutKeyPolicy",
	"kms:RevokeGrant", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
	"kms:UpdateAlias", "kms:UpdateKeyDescription",
}

// SecretsKeyPolicy is the created key's policy. Without one the key has the
// default policy: every principal of the account that IAM lets use KMS can
// decrypt with it. Here the account administers the key through IAM, and
// uses it only through the three services that encrypt with it: EKS
// (secrets envelope encryption, through the cluster role, which the eks
// provider creates), EFS (the file system) and CloudWatch Logs (the
// control-plane log group of this cluster), each bound to this account and
// region. One key rather than a key per use: EFS already uses it, and a new
// key for an existing file system replaces the file system.
func SecretsKeyPolicy(partition, region, account, cluster string) string {
	root := map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", partition, account)}
	via := func(service string) map[string]map[string]any {
		return map[string]map[string]any{"StringEquals": {
			"kms:ViaService":    fmt.Sprintf("%s.%s.amazonaws.com", service, region),
			"kms:CallerAccount": account,
		}}
	}
	return iampolicy.New(
		iampolicy.Statement{Sid: "KeyAdministration", Effect: "Allow", Principal: root, Action: keyAdministration, Resource: "*"},
		iampolicy.Statement{
			Sid: "EKSSecretsEncryption", Effect: "Allow", Principal: root, Resource: "*",
			Action:    []string{"kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:ListGrants", "kms:GenerateDataKey*"},
			Condition: via("eks"),
		},
		iampolicy.Statement{
			Sid: "EFSEncryption", Effect: "Allow", Principal: root, Resource: "*",
			Action:    []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"},
			Condition: via("elasticfilesystem"),
		},
		iampolicy.Statement{
			Sid: "ControlPlaneLogs", Effect: "Allow", Resource: "*",
			Principal: map[string]any{"Service": fmt.Sprintf("logs.%s.amazonaws.com", region)},
			Action:    []string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"},
			Condition: map[string]map[string]any{"ArnLike": {
				"kms:EncryptionContext:aws:logs:arn": fmt.Sprintf("arn:%s:logs:%s:%s:log-group:/aws/eks/%s/*", partition, region, account, cluster),
			}},
		},
	).JSON()
}
