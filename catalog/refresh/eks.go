// Package refresh rebuilds the catalog from the APIs that publish its facts:
// the EKS calendar from eks:DescribeClusterVersions, the addon versions from
// eks:DescribeAddonVersions (both through aws-sdk-go-v2), and the chart
// versions from each chart's repository — a classic repository's index.yaml
// over HTTPS, an OCI registry's tags through the distribution API. Run
// computes the whole new catalog in memory and fails as a whole: a failed
// call leaves nothing half-refreshed, and its error names the call.
package refresh

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/smithy-go"

	"github.com/eksplatform/eksplatform/catalog"
)

// AddonVersionsAPI lists addon versions; *eks.Client satisfies it.
type AddonVersionsAPI interface {
	DescribeAddonVersions(ctx context.Context, in *eks.DescribeAddonVersionsInput, optFns ...func(*eks.Options)) (*eks.DescribeAddonVersionsOutput, error)
}

// EKSAPI is what the refresh reads from EKS; *eks.Client satisfies it.
type EKSAPI interface {
	AddonVersionsAPI
	DescribeClusterVersions(ctx context.Context, in *eks.DescribeClusterVersionsInput, optFns ...func(*eks.Options)) (*eks.DescribeClusterVersionsOutput, error)
}

// maxPages bounds a paginated listing: a token that never ends is a broken
// API answer, not a reason to loop forever.
const maxPages = 100

// CallError is a failed API call, named the way AWS names it.
type CallError struct {
	Call string // "eks:DescribeAddonVersions"
	// Subject says what was asked ("addon coredns").
	Subject string
	Err     error
}

func (e *CallError) Error() string {
	s := e.Call
	if e.Subject != "" {
		s += " (" + e.Subject + ")"
	}
	return s + ": " + reason(e.Err)
}

func (e *CallError) Unwrap() error { return e.Err }

// reason is the API's error code and message without the SDK's wrapping.
func reason(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode() + ": " + api.ErrorMessage()
	}
	return err.Error()
}

// ListClusterVersions reads every Kubernetes minor EKS lists, with its
// support window, oldest first.
func ListClusterVersions(ctx context.Context, api EKSAPI) ([]catalog.Release, error) {
	var out []catalog.Release
	var token *string
	for range maxPages {
		page, err := api.DescribeClusterVersions(ctx, &eks.DescribeClusterVersionsInput{
			ClusterType: aws.String("eks"), IncludeAll: aws.Bool(true), NextToken: token,
		})
		if err != nil {
			return nil, &CallError{Call: "eks:DescribeClusterVersions", Err: err}
		}
		for _, v := range page.ClusterVersions {
			minor := aws.ToString(v.ClusterVersion)
			if _, _, ok := catalog.ParseMinor(minor); !ok {
				return nil, &CallError{Call: "eks:DescribeClusterVersions", Err: fmt.Errorf("an answer with clusterVersion %q, not a Kubernetes minor", minor)}
			}
			if v.ReleaseDate == nil || v.EndOfStandardSupportDate == nil || v.EndOfExtendedSupportDate == nil {
				return nil, &CallError{Call: "eks:DescribeClusterVersions", Err: fmt.Errorf("%s has no release or end-of-support date", minor)}
			}
			out = append(out, catalog.Release{
				Version:       minor,
				Released:      catalog.DateOf(*v.ReleaseDate),
				EndOfStandard: catalog.DateOf(*v.EndOfStandardSupportDate),
				EndOfExtended: catalog.DateOf(*v.EndOfExtendedSupportDate),
			})
		}
		if token = page.NextToken; aws.ToString(token) == "" {
			sort.Slice(out, func(i, j int) bool { return catalog.CompareMinors(out[i].Version, out[j].Version) < 0 })
			return out, nil
		}
	}
	return nil, &CallError{Call: "eks:DescribeClusterVersions", Err: fmt.Errorf("more than %d pages", maxPages)}
}

// ListAddonVersions reads every version EKS offers of an addon with the
// minors it is compatible with and those it is the default of; minor ""
// asks for every minor at once.
func ListAddonVersions(ctx context.Context, api AddonVersionsAPI, addon, minor string) ([]catalog.OfferedVersion, error) {
	in := &eks.DescribeAddonVersionsInput{AddonName: aws.String(addon)}
	if minor != "" {
		in.KubernetesVersion = aws.String(minor)
	}
	subject := "addon " + addon
	if minor != "" {
		subject += ", Kubernetes " + minor
	}
	var out []catalog.OfferedVersion
	for range maxPages {
		page, err := api.DescribeAddonVersions(ctx, in)
		if err != nil {
			return nil, &CallError{Call: "eks:DescribeAddonVersions", Subject: subject, Err: err}
		}
		for _, info := range page.Addons {
			if name := aws.ToString(info.AddonName); name != "" && name != addon {
				continue
			}
			for _, v := range info.AddonVersions {
				o := catalog.OfferedVersion{Version: aws.ToString(v.AddonVersion)}
				for _, c := range v.Compatibilities {
					m := aws.ToString(c.ClusterVersion)
					if minor != "" && m != minor {
						continue
					}
					o.Minors = append(o.Minors, m)
					if c.DefaultVersion {
						o.DefaultOn = append(o.DefaultOn, m)
					}
				}
				if len(o.Minors) > 0 {
					out = append(out, o)
				}
			}
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
	return nil, &CallError{Call: "eks:DescribeAddonVersions", Subject: subject, Err: fmt.Errorf("more than %d pages", maxPages)}
}
