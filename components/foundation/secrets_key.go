package foundation

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/components/internal/argcheck"
)

// SecretsKeyArgs configures the KMS key that encrypts Kubernetes secrets.
type SecretsKeyArgs struct {
	// ClusterName names the key's alias (alias/eksplatform/<cluster>).
	ClusterName string
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
