package box

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/environments"
)

// repoRoot is the repository this package is in.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../..")
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(dir, "tools/box/build.sh"))
	require.NoError(t, err, "tests/box/box must sit three levels under the repository root")
	return dir
}

func deployment(name string, tolerate bool) map[string]any {
	spec := map[string]any{
		"nodeSelector": map[string]any{"kubernetes.io/arch": "arm64", "eksplatform.io/node-group": "management"},
		"containers":   []any{map[string]any{"name": "c", "image": "registry.k8s.io/pause:3.10"}},
	}
	if tolerate {
		spec["tolerations"] = []any{map[string]any{"key": environments.DefaultTaintKey, "operator": "Equal", "value": environments.DefaultTaintValue, "effect": environments.DefaultTaintEffect}}
	}
	return map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": "default"},
		"spec": map[string]any{
			"replicas": 2,
			"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
			"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": name}}, "spec": spec},
		},
	}
}

// TestTheRealSchedulerPlacesPodsOnlyWhereTheyTolerateTheManagementTaint is
// the box's own proof: the real kube-apiserver, controller-manager and
// scheduler, with kwok's nodes, make a tolerating Deployment Available on
// the tainted arm64 management nodes and leave one without the toleration
// Pending as Unschedulable.
func TestTheRealSchedulerPlacesPodsOnlyWhereTheyTolerateTheManagementTaint(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	parts, err := BuildParts(ctx, repoRoot(t))
	require.NoError(t, err)
	b, err := Start(ctx, t.TempDir(), parts, "sbx-i01-aws-us-east-1")
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(b.Logs(15))
		}
		b.Stop()
	})
	c := b.Clusters["sbx-i01-aws-us-east-1"]
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(c.Describe(context.Background()))
		}
	})

	for _, n := range []string{"management-a", "management-b"} {
		require.NoError(t, c.AddNode(ctx, Node{
			Name:   n,
			Labels: map[string]string{"kubernetes.io/arch": "arm64", "eksplatform.io/node-group": "management"},
			Taints: []Taint{{environments.DefaultTaintKey, environments.DefaultTaintValue, environments.DefaultTaintEffect}},
		}))
	}
	// The ServiceAccount admission plugin needs the namespace's default
	// service account, which the controller-manager creates.
	require.NoError(t, waitFor(ctx, "default service account", 2*time.Minute, func() error {
		_, err := c.Do(ctx, http.MethodGet, "/api/v1/namespaces/default/serviceaccounts/default", nil)
		return err
	}))
	for name, tolerate := range map[string]bool{"platform": true, "intruder": false} {
		_, err := c.Do(ctx, http.MethodPost, "/apis/apps/v1/namespaces/default/deployments", deployment(name, tolerate))
		require.NoError(t, err)
	}

	require.NoError(t, waitFor(ctx, "Deployment platform Available", 90*time.Second, func() error {
		return available(ctx, c, "platform")
	}))
	var pods struct {
		Items []struct {
			Spec   struct{ NodeName string } `json:"spec"`
			Status struct {
				Phase      string `json:"phase"`
				Conditions []struct{ Type, Status, Reason string }
			} `json:"status"`
		} `json:"items"`
	}
	body, err := c.Do(ctx, http.MethodGet, "/api/v1/namespaces/default/pods?labelSelector=app%3Dplatform", nil)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(body, &pods))
	require.Len(t, pods.Items, 2)
	for _, p := range pods.Items {
		assert.Contains(t, []string{"management-a", "management-b"}, p.Spec.NodeName)
		assert.Equal(t, "Running", p.Status.Phase)
	}

	require.NoError(t, waitFor(ctx, "intruder pods marked Unschedulable", 2*time.Minute, func() error {
		body, err := c.Do(ctx, http.MethodGet, "/api/v1/namespaces/default/pods?labelSelector=app%3Dintruder", nil)
		if err != nil {
			return err
		}
		pods.Items = nil
		if err := json.Unmarshal(body, &pods); err != nil {
			return err
		}
		if len(pods.Items) != 2 {
			return errPending("want 2 intruder pods")
		}
		for _, p := range pods.Items {
			unschedulable := false
			for _, cond := range p.Status.Conditions {
				unschedulable = unschedulable || (cond.Type == "PodScheduled" && cond.Status == "False" && cond.Reason == "Unschedulable")
			}
			if p.Spec.NodeName != "" || p.Status.Phase != "Pending" || !unschedulable {
				return errPending("intruder pod not yet Pending/Unschedulable")
			}
		}
		return nil
	}))
}

type errPending string

func (e errPending) Error() string { return string(e) }

// available fails until the Deployment reports Available=True.
func available(ctx context.Context, c *Cluster, name string) error {
	body, err := c.Do(ctx, http.MethodGet, "/apis/apps/v1/namespaces/default/deployments/"+name, nil)
	if err != nil {
		return err
	}
	var d struct {
		Status struct {
			Conditions []struct{ Type, Status string }
		}
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return err
	}
	for _, cond := range d.Status.Conditions {
		if cond.Type == "Available" && cond.Status == "True" {
			return nil
		}
	}
	return errPending("deployment " + name + " not Available")
}
