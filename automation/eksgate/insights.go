package eksgate

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/eksplatform/eksplatform/automation/upgrade"
	"github.com/eksplatform/eksplatform/environments"
)

// InsightsAPI is the part of the EKS client the insights reader uses;
// *eks.Client satisfies it.
type InsightsAPI interface {
	ListInsights(ctx context.Context, in *eks.ListInsightsInput, optFns ...func(*eks.Options)) (*eks.ListInsightsOutput, error)
	DescribeInsight(ctx context.Context, in *eks.DescribeInsightInput, optFns ...func(*eks.Options)) (*eks.DescribeInsightOutput, error)
}

var _ InsightsAPI = (*eks.Client)(nil)

// Insights reads EKS upgrade insights: AWS has already analysed the
// control plane's audit log (deprecated API calls) and the cluster's nodes
// and addons (version skew), so plan asks it instead of the API server.
type Insights struct {
	// Client returns the API for a cluster's account and region.
	Client func(ctx context.Context, c *environments.Cluster) (InsightsAPI, error)
}

var _ upgrade.InsightReader = (*Insights)(nil)

// NewInsights uses the ambient credentials, assuming the cluster's deploy
// role when it has one.
func NewInsights() *Insights {
	return &Insights{Client: func(ctx context.Context, c *environments.Cluster) (InsightsAPI, error) {
		api, err := DefaultClient(ctx, c)
		if err != nil {
			return nil, err
		}
		return api.(*eks.Client), nil
	}}
}

// UpgradeInsights lists the cluster's UPGRADE_READINESS insights for the
// minor, page by page, and describes each that is not PASSING for its
// recommendation, deprecated APIs and resources.
func (i *Insights) UpgradeInsights(ctx context.Context, c *environments.Cluster, minor string) ([]upgrade.Insight, bool, error) {
	api, err := i.Client(ctx, c)
	if err != nil {
		return nil, false, err
	}
	in := &eks.ListInsightsInput{
		ClusterName: aws.String(c.Name),
		Filter: &types.InsightsFilter{
			Categories:         []types.Category{types.CategoryUpgradeReadiness},
			KubernetesVersions: []string{minor},
		},
	}
	var out []upgrade.Insight
	seen := map[string]bool{}
	for {
		page, err := api.ListInsights(ctx, in)
		var missing *types.ResourceNotFoundException
		if errors.As(err, &missing) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("ListInsights: %w", err)
		}
		for _, s := range page.Insights {
			ins := upgrade.Insight{ID: aws.ToString(s.Id), Name: aws.ToString(s.Name), KubernetesVersion: aws.ToString(s.KubernetesVersion), Status: upgrade.InsightUnknown}
			if s.InsightStatus != nil {
				ins.Status, ins.Reason = string(s.InsightStatus.Status), aws.ToString(s.InsightStatus.Reason)
			}
			if seen[ins.ID] {
				continue
			}
			seen[ins.ID] = true
			if ins.Status != upgrade.InsightPassing {
				if err := describe(ctx, api, c.Name, &ins); err != nil {
					return nil, true, err
				}
			}
			out = append(out, ins)
		}
		if page.NextToken == nil || *page.NextToken == "" {
			break
		}
		if in.NextToken != nil && *in.NextToken == *page.NextToken {
			return nil, true, fmt.Errorf("ListInsights: the next page starts where the last one did")
		}
		in.NextToken = page.NextToken
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out, true, nil
}

func describe(ctx context.Context, api InsightsAPI, cluster string, ins *upgrade.Insight) error {
	d, err := api.DescribeInsight(ctx, &eks.DescribeInsightInput{ClusterName: aws.String(cluster), Id: aws.String(ins.ID)})
	if err != nil {
		return fmt.Errorf("DescribeInsight %s (%s): %w", ins.ID, ins.Name, err)
	}
	if d.Insight == nil {
		return nil
	}
	ins.Recommendation = aws.ToString(d.Insight.Recommendation)
	if st := d.Insight.InsightStatus; st != nil {
		ins.Status, ins.Reason = string(st.Status), aws.ToString(st.Reason)
	}
	if sum := d.Insight.CategorySpecificSummary; sum != nil {
		for _, dd := range sum.DeprecationDetails {
			dep := upgrade.Deprecation{Usage: aws.ToString(dd.Usage), ReplacedWith: aws.ToString(dd.ReplacedWith), StopServing: aws.ToString(dd.StopServingVersion)}
			for _, cs := range dd.ClientStats {
				dep.Clients = append(dep.Clients, fmt.Sprintf("%s (%d requests in the last 30 days)", aws.ToString(cs.UserAgent), cs.NumberOfRequestsLast30Days))
			}
			ins.Deprecations = append(ins.Deprecations, dep)
		}
	}
	for _, r := range d.Insight.Resources {
		if r.InsightStatus != nil && r.InsightStatus.Status == types.InsightStatusValuePassing {
			continue
		}
		switch {
		case r.KubernetesResourceUri != nil:
			ins.Resources = append(ins.Resources, *r.KubernetesResourceUri)
		case r.Arn != nil:
			ins.Resources = append(ins.Resources, *r.Arn)
		}
	}
	return nil
}
