package foundation

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/internal/awsanswers"
	"github.com/eksplatform/eksplatform/internal/mockengine"
)

const (
	testIssuer      = "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
	testProviderARN = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
	testIssuerHost  = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
)

func runAddon(t *testing.T, addon, version string) (*mockengine.Engine, string) {
	t.Helper()
	var resolved string
	e := run(t, func(ctx *pulumi.Context, p *aws.Provider) error {
		a, err := NewAddon(ctx, "ad", &AddonArgs{
			ClusterName:       pulumi.String(testCluster),
			KubernetesVersion: "1.34",
			Partition:         "aws",
			Addon:             addonSpec(addon),
			Version:           version,
			OIDCProviderARN:   pulumi.String(testProviderARN),
			OIDCIssuerURL:     pulumi.String(testIssuer),
			Toleration:        mgmtTaint,
		}, pulumi.Providers(p))
		if err != nil {
			return err
		}
		v, err := mockengine.Await(a.Version)
		resolved, _ = v[0].(string)
		return err
	})
	return e, resolved
}

func TestAddonVersionSpecs(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		spec       string
		wantInvoke bool
		mostRecent bool
		want       string
	}{
		"latest":  {AddonLatest, true, true, awsanswers.AddonVersion("coredns", "1.34", true)},
		"default": {AddonDefault, true, false, awsanswers.AddonVersion("coredns", "1.34", false)},
		"exact":   {"v1.11.4-eksbuild.14", false, false, "v1.11.4-eksbuild.14"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, resolved := runAddon(t, "coredns", tc.spec)
			calls := e.Invokes("aws:eks/getAddonVersion:getAddonVersion")
			if tc.wantInvoke {
				require.Len(t, calls, 1)
				assert.Equal(t, "coredns", calls[0].Args["addonName"].StringValue())
				assert.Equal(t, "1.34", calls[0].Args["kubernetesVersion"].StringValue())
				assert.Equal(t, tc.mostRecent, calls[0].Args["mostRecent"].BoolValue())
			} else {
				assert.Empty(t, calls)
			}
			assert.Equal(t, tc.want, find(t, e, "aws:eks/addon:Addon", "ad").In()["addonVersion"])
			assert.Equal(t, tc.want, resolved)
		})
	}
}

func TestAddonIRSARoles(t *testing.T) {
	t.Parallel()
	for addon, tc := range map[string]struct {
		subjects any
		policy   string
	}{
		"vpc-cni":            {"system:serviceaccount:kube-system:aws-node", "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"},
		"aws-ebs-csi-driver": {"system:serviceaccount:kube-system:ebs-csi-controller-sa", "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"},
		"aws-efs-csi-driver": {[]any{"system:serviceaccount:kube-system:efs-csi-controller-sa", "system:serviceaccount:kube-system:efs-csi-node-sa"},
			"arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy"},
	} {
		t.Run(addon, func(t *testing.T) {
			t.Parallel()
			e, _ := runAddon(t, addon, AddonLatest)
			role := find(t, e, "aws:iam/role:Role", "ad")
			var trust struct {
				Statement []struct {
					Principal map[string]string
					Action    string
					Condition map[string]map[string]any
				}
			}
			require.NoError(t, json.Unmarshal([]byte(role.In()["assumeRolePolicy"].(string)), &trust))
			require.Len(t, trust.Statement, 1)
			st := trust.Statement[0]
			assert.Equal(t, testProviderARN, st.Principal["Federated"])
			assert.Equal(t, "sts:AssumeRoleWithWebIdentity", st.Action)
			assert.Equal(t, map[string]any{testIssuerHost + ":aud": "sts.amazonaws.com", testIssuerHost + ":sub": tc.subjects},
				st.Condition["StringEquals"], "only the addon's own service accounts")
			att := find(t, e, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ad")
			assert.Equal(t, tc.policy, att.In()["policyArn"])
			assert.Equal(t, role.Out()["arn"], find(t, e, "aws:eks/addon:Addon", "ad").In()["serviceAccountRoleArn"])
		})
	}
}

func TestAddonsWithoutAWSAccessHaveNoRole(t *testing.T) {
	t.Parallel()
	for _, addon := range []string{"coredns", "kube-proxy", "eks-pod-identity-agent"} {
		e, _ := runAddon(t, addon, AddonLatest)
		assert.Empty(t, e.ByType("aws:iam/role:Role"), addon)
		assert.NotContains(t, find(t, e, "aws:eks/addon:Addon", "ad").In(), "serviceAccountRoleArn", addon)
	}
}

func TestAddonTolerationsAndConflicts(t *testing.T) {
	t.Parallel()
	tol := []any{map[string]any{"key": "dedicated", "operator": "Equal", "value": "management", "effect": "NoSchedule"}}
	for addon, want := range map[string]any{
		"coredns":            map[string]any{"tolerations": tol},
		"aws-ebs-csi-driver": map[string]any{"controller": map[string]any{"tolerations": tol}},
		"aws-efs-csi-driver": map[string]any{"controller": map[string]any{"tolerations": tol}},
		"kube-proxy":         nil,
		"vpc-cni":            nil,
	} {
		t.Run(addon, func(t *testing.T) {
			t.Parallel()
			e, _ := runAddon(t, addon, AddonLatest)
			in := find(t, e, "aws:eks/addon:Addon", "ad").In()
			assert.Equal(t, "OVERWRITE", in["resolveConflictsOnCreate"])
			assert.Equal(t, "OVERWRITE", in["resolveConflictsOnUpdate"])
			assert.Equal(t, addon, in["addonName"])
			if want == nil {
				assert.NotContains(t, in, "configurationValues")
				return
			}
			var cfg any
			require.NoError(t, json.Unmarshal([]byte(in["configurationValues"].(string)), &cfg))
			assert.Equal(t, want, cfg)
		})
	}
}

func TestAddonPreserveKeepsNetworkingOnDelete(t *testing.T) {
	t.Parallel()
	for addon, want := range map[string]bool{"vpc-cni": true, "coredns": true, "kube-proxy": true, "aws-ebs-csi-driver": false} {
		e, _ := runAddon(t, addon, AddonLatest)
		assert.Equal(t, want, find(t, e, "aws:eks/addon:Addon", "ad").In()["preserve"], addon)
	}
}

func TestAddonNeedsItsCatalogEntry(t *testing.T) {
	t.Parallel()
	err := runErr(func(ctx *pulumi.Context, _ *aws.Provider) error {
		_, err := NewAddon(ctx, "ad", &AddonArgs{ClusterName: pulumi.String("x"), KubernetesVersion: "1.34", Partition: "aws", Version: "latest"})
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Addon is required: the catalog's entry of the addon")
}

func TestRoleNameForLongAddonNames(t *testing.T) {
	t.Parallel()
	_, ok := RoleNameFor("prod-i01-aws-us-east-2-aws-efs-csi-driver")
	assert.False(t, ok, "a name whose auto-name fits keeps it")
	a := "prod-i01-aws-us-east-2xxxxxxxxxx-amazon-cloudwatch-observability"
	b := "prod-i01-aws-us-east-2xxxxxxxxxx-amazon-cloudwatch-observability-2"
	na, ok := RoleNameFor(a)
	require.True(t, ok)
	nb, _ := RoleNameFor(b)
	assert.Len(t, na, 64)
	assert.True(t, strings.HasPrefix(na, a[:55]+"-"))
	assert.NotEqual(t, na, nb, "same start, different names")
	again, _ := RoleNameFor(a)
	assert.Equal(t, na, again, "deterministic")
}
