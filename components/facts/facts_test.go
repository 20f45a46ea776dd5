package facts

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/contract"
	"github.com/eksplatform/eksplatform/internal/mockengine"
)

const (
	cluster = "prod-i01-aws-eu-west-1"
	region  = "eu-west-1"
	account = "111122223333"
)

// everyFact gives every String fact "value of <name>" and the subnets.
func everyFact() *Args {
	a := &Args{ClusterName: cluster, Values: map[string]pulumi.StringInput{}, Tags: map[string]string{"team": "platform"},
		Lists: map[string]pulumi.StringArrayInput{contract.FactPrivateSubnetIDs: pulumi.ToStringArray([]string{"subnet-a", "subnet-b"})}}
	for _, f := range contract.Facts {
		if !f.List {
			a.Values[f.Name] = pulumi.String("value of " + f.Name)
		}
	}
	return a
}

func TestEveryFactIsAParameterUnderTheClustersPrefix(t *testing.T) {
	t.Parallel()
	var published *ClusterFacts
	e := mockengine.MustRun(t, cluster, region, account, func(ctx *pulumi.Context, p mockengine.Providers) error {
		var err error
		published, err = NewClusterFacts(ctx, cluster, everyFact(), pulumi.Provider(p.AWS))
		return err
	})
	params := e.ByType("aws:ssm/parameter:Parameter")
	require.Len(t, params, len(contract.Facts))
	for _, f := range contract.Facts {
		p := e.Must(t, "aws:ssm/parameter:Parameter", cluster+"-"+f.Name)
		in := p.In()
		assert.Equal(t, "/eksplatform/"+cluster+"/"+f.Name, in["name"])
		assert.Equal(t, "Standard", in["tier"])
		assert.Equal(t, "platform", in["tags"].(map[string]any)["team"])
		assert.NotContains(t, in, "value", "no secret value: facts are readable in state and synth")
		if f.List {
			assert.Equal(t, "StringList", in["type"], f.Name)
			assert.Equal(t, "subnet-a,subnet-b", in["insecureValue"], "SSM's StringList is comma-joined")
		} else {
			assert.Equal(t, "String", in["type"], f.Name)
			assert.Equal(t, "value of "+f.Name, in["insecureValue"])
		}
		assert.Equal(t, contract.ParameterName(cluster, f.Name), published.Names[f.Name])
	}
}

func TestASkippedFactIsNamedButNotCreated(t *testing.T) {
	t.Parallel()
	var published *ClusterFacts
	e := mockengine.MustRun(t, cluster, region, account, func(ctx *pulumi.Context, p mockengine.Providers) error {
		a := everyFact()
		delete(a.Values, contract.FactEFSFileSystemID)
		delete(a.Values, contract.FactEFSStorageClass)
		a.Skip = []string{contract.FactEFSFileSystemID}
		var err error
		published, err = NewClusterFacts(ctx, cluster, a, pulumi.Provider(p.AWS))
		return err
	})
	_, ok := e.Find("aws:ssm/parameter:Parameter", cluster+"-"+contract.FactEFSFileSystemID)
	assert.False(t, ok, "the storage layer creates it")
	assert.Equal(t, "/eksplatform/"+cluster+"/efs-filesystem-id", published.Names[contract.FactEFSFileSystemID])
	_, ok = published.Names[contract.FactEFSStorageClass]
	assert.False(t, ok, "an optional fact left out is not named")
	assert.Len(t, e.ByType("aws:ssm/parameter:Parameter"), len(contract.Facts)-2)
}

func TestBadFactsAreRefused(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		mod  func(*Args)
		want string
	}{
		"unknown":        {func(a *Args) { a.Values["kubeconfig"] = pulumi.String("x") }, "fact kubeconfig is not in contract.Facts"},
		"missing":        {func(a *Args) { delete(a.Values, contract.FactEndpoint) }, "fact endpoint is neither given nor skipped"},
		"list as string": {func(a *Args) { a.Values[contract.FactPrivateSubnetIDs] = pulumi.String("x") }, "fact private-subnet-ids is given twice"},
		"string as list": {func(a *Args) {
			delete(a.Values, contract.FactVpcID)
			a.Lists[contract.FactVpcID] = pulumi.StringArray{}
		}, "fact vpc-id is a String (Values)"},
		"given, skipped": {func(a *Args) { a.Skip = []string{contract.FactRole} }, "fact role is both given and skipped"},
		"no cluster":     {func(a *Args) { a.ClusterName = "" }, "ClusterName is required"},
	} {
		err := mockengine.New(cluster).Run(mockengine.WithProviders(region, account, func(ctx *pulumi.Context, p mockengine.Providers) error {
			a := everyFact()
			c.mod(a)
			_, err := NewClusterFacts(ctx, "f", a)
			return err
		}))
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "ClusterFacts f: invalid args", name)
		assert.Contains(t, err.Error(), c.want, name)
	}
}
