package guardrails

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// TestCIExamplesParse: the pipelines in examples/ci are valid YAML with jobs
// (a flow sequence holding CircleCI's {{ checksum }} once slipped through).
func TestCIExamplesParse(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../examples/ci/*/*.y*ml")
	require.NoError(t, err)
	require.Len(t, files, 4)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var doc map[string]any
		require.NoError(t, yaml.Unmarshal(data, &doc), f)
		assert.NotEmpty(t, doc["jobs"], "%s has jobs", f)
	}
}
