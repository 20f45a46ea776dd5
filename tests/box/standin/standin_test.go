package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"
)

const nodeGroupURN = "urn:pulumi:sandbox-use1::eksplatform::eksplatform:foundation:ManagementNodeGroup$aws:eks/nodeGroup:NodeGroup::sandbox-use1-management"

func props(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := marshalled(resource.NewPropertyMapFromMap(m))
	require.NoError(t, err)
	return s
}

func TestDiffReportsAReplacementOnlyForWhatAWSCannotChange(t *testing.T) {
	p := &awsProvider{}
	old := map[string]any{"clusterName": "sandbox-use1", "instanceTypes": []any{"m7g.large"}, "releaseVersion": "1.36.1"}
	cases := map[string]struct {
		news     map[string]any
		change   pulumirpc.DiffResponse_DiffChanges
		replaces []string
	}{
		"same":          {old, pulumirpc.DiffResponse_DIFF_NONE, nil},
		"new release":   {map[string]any{"clusterName": "sandbox-use1", "instanceTypes": []any{"m7g.large"}, "releaseVersion": "1.37.0"}, pulumirpc.DiffResponse_DIFF_SOME, nil},
		"new instances": {map[string]any{"clusterName": "sandbox-use1", "instanceTypes": []any{"m7g.xlarge"}, "releaseVersion": "1.36.1"}, pulumirpc.DiffResponse_DIFF_SOME, []string{"instanceTypes"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := p.Diff(t.Context(), &pulumirpc.DiffRequest{Urn: nodeGroupURN, OldInputs: props(t, old), News: props(t, c.news)})
			require.NoError(t, err)
			assert.Equal(t, c.change, got.GetChanges())
			assert.Equal(t, c.replaces, got.GetReplaces())
		})
	}
}

func TestCreateAnswersFromTheSharedTable(t *testing.T) {
	p := &awsProvider{}
	_, err := p.Configure(t.Context(), &pulumirpc.ConfigureRequest{Args: props(t, map[string]any{"region": "eu-west-1", "allowedAccountIds": []any{"111122223333"}})})
	require.NoError(t, err)
	in := props(t, map[string]any{"clusterName": "sandbox-use1", "nodeGroupName": "management"})

	preview, err := p.Create(t.Context(), &pulumirpc.CreateRequest{Urn: nodeGroupURN, Properties: in, Preview: true})
	require.NoError(t, err)
	assert.NotContains(t, preview.GetProperties().GetFields(), "arn", "what AWS computes is unknown in a preview")

	one, err := p.Create(t.Context(), &pulumirpc.CreateRequest{Urn: nodeGroupURN, Properties: in})
	require.NoError(t, err)
	arn := one.GetProperties().GetFields()["arn"].GetStringValue()
	assert.Regexp(t, `^arn:aws:eks:eu-west-1:111122223333:nodegroup/sandbox-use1/management/`, arn)
	two, err := p.Create(t.Context(), &pulumirpc.CreateRequest{Urn: nodeGroupURN, Properties: in})
	require.NoError(t, err)
	assert.NotEqual(t, one.GetId(), two.GetId(), "a replacement is a new node group with a new id")
}

func TestTheClusterKubeconfigIsTheBoxsWhenThereIsABox(t *testing.T) {
	t.Setenv(BoxDirEnv, "")
	aws, err := kubeconfigOf("sandbox-use1", "https://x.eks.amazonaws.com", "Q0E=", "arn:aws:eks:eu-west-1:111122223333:cluster/sandbox-use1")
	require.NoError(t, err)
	assert.Contains(t, aws, `"get-token","--cluster-name","sandbox-use1","--region","eu-west-1"`)

	dir := t.TempDir()
	t.Setenv(BoxDirEnv, dir)
	_, err = kubeconfigOf("sandbox-use1", "", "", "")
	assert.ErrorContains(t, err, "cluster sandbox-use1 has no API server in the box")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sandbox-use1"), 0o700))
	box := `{"apiVersion":"v1","kind":"Config","clusters":[{"name":"box","cluster":{"server":"https://127.0.0.1:6443"}}]}`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sandbox-use1", "kubeconfig.json"), []byte(box), 0o600))
	got, err := kubeconfigOf("sandbox-use1", "", "", "")
	require.NoError(t, err)
	assert.Equal(t, box, got)
}
