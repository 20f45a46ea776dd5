package foundation

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/internal/mockengine"
)

const (
	testRegion  = "eu-west-1"
	testAccount = "111122223333"
	testCluster = "test-i01-aws-eu-west-1"
)

// run runs body under the mock engine with an AWS provider for testRegion
// and testAccount, and fails the test on a program error.
func run(t *testing.T, body func(ctx *pulumi.Context, p *aws.Provider) error) *mockengine.Engine {
	t.Helper()
	e := mockengine.New(testCluster)
	require.NoError(t, e.Run(mockengine.WithAWS(testRegion, testAccount, body)))
	return e
}

// runErr runs body and returns the program's error.
func runErr(body func(ctx *pulumi.Context, p *aws.Provider) error) error {
	return mockengine.New(testCluster).Run(mockengine.WithAWS(testRegion, testAccount, body))
}

func find(t *testing.T, e *mockengine.Engine, typ, name string) mockengine.Resource {
	t.Helper()
	r, ok := e.Find(typ, name)
	require.True(t, ok, "no %s %q among %d resources", typ, name, len(e.Resources()))
	return r
}

var mgmtTaint = Taint{Key: "dedicated", Value: "management", Effect: "NoSchedule"}

// addonSpec is the catalog's entry of an addon; tests name only known ones.
func addonSpec(name string) catalog.Addon {
	a, ok := catalog.Default().Addon(name)
	if !ok {
		panic("no addon " + name + " in the catalog")
	}
	return a
}
