package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/eksplatform/eksplatform/tests/box/box"
)

// The instances of a node group or Fargate profile: in the box they are
// nodes kwok plays, created in the cluster's API server when AWS would have
// launched them and deleted with the group. Without a box
// ($EKSPLATFORM_BOX_DIR unset, or no such cluster in it) there is nothing
// to launch into and nothing happens.

func boxCluster(inputs resource.PropertyMap) *box.Cluster {
	dir := os.Getenv(BoxDirEnv)
	name := str(inputs, "clusterName")
	if dir == "" || name == "" {
		return nil
	}
	c, err := box.Connect(filepath.Join(dir, name, "kubeconfig.json"))
	if err != nil {
		return nil
	}
	return c
}

func str(m resource.PropertyMap, k resource.PropertyKey) string {
	if v, ok := m[k]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

// owner is the node label value of one resource's instances: its id,
// hashed to fit a label.
func owner(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "i-" + hex.EncodeToString(sum[:8])
}

var effects = map[string]string{"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}

// launch brings up the instances of an aws:eks NodeGroup or FargateProfile.
func launch(ctx context.Context, typ, id string, inputs, outputs resource.PropertyMap) error {
	c := boxCluster(inputs)
	if c == nil {
		return nil
	}
	labels := map[string]string{box.OwnerLabel: owner(id)}
	var taints []box.Taint
	count := 1
	switch typ {
	case "aws:eks/nodeGroup:NodeGroup":
		name := str(outputs, "nodeGroupName")
		labels["eks.amazonaws.com/nodegroup"] = name
		labels["kubernetes.io/arch"] = "amd64"
		if strings.Contains(str(inputs, "amiType"), "ARM_64") {
			labels["kubernetes.io/arch"] = "arm64"
		}
		if l, ok := inputs["labels"]; ok && l.IsObject() {
			for k, v := range l.ObjectValue() {
				if v.IsString() {
					labels[string(k)] = v.StringValue()
				}
			}
		}
		if t, ok := inputs["taints"]; ok && t.IsArray() {
			for _, e := range t.ArrayValue() {
				if e.IsObject() {
					o := e.ObjectValue()
					taints = append(taints, box.Taint{Key: str(o, "key"), Value: str(o, "value"), Effect: effects[str(o, "effect")]})
				}
			}
		}
		if s, ok := inputs["scalingConfig"]; ok && s.IsObject() {
			if d, ok := s.ObjectValue()["desiredSize"]; ok && d.IsNumber() {
				count = int(d.NumberValue())
			}
		}
	case "aws:eks/fargateProfile:FargateProfile":
		// Fargate runs each pod of the profile's namespaces on its own
		// micro-VM; here one untainted node with Fargate's label stands
		// for them.
		labels["eks.amazonaws.com/compute-type"] = "fargate"
		labels["kubernetes.io/arch"] = "amd64"
	default:
		return nil
	}
	for i := range count {
		n := box.Node{Name: fmt.Sprintf("%s-%d", owner(id), i), Labels: labels, Taints: taints}
		if err := c.EnsureNode(ctx, n); err != nil {
			return fmt.Errorf("launching %s %s into the box: %w", typ, id, err)
		}
	}
	return nil
}

// terminate takes a node group's or profile's instances away.
func terminate(ctx context.Context, typ, id string, inputs resource.PropertyMap) error {
	if typ != "aws:eks/nodeGroup:NodeGroup" && typ != "aws:eks/fargateProfile:FargateProfile" {
		return nil
	}
	c := boxCluster(inputs)
	if c == nil {
		return nil
	}
	return c.DeleteNodes(ctx, box.OwnerLabel+"="+owner(id))
}
