package eksgate

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/environments"
)

// fakeEKS answers the EKS REST API the way AWS does, from a scripted state.
type fakeEKS struct {
	mu       sync.Mutex
	status   []string // cluster status per call; the last one repeats
	version  string
	groups   map[string]nodegroup
	addons   map[string]addon
	requests []string
	calls    int
}

type nodegroup struct {
	Status string
	Issues []map[string]any
}

type addon struct {
	Status string
	Issues []map[string]any
}

func (f *fakeEKS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		http.Error(w, `{"message":"missing signature"}`, http.StatusForbidden)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	w.Header().Set("Content-Type", "application/json")
	write := func(v any) { _ = json.NewEncoder(w).Encode(v) }
	switch {
	case len(parts) == 2 && parts[0] == "clusters":
		status := f.status[min(f.calls, len(f.status)-1)]
		f.calls++
		write(map[string]any{"cluster": map[string]any{"name": parts[1], "status": status, "version": f.version}})
	case len(parts) == 3 && parts[2] == "node-groups":
		var names []string
		for n := range f.groups {
			names = append(names, n)
		}
		// One name per page, to exercise pagination.
		page := 0
		if t := r.URL.Query().Get("nextToken"); t != "" {
			page = int(t[0] - '0')
		}
		resp := map[string]any{"nodegroups": []string{}}
		if page < len(names) {
			resp["nodegroups"] = []string{sortedKeys(f.groups)[page]}
			if page+1 < len(names) {
				resp["nextToken"] = string(rune('0' + page + 1))
			}
		}
		write(resp)
	case len(parts) == 4 && parts[2] == "node-groups":
		g := f.groups[parts[3]]
		write(map[string]any{"nodegroup": map[string]any{"nodegroupName": parts[3], "status": g.Status, "health": map[string]any{"issues": g.Issues}}})
	case len(parts) == 3 && parts[2] == "addons":
		write(map[string]any{"addons": sortedKeys(f.addons)})
	case len(parts) == 4 && parts[2] == "addons":
		a := f.addons[parts[3]]
		write(map[string]any{"addon": map[string]any{"addonName": parts[3], "status": a.Status, "health": map[string]any{"issues": a.Issues}}})
	default:
		w.WriteHeader(http.StatusNotFound)
		write(map[string]any{"message": "no route " + r.URL.Path})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func healthy() *fakeEKS {
	return &fakeEKS{
		status:  []string{"ACTIVE"},
		version: "1.34",
		groups:  map[string]nodegroup{"mng-a": {Status: "ACTIVE"}, "mng-b": {Status: "ACTIVE"}},
		addons:  map[string]addon{"coredns": {Status: "ACTIVE"}, "vpc-cni": {Status: "ACTIVE"}},
	}
}

var testCluster = &environments.Cluster{Name: "np-i01-aws-us-east-2", Region: "us-east-2", EKSVersion: "1.34"}

// gateFor points a real aws-sdk-go-v2 EKS client at the fake by endpoint override.
func gateFor(t *testing.T, f *fakeEKS) *Gate {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &Gate{
		Client: func(context.Context, *environments.Cluster) (API, error) {
			return eks.NewFromConfig(aws.Config{
				Region:      "us-east-2",
				Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
				HTTPClient:  srv.Client(),
			}, func(o *eks.Options) {
				o.BaseEndpoint = aws.String(srv.URL)
				o.RetryMaxAttempts = 1
			}), nil
		},
		HTTP:     srv.Client(),
		Interval: 5 * time.Millisecond,
	}
}

func opts(timeout time.Duration) automation.GateOptions {
	return automation.GateOptions{Timeout: timeout, EchoCheck: true}
}

func TestHealthyClusterPasses(t *testing.T) {
	t.Parallel()
	f := healthy()
	require.NoError(t, gateFor(t, f).Check(t.Context(), testCluster, nil, opts(time.Second)))
	assert.Contains(t, f.requests, "GET /clusters/np-i01-aws-us-east-2")
	assert.Contains(t, f.requests, "GET /clusters/np-i01-aws-us-east-2/node-groups/mng-b", "the second page of node groups is read")
	assert.Contains(t, f.requests, "GET /clusters/np-i01-aws-us-east-2/addons/vpc-cni")
}

func TestUpdatingClusterIsRetriedUntilActive(t *testing.T) {
	t.Parallel()
	f := healthy()
	f.status = []string{"UPDATING", "UPDATING", "ACTIVE"}
	require.NoError(t, gateFor(t, f).Check(t.Context(), testCluster, nil, opts(5*time.Second)))
	assert.Equal(t, 3, f.calls)
}

func TestDegradedAddonFails(t *testing.T) {
	t.Parallel()
	f := healthy()
	f.addons["coredns"] = addon{Status: "DEGRADED", Issues: []map[string]any{{"code": "InsufficientNumberOfReplicas", "message": "The add-on is unhealthy because it doesn't have the desired number of replicas."}}}
	err := gateFor(t, f).Check(t.Context(), testCluster, nil, opts(100*time.Millisecond))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "np-i01-aws-us-east-2 not healthy after 100ms")
	assert.Contains(t, err.Error(), "addon coredns is DEGRADED (InsufficientNumberOfReplicas: The add-on is unhealthy because it doesn't have the desired number of replicas.)")
	assert.NotContains(t, err.Error(), "vpc-cni")
}

func TestNodeGroupHealthIssueFails(t *testing.T) {
	t.Parallel()
	f := healthy()
	f.groups["mng-b"] = nodegroup{Status: "DEGRADED", Issues: []map[string]any{{"code": "AsgInstanceLaunchFailures", "message": "Insufficient capacity", "resourceIds": []string{"eks-mng-b"}}}}
	err := gateFor(t, f).Check(t.Context(), testCluster, nil, opts(50*time.Millisecond))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "node group mng-b is DEGRADED")
	assert.Contains(t, err.Error(), "node group mng-b: AsgInstanceLaunchFailures: Insufficient capacity")
}

