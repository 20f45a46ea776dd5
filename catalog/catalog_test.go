package catalog

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite data/ in canonical form")

// TestDataFilesAreCanonical keeps the data files in the form Marshal writes,
// so that a refresh's diff shows only what changed; -update rewrites them.
func TestDataFilesAreCanonical(t *testing.T) {
	c := Default()
	files, err := c.Marshal()
	require.NoError(t, err)
	if *update {
		changed, err := c.Write("data")
		require.NoError(t, err)
		t.Logf("rewrote %v", changed)
		return
	}
	for name, data := range Embedded() {
		if strings.HasPrefix(name, CRDsDir+"/") {
			assert.Equal(t, string(c.CRDFiles()[name]), string(data), name)
			continue
		}
		assert.Equal(t, string(files[name]), string(data), "%s is not in canonical form: go test ./catalog -run TestDataFilesAreCanonical -update", name)
	}
}

func TestEveryFileSaysWhereItsFactsComeFrom(t *testing.T) {
	t.Parallel()
	c := Default()
	for name, p := range map[string]Provenance{FileReleases: c.Calendar.Provenance, FileAddons: c.Addons.Provenance,
		FileKarpenter: c.Karpenter.Provenance, FileCharts: c.Charts.Provenance} {
		assert.NotEmpty(t, p.Source, name)
		assert.False(t, p.Checked.IsZero(), name)
		assert.False(t, p.Checked.After(time.Now()), "%s: checked in the future", name)
	}
	for name, ch := range c.Charts.Charts {
		assert.Equal(t, ch.Version, ch.Kubernetes.For, "%s: the supported range is checked for the pinned version", name)
		assert.NotEmpty(t, ch.Kubernetes.Source, name)
		if ch.Matrix != nil {
			line, ok := ch.Matrix.Lines[MinorOf(ch.Version)]
			if assert.True(t, ok, "%s: the matrix lists the pinned line", name) {
				assert.Equal(t, line, ch.Kubernetes.Range(), "%s: the range is the matrix's", name)
			}
		}
	}
}

func TestCalendarIsConsecutive(t *testing.T) {
	t.Parallel()
	rs := Default().Releases()
	require.NotEmpty(t, rs)
	for i := 1; i < len(rs); i++ {
		prev, r := rs[i-1], rs[i]
		assert.Equal(t, NextMinor(prev.Version), r.Version, "versions are consecutive minors")
		assert.True(t, prev.Released.Before(r.Released.Time), "%s released after %s", r.Version, prev.Version)
		assert.True(t, prev.EndOfStandard.Before(r.EndOfStandard.Time), r.Version)
	}
}

// TestTablesCoverEveryMinorOnOffer: a minor EKS offers today without a
// karpenter or addon row would leave plan unable to check an upgrade to it.
func TestTablesCoverEveryMinorOnOffer(t *testing.T) {
	t.Parallel()
	c := Default()
	offered := c.OfferedOn(time.Now().UTC())
	require.NotEmpty(t, offered)
	for _, m := range offered {
		_, ok := c.KarpenterMinimum(m)
		assert.True(t, ok, "karpenter minimum for %s", m)
		for _, a := range c.Addons.Addons {
			v, ok := a.Versions[m]
			if !assert.True(t, ok, "%s for %s", a.Name, m) {
				continue
			}
			assert.Regexp(t, `^v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+$`, v.Latest, "%s %s", a.Name, m)
			if a.MatchesMinor {
				assert.Equal(t, m, MinorOf(v.Latest), "%s follows the Kubernetes minor", a.Name)
				assert.Equal(t, m, MinorOf(v.Default), "%s follows the Kubernetes minor", a.Name)
			}
		}
	}
}

