package eksgate

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/automation/upgrade"
	"github.com/eksplatform/eksplatform/environments"
)

// fakeInsights answers ListInsights (POST /clusters/{name}/insights, one
// insight per page) and DescribeInsight (GET /clusters/{name}/insights/{id})
// as EKS does, for one cluster.
type fakeInsights struct {
	cluster  string
	insights []map[string]any // as DescribeInsight returns them
	denied   bool

	mu       sync.Mutex
	filters  []map[string]any
	describe []string
}

func (f *fakeInsights) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fail := func(status int, kind, msg string) {
		w.Header().Set("X-Amzn-Errortype", kind)
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		fail(http.StatusForbidden, "UnrecognizedClientException", "unsigned")
		return
	}
	if f.denied {
		fail(http.StatusForbidden, "AccessDeniedException", "User is not authorized to perform: eks:ListInsights")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/clusters/"+f.cluster+"/insights")
	if !ok {
		fail(http.StatusNotFound, "ResourceNotFoundException", "No cluster found for name: "+strings.Split(strings.TrimPrefix(r.URL.Path, "/clusters/"), "/")[0])
		return
	}
	switch {
	case r.Method == http.MethodPost && rest == "":
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.filters = append(f.filters, body)
		page := 0
		if t, _ := body["nextToken"].(string); t != "" {
			page = int(t[0] - '0')
		}
		resp := map[string]any{"insights": []any{}}
		if page < len(f.insights) {
			ins := f.insights[page]
			resp["insights"] = []any{map[string]any{"id": ins["id"], "name": ins["name"], "category": "UPGRADE_READINESS",
				"kubernetesVersion": ins["kubernetesVersion"], "insightStatus": ins["insightStatus"]}}
			if page+1 < len(f.insights) {
				resp["nextToken"] = string(rune('0' + page + 1))
			}
		}
		_ = json.NewEncoder(w).Encode(resp)
	case r.Method == http.MethodGet && strings.HasPrefix(rest, "/"):
		id := strings.TrimPrefix(rest, "/")
		f.describe = append(f.describe, id)
		for _, ins := range f.insights {
			if ins["id"] == id {
				_ = json.NewEncoder(w).Encode(map[string]any{"insight": ins})
				return
			}
		}
		fail(http.StatusNotFound, "ResourceNotFoundException", "insight not found")
	default:
		fail(http.StatusNotFound, "UnknownOperationException", r.Method+" "+r.URL.Path)
	}
}

func insightsOn(t *testing.T, f *fakeInsights) *Insights {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &Insights{Client: func(context.Context, *environments.Cluster) (InsightsAPI, error) {
		return eks.NewFromConfig(aws.Config{Region: "us-east-2", Credentials: credentials.NewStaticCredentialsProvider("A", "B", ""), HTTPClient: srv.Client()},
			func(o *eks.Options) { o.BaseEndpoint = aws.String(srv.URL); o.RetryMaxAttempts = 1 }), nil
	}}
}

func status(s, reason string) map[string]any { return map[string]any{"status": s, "reason": reason} }

// exampleInsights are the insights EKS publishes for an upgrade, one of
// each status, with the fields DescribeInsight returns.
func exampleInsights() []map[string]any {
	return []map[string]any{
		{"id": "a1", "name": "Deprecated APIs removed in Kubernetes v1.37", "kubernetesVersion": "1.37", "category": "UPGRADE_READINESS",
			"insightStatus":  status("ERROR", "Deprecated API usage detected within last 30 days and your cluster is on Kubernetes v1.36."),
			"recommendation": "Update manifests and API clients to use newer Kubernetes APIs if applicable before upgrading to Kubernetes v1.37.",
			"categorySpecificSummary": map[string]any{"deprecationDetails": []any{map[string]any{
				"usage": "/apis/flowcontrol.apiserver.k8s.io/v1beta3/flowschemas", "replacedWith": "/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas",
				"stopServingVersion": "1.37", "startServingReplacementVersion": "1.29",
				"clientStats": []any{map[string]any{"userAgent": "kube-controller-manager/v1.36.2", "numberOfRequestsLast30Days": 1204, "lastRequestTime": 1.7647e9}},
			}}},
			"resources": []any{
				map[string]any{"insightStatus": status("ERROR", ""), "kubernetesResourceUri": "/apis/flowcontrol.apiserver.k8s.io/v1beta3/flowschemas/catch-all"},
				map[string]any{"insightStatus": status("PASSING", ""), "kubernetesResourceUri": "/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas/exempt"},
			}},
		{"id": "b2", "name": "Kubelet version skew", "kubernetesVersion": "1.37", "category": "UPGRADE_READINESS",
			"insightStatus": status("WARNING", "Node kubelet versions are more than one minor behind."), "recommendation": "Upgrade your worker nodes."},
		{"id": "c3", "name": "Amazon EKS add-on version compatibility", "kubernetesVersion": "1.37", "category": "UPGRADE_READINESS",
			"insightStatus": status("PASSING", "All installed add-ons are compatible.")},
		{"id": "d4", "name": "Cluster health issues", "kubernetesVersion": "1.37", "category": "UPGRADE_READINESS",
			"insightStatus": status("UNKNOWN", "Insight not yet evaluated.")},
	}
}

