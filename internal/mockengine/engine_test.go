package mockengine

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlainHidesSecretsAndUnknowns(t *testing.T) {
	t.Parallel()
	m := resource.PropertyMap{
		"password": resource.MakeSecret(resource.NewProperty("hunter2")),
		"later":    resource.MakeComputed(resource.NewProperty("")),
		"out":      resource.NewProperty(resource.Output{Element: resource.NewProperty("x"), Known: true, Secret: true}),
		"ref":      resource.MakeCustomResourceReference("urn:pulumi:s::p::t::n", "id", ""),
		"nested":   resource.NewProperty(resource.PropertyMap{"list": resource.NewProperty([]resource.PropertyValue{resource.NewProperty(1.0)})}),
	}
	assert.Equal(t, map[string]any{
		"password": SecretPlaceholder,
		"later":    UnknownPlaceholder,
		"out":      SecretPlaceholder,
		"ref":      "urn:pulumi:s::p::t::n",
		"nested":   map[string]any{"list": []any{1.0}},
	}, PlainMap(m))
}

func TestUnknownInvokeIsAnError(t *testing.T) {
	t.Parallel()
	e := New("s")
	_, err := e.Call(pulumi.MockCallArgs{Token: "aws:rds/getEngineVersion:getEngineVersion"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no canned answer for invoke aws:rds/getEngineVersion:getEngineVersion")
	_, err = e.Call(pulumi.MockCallArgs{Token: "aws:ssm/getParameter:getParameter",
		Args: resource.PropertyMap{"name": resource.NewProperty("/my/param")}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no canned value for SSM parameter "/my/param"`)
}

func TestInvokesAnswerFromTheProvidersAccount(t *testing.T) {
	t.Parallel()
	e := New("s")
	id, _, err := e.NewResource(pulumi.MockResourceArgs{TypeToken: "pulumi:providers:aws", Name: "p", Inputs: resource.PropertyMap{
		"region": resource.NewProperty("us-gov-west-1"),
		// Providers receive list config JSON-encoded.
		"allowedAccountIds": resource.NewProperty(`["444455556666"]`),
	}})
	require.NoError(t, err)
	ref := "urn:pulumi:s::eksplatform::pulumi:providers:aws::p::" + id
	out, err := e.Call(pulumi.MockCallArgs{Token: "aws:index/getCallerIdentity:getCallerIdentity", Provider: ref})
	require.NoError(t, err)
	assert.Equal(t, "444455556666", out["accountId"].StringValue())
	out, err = e.Call(pulumi.MockCallArgs{Token: "aws:index/getPartition:getPartition", Provider: ref})
	require.NoError(t, err)
	assert.Equal(t, "aws-us-gov", out["partition"].StringValue())
	require.Len(t, e.Invokes("aws:index/getPartition:getPartition"), 1)
	assert.Equal(t, "urn:pulumi:s::eksplatform::pulumi:providers:aws::p", e.Invokes("aws:index/getPartition:getPartition")[0].Provider)
}

func TestIDsAreDeterministic(t *testing.T) {
	t.Parallel()
	args := pulumi.MockResourceArgs{TypeToken: "aws:ec2/vpc:Vpc", Name: "v", Custom: true}
	id1, _, err := New("s").NewResource(args)
	require.NoError(t, err)
	id2, _, err := New("s").NewResource(args)
	require.NoError(t, err)
	assert.Equal(t, id1, id2)
	assert.Regexp(t, `^vpc-[0-9a-f]{17}$`, id1)
	id3, _, err := New("other").NewResource(args)
	require.NoError(t, err)
	assert.NotEqual(t, id1, id3, "ids differ between stacks")
}
