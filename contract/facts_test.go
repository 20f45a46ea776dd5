package contract

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEveryFactMirrorsAnOutputUnderTheClustersPrefix(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, f := range Facts {
		assert.True(t, ValidFactName(f.Name), f.Name)
		assert.False(t, seen[f.Name], "%s twice", f.Name)
		seen[f.Name] = true
		assert.Contains(t, Names, f.Output, "%s mirrors an output of the contract", f.Name)
		assert.NotEqual(t, Kubeconfig, f.Output, "the kubeconfig is a secret and never a parameter")
		got, ok := FactNamed(f.Name)
		assert.True(t, ok)
		assert.Equal(t, f, got)
	}
	_, ok := FactNamed("kubeconfig")
	assert.False(t, ok)
	assert.Equal(t, "/eksplatform/prod-i01/efs-filesystem-id", ParameterName("prod-i01", FactEFSFileSystemID),
		"the first fact's name, which the clusters API already reads, is kept")
	assert.True(t, slices.ContainsFunc(Facts, func(f Fact) bool { return f.List }), "subnets are a StringList")
}

func TestValidFactName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{"vpc-id": true, "a1": true, "": false, "-x": false, "x-": false, "Vpc": false, "a/b": false, "a_b": false} {
		assert.Equal(t, want, ValidFactName(name), "%q", name)
	}
}
