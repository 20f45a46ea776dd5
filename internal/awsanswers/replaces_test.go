package awsanswers

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
)

func TestReplaceKeysNameWhatOnlyCreateTakes(t *testing.T) {
	ng := func(instance string, release string) resource.PropertyMap {
		return resource.NewPropertyMapFromMap(map[string]any{
			"clusterName":    "sandbox-use1",
			"instanceTypes":  []any{instance},
			"releaseVersion": release,
			"launchTemplate": map[string]any{"id": "lt-1", "version": "1"},
		})
	}
	// A new AMI release is an in-place update; another instance type is a new node group.
	assert.Empty(t, ReplaceKeys("aws:eks/nodeGroup:NodeGroup", ng("m7g.large", "1.36.1"), ng("m7g.large", "1.37.0")))
	assert.Equal(t, []resource.PropertyKey{"instanceTypes"}, ReplaceKeys("aws:eks/nodeGroup:NodeGroup", ng("m7g.large", "1"), ng("m7g.xlarge", "1")))

	lt := func(id, version string) resource.PropertyMap {
		m := ng("m7g.large", "1")
		m["launchTemplate"] = resource.NewProperty(resource.NewPropertyMapFromMap(map[string]any{"id": id, "version": version}))
		return m
	}
	assert.Empty(t, ReplaceKeys("aws:eks/nodeGroup:NodeGroup", lt("lt-1", "1"), lt("lt-1", "2")), "a launch template's new version rolls the group in place")
	assert.Equal(t, []resource.PropertyKey{"launchTemplate"}, ReplaceKeys("aws:eks/nodeGroup:NodeGroup", lt("lt-1", "1"), lt("lt-2", "1")))

	cluster := func(version, admin string) resource.PropertyMap {
		return resource.NewPropertyMapFromMap(map[string]any{"name": "c", "version": version,
			"accessConfig": map[string]any{"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": admin}})
	}
	assert.Empty(t, ReplaceKeys("aws:eks/cluster:Cluster", cluster("1.36", "false"), cluster("1.37", "false")), "a version bump is UpdateClusterVersion")
	assert.Equal(t, []resource.PropertyKey{"accessConfig"}, ReplaceKeys("aws:eks/cluster:Cluster", cluster("1.36", "false"), cluster("1.36", "true")))
	assert.Empty(t, ReplaceKeys("aws:ec2/vpc:Vpc", cluster("1", "a"), cluster("2", "b")), "kinds without a rule are never replaced by the stand-ins")
}

// TestReplaceKeysLookInsideAnObjectThatAnUpdateTakes: UpdateClusterConfig
// takes kubernetesNetworkConfig (Auto Mode's load balancing), so only its
// create-only fields replace; a first secrets encryption is
// AssociateEncryptionConfig, another key is a new cluster. A rule of the
// whole object called every load-balancing change a replacement, which
// the guardrail against AWS's API model found.
func TestReplaceKeysLookInsideAnObjectThatAnUpdateTakes(t *testing.T) {
	const typ = "aws:eks/cluster:Cluster"
	cluster := func(knc, enc map[string]any) resource.PropertyMap {
		m := map[string]any{"name": "c", "version": "1.37"}
		if knc != nil {
			m["kubernetesNetworkConfig"] = knc
		}
		if enc != nil {
			m["encryptionConfig"] = enc
		}
		return resource.NewPropertyMapFromMap(m)
	}
	lb := func(on bool) map[string]any {
		return map[string]any{"ipFamily": "ipv4", "elasticLoadBalancing": map[string]any{"enabled": on}}
	}
	assert.Empty(t, ReplaceKeys(typ, cluster(lb(false), nil), cluster(lb(true), nil)), "elasticLoadBalancing is UpdateClusterConfig's")
	assert.Equal(t, []resource.PropertyKey{"kubernetesNetworkConfig"},
		ReplaceKeys(typ, cluster(map[string]any{"ipFamily": "ipv4"}, nil), cluster(map[string]any{"ipFamily": "ipv6"}, nil)))
	assert.Equal(t, []resource.PropertyKey{"kubernetesNetworkConfig"},
		ReplaceKeys(typ, cluster(map[string]any{"serviceIpv4Cidr": "10.100.0.0/16"}, nil), cluster(map[string]any{"serviceIpv4Cidr": "172.20.0.0/16"}, nil)))

	key := func(arn string) map[string]any {
		return map[string]any{"resources": []any{"secrets"}, "provider": map[string]any{"keyArn": arn}}
	}
	assert.Empty(t, ReplaceKeys(typ, cluster(nil, nil), cluster(nil, key("arn:aws:kms:us-east-1:1:key/a"))), "a first encryption is AssociateEncryptionConfig")
	assert.Equal(t, []resource.PropertyKey{"encryptionConfig"},
		ReplaceKeys(typ, cluster(nil, key("arn:aws:kms:us-east-1:1:key/a")), cluster(nil, key("arn:aws:kms:us-east-1:1:key/b"))), "another key")
	assert.Equal(t, []resource.PropertyKey{"encryptionConfig"},
		ReplaceKeys(typ, cluster(nil, key("arn:aws:kms:us-east-1:1:key/a")), cluster(nil, nil)), "encryption cannot be turned off")

	auto := func(role string) resource.PropertyMap {
		m := cluster(nil, nil)
		if role != "" {
			m["computeConfig"] = resource.NewProperty(resource.NewPropertyMapFromMap(map[string]any{"enabled": true, "nodeRoleArn": role}))
		}
		return m
	}
	assert.Empty(t, ReplaceKeys(typ, auto(""), auto("arn:aws:iam::1:role/auto")), "turning EKS Auto Mode on names its node role")
	assert.Equal(t, []resource.PropertyKey{"computeConfig"}, ReplaceKeys(typ, auto("arn:aws:iam::1:role/auto"), auto("arn:aws:iam::1:role/other")))
}

