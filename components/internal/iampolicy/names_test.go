package iampolicy

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFitName(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "np-i01-aws-us-east-2-aws-load-balancer-controller", FitName("np-i01-aws-us-east-2-aws-load-balancer-controller", 64), "a name that fits is kept")
	long := strings.Repeat("x", 32) + "-aws-load-balancer-controller"
	got := FitName(long, 64)
	assert.Len(t, got, 56, "room for Pulumi's 8-character suffix")
	assert.True(t, strings.HasPrefix(got, long[:47]))
	assert.Equal(t, got, FitName(long, 64), "stable")
	assert.NotEqual(t, got, FitName(strings.Repeat("x", 32)+"-aws-load-balancer-controllers", 64), "distinct names stay distinct")
}
