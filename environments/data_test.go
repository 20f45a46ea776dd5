package environments

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCompareVersions(t *testing.T) {
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
}

// TestOfflineDataCoversTheCalendar keeps the shipped tables in step with the
// release calendar and internally consistent.
func TestOfflineDataCoversTheCalendar(t *testing.T) {
	t.Parallel()
	for _, r := range Releases() {
		_, ok := KarpenterMinimum(r.Version)
		assert.True(t, ok, "karpenter minimum for %s", r.Version)
		for _, addon := range append(append([]string(nil), BaseAddons...), OptionalAddons...) {
			v, ok := OfflineAddonVersions(addon, r.Version)
			if !assert.True(t, ok, "%s for %s", addon, r.Version) {
				continue
			}
			assert.LessOrEqual(t, CompareVersions(v.Min, v.Default), 0, "%s %s: min <= default", addon, r.Version)
			assert.LessOrEqual(t, CompareVersions(v.Default, v.Latest), 0, "%s %s: default <= latest", addon, r.Version)
			assert.Regexp(t, `^v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+$`, v.Latest)
		}
		kp, _ := OfflineAddonVersions("kube-proxy", r.Version)
		assert.Regexp(t, `^v`+r.Version+`\.`, kp.Latest, "kube-proxy follows the Kubernetes minor")
	}
	pinned := DefaultCharts()["karpenter"].Version
	for _, r := range Releases() {
		minimum, _ := KarpenterMinimum(r.Version)
		assert.GreaterOrEqual(t, CompareVersions(pinned, minimum), 0, "the pinned karpenter %s supports %s", pinned, r.Version)
	}
}
