package box

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Taint is a node taint.
type Taint struct{ Key, Value, Effect string }

// Node is a node kwok plays the kubelet of.
type Node struct {
	Name   string
	Labels map[string]string
	Taints []Taint
}

// AddNode creates a node that kwok manages (it reports it Ready and runs
// the pods the scheduler binds to it): what the management node group or
// karpenter would bring.
func (c *Cluster) AddNode(ctx context.Context, n Node) error {
	labels := map[string]string{"kubernetes.io/hostname": n.Name, "kubernetes.io/os": "linux", "type": "kwok"}
	for k, v := range n.Labels {
		labels[k] = v
	}
	var taints []any
	for _, t := range n.Taints {
		taints = append(taints, map[string]any{"key": t.Key, "value": t.Value, "effect": t.Effect})
	}
	capacity := map[string]any{"cpu": "8", "memory": "32Gi", "pods": "110"}
	_, err := c.Do(ctx, http.MethodPost, "/api/v1/nodes", map[string]any{
		"apiVersion": "v1", "kind": "Node",
		"metadata": map[string]any{
			"name": n.Name, "labels": labels,
			"annotations": map[string]any{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
		},
		"spec":   map[string]any{"taints": taints},
		"status": map[string]any{"capacity": capacity, "allocatable": capacity},
	})
	return err
}

// OwnerLabel says which stand-in brought a node (a node group's id hash,
// "karpenter", "fargate"), so that it can take them away again.
const OwnerLabel = "box.eksplatform.io/owner"

// NodeNames lists the nodes matching a label selector.
func (c *Cluster) NodeNames(ctx context.Context, selector string) ([]string, error) {
	body, err := c.Do(ctx, http.MethodGet, "/api/v1/nodes?labelSelector="+url.QueryEscape(selector), nil)
	if err != nil {
		return nil, err
	}
	var list struct {
		Items []struct {
			Metadata struct{ Name string } `json:"metadata"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, err
	}
	var out []string
	for _, it := range list.Items {
		out = append(out, it.Metadata.Name)
	}
	return out, nil
}

// EnsureNode creates the node unless it exists.
func (c *Cluster) EnsureNode(ctx context.Context, n Node) error {
	if _, err := c.Do(ctx, http.MethodGet, "/api/v1/nodes/"+n.Name, nil); err == nil {
		return nil
	}
	err := c.AddNode(ctx, n)
	if err != nil && strings.Contains(err.Error(), "409") {
		return nil
	}
	return err
}

// DeleteNodes deletes the nodes matching a label selector: a node group or
// node pool taking its instances away. Like EKS's managed node group it
// cordons and drains the nodes first: their pods are deleted, so their ReplicaSets make
// new ones, which the scheduler places on the nodes that remain.
func (c *Cluster) DeleteNodes(ctx context.Context, selector string) error {
	names, err := c.NodeNames(ctx, selector)
	if err != nil {
		return err
	}
	// Cordon them all first, so that a pod drained from one is not placed
	// on another about to go.
	for _, n := range names {
		if _, err := c.Do(ctx, http.MethodPatch, "/api/v1/nodes/"+n, map[string]any{"spec": map[string]any{"unschedulable": true}}); err != nil && !strings.Contains(err.Error(), "404") {
			return err
		}
	}
	for _, n := range names {
		body, err := c.Do(ctx, http.MethodGet, "/api/v1/pods?fieldSelector="+url.QueryEscape("spec.nodeName="+n), nil)
		if err != nil {
			return err
		}
		var pods struct {
			Items []struct {
				Metadata struct{ Namespace, Name string } `json:"metadata"`
			} `json:"items"`
		}
		if err := json.Unmarshal(body, &pods); err != nil {
			return err
		}
		for _, p := range pods.Items {
			path := "/api/v1/namespaces/" + p.Metadata.Namespace + "/pods/" + p.Metadata.Name
			if _, err := c.Do(ctx, http.MethodDelete, path, map[string]any{"gracePeriodSeconds": 0}); err != nil && !strings.Contains(err.Error(), "404") {
				return err
			}
		}
		if _, err := c.Do(ctx, http.MethodDelete, "/api/v1/nodes/"+n, nil); err != nil && !strings.Contains(err.Error(), "404") {
			return err
		}
	}
	return nil
}
