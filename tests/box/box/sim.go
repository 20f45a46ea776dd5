package box

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Simulate plays, in every cluster of the box, the two controllers whose
// charts are stand-ins but whose effect the program waits for, until ctx
// ends:
//
//   - karpenter: each NodePool gets one node with the pool's labels,
//     taints, architecture and capacity type (the first of each
//     requirement's values), and loses it when the pool goes;
//   - the AWS Load Balancer Controller: an Ingress without an address gets
//     an ALB hostname, as the controller writes once the ALB exists.
//
// The management nodes come from the node group itself (the stand-in aws
// plugin creates them when the node group is created). Errors are retried
// on the next round; the API server is the only state.
func (b *Box) Simulate(ctx context.Context) {
	for _, c := range b.Clusters {
		go func(c *Cluster) {
			t := time.NewTicker(500 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				_ = c.simulateKarpenter(ctx)
				_ = c.simulateALBs(ctx)
			}
		}(c)
	}
}

type nodePool struct {
	Metadata struct{ Name string } `json:"metadata"`
	Spec     struct {
		Template struct {
			Metadata struct {
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
			Spec struct {
				Taints       []Taint `json:"taints"`
				Requirements []struct {
					Key      string   `json:"key"`
					Operator string   `json:"operator"`
					Values   []string `json:"values"`
				} `json:"requirements"`
			} `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

func (c *Cluster) simulateKarpenter(ctx context.Context) error {
	body, err := c.Do(ctx, http.MethodGet, "/apis/karpenter.sh/v1/nodepools", nil)
	if err != nil {
		return err // no CRD yet
	}
	var list struct{ Items []nodePool }
	if err := json.Unmarshal(body, &list); err != nil {
		return err
	}
	pools := map[string]bool{}
	for _, p := range list.Items {
		pools[p.Metadata.Name] = true
		labels := map[string]string{
			"karpenter.sh/nodepool": p.Metadata.Name, OwnerLabel: "karpenter",
			"kubernetes.io/arch": "amd64", "karpenter.sh/capacity-type": "on-demand",
		}
		for _, r := range p.Spec.Template.Spec.Requirements {
			if r.Operator == "In" && len(r.Values) > 0 && (r.Key == "kubernetes.io/arch" || r.Key == "karpenter.sh/capacity-type") {
				labels[r.Key] = r.Values[0]
			}
		}
		for k, v := range p.Spec.Template.Metadata.Labels {
			labels[k] = v
		}
		if err := c.EnsureNode(ctx, Node{Name: "karpenter-" + p.Metadata.Name + "-0", Labels: labels, Taints: p.Spec.Template.Spec.Taints}); err != nil {
			return err
		}
	}
	names, err := c.NodeNames(ctx, OwnerLabel+"=karpenter")
	if err != nil {
		return err
	}
	for _, n := range names {
		pool := strings.TrimSuffix(strings.TrimPrefix(n, "karpenter-"), "-0")
		if !pools[pool] {
			if _, err := c.Do(ctx, http.MethodDelete, "/api/v1/nodes/"+n, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Cluster) simulateALBs(ctx context.Context) error {
	body, err := c.Do(ctx, http.MethodGet, "/apis/networking.k8s.io/v1/ingresses", nil)
	if err != nil {
		return err
	}
	var list struct {
		Items []struct {
			Metadata struct{ Namespace, Name string } `json:"metadata"`
			Status   struct {
				LoadBalancer struct {
					Ingress []any `json:"ingress"`
				} `json:"loadBalancer"`
			} `json:"status"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return err
	}
	for _, in := range list.Items {
		if len(in.Status.LoadBalancer.Ingress) > 0 {
			continue
		}
		host := "k8s-" + in.Metadata.Namespace + "-" + in.Metadata.Name + "-box.elb.amazonaws.com"
		patch := map[string]any{"status": map[string]any{"loadBalancer": map[string]any{"ingress": []any{map[string]any{"hostname": host}}}}}
		if _, err := c.Do(ctx, http.MethodPatch, "/apis/networking.k8s.io/v1/namespaces/"+in.Metadata.Namespace+"/ingresses/"+in.Metadata.Name+"/status", patch); err != nil {
			return err
		}
	}
	return nil
}
