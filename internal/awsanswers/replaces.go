package awsanswers

import (
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Replacement is what AWS cannot change in place for one resource type:
// input property paths (dotted for nested objects) that only its Create call
// takes, so that a change means a new resource.
type Replacement struct {
	Paths []string
	// OnceSet are paths that an update can give a first value but not
	// change or remove after that (a cluster's secrets encryption, EKS Auto
	// Mode's node role): a change from a value replaces, a first value does
	// not.
	OnceSet []string
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
		Paths: []string{"name", "roleArn", "kubernetesNetworkConfig.ipFamily", "kubernetesNetworkConfig.serviceIpv4Cidr",
			"outpostConfig", "bootstrapSelfManagedAddons", "accessConfig.bootstrapClusterCreatorAdminPermissions"},
		OnceSet: []string{"encryptionConfig", "computeConfig.nodeRoleArn"},
		Source: "EKS API Reference (aws-sdk-go-v2 service/eks v1.105.6): UpdateClusterConfig and UpdateClusterVersion take neither the name, roleArn, outpostConfig, bootstrapSelfManagedAddons nor accessConfig.bootstrapClusterCreatorAdminPermissions; " +
			"UpdateClusterConfig takes kubernetesNetworkConfig, but its ipFamily and serviceIpv4Cidr only at creation (\"can't change this value once the cluster is created\"); " +
			"AssociateEncryptionConfig enables encryption only on clusters \"that don't already have encryption enabled\"; computeConfig.nodeRoleArn \"cannot be changed after the compute capability of EKS Auto Mode is enabled\". " +
			"terraform-provider-aws internal/service/eks/cluster.go agrees (ForceNew on these; encryption_config forces a new cluster on removal, compute_config.node_role_arn once set)",
	},
	"aws:eks/nodeGroup:NodeGroup": {
		Paths: []string{"clusterName", "nodeGroupName", "nodeGroupNamePrefix", "nodeRoleArn", "subnetIds", "amiType",
			"capacityType", "diskSize", "instanceTypes", "remoteAccess", "launchTemplate.id", "launchTemplate.name"},
		Source: "EKS API Reference (aws-sdk-go-v2 service/eks v1.105.6): UpdateNodegroupConfig takes labels, taints, scalingConfig, updateConfig and nodeRepairConfig; UpdateNodegroupVersion takes version, releaseVersion and the launch template's version; the rest only CreateNodegroup",
	},
	"aws:efs/fileSystem:FileSystem": {
		Paths:  []string{"creationToken", "encrypted", "kmsKeyId", "performanceMode", "availabilityZoneName"},
		Source: "EFS API Reference (aws-sdk-go-v2 service/efs v1.41.18): UpdateFileSystem changes only throughput mode and provisioned throughput; encryption, its key, the performance mode and One Zone placement are set by CreateFileSystem",
	},
	"aws:kms/key:Key": {
		Paths:  []string{"customerMasterKeySpec", "keyUsage", "customKeyStoreId", "multiRegion", "xksKeyId"},
		Source: "KMS API Reference (aws-sdk-go-v2 service/kms v1.63.0): no operation changes a key's KeySpec, KeyUsage, custom key store or multi-Region property after CreateKey",
	},
}

// ReplaceKeys are the top-level input properties whose change between olds
// and news replaces a resource of the type: a path of Replaces that differs,
// or a path of its OnceSet that had a value and differs.
func ReplaceKeys(typ string, olds, news resource.PropertyMap) []resource.PropertyKey {
	var keys []resource.PropertyKey
	replaces := func(path string, onceSet bool) {
		parts := strings.Split(path, ".")
		old := at(olds, parts)
		if old.DeepEquals(at(news, parts)) || (onceSet && old.IsNull()) {
			return
		}
		if k := resource.PropertyKey(parts[0]); !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	rule := Replaces[typ]
	for _, path := range rule.Paths {
		replaces(path, false)
	}
	for _, path := range rule.OnceSet {
		replaces(path, true)
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