func TestParseNamesEveryProblem(t *testing.T) {
	t.Parallel()
	good := Embedded()
	cases := []struct {
		name, file, from, to string
		want                 []string
	}{
		{"unknown field", FileReleases, `"releases"`, `"relases"`, []string{"eks-releases.json", "unknown field"}},
		{"no source", FileKarpenter, `"source"`, `"_source"`, []string{"karpenter.json"}},
		{"unordered calendar", FileReleases, `"version": "1.29"`, `"version": "1.99"`, []string{"eks-releases.json", "ordered oldest first"}},
		{"addon min after latest", FileAddons, `"min": "v1.35.0"`, `"min": "v9.0.0"`, []string{"addons.json", "kube-proxy", "min <= default <= latest"}},
		{"addon kind", FileAddons, `"kind": "optional"`, `"kind": "sometimes"`, []string{"addons.json", ".kind", "allowed: base, optional"}},
		{"chart repository", FileCharts, `"repository": "https://charts.jetstack.io"`, `"repository": "charts.jetstack.io"`, []string{"charts.json", "charts.cert-manager.repository"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := map[string][]byte{}
			for k, v := range good {
				files[k] = v
			}
			require.True(t, bytes.Contains(files[tc.file], []byte(tc.from)), "the mutation applies")
			files[tc.file] = bytes.Replace(files[tc.file], []byte(tc.from), []byte(tc.to), 1)
			_, err := Parse(files)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	_, err := Parse(map[string][]byte{})
	require.Error(t, err)
	for _, name := range Files {
		assert.Contains(t, err.Error(), name+": missing")
	}
}

func TestWriteIsAtomicAndStable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := Default().Clone()
	changed, err := c.Write(dir)
	require.NoError(t, err)
	assert.Equal(t, append(slices.Clone(Files), "crds/aws-load-balancer-controller-3.5.0.yaml"), changed, "a new directory gets every file")
	again, err := Load(dir)
	require.NoError(t, err)
	changed, err = again.Write(dir)
	require.NoError(t, err)
	assert.Empty(t, changed, "writing what was read changes nothing")

	again.Karpenter.Minimum["1.99"] = "9.9.9"
	changed, err = again.Write(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{FileKarpenter}, changed)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, len(Files)+1, "no temporary file left behind (the data files and crds/)")
	crds, err := os.ReadDir(filepath.Join(dir, CRDsDir))
	require.NoError(t, err)
	assert.Len(t, crds, 1)
	_, ok := Default().KarpenterMinimum("1.99")
	assert.False(t, ok, "Clone copies: the default catalog is untouched")
}

func TestChartCRDsAreTheProgramsToApply(t *testing.T) {
	t.Parallel()
	c := Default()
	lbc, _ := c.Chart("aws-load-balancer-controller")
	require.Equal(t, CRDsFromProgram, lbc.CRDs)
	crds, err := c.CRDs(lbc)
	require.NoError(t, err)
	var names []string
	for _, crd := range crds {
		names = append(names, crd.Name)
	}
	assert.Contains(t, names, "ingressclassparams.elbv2.k8s.aws")
	assert.Contains(t, names, "targetgroupbindings.elbv2.k8s.aws")
	assert.True(t, slices.IsSorted(names))

	// A bump without the new version's CRDs is refused, naming the file.
	files := Embedded()
	files[FileCharts] = bytes.Replace(files[FileCharts], []byte(`"version": "3.5.0"`), []byte(`"version": "3.6.0"`), 1)
	_, err = Parse(files)
	assert.ErrorContains(t, err, "charts.json: charts.aws-load-balancer-controller.crds: the program applies the CRDs of aws-load-balancer-controller 3.6.0 from catalog/data/crds/aws-load-balancer-controller-3.6.0.yaml, which is missing")
	files = Embedded()
	files[FileCharts] = bytes.Replace(files[FileCharts], []byte(`"crds": "program"`), []byte(`"crds": "helm"`), 1)
	_, err = Parse(files)
	assert.ErrorContains(t, err, `charts.aws-load-balancer-controller.crds: "helm" is not allowed`)

	_, err = ParseCRDs("x.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"))
	assert.ErrorContains(t, err, "x.yaml: document 1 is v1 ConfigMap \"a\", not an apiextensions.k8s.io/v1 CustomResourceDefinition")
	files = Embedded()
	files["crds/broken-1.0.0.yaml"] = []byte("# nothing\n")
	_, err = Parse(files)
	assert.ErrorContains(t, err, "crds/broken-1.0.0.yaml: no CustomResourceDefinition")
}

func TestLoadNamesTheMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(t.TempDir(), "nowhere"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), FileReleases)
}

func TestVersions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"v1.12.4-eksbuild.1", "v1.12.4-eksbuild.2", -1},
		{"v1.12.4-eksbuild.10", "v1.12.4-eksbuild.9", 1},
		{"v1.13.0", "v1.12.9-eksbuild.30", 1},
		{"1.14.1", "1.9.0", 1},
		{"0.37.0", "1.0.5", -1},
		{"1.34", "1.34.0", 0},
		{"v1.20.4", "v1.20.4-eksbuild.2", -1},
	} {
		assert.Equal(t, tc.want, CompareVersions(tc.a, tc.b), "%s vs %s", tc.a, tc.b)
	}
	assert.Equal(t, -1, CompareMinors("1.9", "1.10"))
	assert.Equal(t, 1, CompareMinors("2.0", "1.99"))
	assert.Equal(t, -1, CompareMinors("junk", "1.0"))
	assert.Equal(t, "1.37", NextMinor("1.36"))
	assert.Empty(t, NextMinor("1.036"))
	assert.Equal(t, []string{"1.34", "1.35", "1.36"}, MinorsBetween("1.34", "1.36"))
	assert.Nil(t, MinorsBetween("1.36", "1.34"))
	assert.Equal(t, "1.21", MinorOf("v1.21.2"))
	assert.Equal(t, "2.9", MinorOf("2.9.0"))
	assert.Equal(t, "1.15", MinorOf("1.15.0-rc.1"))
	assert.Empty(t, MinorOf("latest"))
	assert.Equal(t, 3, MajorOf("3.0.1"))
	assert.Equal(t, 1, MajorOf("v1.21.2"))
	assert.Equal(t, -1, MajorOf("x"))
}

