package guardrails

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/environments"
)

// nameLimits are AWS's limits on the names of resources the program lets
// Pulumi name (the logical name plus a 7-character suffix, which the
// provider refuses past the limit): EventBridge rule 64, IAM role 64, IAM
// policy 128, instance profile 128, SQS queue 80 (AWS API references).
var nameLimits = map[string]int{
	"aws:cloudwatch/eventRule:EventRule":      64,
	"aws:iam/role:Role":                       64,
	"aws:iam/policy:Policy":                   128,
	"aws:iam/instanceProfile:InstanceProfile": 128,
	"aws:sqs/queue:Queue":                     80,
	"aws:cloudwatch/eventTarget:EventTarget":  64,
	"aws:efs/accessPoint:AccessPoint":         256,
	"aws:eks/fargateProfile:FargateProfile":   100,
	"aws:backup/plan:Plan":                    50,
	"aws:backup/vault:Vault":                  50,
	"aws:backup/selection:Selection":          50,
}

// TestNamesFitAWSLimitsAtTheLongestClusterName: the loader allows cluster
// names of 32 characters; every name derived from one must still fit.
func TestNamesFitAWSLimitsAtTheLongestClusterName(t *testing.T) {
	t.Parallel()
	examples, err := environments.Load(envDir)
	require.NoError(t, err)
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join(envDir, "*.json"))
	require.NoError(t, err)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, c := range examples.Clusters() {
			long := (c.Name + strings.Repeat("x", environments.MaxClusterNameLength))[:environments.MaxClusterNameLength]
			data = []byte(strings.ReplaceAll(string(data), `"name": "`+c.Name+`"`, `"name": "`+long+`"`))
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o600))
	}
	fleet, err := environments.Load(dir)
	require.NoError(t, err)
	for _, s := range synthesizeFleet(t, fleet) {
		require.Len(t, s.c.Name, environments.MaxClusterNameLength)
		checked := 0
		for _, r := range s.e.Resources() {
			limit, ok := nameLimits[r.Type]
			if !ok {
				continue
			}
			name, _ := r.Out()["name"].(string)
			if name == "" {
				continue
			}
			checked++
			assert.LessOrEqual(t, len(name), limit, "%s %s: %q is %d characters", r.Type, r.Name, name, len(name))
		}
		assert.Positive(t, checked, s.c.Name)
	}
}
