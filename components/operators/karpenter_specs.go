package operators

// What karpenter is told, rendered as plain values: the chart's values, the
// EC2NodeClass and the NodePools (their schemas are checked against the
// CRDs of the pinned chart in tests/guardrails).

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/components/kube"
)

func karpenterValues(a *KarpenterArgs, queueName, roleARN pulumi.StringOutput) pulumi.Map {
	values := pulumi.Map{
		"replicas": pulumi.Int(2),
		"settings": pulumi.Map{
			"clusterName":       pulumi.String(a.ClusterName),
			"clusterEndpoint":   a.ClusterEndpoint,
			"interruptionQueue": queueName,
		},
		"serviceAccount": kube.ServiceAccountValues(KarpenterServiceAccount, roleARN),
		"controller": pulumi.Map{"resources": pulumi.Map{
			"requests": pulumi.Map{"cpu": pulumi.String("1"), "memory": pulumi.String("1Gi")},
			"limits":   pulumi.Map{"cpu": pulumi.String("1"), "memory": pulumi.String("1Gi")},
		}},
	}
	if a.RunOn == RunOnFargate {
		// On Fargate the controller must not wait for cluster DNS, which
		// itself may wait for nodes karpenter launches.
		values["dnsPolicy"] = pulumi.String("Default")
		return values
	}
	selector := pulumi.StringMap{}
	for key, v := range a.NodeSelector {
		selector[key] = pulumi.String(v)
	}
	values["nodeSelector"] = selector
	values["tolerations"] = pulumi.ToArray([]any{
		a.Toleration.Toleration(),
		map[string]any{"key": "CriticalAddonsOnly", "operator": "Exists"},
	})
	return values
}

func nodeClassSpec(a *KarpenterArgs, nodeRoleName pulumi.StringOutput) map[string]any {
	discovery := []any{map[string]any{"tags": map[string]any{DiscoveryTag: a.ClusterName}}}
	subnets := discovery
	if len(a.NodeSubnetIDs) > 0 {
		subnets = make([]any, len(a.NodeSubnetIDs))
		for i, id := range a.NodeSubnetIDs {
			subnets[i] = map[string]any{"id": id}
		}
	}
	device := "/dev/xvda"
	if strings.HasPrefix(a.AMIAlias, "bottlerocket@") {
		device = "/dev/xvdb"
	}
	tags := map[string]any{"eksplatform:cluster": a.ClusterName}
	for k, v := range a.Tags {
		tags[k] = v
	}
	return map[string]any{
		"role":                       nodeRoleName,
		"amiSelectorTerms":           []any{map[string]any{"alias": a.AMIAlias}},
		"subnetSelectorTerms":        subnets,
		"securityGroupSelectorTerms": discovery,
		"metadataOptions": map[string]any{
			"httpEndpoint":            "enabled",
			"httpProtocolIPv6":        "disabled",
			"httpPutResponseHopLimit": 1,
			"httpTokens":              "required",
		},
		"blockDeviceMappings": []any{map[string]any{
			"deviceName": device,
			"ebs": map[string]any{
				"volumeSize":          fmt.Sprintf("%dGi", a.NodeVolumeSizeGiB),
				"volumeType":          "gp3",
				"encrypted":           true,
				"deleteOnTermination": true,
			},
		}},
		"tags": tags,
	}
}

// NodePoolSpec renders a NodePool's spec.
func NodePoolSpec(p NodePool) map[string]any {
	requirement := func(key, op string, values ...string) map[string]any {
		vs := make([]any, len(values))
		for i, v := range values {
			vs[i] = v
		}
		return map[string]any{"key": key, "operator": op, "values": vs}
	}
	spec := map[string]any{
		"template": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"eksplatform.io/node-pool": p.Name}},
			"spec": map[string]any{
				"nodeClassRef": map[string]any{"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": NodeClassName},
				"requirements": []any{
					requirement("kubernetes.io/arch", "In", p.Architecture),
					requirement("kubernetes.io/os", "In", "linux"),
					requirement("karpenter.sh/capacity-type", "In", p.CapacityTypes...),
					requirement("karpenter.k8s.aws/instance-category", "In", p.InstanceCategories...),
					requirement("karpenter.k8s.aws/instance-generation", "Gt", fmt.Sprint(p.MinInstanceGeneration-1)),
				},
				"expireAfter": p.ExpireAfter,
			},
		},
		"limits": map[string]any{"cpu": fmt.Sprint(p.CPULimit), "memory": fmt.Sprintf("%dGi", p.MemoryLimitGiB)},
		"disruption": map[string]any{
			"consolidationPolicy": p.ConsolidationPolicy,
			"consolidateAfter":    p.ConsolidateAfter,
		},
	}
	if p.Weight > 0 {
		spec["weight"] = p.Weight
	}
	return spec
}