func TestSupportOn(t *testing.T) {
	t.Parallel()
	day := func(s string) time.Time { d, err := ParseDate(s); require.NoError(t, err); return d.Time }
	r, ok := Default().Release("1.34")
	require.True(t, ok)
	assert.Equal(t, NotReleased, r.SupportOn(day("2025-10-01")))
	assert.Equal(t, Standard, r.SupportOn(day("2025-10-02")))
	assert.Equal(t, Extended, r.SupportOn(day("2026-12-02")), "support ends at the start of the day")
	assert.Equal(t, Ended, r.SupportOn(day("2027-12-02")))
	c := Default()
	assert.NotContains(t, c.OfferedOn(day("2026-12-01")), "1.31", "1.31 left extended support on 2026-11-26")
	assert.Contains(t, c.OfferedOn(day("2026-12-01")), "1.37")
	assert.Equal(t, "1.36", c.NewestOn(day("2026-10-01")))
	assert.Contains(t, c.NotInCalendar("1.99"), "catalog refresh")
	assert.NotContains(t, c.NotInCalendar("1.20"), "catalog refresh", "an old minor is not coming back")
}

func TestSummarizeAddonVersions(t *testing.T) {
	t.Parallel()
	got := SummarizeAddonVersions([]OfferedVersion{
		{Version: "v1.14.7-eksbuild.11", Minors: []string{"1.36", "1.37"}},
		{Version: "v1.14.3-eksbuild.23", Minors: []string{"1.35", "1.36"}, DefaultOn: []string{"1.36"}},
		{Version: "v1.13.2-eksbuild.31", Minors: []string{"1.35"}, DefaultOn: []string{"1.35"}},
	})
	assert.Equal(t, map[string]AddonVersions{
		"1.35": {Default: "v1.13.2-eksbuild.31", Latest: "v1.14.3-eksbuild.23", Min: "v1.13.2-eksbuild.31"},
		"1.36": {Default: "v1.14.3-eksbuild.23", Latest: "v1.14.7-eksbuild.11", Min: "v1.14.3-eksbuild.23"},
		"1.37": {Default: "v1.14.7-eksbuild.11", Latest: "v1.14.7-eksbuild.11", Min: "v1.14.7-eksbuild.11"},
	}, got, "no default named: the newest stands in")
}

func TestChartSupport(t *testing.T) {
	t.Parallel()
	ch := Chart{Repository: "https://charts.example", Chart: "x", Version: "1.2.0",
		Kubernetes: SupportRange{Min: "1.33", Max: "1.36", For: "1.2.0", Source: "test"}}
	for minor, want := range map[string]bool{"1.32": false, "1.33": true, "1.36": true, "1.37": false} {
		ok, known := ch.Support(minor)
		assert.True(t, known)
		assert.Equal(t, want, ok, minor)
	}
	bumped := ch.WithVersion("1.3.0")
	_, known := bumped.Support("1.34")
	assert.False(t, known, "a version the range was not checked for")
	assert.Contains(t, bumped.DescribeSupport(), "no supported Kubernetes range is known for version 1.3.0")
	assert.Equal(t, ch, ch.WithVersion("1.2.0"))
	assert.Equal(t, "oci://public.ecr.aws/karpenter/karpenter:1.15.2",
		Chart{Repository: "oci://public.ecr.aws/karpenter/", Chart: "karpenter", Version: "1.15.2"}.Ref())
	assert.Equal(t, "supports Kubernetes 1.33–1.36", ch.DescribeSupport())
}

// TestKarpenterChartsMoveTogether: the CRDs and the controller are one
// release, and the charts' range is what karpenter's own table says.
func TestKarpenterChartsMoveTogether(t *testing.T) {
	t.Parallel()
	c := Default()
	k, crd := c.Charts.Charts["karpenter"], c.Charts.Charts["karpenter-crd"]
	assert.Equal(t, k.Version, crd.Version)
	assert.Equal(t, k.Kubernetes.Range(), crd.Kubernetes.Range())
	newest := ""
	for _, m := range c.Minors() {
		if minimum, ok := c.KarpenterMinimum(m); ok && CompareVersions(k.Version, minimum) >= 0 {
			newest = m
		}
	}
	assert.Equal(t, newest, k.Kubernetes.Max, "karpenter %s supports up to the newest minor whose minimum it meets", k.Version)
}
