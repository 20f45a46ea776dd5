package contract

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadTypesWhatTheStackSays(t *testing.T) {
	t.Parallel()
	o, err := Read(map[string]any{
		Role: "prod", Wave: float64(3), ClusterName: "prod-i01", KubernetesVersion: "1.36",
		NodeGroupRelease: "1.36.4-20261110", KarpenterVersion: "1.9.0", EchoServerURL: "http://echo/",
		AddonVersions: map[string]any{"coredns": "v1.12.2-eksbuild.4", "vpc-cni": "v1.20.0-eksbuild.1"},
		ChartVersions: map[string]any{"karpenter": "1.9.0"},
		Kubeconfig:    "[secret]", "somethingNew": 42,
		OIDCIssuerURL: "https://oidc.eks/id/ABC", KarpenterQueue: "prod-i01-karpenter", EBSStorageClass: "gp3",
		EFSStorageClass: "prod-i01-efs", EFSFileSystemID: "fs-1", ClusterAdminRoleARN: "arn:aws:iam::1:role/admin",
		PodLogGroup: "/aws/eks/prod-i01/pods", Parameters: map[string]any{FactEndpoint: "/eksplatform/prod-i01/endpoint"},
		ContainerInsights:     "https://us-east-2.console.aws.amazon.com/cloudwatch/home?region=us-east-2#container-insights:",
		PrometheusWorkspaceID: "ws-1", PrometheusEndpoint: "https://aps-workspaces.us-east-2.amazonaws.com/workspaces/ws-1/",
	})
	require.NoError(t, err)
	assert.Equal(t, Outputs{
		Role: "prod", Wave: 3, ClusterName: "prod-i01", Kubernetes: "1.36", NodeGroupRelease: "1.36.4-20261110",
		Karpenter: "1.9.0", EchoServerURL: "http://echo/",
		Addons:        map[string]string{"coredns": "v1.12.2-eksbuild.4", "vpc-cni": "v1.20.0-eksbuild.1"},
		Charts:        map[string]string{"karpenter": "1.9.0"},
		OIDCIssuerURL: "https://oidc.eks/id/ABC", KarpenterQueue: "prod-i01-karpenter", EBSStorageClass: "gp3",
		EFSStorageClass: "prod-i01-efs", EFSFileSystemID: "fs-1", ClusterAdminRole: "arn:aws:iam::1:role/admin",
		PodLogGroup: "/aws/eks/prod-i01/pods", Parameters: map[string]string{FactEndpoint: "/eksplatform/prod-i01/endpoint"},
		ContainerInsights:     "https://us-east-2.console.aws.amazon.com/cloudwatch/home?region=us-east-2#container-insights:",
		PrometheusWorkspaceID: "ws-1", PrometheusEndpoint: "https://aps-workspaces.us-east-2.amazonaws.com/workspaces/ws-1/",
	}, o)
}

func TestReadRefusesOutputsOfTheWrongShape(t *testing.T) {
	t.Parallel()
	_, err := Read(map[string]any{KubernetesVersion: 1.36, Wave: "three", AddonVersions: map[string]any{"coredns": 1}, ChartVersions: []any{"x"}})
	require.Error(t, err)
	for _, want := range []string{"kubernetesVersion is float64, not a string", "wave is string, not a number",
		"addonVersions.coredns is int, not a string", "chartVersions is []interface {}, not a map"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestReadDeployedNeedsTheKubernetesVersion(t *testing.T) {
	t.Parallel()
	_, err := ReadDeployed(map[string]any{Role: "prod"})
	require.EqualError(t, err, "the stack has no kubernetesVersion output: was it made by eksplatform?")
	o, err := ReadDeployed(map[string]any{KubernetesVersion: "1.37"})
	require.NoError(t, err)
	assert.Equal(t, "1.37", o.Kubernetes)
	_, err = ReadDeployed(map[string]any{})
	require.ErrorIs(t, err, ErrNoOutputs, "a stack whose first up was killed")
	_, err = Read(nil)
	assert.NoError(t, err, "an empty stack reads as zero values")
}

func TestNamesAreUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, n := range Names {
		assert.False(t, seen[n], "%s twice", n)
		seen[n] = true
	}
	assert.Len(t, Names, 32)
}
