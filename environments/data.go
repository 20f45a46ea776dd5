package environments

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Reference data the validator checks against. Everything here changes when
// AWS changes, so it is kept in one file (and the release calendar in
// data/eks-releases.json) rather than spread through the checks.

// knownRegions are the AWS regions an EKS cluster can be declared in.
var knownRegions = map[string]string{ // region -> partition
	"us-east-1": "aws", "us-east-2": "aws", "us-west-1": "aws", "us-west-2": "aws",
	"af-south-1": "aws", "ap-east-1": "aws", "ap-east-2": "aws",
	"ap-south-1": "aws", "ap-south-2": "aws",
	"ap-southeast-1": "aws", "ap-southeast-2": "aws", "ap-southeast-3": "aws", "ap-southeast-4": "aws",
	"ap-southeast-5": "aws", "ap-southeast-6": "aws", "ap-southeast-7": "aws",
	"ap-northeast-1": "aws", "ap-northeast-2": "aws", "ap-northeast-3": "aws",
	"ca-central-1": "aws", "ca-west-1": "aws",
	"eu-central-1": "aws", "eu-central-2": "aws", "eu-north-1": "aws",
	"eu-south-1": "aws", "eu-south-2": "aws", "eu-west-1": "aws", "eu-west-2": "aws", "eu-west-3": "aws",
	"il-central-1": "aws", "me-central-1": "aws", "me-south-1": "aws", "mx-central-1": "aws", "sa-east-1": "aws",
	"us-gov-east-1": "aws-us-gov", "us-gov-west-1": "aws-us-gov",
	"cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn",
}

// PartitionOf returns the AWS partition of a known region ("" when unknown).
func PartitionOf(region string) string { return knownRegions[region] }

// LogRetentionDays are the retention periods CloudWatch Logs accepts.
var LogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// LogTypes are the EKS control-plane log types, all enabled by default.
var LogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

// BaseAddons are the EKS managed addons every cluster runs. They default to
// "latest" when a role does not list them.
var BaseAddons = []string{"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "aws-efs-csi-driver"}

// OptionalAddons may be listed in addons; they are not installed otherwise.
var OptionalAddons = []string{"eks-pod-identity-agent", "snapshot-controller"}

// AccessPolicies are the EKS access policies an access entry may name.
var AccessPolicies = []string{
	"AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSAdminViewPolicy",
	"AmazonEKSEditPolicy", "AmazonEKSViewPolicy",
}

// AMITypes maps the supported managed node group AMI types to their CPU architecture.
var AMITypes = map[string]string{
	"AL2023_ARM_64_STANDARD": "arm64",
	"AL2023_x86_64_STANDARD": "x86_64",
	"BOTTLEROCKET_ARM_64":    "arm64",
	"BOTTLEROCKET_x86_64":    "x86_64",
}

// TaintEffects maps the Kubernetes spelling used in the files to the EKS API's.
var TaintEffects = map[string]string{
	"NoSchedule":       "NO_SCHEDULE",
	"PreferNoSchedule": "PREFER_NO_SCHEDULE",
	"NoExecute":        "NO_EXECUTE",
}

// Release is one EKS Kubernetes minor version and its support window.
type Release struct {
	Version       string `json:"version"`
	Released      Date   `json:"released"`
	EndOfStandard Date   `json:"end_of_standard"`
	EndOfExtended Date   `json:"end_of_extended"`
}

// Date is a calendar day in UTC, written "2006-01-02".
type Date struct{ time.Time }

// UnmarshalJSON reads "2006-01-02".
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return err
	}
	d.Time = t
	return nil
}

// MarshalJSON writes "2006-01-02".
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.Format(time.DateOnly)) }

//go:embed data/eks-releases.json
var releasesJSON []byte

var releases = mustReleases(releasesJSON)

