package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog/chartcheck"
	"github.com/eksplatform/eksplatform/environments"
)

// metricsServerChart writes a small chart named metrics-server that reads
// the given values.yaml and runs one Deployment with the usual knobs.
func metricsServerChart(t *testing.T, values string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: metrics-server\nversion: 3.13.1\nkubeVersion: \">= 1.19.0-0\"\n",
		"values.yaml": values,
		"templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: ms}}
  template:
    metadata: {labels: {app: ms}}
    spec:
      tolerations: {{ toJson .Values.tolerations }}
      containers: [{name: ms, image: "ms:1"}]
`,
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	}
	return dir
}

func sandbox(t *testing.T) []*environments.Cluster {
	t.Helper()
	fleet, err := environments.Load(envDir)
	require.NoError(t, err)
	clusters, err := selectClusters(fleet, []string{"sandbox"}, nil)
	require.NoError(t, err)
	return clusters
}

func TestChartsCheckReportsEachReleaseAndFailsOnAProblem(t *testing.T) {
	t.Parallel()
	clusters := sandbox(t)
	full := "replicas: 1\ntolerations: []\npodDisruptionBudget: {enabled: false, minAvailable: null}\n"
	var out bytes.Buffer
	f := &chartcheck.Local{Paths: map[string]string{"metrics-server": metricsServerChart(t, full)}}
	err := checkCharts(t.Context(), clusters, f, &out)
	assert.Equal(t, exitError{1}, err, "the other charts could not be fetched")
	assert.Contains(t, out.String(), "ok   sbx-i01-aws-us-east-1: release metrics-server (metrics-server 3.13.1)\n")
	assert.Contains(t, out.String(), "FAIL sbx-i01-aws-us-east-1: release karpenter (karpenter 1.15.2)\n     oci://public.ecr.aws/karpenter/karpenter:1.15.2: no local path given")
	assert.Contains(t, out.String(), "9 releases of 1 clusters: 0 problems, 8 charts not fetched\n")

	// A chart that no longer reads podDisruptionBudget is a problem.
	out.Reset()
	f = &chartcheck.Local{Paths: map[string]string{"metrics-server": metricsServerChart(t, "replicas: 1\ntolerations: []\n")}}
	err = checkCharts(t.Context(), clusters, f, &out)
	assert.Equal(t, exitError{1}, err)
	assert.Contains(t, out.String(), "FAIL sbx-i01-aws-us-east-1: release metrics-server (metrics-server 3.13.1)\n"+
		"     value podDisruptionBudget.enabled is not in the chart's values.yaml, values.schema.json or templates: the chart ignores it\n"+
		"     value podDisruptionBudget.minAvailable is not in the chart's values.yaml, values.schema.json or templates: the chart ignores it\n")
	assert.Contains(t, out.String(), "9 releases of 1 clusters: 2 problems, 8 charts not fetched\n")
}

func TestChartsCheckUsage(t *testing.T) {
	t.Parallel()
	for args, want := range map[*[]string]string{
		{"charts", "check", "--environments", envDir, "--chart", "karpenter"}:                  "--chart wants NAME=PATH",
		{"charts", "check", "--environments", envDir, "--chart", "karpenter=/nonexistent/dir"}: "--chart karpenter: stat /nonexistent/dir",
		{"charts", "check", "--environments", envDir, "--role", "qa"}:                          `unknown role "qa"`,
	} {
		code, _, errOut := cli(*args...)
		assert.Equal(t, 2, code, *args)
		assert.Contains(t, errOut, want)
	}
}