func TestEveryReplacementRuleSaysWhereItWasRead(t *testing.T) {
	for typ, r := range Replaces {
		assert.NotEmpty(t, r.Paths, typ)
		assert.Contains(t, r.Source, "API Reference", typ)
	}
}

func TestAnUpdateKeepsWhatTheCloudComputedAndDropsWhatTheProgramNoLongerSets(t *testing.T) {
	olds := resource.NewPropertyMapFromMap(map[string]any{"name": "lt", "description": "old", "arn": "arn:aws:ec2:::launch-template/lt-1", "latestVersion": 1.0})
	oldInputs := resource.NewPropertyMapFromMap(map[string]any{"name": "lt", "description": "old"})
	news := resource.NewPropertyMapFromMap(map[string]any{"name": "lt", "userData": "new"})

	got := Update("aws:ec2/launchTemplate:LaunchTemplate", olds, oldInputs, news, false)
	assert.Equal(t, "arn:aws:ec2:::launch-template/lt-1", got["arn"].StringValue(), "computed outputs stay")
	assert.NotContains(t, got, resource.PropertyKey("description"), "an input the program dropped is gone")
	assert.Equal(t, "new", got["userData"].StringValue())
	assert.Equal(t, 2.0, got["latestVersion"].NumberValue(), "an updated launch template has a new version")

	preview := Update("aws:ec2/launchTemplate:LaunchTemplate", olds, oldInputs, news, true)
	assert.True(t, preview["latestVersion"].IsComputed(), "the new version is not known before the update runs")
	assert.Equal(t, 1.0, olds["latestVersion"].NumberValue(), "olds are not changed")
}

// TestAnUpdateKeepsWhatTheCloudComputedInsideAnObject: an EKS cluster's
// vpcConfig is an input object in which AWS computes clusterSecurityGroupId
// and vpcId; a version update (or any change of an input inside it) keeps
// them. The box's version-bump preview showed every consumer of the
// cluster security group as changed when a shallow merge dropped them.
func TestAnUpdateKeepsWhatTheCloudComputedInsideAnObject(t *testing.T) {
	olds := resource.NewPropertyMapFromMap(map[string]any{"version": "1.36", "vpcConfig": map[string]any{
		"subnetIds": []any{"subnet-1"}, "endpointPublicAccess": true, "publicAccessCidrs": []any{"203.0.113.0/24"},
		"clusterSecurityGroupId": "sg-0eks", "vpcId": "vpc-1",
	}})
	oldInputs := resource.NewPropertyMapFromMap(map[string]any{"version": "1.36", "vpcConfig": map[string]any{
		"subnetIds": []any{"subnet-1"}, "endpointPublicAccess": true, "publicAccessCidrs": []any{"203.0.113.0/24"},
	}})
	news := resource.NewPropertyMapFromMap(map[string]any{"version": "1.37", "vpcConfig": map[string]any{
		"subnetIds": []any{"subnet-1"}, "endpointPublicAccess": true,
	}})
	for _, preview := range []bool{true, false} {
		got := Update("aws:eks/cluster:Cluster", olds, oldInputs, news, preview)
		vpc := got["vpcConfig"].ObjectValue()
		assert.Equal(t, "sg-0eks", vpc["clusterSecurityGroupId"].StringValue(), "computed inside the object stays")
		assert.Equal(t, "vpc-1", vpc["vpcId"].StringValue())
		assert.NotContains(t, vpc, resource.PropertyKey("publicAccessCidrs"), "an input the program dropped inside the object is gone")
		assert.Equal(t, "1.37", got["version"].StringValue())
	}
	assert.Contains(t, olds["vpcConfig"].ObjectValue(), resource.PropertyKey("publicAccessCidrs"), "olds are not changed")
}
