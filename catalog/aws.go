package catalog

import (
	"slices"
	"sort"
)

// AWS reference values the loader and the components check against. They
// change rarely and are not published by an API the refresh reads, so they
// are Go data here, each with its source.

// regions are the AWS regions an EKS cluster can be declared in, with their
// partition (AWS General Reference, "Service endpoints": Amazon EKS).
var regions = map[string]string{
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
func PartitionOf(region string) string { return regions[region] }

// Regions lists the known regions, sorted.
func Regions() []string {
	out := make([]string, 0, len(regions))
	for r := range regions {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// LogRetentionDays are the retention periods CloudWatch Logs accepts
// (PutRetentionPolicy, retentionInDays).
var LogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// ControlPlaneLogTypes are the EKS control-plane log types (LogSetup.types),
// in the canonical order.
var ControlPlaneLogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

// AccessPolicies are the EKS access policies an access entry may name
// (ListAccessPolicies).
var AccessPolicies = []string{
	"AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSAdminViewPolicy",
	"AmazonEKSEditPolicy", "AmazonEKSViewPolicy",
}

// AMITypes maps the managed node group AMI types the platform supports to
// their CPU architecture (Nodegroup.amiType).
var AMITypes = map[string]string{
	"AL2023_ARM_64_STANDARD": "arm64",
	"AL2023_x86_64_STANDARD": "x86_64",
	"BOTTLEROCKET_ARM_64":    "arm64",
	"BOTTLEROCKET_x86_64":    "x86_64",
}

// TaintEffects maps the Kubernetes spelling of a taint effect to the EKS
// API's (Taint.effect).
var TaintEffects = map[string]string{
	"NoSchedule":       "NO_SCHEDULE",
	"PreferNoSchedule": "PREFER_NO_SCHEDULE",
	"NoExecute":        "NO_EXECUTE",
}

// EFSTransitions maps the days after which EFS moves files to Infrequent
// Access to the API's names (LifecyclePolicy.TransitionToIA).
var EFSTransitions = map[int]string{
	1: "AFTER_1_DAY", 7: "AFTER_7_DAYS", 14: "AFTER_14_DAYS", 30: "AFTER_30_DAYS", 60: "AFTER_60_DAYS",
	90: "AFTER_90_DAYS", 180: "AFTER_180_DAYS", 270: "AFTER_270_DAYS", 365: "AFTER_365_DAYS",
}

// TransitionDays lists the keys of EFSTransitions, ascending.
func TransitionDays() []int {
	out := make([]int, 0, len(EFSTransitions))
	for d := range EFSTransitions {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}