func TestUpgradeInsightsAreReadPageByPageAndDescribed(t *testing.T) {
	t.Parallel()
	f := &fakeInsights{cluster: "prod-i01", insights: exampleInsights()}
	got, found, err := insightsOn(t, f).UpgradeInsights(t.Context(), &environments.Cluster{Name: "prod-i01", Region: "us-east-2"}, "1.37")
	require.NoError(t, err)
	require.True(t, found)
	require.Len(t, got, 4, "every page")
	require.Len(t, f.filters, 4, "one insight per page: four ListInsights calls")
	assert.Equal(t, map[string]any{"categories": []any{"UPGRADE_READINESS"}, "kubernetesVersions": []any{"1.37"}}, f.filters[0]["filter"])
	assert.ElementsMatch(t, []string{"a1", "b2", "d4"}, f.describe, "only what is not PASSING is described")

	byName := map[string]upgrade.Insight{}
	for _, i := range got {
		byName[i.Name] = i
	}
	dep := byName["Deprecated APIs removed in Kubernetes v1.37"]
	assert.Equal(t, upgrade.InsightError, dep.Status)
	require.Len(t, dep.Deprecations, 1)
	assert.Equal(t, upgrade.Deprecation{Usage: "/apis/flowcontrol.apiserver.k8s.io/v1beta3/flowschemas", ReplacedWith: "/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas",
		StopServing: "1.37", Clients: []string{"kube-controller-manager/v1.36.2 (1204 requests in the last 30 days)"}}, dep.Deprecations[0])
	assert.Equal(t, []string{"/apis/flowcontrol.apiserver.k8s.io/v1beta3/flowschemas/catch-all"}, dep.Resources, "passing resources are left out")
	assert.Equal(t, upgrade.InsightWarning, byName["Kubelet version skew"].Status)
	assert.Equal(t, upgrade.InsightPassing, byName["Amazon EKS add-on version compatibility"].Status)
	assert.Empty(t, byName["Amazon EKS add-on version compatibility"].Recommendation, "not described")
	assert.Equal(t, upgrade.InsightUnknown, byName["Cluster health issues"].Status)
}

func TestUpgradeInsightsOfANewClusterAndOfNoAccess(t *testing.T) {
	t.Parallel()
	_, found, err := insightsOn(t, &fakeInsights{cluster: "other"}).UpgradeInsights(t.Context(), &environments.Cluster{Name: "sbx-new"}, "1.37")
	require.NoError(t, err, "a cluster EKS does not have yet has no insights")
	assert.False(t, found)

	_, _, err = insightsOn(t, &fakeInsights{cluster: "sbx", denied: true}).UpgradeInsights(t.Context(), &environments.Cluster{Name: "sbx"}, "1.37")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ListInsights")
	assert.Contains(t, err.Error(), "AccessDeniedException")
}

// TestPlanTurnsInsightsIntoChecks: the findings of the insights above, with
// codes, severities and fixes, through upgrade.Build.
func TestPlanTurnsInsightsIntoChecks(t *testing.T) {
	t.Parallel()
	fleet, err := environments.Load("../../environments")
	require.NoError(t, err)
	c := fleet.Clusters()[len(fleet.Clusters())-1]
	f := &fakeInsights{cluster: c.Name, insights: exampleInsights()}
	for _, ins := range f.insights {
		ins["kubernetesVersion"] = c.EKSVersion
	}
	plan, err := upgrade.Build(t.Context(), upgrade.Inputs{Fleet: fleet, Today: mustDay(t), Selection: selectionOf(c.Name), Insights: insightsOn(t, f)})
	require.NoError(t, err)
	codes := map[string]upgrade.Finding{}
	for _, fd := range plan.Findings {
		if strings.HasPrefix(fd.Code, "INS") {
			codes[fd.Code] = fd
		}
	}
	require.Len(t, codes, 3, "%v", plan.Findings)
	assert.Equal(t, upgrade.Error, codes["INS101"].Severity)
	assert.Contains(t, codes["INS101"].Message, "flowschemas stops being served in 1.37, use /apis/flowcontrol.apiserver.k8s.io/v1/flowschemas (called by kube-controller-manager/v1.36.2")
	assert.Contains(t, codes["INS101"].Fix, "Update manifests and API clients")
	assert.Equal(t, upgrade.Warning, codes["INS102"].Severity)
	assert.Contains(t, codes["INS103"].Fix, "start-insights-refresh --cluster-name "+c.Name)
	require.Len(t, plan.Clusters, 1)
	assert.True(t, plan.Clusters[0].Refused, "an ERROR insight refuses the cluster")

	f.denied = true
	plan, err = upgrade.Build(t.Context(), upgrade.Inputs{Fleet: fleet, Today: mustDay(t), Selection: selectionOf(c.Name), Insights: insightsOn(t, f)})
	require.NoError(t, err, "insights that cannot be read do not stop the plan")
	var ins104 *upgrade.Finding
	for i := range plan.Findings {
		if plan.Findings[i].Code == "INS104" {
			ins104 = &plan.Findings[i]
		}
	}
	require.NotNil(t, ins104)
	assert.Equal(t, upgrade.Warning, ins104.Severity)
	assert.Contains(t, ins104.Fix, "eks:ListInsights and eks:DescribeInsight")
}

func mustDay(t *testing.T) time.Time {
	t.Helper()
	return time.Now().UTC().Truncate(24 * time.Hour)
}

func selectionOf(clusters ...string) automation.Selection {
	return automation.Selection{Clusters: clusters}
}