func TestWrongVersionTimesOut(t *testing.T) {
	t.Parallel()
	f := healthy()
	f.version = "1.33"
	f.status = []string{"UPDATING"}
	start := time.Now()
	err := gateFor(t, f).Check(t.Context(), testCluster, nil, opts(80*time.Millisecond))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cluster is UPDATING; control plane runs 1.33, want 1.34")
	assert.Less(t, time.Since(start), 5*time.Second, "the timeout bounds the gate")
	assert.Greater(t, f.calls, 1, "retried before giving up")
}

func TestEchoServer(t *testing.T) {
	t.Parallel()
	var hits int
	var mu sync.Mutex
	status := http.StatusOK
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		hits++
		w.WriteHeader(status)
	}))
	defer echo.Close()
	outs := map[string]any{"echoServerUrl": echo.URL + "/"}

	g := gateFor(t, healthy())
	require.NoError(t, g.Check(t.Context(), testCluster, outs, opts(time.Second)))
	assert.Equal(t, 1, hits)

	mu.Lock()
	status = http.StatusServiceUnavailable
	mu.Unlock()
	err := g.Check(t.Context(), testCluster, outs, opts(50*time.Millisecond))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "echo-server "+echo.URL+"/ answered 503 Service Unavailable")

	// A server of its own: a request of the timed-out check above may still
	// reach the first one after that check returned.
	var offHits atomic.Int32
	off := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { offHits.Add(1) }))
	defer off.Close()
	require.NoError(t, g.Check(t.Context(), testCluster, map[string]any{"echoServerUrl": off.URL + "/"}, automation.GateOptions{Timeout: time.Second, EchoCheck: false}))
	assert.Zero(t, offHits.Load(), "echo check off: not called")
}

func TestAPIErrorsAreNamed(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"No cluster found for name: np-i01-aws-us-east-2."}`))
	}))
	defer srv.Close()
	g := gateFor(t, healthy())
	g.Client = func(context.Context, *environments.Cluster) (API, error) {
		return eks.NewFromConfig(aws.Config{Region: "us-east-2", Credentials: credentials.NewStaticCredentialsProvider("A", "B", ""), HTTPClient: srv.Client()},
			func(o *eks.Options) { o.BaseEndpoint = aws.String(srv.URL); o.RetryMaxAttempts = 1 }), nil
	}
	err := g.Check(t.Context(), testCluster, nil, opts(30*time.Millisecond))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "describing the cluster: ResourceNotFoundException: No cluster found for name: np-i01-aws-us-east-2.")
}

func TestCancelledContextStopsTheGate(t *testing.T) {
	t.Parallel()
	f := healthy()
	f.status = []string{"UPDATING"}
	ctx, cancel := context.WithCancel(t.Context())
	go func() { time.Sleep(30 * time.Millisecond); cancel() }()
	err := gateFor(t, f).Check(ctx, testCluster, nil, opts(time.Minute))
	assert.ErrorIs(t, err, context.Canceled)
}

// TestAccessDeniedFailsAtOnce: an error no retry can fix ends the gate at
// the first check with what to do, instead of polling silently for the
// whole timeout; the other failed checks are printed with their causes.
func TestAccessDeniedFailsAtOnce(t *testing.T) {
	t.Parallel()
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls++
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"message":"User: arn:aws:sts::123456789012:assumed-role/ci/x is not authorized to perform: eks:DescribeCluster"}`))
	}))
	defer srv.Close()
	g := gateFor(t, healthy())
	g.Client = func(context.Context, *environments.Cluster) (API, error) {
		return eks.NewFromConfig(aws.Config{Region: "us-east-2", Credentials: credentials.NewStaticCredentialsProvider("A", "B", ""), HTTPClient: srv.Client()},
			func(o *eks.Options) { o.BaseEndpoint = aws.String(srv.URL); o.RetryMaxAttempts = 1 }), nil
	}
	err := g.Check(t.Context(), testCluster, nil, opts(time.Hour))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the health gate cannot check the cluster, and no retry will fix it: AccessDeniedException: User: ")
	assert.Contains(t, err.Error(), "or --skip-health-gate")
	assert.Equal(t, 1, calls, "one check, not an hour of them")
}

// TestEachFailedCheckIsPrinted.
func TestEachFailedCheckIsPrinted(t *testing.T) {
	t.Parallel()
	f := healthy()
	f.status = []string{"UPDATING", "ACTIVE"}
	g := gateFor(t, f)
	var log strings.Builder
	g.Log = &log
	require.NoError(t, g.Check(t.Context(), testCluster, nil, opts(5*time.Second)))
	assert.Contains(t, log.String(), "health gate np-i01-aws-us-east-2: check 1: cluster is UPDATING; checking again in ")
	assert.NotContains(t, log.String(), "check 2", "the passing check prints nothing")
}
