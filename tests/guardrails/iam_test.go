package guardrails

import (
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/tests/iamref"
)

// strings walks a resource's inputs and calls found for every string in them.
func walkStrings(v any, path string, found func(path, s string)) {
	switch x := v.(type) {
	case string:
		found(path, x)
	case map[string]any:
		for k, e := range x {
			walkStrings(e, path+"."+k, found)
		}
	case []any:
		for i, e := range x {
			walkStrings(e, fmt.Sprintf("%s[%d]", path, i), found)
		}
	}
}

// TestEveryPolicyMatchesAWSsReference: every IAM document the example
// clusters declare — role trusts, inline and managed policies, queue, key
// and file system policies — names real actions, resources of the types
// those actions act on, condition keys that exist, real service principals;
// every managed policy attached exists. Checked against AWS's Service
// Authorization Reference and managed-policy list (tests/iamref).
func TestEveryPolicyMatchesAWSsReference(t *testing.T) {
	t.Parallel()
	ref, err := iamref.Load()
	require.NoError(t, err)
	docs, managed := 0, 0
	for _, s := range exampleFleet(t) {
		var problems []string
		for _, r := range s.e.Resources() {
			walkStrings(r.In(), r.Type+" "+r.Name, func(path, v string) {
				switch {
				case iamref.IsPolicyDocument(v):
					docs++
					for _, p := range ref.Check(v) {
						problems = append(problems, path+": "+p)
					}
				case iamref.IsManagedPolicyARN(v):
					managed++
					if p := ref.CheckManagedPolicyARN(v); p != "" {
						problems = append(problems, path+": "+p)
					}
				}
			})
		}
		sort.Strings(problems)
		assert.Empty(t, problems, s.c.Name)
	}
	assert.Greater(t, docs, 50, "the examples declare policies")
	assert.Greater(t, managed, 10, "and attach managed policies")
}
