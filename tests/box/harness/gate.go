package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/tests/box/box"
)

// Gate is the driver's health gate on the Kubernetes side of the box, what
// the EKS gate (eksgate) cannot ask of a box: every node Ready, every
// Deployment Available and, with EchoCheck, the echo-server Service with
// ready endpoints (the box has no network to pods, so this is as close to
// "answering" as it gets). It polls until the gate's timeout.
type Gate struct {
	Box *box.Box
	// Poll is the wait between checks; 0 means 1 s.
	Poll time.Duration
}

var _ automation.HealthGate = (*Gate)(nil)

// Check implements automation.HealthGate.
func (g *Gate) Check(ctx context.Context, c *environments.Cluster, _ map[string]any, opts automation.GateOptions) error {
	cl, ok := g.Box.Clusters[c.Name]
	if !ok {
		return fmt.Errorf("cluster %s is not in the box", c.Name)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	poll := g.Poll
	if poll <= 0 {
		poll = time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err := healthy(ctx, cl, c, opts.EchoCheck)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not healthy after %s: %w", c.Name, timeout, err)
		case <-time.After(poll):
		}
	}
}

func healthy(ctx context.Context, c *box.Cluster, cl *environments.Cluster, echo bool) error {
	var problems []string
	var items struct {
		Items []struct {
			Metadata struct{ Name, Namespace string } `json:"metadata"`
			Status   struct {
				Conditions []struct{ Type, Status string }
			} `json:"status"`
		} `json:"items"`
	}
	condition := func(path, kind, want string) error {
		body, err := c.Do(ctx, http.MethodGet, path, nil)
		if err != nil {
			return err
		}
		items.Items = nil
		if err := json.Unmarshal(body, &items); err != nil {
			return err
		}
		if len(items.Items) == 0 {
			problems = append(problems, "no "+kind+"s")
		}
		for _, it := range items.Items {
			ok := false
			for _, cond := range it.Status.Conditions {
				ok = ok || (cond.Type == want && cond.Status == "True")
			}
			if !ok {
				problems = append(problems, fmt.Sprintf("%s %s not %s", kind, strings.TrimPrefix(it.Metadata.Namespace+"/"+it.Metadata.Name, "/"), want))
			}
		}
		return nil
	}
	if err := condition("/api/v1/nodes", "node", "Ready"); err != nil {
		return err
	}
	if err := condition("/apis/apps/v1/deployments", "Deployment", "Available"); err != nil {
		return err
	}
	if echo {
		path := "/apis/discovery.k8s.io/v1/namespaces/" + cl.Operators.PlatformNamespace + "/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Decho-server"
		body, err := c.Do(ctx, http.MethodGet, path, nil)
		if err != nil {
			return err
		}
		var slices struct {
			Items []struct {
				Endpoints []struct {
					Conditions struct{ Ready *bool } `json:"conditions"`
				} `json:"endpoints"`
			} `json:"items"`
		}
		if err := json.Unmarshal(body, &slices); err != nil {
			return err
		}
		ready := 0
		for _, s := range slices.Items {
			for _, ep := range s.Endpoints {
				if ep.Conditions.Ready != nil && *ep.Conditions.Ready {
					ready++
				}
			}
		}
		if ready == 0 {
			problems = append(problems, "echo-server has no ready endpoint")
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}