func mustReleases(data []byte) []Release {
	var doc struct {
		Releases []Release `json:"releases"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		panic(fmt.Sprintf("environments: data/eks-releases.json: %v", err))
	}
	return doc.Releases
}

// Releases returns the EKS release calendar, oldest first.
func Releases() []Release { return append([]Release(nil), releases...) }

// ReleaseOf returns the calendar entry of a minor version.
func ReleaseOf(version string) (Release, bool) {
	for _, r := range releases {
		if r.Version == version {
			return r, true
		}
	}
	return Release{}, false
}

// ParseMinor splits "1.33" into 1 and 33.
func ParseMinor(v string) (major, minor int, ok bool) {
	a, b, found := strings.Cut(v, ".")
	if !found || a == "" || b == "" || strings.HasPrefix(b, "0") && b != "0" {
		return 0, 0, false
	}
	ma, err1 := strconv.Atoi(a)
	mi, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || ma < 0 || mi < 0 {
		return 0, 0, false
	}
	return ma, mi, true
}

// Chart is a Helm chart: where it comes from and the pinned version.
type Chart struct {
	Repository string `json:"repository"`
	Chart      string `json:"chart"`
	Version    string `json:"version"`
}

//go:embed data/charts.json
var chartsJSON []byte

var defaultCharts, defaultImages = mustCharts(chartsJSON)

func mustCharts(data []byte) (map[string]Chart, map[string]string) {
	var doc struct {
		Charts map[string]Chart  `json:"charts"`
		Images map[string]string `json:"images"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		panic(fmt.Sprintf("environments: data/charts.json: %v", err))
	}
	return doc.Charts, doc.Images
}

// DefaultCharts returns the default chart of every chart name.
func DefaultCharts() map[string]Chart {
	out := make(map[string]Chart, len(defaultCharts))
	for k, v := range defaultCharts {
		out[k] = v
	}
	return out
}

// Image returns a default container image by name.
func Image(name string) string { return defaultImages[name] }

// KarpenterNodePools are the two pools every cluster runs, by key.
var KarpenterNodePools = map[string]string{"arm": "arm64", "amd": "amd64"}

// TransitionToIADays are the EFS lifecycle transitions AWS offers.
var TransitionToIADays = []int{1, 7, 14, 30, 60, 90, 180, 270, 365}

// AddonVersions are the versions EKS offers of one addon for one Kubernetes minor.
type AddonVersions struct {
	Default string `json:"default"`
	Latest  string `json:"latest"`
	// Min is the oldest version a pin may name.
	Min string `json:"min"`
}

//go:embed data/addon-versions.json
var addonVersionsJSON []byte

//go:embed data/karpenter-compatibility.json
var karpenterJSON []byte

var (
	addonVersions    = mustAddonVersions(addonVersionsJSON)
	karpenterMinimum = mustKarpenter(karpenterJSON)
)

func mustAddonVersions(data []byte) map[string]map[string]AddonVersions {
	var doc struct {
		Addons map[string]map[string]AddonVersions `json:"addons"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		panic(fmt.Sprintf("environments: data/addon-versions.json: %v", err))
	}
	return doc.Addons
}

func mustKarpenter(data []byte) map[string]string {
	var doc struct {
		Minimum map[string]string `json:"minimum_karpenter"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		panic(fmt.Sprintf("environments: data/karpenter-compatibility.json: %v", err))
	}
	return doc.Minimum
}

// OfflineAddonVersions returns the shipped snapshot for an addon and a
// Kubernetes minor.
func OfflineAddonVersions(addon, kubernetesVersion string) (AddonVersions, bool) {
	v, ok := addonVersions[addon][kubernetesVersion]
	return v, ok
}

// KarpenterMinimum is the oldest karpenter release that supports a Kubernetes minor.
func KarpenterMinimum(kubernetesVersion string) (string, bool) {
	v, ok := karpenterMinimum[kubernetesVersion]
	return v, ok
}

// CompareVersions orders versions like "v1.12.4-eksbuild.1", "1.14.1" or
// "1.34": numeric parts first, then the eksbuild number. Missing parts are 0.
func CompareVersions(a, b string) int {
	pa, pb := versionParts(a), versionParts(b)
	for i := range max(len(pa), len(pb)) {
		var x, y int
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func versionParts(v string) []int {
	v = strings.TrimPrefix(v, "v")
	core, build, _ := strings.Cut(v, "-")
	var out []int
	for _, p := range strings.Split(core, ".") {
		n, _ := strconv.Atoi(p)
		out = append(out, n)
	}
	for len(out) < 3 {
		out = append(out, 0)
	}
	if _, num, ok := strings.Cut(build, "eksbuild."); ok {
		n, _ := strconv.Atoi(num)
		out = append(out, n)
	}
	return out
}
