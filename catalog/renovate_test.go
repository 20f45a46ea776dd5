package catalog

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// renovateConfig is the part of renovate.json the test reads.
type renovateConfig struct {
	CustomManagers []struct {
		CustomType          string   `json:"customType"`
		ManagerFilePatterns []string `json:"managerFilePatterns"`
		MatchStrings        []string `json:"matchStrings"`
		DatasourceTemplate  string   `json:"datasourceTemplate"`
		PackageNameTemplate string   `json:"packageNameTemplate"`
	} `json:"customManagers"`
}

// TestRenovateFindsEveryPin runs renovate.json's regex managers over the
// catalog's charts.json as Renovate would (its patterns are RE2, which Go
// shares): every chart and image is found exactly once, with the name,
// version and datasource a lookup needs.
func TestRenovateFindsEveryPin(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../renovate.json")
	require.NoError(t, err)
	var cfg renovateConfig
	require.NoError(t, json.Unmarshal(data, &cfg))
	charts, err := os.ReadFile("data/" + FileCharts)
	require.NoError(t, err)

	type found struct{ datasource, pkg, version, registry string }
	got := map[string][]found{}
	for _, m := range cfg.CustomManagers {
		require.Equal(t, "regex", m.CustomType)
		applies := false
		for _, p := range m.ManagerFilePatterns {
			require.True(t, strings.HasPrefix(p, "/") && strings.HasSuffix(p, "/"), "%s: a regex pattern is written /…/", p)
			if regexp.MustCompile(strings.Trim(p, "/")).MatchString(DataDir + "/" + FileCharts) {
				applies = true
			}
		}
		require.True(t, applies, "every manager reads %s/%s", DataDir, FileCharts)
		for _, ms := range m.MatchStrings {
			re := regexp.MustCompile(ms)
			for _, match := range re.FindAllSubmatch(charts, -1) {
				g := map[string]string{}
				for i, name := range re.SubexpNames() {
					if name != "" {
						g[name] = string(match[i])
					}
				}
				pkg := g["depName"]
				if m.PackageNameTemplate != "" {
					pkg = strings.NewReplacer("{{{packageName}}}", g["packageName"], "{{{depName}}}", g["depName"]).Replace(m.PackageNameTemplate)
				}
				got[g["depName"]] = append(got[g["depName"]], found{m.DatasourceTemplate, pkg, g["currentValue"], g["registryUrl"]})
			}
		}
	}
	c := Default()
	for _, name := range c.ChartNames() {
		ch, _ := c.Chart(name)
		require.Len(t, got[ch.Chart], 1, "chart %s is found once", name)
		f := got[ch.Chart][0]
		assert.Equal(t, ch.Version, f.version, name)
		if rest, oci := strings.CutPrefix(ch.Repository, "oci://"); oci {
			assert.Equal(t, "docker", f.datasource, "%s: an OCI chart is looked up as registry tags", name)
			assert.Equal(t, rest+"/"+ch.Chart, f.pkg, name)
		} else {
			assert.Equal(t, "helm", f.datasource, name)
			assert.Equal(t, ch.Repository, f.registry, name)
		}
	}
	image := c.Image("echo-server")
	name, tag, _ := strings.Cut(image, ":")
	require.Len(t, got[name], 1, "the echo-server image is found")
	assert.Equal(t, found{"docker", name, tag, ""}, got[name][0])
	assert.Len(t, got, len(c.Charts.Charts)+len(c.Charts.Images), "nothing else is matched")
}
