package awsanswers

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Replacement is what AWS cannot change in place for one resource type:
// input property paths (dotted for nested objects) that only its Create call
// takes, so that a change means a new resource.
type Replacement struct {
	Paths []string
	// Source is where the rule was read.
	Source string
}

// Replaces holds the rule for the kinds the driver protects (contract.Protected:
// the EKS control plane, node groups, EFS file systems, KMS keys). A stand-in
// provider reports a replace when one of these paths changes, so that the
// pull-request report's protected-replacement warning and `up`'s refusal
// can be exercised on the real engine.
var Replaces = map[string]Replacement{
	"aws:eks/cluster:Cluster": {
		Paths: []string{"name", "roleArn", "kubernetesNetworkConfig", "outpostConfig", "bootstrapSelfManagedAddons",
			"accessConfig.bootstrapClusterCreatorAdminPermissions"},
		Source: "EKS API Reference: UpdateClusterConfig and UpdateClusterVersion take neither the name, roleArn, kubernetesNetworkConfig, outpostConfig, bootstrapSelfManagedAddons nor accessConfig.bootstrapClusterCreatorAdminPermissions; only CreateCluster does",
	},
	"aws:eks/nodeGroup:NodeGroup": {
		Paths: []string{"clusterName", "nodeGroupName", "nodeGroupNamePrefix", "nodeRoleArn", "subnetIds", "amiType",
			"capacityType", "diskSize", "instanceTypes", "remoteAccess", "launchTemplate.id", "launchTemplate.name"},
		Source: "EKS API Reference: UpdateNodegroupConfig takes labels, taints, scalingConfig, updateConfig and nodeRepairConfig; UpdateNodegroupVersion takes version, releaseVersion and the launch template's version; the rest only CreateNodegroup",
	},
	"aws:efs/fileSystem:FileSystem": {
		Paths:  []string{"creationToken", "encrypted", "kmsKeyId", "performanceMode", "availabilityZoneName"},
		Source: "EFS API Reference: UpdateFileSystem changes only throughput mode and provisioned throughput; encryption, its key, the performance mode and One Zone placement are set by CreateFileSystem",
	},
	"aws:kms/key:Key": {
		Paths:  []string{"customerMasterKeySpec", "keyUsage", "customKeyStoreId", "multiRegion", "xksKeyId"},
		Source: "KMS API Reference: no operation changes a key's KeySpec, KeyUsage, custom key store or multi-Region property after CreateKey",
	},
}

// ReplaceKeys are the top-level input properties whose change between olds
// and news replaces a resource of the type: a path of Replaces that differs.
func ReplaceKeys(typ string, olds, news resource.PropertyMap) []resource.PropertyKey {
	var keys []resource.PropertyKey
	seen := map[resource.PropertyKey]bool{}
	for _, path := range Replaces[typ].Paths {
		parts := strings.Split(path, ".")
		if at(olds, parts).DeepEquals(at(news, parts)) {
			continue
		}
		if k := resource.PropertyKey(parts[0]); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}

// at is the value at a dotted path, null where any step is missing.
func at(m resource.PropertyMap, path []string) resource.PropertyValue {
	v := resource.NewObjectProperty(m)
	for _, p := range path {
		for v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !v.IsObject() {
			return resource.NewNullProperty()
		}
		next, ok := v.ObjectValue()[resource.PropertyKey(p)]
		if !ok {
			return resource.NewNullProperty()
		}
		v = next
	}
	return v
}
