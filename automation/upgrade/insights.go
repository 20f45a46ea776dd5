package upgrade

import (
	"context"
	"fmt"
	"strings"

	"github.com/eksplatform/eksplatform/environments"
)

// Insight is one EKS upgrade insight of a cluster for a Kubernetes minor:
// what EKS found analysing the control plane's audit log and the cluster's
// nodes and addons (ListInsights, DescribeInsight).
type Insight struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Status is PASSING, WARNING, ERROR or UNKNOWN; Reason says why.
	Status            string        `json:"status"`
	Reason            string        `json:"reason,omitempty"`
	KubernetesVersion string        `json:"kubernetesVersion,omitempty"`
	Recommendation    string        `json:"recommendation,omitempty"`
	Deprecations      []Deprecation `json:"deprecations,omitempty"`
	// Resources name what is affected (a Kubernetes resource URI or an ARN).
	Resources []string `json:"resources,omitempty"`
}

// Deprecation is an API the cluster's clients still call that the target
// minor stops serving.
type Deprecation struct {
	Usage        string `json:"usage"`
	ReplacedWith string `json:"replacedWith,omitempty"`
	StopServing  string `json:"stopServingVersion,omitempty"`
	// Clients are "user agent (N requests in the last 30 days)".
	Clients []string `json:"clients,omitempty"`
}

// InsightReader reads a cluster's upgrade insights for a minor. found is
// false when EKS has no such cluster (a new one).
type InsightReader interface {
	UpgradeInsights(ctx context.Context, c *environments.Cluster, minor string) (insights []Insight, found bool, err error)
}

// Insight statuses.
const (
	InsightPassing = "PASSING"
	InsightWarning = "WARNING"
	InsightError   = "ERROR"
	InsightUnknown = "UNKNOWN"
)

// insightFindings turns a cluster's insights for its target minor into
// findings: ERROR fails it, WARNING and UNKNOWN warn; insights that could
// not be read warn too (the plan goes on without them).
func insightFindings(ctx context.Context, in Inputs, c *environments.Cluster, cp ClusterPlan) []Finding {
	if in.Insights == nil || cp.Desired.Kubernetes == "" {
		return nil
	}
	target := cp.Desired.Kubernetes
	insights, found, err := in.Insights.UpgradeInsights(ctx, c, target)
	if err != nil {
		return []Finding{finding("INS104", Warning, c.Name,
			fmt.Sprintf("EKS upgrade insights for Kubernetes %s could not be read: %v", target, err),
			"give plan's credentials eks:ListInsights and eks:DescribeInsight on the cluster (through its deploy_role_arn), then plan again")}
	}
	if !found {
		return nil
	}
	var out []Finding
	for _, ins := range insights {
		code, severity := "", Warning
		switch ins.Status {
		case InsightPassing:
			continue
		case InsightError:
			code, severity = "INS101", Error
		case InsightWarning:
			code = "INS102"
		default:
			code = "INS103"
		}
		msg := fmt.Sprintf("EKS upgrade insight %q for Kubernetes %s is %s", ins.Name, target, ins.Status)
		if ins.Reason != "" {
			msg += ": " + ins.Reason
		}
		for _, d := range ins.Deprecations {
			msg += "; " + d.Usage
			if d.StopServing != "" {
				msg += " stops being served in " + d.StopServing
			}
			if d.ReplacedWith != "" {
				msg += ", use " + d.ReplacedWith
			}
			if len(d.Clients) > 0 {
				msg += " (called by " + strings.Join(d.Clients, ", ") + ")"
			}
		}
		if n := len(ins.Resources); n > 0 {
			shown := ins.Resources[:min(n, 3)]
			msg += "; affects " + strings.Join(shown, ", ")
			if n > len(shown) {
				msg += fmt.Sprintf(" and %d more", n-len(shown))
			}
		}
		fix := ins.Recommendation
		if fix == "" {
			fix = "read the insight: aws eks describe-insight --region " + c.Region + " --cluster-name " + c.Name + " --id " + ins.ID
		}
		if ins.Status == InsightUnknown {
			fix = "EKS has not evaluated this yet (a new cluster, or a refresh under way): aws eks start-insights-refresh --cluster-name " + c.Name + ", then plan again"
		}
		out = append(out, finding(code, severity, c.Name, msg, fix))
	}
	return out
}
