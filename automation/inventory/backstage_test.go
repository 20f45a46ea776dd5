package inventory

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// backstageCheck returns node and the check.mjs that tools/backstage/install.sh
// puts beside Backstage's own catalog model (@backstage/catalog-model, the
// version tools/backstage/package.json pins) in the cache.
func backstageCheck(t *testing.T) (node, script string) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "..", "tools", "backstage", "package.json"))
	require.NoError(t, err)
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	require.NoError(t, json.Unmarshal(body, &pkg))
	version := pkg.Dependencies["@backstage/catalog-model"]
	require.Regexp(t, `^\d+\.\d+\.\d+$`, version, "tools/backstage/package.json must pin @backstage/catalog-model exactly")
	cache := os.Getenv("EKSPLATFORM_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		require.NoError(t, err)
		cache = filepath.Join(home, ".cache", "eksplatform")
	}
	script = filepath.Join(cache, "backstage-catalog-model-"+version, "check.mjs")
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("Backstage's catalog model %s is not installed (%v): run `make setup` (or tools/backstage/install.sh)", version, err)
	}
	installed, err := os.ReadFile(script)
	require.NoError(t, err)
	ours, err := os.ReadFile(filepath.Join("..", "..", "tools", "backstage", "check.mjs"))
	require.NoError(t, err)
	if !bytes.Equal(installed, ours) {
		t.Fatalf("%s is older than tools/backstage/check.mjs: run `make setup`", script)
	}
	node, err = exec.LookPath("node")
	if err != nil {
		t.Fatalf("the Backstage check needs node (20 or later) on PATH: %v; install Node.js, then run `make setup`", err)
	}
	return node, script
}

type checkResult struct {
	Checked  int      `json:"checked"`
	Problems []string `json:"problems"`
}

// check runs Backstage's validation on entities.
func check(t *testing.T, entities []map[string]any) checkResult {
	t.Helper()
	node, script := backstageCheck(t)
	in, err := json.Marshal(entities)
	require.NoError(t, err)
	cmd := exec.Command(node, script)
	cmd.Dir = filepath.Dir(script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var res checkResult
	require.NoError(t, json.Unmarshal(out, &res), string(out))
	return res
}

// TestBackstageTakesTheEntities: the entities of the example fleet, deployed
// or not, pass every check Backstage's catalog runs before it accepts an
// entity, read back from the YAML the command writes.
func TestBackstageTakesTheEntities(t *testing.T) {
	t.Parallel()
	for name, inv := range map[string]*Inventory{
		"declared only": build(t, fakeState{}, nil),
		"deployed":      build(t, fakeState{deployed: map[string]*Deployed{"prod-i01-aws-us-east-2": deployedProd()}}, trail(t)),
	} {
		out, err := inv.Backstage(BackstageOptions{Owner: "group:default/platform-team", Domain: "infrastructure"})
		require.NoError(t, err)
		var docs []map[string]any
		for _, doc := range strings.Split(string(out), "\n---\n")[1:] {
			var d map[string]any
			require.NoError(t, yaml.Unmarshal([]byte(doc), &d), name)
			docs = append(docs, d)
		}
		require.Len(t, docs, len(inv.Roles)+len(inv.Clusters), name)
		res := check(t, docs)
		assert.Equal(t, len(docs), res.Checked, name)
		assert.Empty(t, res.Problems, name)

		// Every cluster is part of a System the file has, and the
		// Kubernetes plugin finds a deployed one.
		systems := map[string]bool{}
		for _, d := range docs {
			if d["kind"] == "System" {
				systems[d["metadata"].(map[string]any)["name"].(string)] = true
			}
		}
		for _, d := range docs {
			if d["kind"] != "Resource" {
				continue
			}
			spec := d["spec"].(map[string]any)
			assert.Equal(t, "kubernetes-cluster", spec["type"])
			assert.True(t, systems[spec["system"].(string)], "%s: its System is in the file", name)
			ann := d["metadata"].(map[string]any)["annotations"].(map[string]any)
			assert.Equal(t, "aws", ann[AnnotationAuth])
			if ann["eksplatform.io/deployed"] == "true" {
				assert.NotEmpty(t, ann[AnnotationAPIServer], "the plugin's cluster locator needs the API server")
				assert.NotEmpty(t, ann[AnnotationAPIServerCA], "and its CA")
			}
		}
	}
}

// TestTheBackstageCheckRefusesBadEntities: the check is Backstage's and it
// refuses what Backstage refuses, so the test above can fail.
func TestTheBackstageCheckRefusesBadEntities(t *testing.T) {
	t.Parallel()
	good, err := build(t, fakeState{}, nil).Entities(BackstageOptions{Owner: "platform-team"})
	require.NoError(t, err)
	clone := func(i int) map[string]any {
		var c map[string]any
		b, _ := json.Marshal(good[i])
		_ = json.Unmarshal(b, &c)
		return c
	}
	resource := len(good) - 1
	badName := clone(resource)
	badName["metadata"].(map[string]any)["name"] = "prod cluster!"
	noOwner := clone(resource)
	delete(noOwner["spec"].(map[string]any), "owner")
	foreignRoot := clone(resource)
	foreignRoot["status2"] = map[string]any{}
	badLabel := clone(0)
	badLabel["metadata"].(map[string]any)["labels"].(map[string]any)["eksplatform.io/wave"] = "wave 3!"
	badTag := clone(resource)
	badTag["metadata"].(map[string]any)["tags"] = []any{"Kubernetes 1.37"}

	res := check(t, []map[string]any{good[0], badName, noOwner, foreignRoot, badLabel, badTag})
	assert.Equal(t, 6, res.Checked)
	require.Len(t, res.Problems, 5, "%v", res.Problems)
	for i, want := range []string{"metadata.name", "owner", "status2", "labels", "tags"} {
		assert.Contains(t, res.Problems[i], want)
	}
}

func TestEntitiesNeedAnOwner(t *testing.T) {
	t.Parallel()
	_, err := build(t, fakeState{}, nil).Entities(BackstageOptions{})
	assert.ErrorContains(t, err, "an owner is required")
}
