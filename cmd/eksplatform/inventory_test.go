package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation/inventory"
	"github.com/eksplatform/eksplatform/environments"
)

func TestInventoryOfflineListsWhatTheFilesDeclare(t *testing.T) {
	t.Parallel()
	code, out, errOut := cli("inventory", "--environments", envDir, "--offline", "--format", "json", "--role", "prod")
	require.Equal(t, 0, code, errOut)
	var inv inventory.Inventory
	require.NoError(t, json.Unmarshal([]byte(out), &inv))
	fleet, err := environments.Load(envDir)
	require.NoError(t, err)
	prod, _ := fleet.Role("prod")
	require.Len(t, inv.Clusters, len(prod.Clusters))
	assert.Equal(t, inventory.Sources{Environments: envDir}, inv.Sources, "offline: no state, no trail")
	for i, c := range inv.Clusters {
		assert.Equal(t, prod.Clusters[i].Name, c.Name)
		assert.Equal(t, prod.EKSVersion, c.Kubernetes.Declared)
		assert.False(t, c.Deployed)
		assert.NotNil(t, c.Support.DaysLeft, "1.x is in the calendar")
		assert.Equal(t, "/eksplatform/"+c.Name+"/", c.Parameters.Prefix)
	}
}

func TestInventoryWritesEachFormatIntoTheDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "inventory")
	for format, file := range map[string]string{"json": "inventory.json", "markdown": "inventory.md", "backstage": "catalog-info.yaml"} {
		code, out, errOut := cli("inventory", "--environments", envDir, "--offline", "--format", format, "--out", dir, "--owner", "group:default/platform")
		require.Equal(t, 0, code, errOut)
		assert.Empty(t, out)
		assert.Contains(t, errOut, "wrote "+filepath.Join(dir, file)+" (5 clusters)")
		body, err := os.ReadFile(filepath.Join(dir, file))
		require.NoError(t, err)
		assert.Contains(t, string(body), "prod-i02-aws-us-west-2", format)
		if format == "backstage" {
			assert.Equal(t, 4+5, strings.Count(string(body), "\n---\n")+strings.Count(string(body[:4]), "---"), "a System per role, a Resource per cluster")
			assert.Contains(t, string(body), "owner: group:default/platform")
		}
	}
}

func TestInventoryRefusesBadUsage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "yaml"}, `--format must be json, markdown or backstage, got "yaml"`},
		{[]string{"--offline", "--backend", "file:///tmp/x"}, "--offline reads no backend and no audit trail"},
		{[]string{"--offline", "--audit", "file:///tmp/a.jsonl"}, "--offline reads no backend and no audit trail"},
		{[]string{"--offline", "--role", "qa"}, "qa"},
		{[]string{"--offline", "--today", "tomorrow"}, "--today must be a date"},
		{[]string{"--offline", "--format", "backstage", "--owner", ""}, "--owner must name the Group"},
		{[]string{"--backend", "file:///does/not/exist"}, "inventory reads state and never creates it"},
	} {
		code, _, errOut := cli(append([]string{"inventory", "--environments", envDir}, c.args...)...)
		assert.Equal(t, 2, code, "%v: %s", c.args, errOut)
		assert.Contains(t, errOut, c.want, "%v", c.args)
	}
}
