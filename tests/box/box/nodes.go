package box

import (
	"context"
	"net/http"
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
