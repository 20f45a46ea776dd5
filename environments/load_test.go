package environments

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
)

// baseRole is a valid two-cluster role; the bad corpus mutates copies of it.
const baseRole = `{
  "$schema": "./schema.json",
  "role": "prod",
  "wave": 3,
  "eks_version": "1.34",
  "clusters": [
    { "name": "prod-i01-aws-us-east-2", "account_id": "345678901234", "region": "us-east-2",
      "vpc": { "cidr": "10.30.0.0/16" } },
    { "name": "prod-i02-aws-us-west-2", "account_id": "345678901234", "region": "us-west-2",
      "vpc": { "cidr": "10.31.0.0/16" } }
  ],
  "management_node_group": { "instance_types": ["m7g.large"], "min_size": 2, "desired_size": 2, "max_size": 3 },
  "addons": { "vpc-cni": "latest", "coredns": "latest", "kube-proxy": "latest",
              "aws-ebs-csi-driver": "latest", "aws-efs-csi-driver": "latest" },
  "access_entries": [ { "principal_arn": "arn:aws:iam::345678901234:role/PlatformAdmin",
                        "policy": "AmazonEKSClusterAdminPolicy" } ],
  "cluster_admin": { "trusted_principals": ["arn:aws:iam::345678901234:role/PlatformOnCall"] },
  "deployer": { "network": "in_vpc", "ingress_cidrs": ["10.100.0.0/22"] },
  "admin_team_claim": "ThoughtWorks-DPS/twdps-core-labs-team"
}`

const testFile = "environments/prod.json"

// mutate returns baseRole with edit applied to its generic form.
func mutate(t *testing.T, edit func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(baseRole), &doc))
	edit(doc)
	out, err := json.MarshalIndent(doc, "", "  ")
	require.NoError(t, err)
	return out
}

func cluster(doc map[string]any, i int) map[string]any {
	return doc["clusters"].([]any)[i].(map[string]any)
}

func nodeGroup(doc map[string]any) map[string]any {
	return doc["management_node_group"].(map[string]any)
}

type badCase struct {
	name string
	data func(t *testing.T) []byte
	// want is every error line, exactly.
	want []string
	// schema says whether schema.json can express the rule (and so must reject the file).
	schema bool
}

func edit(f func(doc map[string]any)) func(t *testing.T) []byte {
	return func(t *testing.T) []byte { return mutate(t, f) }
}

func raw(s string) func(t *testing.T) []byte { return func(*testing.T) []byte { return []byte(s) } }

var badCorpus = []badCase{
	{
		name:   "typo in a field name",
		data:   edit(func(d map[string]any) { d["eks_verison"] = d["eks_version"]; delete(d, "eks_version") }),
		want:   []string{`environments/prod.json: eks_verison: unknown field; did you mean "eks_version"?`},
		schema: true,
	},
	{
		name:   "unknown field inside a cluster",
		data:   edit(func(d map[string]any) { cluster(d, 0)["acount_id"] = "x" }),
		want:   []string{`environments/prod.json: clusters[0].acount_id: unknown field; did you mean "account_id"?`},
		schema: true,
	},
	{
		name:   "unknown field with no close match lists the allowed ones",
		data:   edit(func(d map[string]any) { cluster(d, 0)["owner"] = "x" }),
		want:   []string{`environments/prod.json: clusters[0].owner: unknown field; allowed: account_id, cluster_admin, deploy_role_arn, deployer, dns, endpoint_access, kms_key_arn, management_node_group, name, region, tags, vpc`},
		schema: true,
	},
	{
		name:   "short account id",
		data:   edit(func(d map[string]any) { cluster(d, 1)["account_id"] = "12345" }),
		want:   []string{`environments/prod.json: clusters[1].account_id: must be 12 digits, got "12345"`},
		schema: true,
	},
	{
		name:   "account id as a number",
		data:   edit(func(d map[string]any) { cluster(d, 0)["account_id"] = 345678901234 }),
		want:   []string{`environments/prod.json: clusters[0].account_id: must be a string, got number 345678901234`},
		schema: true,
	},
	{
		name:   "version with a v and a patch",
		data:   edit(func(d map[string]any) { d["eks_version"] = "v1.34.2" }),
		want:   []string{`environments/prod.json: eks_version: must be a minor version like "` + newestMinor + `" (no patch, no 'v'), got "v1.34.2"`},
		schema: true,
	},
	{
		name: "version EKS never shipped",
		data: edit(func(d map[string]any) { d["eks_version"] = "1.27" }),
		want: []string{`environments/prod.json: eks_version: 1.27 is not in the EKS release calendar (catalog/data/eks-releases.json, checked ` +
			catalog.Default().Calendar.Checked.String() + `: ` + catalog.Default().CalendarSpan() + `)`},
	},
	{
		name: "version newer than the calendar",
		data: edit(func(d map[string]any) { d["eks_version"] = "1.99" }),
		want: []string{`environments/prod.json: eks_version: 1.99 is not in the EKS release calendar (catalog/data/eks-releases.json, checked ` +
			catalog.Default().Calendar.Checked.String() + `: ` + catalog.Default().CalendarSpan() + `); if EKS has released it since, ` + "`eksplatform catalog refresh`" + ` adds it`},
	},
	{
		name:   "missing version",
		data:   edit(func(d map[string]any) { delete(d, "eks_version") }),
		want:   []string{`environments/prod.json: eks_version: is required: a Kubernetes minor version from ` + catalog.Default().CalendarSpan() + `, e.g. "` + newestMinor + `"`},
		schema: true,
	},
	{
		name:   "support tier that does not exist",
		data:   edit(func(d map[string]any) { d["support"] = "premium" }),
		want:   []string{`environments/prod.json: support: must be "standard" or "extended", got "premium"`},
		schema: true,
	},
	{
		name:   "no cluster admin anywhere",
		data:   edit(func(d map[string]any) { delete(d, "cluster_admin") }),
		want:   []string{`environments/prod.json: cluster_admin: is required (clusters without one: prod-i01-aws-us-east-2, prod-i02-aws-us-west-2): {"trusted_principals": ["arn:aws:iam::123456789012:role/PlatformAdmin"]} creates a role per cluster that only those principals may assume; {"role_arn": "arn:aws:iam::123456789012:role/Existing"} brings one. Set it here or on each cluster`},
		schema: true,
	},
	{
		name: "cluster admin on one cluster only",
		data: edit(func(d map[string]any) {
			delete(d, "cluster_admin")
			cluster(d, 1)["cluster_admin"] = map[string]any{"role_arn": "arn:aws:iam::345678901234:role/BreakGlass"}
		}),
		want:   []string{`environments/prod.json: cluster_admin: is required (clusters without one: prod-i01-aws-us-east-2): {"trusted_principals": ["arn:aws:iam::123456789012:role/PlatformAdmin"]} creates a role per cluster that only those principals may assume; {"role_arn": "arn:aws:iam::123456789012:role/Existing"} brings one. Set it here or on each cluster`},
		schema: true,
	},
	{
		name: "cluster admin both created and brought",
		data: edit(func(d map[string]any) {
			d["cluster_admin"] = map[string]any{"trusted_principals": []any{"arn:aws:iam::345678901234:role/PlatformOnCall"}, "role_arn": "arn:aws:iam::345678901234:role/BreakGlass"}
		}),
		want:   []string{`environments/prod.json: cluster_admin: sets both trusted_principals and role_arn; choose one: create a role, or bring arn:aws:iam::345678901234:role/BreakGlass`},
		schema: true,
	},
	{
		name:   "cluster admin with neither form",
		data:   edit(func(d map[string]any) { d["cluster_admin"] = map[string]any{} }),
		want:   []string{`environments/prod.json: cluster_admin: must set trusted_principals (create a role per cluster) or role_arn (bring one)`},
		schema: true,
	},
	{
		name: "cluster admin trusting a wildcard",
		data: edit(func(d map[string]any) {
			d["cluster_admin"] = map[string]any{"trusted_principals": []any{"arn:aws:iam::345678901234:role/*"}}
		}),
		want:   []string{`environments/prod.json: cluster_admin.trusted_principals[0]: must name a principal, not a wildcard, got "arn:aws:iam::345678901234:role/*": anyone matching it could administer the cluster`},
		schema: true,
	},
	{
		name: "cluster admin trusting something that is not a principal",
		data: edit(func(d map[string]any) {
			cluster(d, 0)["cluster_admin"] = map[string]any{"trusted_principals": []any{"arn:aws:iam::345678901234:root", "arn:aws:s3:::bucket"}}
		}),
		want:   []string{`environments/prod.json: clusters[0].cluster_admin.trusted_principals[1]: must be an IAM role or user ARN or an account root (arn:aws:iam::123456789012:root), got "arn:aws:s3:::bucket"`},
		schema: true,
	},
	{
		name: "brought cluster admin that already has an access entry",
		data: edit(func(d map[string]any) {
			d["cluster_admin"] = map[string]any{"role_arn": "arn:aws:iam::345678901234:role/PlatformAdmin"}
		}),
		want: []string{`environments/prod.json: cluster_admin.role_arn: arn:aws:iam::345678901234:role/PlatformAdmin already has an access entry at access_entries[0]; EKS allows one access entry per principal: remove that entry (cluster_admin gives the role AmazonEKSClusterAdminPolicy)`},
	},
	{
		name: "account setting for an account without clusters here",
		data: edit(func(d map[string]any) {
			d["accounts"] = map[string]any{"111111111111": map[string]any{"spot_service_linked_role": "exists"}}
		}),
		want:   []string{`environments/prod.json: accounts.111111111111: no cluster of this role is in account 111111111111; declare account settings in a file with a cluster there (accounts: 345678901234)`},
		schema: false,
	},
	{
		name: "spot role setting that does not exist",
		data: edit(func(d map[string]any) {
			d["accounts"] = map[string]any{"345678901234": map[string]any{"spot_service_linked_role": "adopt"}}
		}),
		want:   []string{`environments/prod.json: accounts.345678901234.spot_service_linked_role: must be "create" or "exists", got "adopt"`},
		schema: true,
	},
	{
		name: "pod log retention CloudWatch does not offer",
		data: edit(func(d map[string]any) {
			d["operators"] = map[string]any{"fluent_bit": map[string]any{"enabled": true, "log_retention_days": 45}}
		}),
		want:   []string{`environments/prod.json: operators.fluent_bit.log_retention_days: must be a CloudWatch Logs retention: one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, got 45`},
		schema: true,
	},
	{
		name:   "negative wave",
		data:   edit(func(d map[string]any) { d["wave"] = -1 }),
		want:   []string{`environments/prod.json: wave: must be between 0 and 100, got -1`},
		schema: true,
	},
	{
		name:   "wave as a string",
		data:   edit(func(d map[string]any) { d["wave"] = "3" }),
		want:   []string{`environments/prod.json: wave: must be a whole number, got string "3"`},
		schema: true,
	},
	{
		name:   "role does not match the file name",
		data:   edit(func(d map[string]any) { d["role"] = "production" }),
		want:   []string{`environments/prod.json: role: must match the file name: prod.json declares role "production"; rename the file or the role`},
		schema: false,
	},
	{
		name:   "no clusters",
		data:   edit(func(d map[string]any) { d["clusters"] = []any{} }),
		want:   []string{`environments/prod.json: clusters: must list at least one cluster`},
		schema: true,
	},
	{
		name:   "cluster name EKS rejects",
		data:   edit(func(d map[string]any) { cluster(d, 0)["name"] = "-prod.i01" }),
		want:   []string{`environments/prod.json: clusters[0].name: must be lower-case letters, digits and '-', starting and ending with a letter or digit (it becomes Kubernetes object names and host names), got "-prod.i01"`},
		schema: true,
	},
	{
		name: "cluster names that are not Kubernetes names or host names",
		data: edit(func(d map[string]any) {
			cluster(d, 0)["name"] = "Prod_i01"
			cluster(d, 1)["name"] = "prod-i02-"
		}),
		want: []string{
			`environments/prod.json: clusters[0].name: must be lower-case letters, digits and '-', starting and ending with a letter or digit (it becomes Kubernetes object names and host names), got "Prod_i01"`,
			`environments/prod.json: clusters[1].name: must be lower-case letters, digits and '-', starting and ending with a letter or digit (it becomes Kubernetes object names and host names), got "prod-i02-"`,
		},
		schema: true,
	},
	{
		name: "tags AWS rejects",
		data: edit(func(d map[string]any) {
			d["tags"] = map[string]any{"team#1": "x", "cost-center": "{platform}", "owner": "team \u200b", "ok": "Platform Team: a+b=c @ /x_y.z-1",
				"long": strings.Repeat("é", 257), "emoji": "🚀"}
		}),
		want: []string{
			`environments/prod.json: tags.cost-center: tag values may hold letters, digits, spaces and _ . : / = + - @ only (AWS's tag rules), got "{platform}"`,
			`environments/prod.json: tags.emoji: tag values may hold letters, digits, spaces and _ . : / = + - @ only (AWS's tag rules), got "🚀"`,
			`environments/prod.json: tags.long: tag values must be at most 256 characters, got 257`,
			`environments/prod.json: tags.owner: tag values may hold letters, digits, spaces and _ . : / = + - @ only (AWS's tag rules), got "team \u200b"`,
			`environments/prod.json: tags.team#1: tag keys may hold letters, digits, spaces and _ . : / = + - @ only (AWS's tag rules), got "team#1"`,
		},
		schema: true,
	},
	{
		name:   "cluster name too long for derived IAM names",
		data:   edit(func(d map[string]any) { cluster(d, 0)["name"] = strings.Repeat("a", 33) }),
		want:   []string{`environments/prod.json: clusters[0].name: must be at most 32 characters (IAM role names derived from it are capped at 64), got 33`},
		schema: true,
	},
	{
		name:   "duplicate cluster names in one role",
		data:   edit(func(d map[string]any) { cluster(d, 1)["name"] = "prod-i01-aws-us-east-2" }),
		want:   []string{`environments/prod.json: clusters[1].name: "prod-i01-aws-us-east-2" is already declared at clusters[0].name (environments/prod.json); cluster names are stack names and must be unique across the fleet (ignoring case)`},
		schema: false,
	},
	{
		name: "a second cluster that copies the first: every problem, not only the first one found",
		data: edit(func(d map[string]any) {
			cluster(d, 1)["name"] = "prod-i01-aws-us-east-2"
			cluster(d, 1)["vpc"] = map[string]any{"cidr": "10.30.0.0/16"}
		}),
		want: []string{
			`environments/prod.json: clusters[1].name: "prod-i01-aws-us-east-2" is already declared at clusters[0].name (environments/prod.json); cluster names are stack names and must be unique across the fleet (ignoring case)`,
			`environments/prod.json: clusters[1].vpc.cidr: 10.30.0.0/16 overlaps 10.30.0.0/16 of clusters[0].vpc.cidr; clusters of one role need distinct address space so they can be peered`,
		},
		schema: false,
	},
	{
		name:   "unknown region",
		data:   edit(func(d map[string]any) { cluster(d, 1)["region"] = "us-west-9" }),
		want:   []string{`environments/prod.json: clusters[1].region: "us-west-9" is not a known AWS region`},
		schema: true,
	},
	{
		name:   "invalid CIDR",
		data:   edit(func(d map[string]any) { cluster(d, 0)["vpc"] = map[string]any{"cidr": "10.30.0.0/33"} }),
		want:   []string{`environments/prod.json: clusters[0].vpc.cidr: must be an IPv4 CIDR like "10.20.0.0/16", got "10.30.0.0/33"`},
		schema: true,
	},
	{
		name:   "CIDR with host bits",
		data:   edit(func(d map[string]any) { cluster(d, 0)["vpc"] = map[string]any{"cidr": "10.30.7.0/16"} }),
		want:   []string{`environments/prod.json: clusters[0].vpc.cidr: must be a network address: 10.30.7.0/16 has host bits set, did you mean 10.30.0.0/16?`},
		schema: false,
	},
	{
		name:   "CIDR too small for six subnets",
		data:   edit(func(d map[string]any) { cluster(d, 0)["vpc"] = map[string]any{"cidr": "10.30.0.0/24"} }),
		want:   []string{`environments/prod.json: clusters[0].vpc.cidr: prefix must be /16 to /22 (room for three private and three public subnets), got /24`},
		schema: true,
	},
	{
		name:   "overlapping CIDRs within a role",
		data:   edit(func(d map[string]any) { cluster(d, 1)["vpc"] = map[string]any{"cidr": "10.30.128.0/17"} }),
		want:   []string{`environments/prod.json: clusters[1].vpc.cidr: 10.30.128.0/17 overlaps 10.30.0.0/16 of clusters[0].vpc.cidr; clusters of one role need distinct address space so they can be peered`},
		schema: false,
	},
	{
		name: "VPC both created and adopted",
		data: edit(func(d map[string]any) {
			cluster(d, 0)["vpc"] = map[string]any{"cidr": "10.30.0.0/16", "id": "vpc-0a1b2c3d4e5f60718"}
		}),
		want:   []string{`environments/prod.json: clusters[0].vpc: give either cidr (create a VPC) or id (adopt one), not both`},
		schema: true,
	},
	{
		name: "adopted VPC with one subnet",
		data: edit(func(d map[string]any) {
			cluster(d, 0)["vpc"] = map[string]any{"id": "vpc-0a1b2c3d4e5f60718", "private_subnet_ids": []any{"subnet-0a11aa11aa11aa111"}, "public_subnet_ids": []any{"subnet-0c33cc33cc33cc333"}}
		}),
		want:   []string{`environments/prod.json: clusters[0].vpc.private_subnet_ids: must list at least 2 subnets (EKS needs subnets in two availability zones), got 1`},
		schema: true,
	},
	{
		name: "NAT setting on an adopted VPC",
		data: edit(func(d map[string]any) {
			cluster(d, 0)["vpc"] = map[string]any{"id": "vpc-0a1b2c3d4e5f60718", "nat_gateways": "single",
				"private_subnet_ids": []any{"subnet-0a11aa11aa11aa111", "subnet-0b22bb22bb22bb222"}, "public_subnet_ids": []any{"subnet-0c33cc33cc33cc333"}}
		}),
		want:   []string{`environments/prod.json: clusters[0].vpc: nat_gateways and flow_log_retention_days apply to a created VPC (cidr), not an adopted one`},
		schema: true,
	},
	{
		name: "flow log retention CloudWatch does not offer",
		data: edit(func(d map[string]any) {
			cluster(d, 0)["vpc"] = map[string]any{"cidr": "10.30.0.0/16", "flow_log_retention_days": 10}
		}),
		want:   []string{`environments/prod.json: clusters[0].vpc.flow_log_retention_days: must be a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653), got 10`},
		schema: true,
	},
	{
		name:   "missing VPC",
		data:   edit(func(d map[string]any) { delete(cluster(d, 1), "vpc") }),
		want:   []string{`environments/prod.json: clusters[1].vpc: is required: {"cidr": "10.0.0.0/16"} to create one, or {"id": ..., "private_subnet_ids": [...]} to adopt one`},
		schema: true,
	},
	{
		name:   "min above desired",
		data:   edit(func(d map[string]any) { nodeGroup(d)["min_size"] = 3 }),
		want:   []string{`environments/prod.json: management_node_group.desired_size: must be >= min_size: min 3, desired 2`},
		schema: false,
	},
	{
		name:   "cluster override breaks the role's sizes",
		data:   edit(func(d map[string]any) { cluster(d, 1)["management_node_group"] = map[string]any{"max_size": 1} }),
		want:   []string{`environments/prod.json: clusters[1].management_node_group.max_size: must be >= desired_size (with the role's management_node_group): desired 2, max 1`},
		schema: false,
	},
	{
		name:   "x86 instance type on the arm64 AMI",
		data:   edit(func(d map[string]any) { nodeGroup(d)["instance_types"] = []any{"m7g.large", "m7i.large"} }),
		want:   []string{`environments/prod.json: management_node_group.instance_types[1]: m7i.large is an x86_64 instance type but ami_type AL2023_ARM_64_STANDARD needs arm64 (Graviton types such as m7g.large run arm64)`},
		schema: false,
	},
	{
		name: "taint effect in EKS spelling",
		data: edit(func(d map[string]any) {
			nodeGroup(d)["taint"] = map[string]any{"key": "dedicated", "value": "management", "effect": "NO_SCHEDULE"}
		}),
		want:   []string{`environments/prod.json: management_node_group.taint.effect: must be NoSchedule, PreferNoSchedule or NoExecute, got "NO_SCHEDULE"`},
		schema: true,
	},
	{
		name:   "hop limit that would let pods reach IMDS through two proxies",
		data:   edit(func(d map[string]any) { nodeGroup(d)["imds_hop_limit"] = 3 }),
		want:   []string{`environments/prod.json: management_node_group.imds_hop_limit: must be 1 (pods without host networking cannot reach IMDS) or 2, got 3`},
		schema: true,
	},
	{
		name:   "AMI release of another Kubernetes version",
		data:   edit(func(d map[string]any) { nodeGroup(d)["release_version"] = "1.33.0-20250620" }),
		want:   []string{`environments/prod.json: management_node_group.release_version: 1.33.0-20250620 is an AMI release for Kubernetes 1.33 but eks_version is 1.34; use "latest" or a 1.34 release`},
		schema: false,
	},
	{
		name:   "unknown addon",
		data:   edit(func(d map[string]any) { d["addons"].(map[string]any)["istio"] = "latest" }),
		want:   []string{`environments/prod.json: addons.istio: "istio" is not an addon this platform manages; allowed: vpc-cni, coredns, kube-proxy, aws-ebs-csi-driver, aws-efs-csi-driver, eks-pod-identity-agent, snapshot-controller, amazon-cloudwatch-observability`},
		schema: true,
	},
	{
		name:   "policy mode",
		data:   edit(func(d map[string]any) { d["policy"] = map[string]any{"enabled": true, "mode": "block"} }),
		want:   []string{`environments/prod.json: policy.mode: must be "audit" or "enforce", got "block"`},
		schema: true,
	},
	{
		name: "unknown policy switched off",
		data: edit(func(d map[string]any) {
			d["policy"] = map[string]any{"enabled": true, "disabled": []any{"no-latest-tag"}}
		}),
		want:   []string{`environments/prod.json: policy.disabled[0]: "no-latest-tag" is not a policy; allowed: deprecated-apis, pdb-required, management-nodes`},
		schema: true,
	},
	{
		name: "policy exceptions",
		data: edit(func(d map[string]any) {
			d["policy"] = map[string]any{"exceptions": map[string]any{"pdb-required": []any{"Legacy_App"}, "no-root": []any{"x"}}}
		}),
		want: []string{
			`environments/prod.json: policy.exceptions.no-root: "no-root" is not a policy; allowed: deprecated-apis, pdb-required, management-nodes`,
			`environments/prod.json: policy.exceptions.pdb-required[0]: must be a Kubernetes namespace name (a DNS label), got "Legacy_App"`,
		},
		schema: true,
	},
	{
		name:   "policy exempt namespace",
		data:   edit(func(d map[string]any) { d["policy"] = map[string]any{"exempt_namespaces": []any{"kube system"}} }),
		want:   []string{`environments/prod.json: policy.exempt_namespaces[0]: must be a Kubernetes namespace name (a DNS label), got "kube system"`},
		schema: true,
	},
	{
		name:   "Container Insights addon listed without the setting",
		data:   edit(func(d map[string]any) { d["addons"].(map[string]any)["amazon-cloudwatch-observability"] = "latest" }),
		want:   []string{`environments/prod.json: addons.amazon-cloudwatch-observability: is installed by observability.container_insights: set it to true (a version here then pins the addon) or remove this entry`},
		schema: false,
	},
	{
		name: "Prometheus retention AMP does not offer",
		data: edit(func(d map[string]any) {
			d["observability"] = map[string]any{"prometheus": map[string]any{"enabled": true, "retention_days": 1096}}
		}),
		want:   []string{`environments/prod.json: observability.prometheus.retention_days: must be between 1 and 1095 (Amazon Managed Service for Prometheus keeps samples up to three years), got 1096`},
		schema: true,
	},
	{
		name:   "Container Insights as a string",
		data:   edit(func(d map[string]any) { d["observability"] = map[string]any{"container_insights": "yes"} }),
		want:   []string{`environments/prod.json: observability.container_insights: must be true or false, got string "yes"`},
		schema: true,
	},
	{
		name: "misspelled observability field",
		data: edit(func(d map[string]any) {
			d["observability"] = map[string]any{"prometheus": map[string]any{"retention_day": 30}}
		}),
		want:   []string{`environments/prod.json: observability.prometheus.retention_day: unknown field; did you mean "retention_days"?`},
		schema: true,
	},
	{
		name:   "addon version without v",
		data:   edit(func(d map[string]any) { d["addons"].(map[string]any)["vpc-cni"] = "1.19.2" }),
		want:   []string{`environments/prod.json: addons.vpc-cni: must be "latest", "default" or an exact version like "v1.19.2-eksbuild.1", got "1.19.2"`},
		schema: true,
	},
	{
		name: "principal that is not an ARN",
		data: edit(func(d map[string]any) {
			d["access_entries"].([]any)[0].(map[string]any)["principal_arn"] = "PlatformAdmin"
		}),
		want:   []string{`environments/prod.json: access_entries[0].principal_arn: must be an IAM role or user ARN like "arn:aws:iam::123456789012:role/PlatformAdmin", got "PlatformAdmin"`},
		schema: true,
	},
	{
		name:   "unknown access policy",
		data:   edit(func(d map[string]any) { d["access_entries"].([]any)[0].(map[string]any)["policy"] = "ClusterAdmin" }),
		want:   []string{`environments/prod.json: access_entries[0].policy: must be one of AmazonEKSClusterAdminPolicy, AmazonEKSAdminPolicy, AmazonEKSAdminViewPolicy, AmazonEKSEditPolicy, AmazonEKSViewPolicy, got "ClusterAdmin"`},
		schema: true,
	},
	{
		name:   "public endpoint open to the internet",
		data:   edit(func(d map[string]any) { d["endpoint_access"] = map[string]any{"public_cidrs": []any{"0.0.0.0/0"}} }),
		want:   []string{`environments/prod.json: endpoint_access.public_cidrs[0]: 0.0.0.0/0 opens the Kubernetes API to the whole internet; list the networks that need it`},
		schema: true,
	},
	{
		name:   "unknown control-plane log type",
		data:   edit(func(d map[string]any) { d["control_plane_logging"] = map[string]any{"disabled": []any{"kubelet"}} }),
		want:   []string{`environments/prod.json: control_plane_logging.disabled[0]: "kubelet" is not a control-plane log type; allowed: api, audit, authenticator, controllerManager, scheduler`},
		schema: true,
	},
	{
		name: "no deployer: nothing says how the pipeline reaches the API server",
		data: edit(func(d map[string]any) { delete(d, "deployer") }),
		want: []string{`environments/prod.json: deployer: is required: how the pipeline that runs eksplatform reaches the API server (every Helm release and Kubernetes object goes through it): ` +
			`{"network": "in_vpc"} when it runs in, or is connected to, the cluster's VPC (admit it with ingress_cidrs or ingress_security_group_ids), ` +
			`or {"network": "public", "egress_cidrs": [...]} with the addresses it leaves from`},
	},
	{
		name: "a deployer on one cluster only",
		data: edit(func(d map[string]any) {
			cluster(d, 0)["deployer"] = d["deployer"]
			delete(d, "deployer")
		}),
		want: []string{`environments/prod.json: clusters[1].deployer: is required: how the pipeline that runs eksplatform reaches the API server (every Helm release and Kubernetes object goes through it): ` +
			`{"network": "in_vpc"} when it runs in, or is connected to, the cluster's VPC (admit it with ingress_cidrs or ingress_security_group_ids), ` +
			`or {"network": "public", "egress_cidrs": [...]} with the addresses it leaves from (here, or once for the role)`},
	},
	{
		name:   "deployer network that does not exist",
		data:   edit(func(d map[string]any) { d["deployer"] = map[string]any{"network": "vpn"} }),
		want:   []string{`environments/prod.json: deployer.network: must be "in_vpc" or "public", got "vpn"`},
		schema: true,
	},
	{
		name: "in_vpc deployer admitted from a public range",
		data: edit(func(d map[string]any) {
			d["deployer"] = map[string]any{"network": "in_vpc", "ingress_cidrs": []any{"198.51.100.0/24"}, "ingress_security_group_ids": []any{"sg-12"}}
		}),
		want: []string{
			`environments/prod.json: deployer.ingress_security_group_ids[0]: must be a security group id like "sg-0123456789abcdef0", got "sg-12"`,
			`environments/prod.json: deployer.ingress_cidrs[0]: 198.51.100.0/24 is not a private range (10/8, 172.16/12, 192.168/16, 100.64/10): traffic to the private endpoint comes from inside the network; a public path is network "public" with egress_cidrs`,
		},
		schema: true,
	},
	{
		name: "public deployer without egress addresses, or open to everyone",
		data: edit(func(d map[string]any) {
			d["deployer"] = map[string]any{"network": "public"}
			cluster(d, 1)["deployer"] = map[string]any{"network": "public", "egress_cidrs": []any{"0.0.0.0/0"}}
		}),
		want: []string{
			`environments/prod.json: deployer.egress_cidrs: must list the addresses the deployer's traffic leaves from (its runners' NAT), e.g. ["198.51.100.7/32"]; they are added to the endpoint's public CIDRs`,
			`environments/prod.json: clusters[1].deployer.egress_cidrs[0]: 0.0.0.0/0 opens the Kubernetes API to the whole internet; list the networks that need it`,
		},
	},
	{
		name: "halves of the address space that together are 0.0.0.0/0",
		data: edit(func(d map[string]any) {
			d["endpoint_access"] = map[string]any{"public_cidrs": []any{"0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/2", "203.0.113.0/24"}}
		}),
		want: []string{`environments/prod.json: endpoint_access.public_cidrs: 0.0.0.0/1, 128.0.0.0/2, 192.0.0.0/2, 203.0.113.0/24 together cover the whole IPv4 address space, ` +
			`which opens the Kubernetes API to the whole internet as 0.0.0.0/0 would; list the networks that need it`},
	},
	{
		name: "the deploy role also listed as an access entry",
		data: edit(func(d map[string]any) {
			cluster(d, 0)["deploy_role_arn"] = "arn:aws:iam::345678901234:role/PlatformAdmin"
		}),
		want: []string{`environments/prod.json: access_entries[0].principal_arn: arn:aws:iam::345678901234:role/PlatformAdmin is clusters[0].deploy_role_arn, which creates the cluster and so already gets an admin access entry (pulumi-eks's bootstrap entry); ` +
			`a second one fails with 409 (ResourceInUseException): remove it from access_entries`},
	},
	{
		name: "a deploy role of another account",
		data: edit(func(d map[string]any) {
			cluster(d, 1)["deploy_role_arn"] = "arn:aws:iam::111122223333:role/PlatformDeploy"
		}),
		want: []string{`environments/prod.json: clusters[1].deploy_role_arn: is a role of account 111122223333, but the cluster is in 345678901234: the stack's AWS provider only accepts credentials of the cluster's account`},
	},
	{
		name: "adopted VPC without public subnets for an internet-facing load balancer",
		data: edit(func(d map[string]any) {
			cluster(d, 0)["vpc"] = map[string]any{"id": "vpc-0a1b2c3d4e5f60718", "private_subnet_ids": []any{"subnet-0a11aa11aa11aa111", "subnet-0b22bb22bb22bb222"}}
		}),
		want: []string{`environments/prod.json: clusters[0].vpc.public_subnet_ids: must list the adopted VPC's public subnets: the internet-facing load balancer (network.load_balancer_controller.scheme) is placed in them by id; or set the scheme to "internal"`},
	},
	{
		name: "karpenter's two replicas on a management group of one node",
		data: edit(func(d map[string]any) {
			d["management_node_group"].(map[string]any)["min_size"] = 1
			cluster(d, 1)["management_node_group"] = map[string]any{"min_size": 2}
		}),
		want: []string{`environments/prod.json: management_node_group.min_size: must be at least 2 while karpenter runs on the management nodes (karpenter.run_on "management"): its 2 replicas may not share a node, got 1; raise it or run karpenter on fargate`},
	},
	{
		name: "KMS key of another region",
		data: edit(func(d map[string]any) {
			cluster(d, 1)["kms_key_arn"] = "arn:aws:kms:us-east-2:345678901234:key/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
		}),
		want:   []string{`environments/prod.json: clusters[1].kms_key_arn: key is in region us-east-2 but the cluster is in us-west-2; EKS needs a key in the cluster's region`},
		schema: false,
	},
	{
		name: "external-dns switched on without DNS",
		data: edit(func(d map[string]any) { d["network"] = map[string]any{"external_dns": map[string]any{"enabled": true}} }),
		want: []string{
			`environments/prod.json: dns: cluster prod-i01-aws-us-east-2: network.external_dns needs hosted_zone_ids and domain_filters; declare them here or switch network.external_dns off`,
			`environments/prod.json: dns: cluster prod-i02-aws-us-west-2: network.external_dns needs hosted_zone_ids and domain_filters; declare them here or switch network.external_dns off`,
		},
		schema: false,
	},
	{
		name: "hosted zone id that is not one",
		data: edit(func(d map[string]any) {
			d["dns"] = map[string]any{"hosted_zone_ids": []any{"zone-1"}, "domain_filters": []any{"example.com"}}
		}),
		want:   []string{`environments/prod.json: dns.hosted_zone_ids[0]: must be a Route 53 hosted zone id like "Z0123456789ABCDEFGHIJ", got "zone-1"`},
		schema: true,
	},
	{
		name: "a third node pool",
		data: edit(func(d map[string]any) {
			d["karpenter"] = map[string]any{"node_pools": map[string]any{"gpu": map[string]any{"cpu_limit": 8}}}
		}),
		want:   []string{`environments/prod.json: karpenter.node_pools.gpu: "gpu" is not a node pool; the pools are "arm" (arm64) and "amd" (amd64)`},
		schema: true,
	},
	{
		name: "node expiry that is not a duration",
		data: edit(func(d map[string]any) {
			d["karpenter"] = map[string]any{"node_pools": map[string]any{"arm": map[string]any{"expire_after": "7d"}}}
		}),
		want:   []string{`environments/prod.json: karpenter.node_pools.arm.expire_after: must be a duration like "168h" or "Never", got "7d"`},
		schema: true,
	},
	{
		name:   "chart pinned to latest",
		data:   edit(func(d map[string]any) { d["charts"] = map[string]any{"karpenter": map[string]any{"version": "latest"}} }),
		want:   []string{`environments/prod.json: charts.karpenter.version: must be an exact version (charts are pinned), got "latest"`},
		schema: true,
	},
	{
		name: "load balancer chart bumped without its CRDs",
		data: edit(func(d map[string]any) {
			d["charts"] = map[string]any{"aws-load-balancer-controller": map[string]any{"version": "3.6.0"}}
		}),
		want:   []string{`environments/prod.json: charts.aws-load-balancer-controller.version: aws-load-balancer-controller 3.6.0: the program applies this chart's CRDs (Helm never upgrades crds/), and the catalog has none for 3.6.0 (catalog/data/crds/aws-load-balancer-controller-3.6.0.yaml); the catalog has them for 3.5.0`},
		schema: false,
	},
	{
		name:   "unknown chart",
		data:   edit(func(d map[string]any) { d["charts"] = map[string]any{"istio": map[string]any{"version": "1.0.0"}} }),
		want:   []string{`environments/prod.json: charts.istio: "istio" is not a chart of the platform; charts: aws-for-fluent-bit, aws-load-balancer-controller, cert-manager, external-dns, external-secrets, gatekeeper, karpenter, karpenter-crd, metrics-server, reloader`},
		schema: true,
	},
	{
		name: "chart acceptance of a minor EKS does not have",
		data: edit(func(d map[string]any) {
			d["charts"] = map[string]any{"cert-manager": map[string]any{"accept_unsupported_kubernetes": []any{"1.37", "1.99"}}}
		}),
		want: []string{`environments/prod.json: charts.cert-manager.accept_unsupported_kubernetes[1]: "1.99" is not in the EKS release calendar (catalog/data/eks-releases.json, checked ` +
			catalog.Default().Calendar.Checked.String() + `: ` + catalog.Default().CalendarSpan() + `); if EKS has released it since, ` + "`eksplatform catalog refresh`" + ` adds it`},
		schema: false,
	},
	{
		name: "secret store reading the whole account",
		data: edit(func(d map[string]any) {
			d["operators"] = map[string]any{"external_secrets": map[string]any{"ssm_path_prefix": "/"}}
		}),
		want:   []string{`environments/prod.json: operators.external_secrets.ssm_path_prefix: must be an SSM path that starts and ends with '/', like "/eksplatform/{cluster}/", got "/"`},
		schema: true,
	},
	{
		name: "EFS lifecycle AWS does not offer",
		data: edit(func(d map[string]any) {
			d["storage"] = map[string]any{"efs": map[string]any{"transition_to_ia_days": 45}}
		}),
		want:   []string{`environments/prod.json: storage.efs.transition_to_ia_days: must be one of 1, 7, 14, 30, 60, 90, 180, 270, 365, got 45`},
		schema: true,
	},
	{
		name: "echo-server without its load balancer controller",
		data: edit(func(d map[string]any) {
			d["dns"] = map[string]any{"hosted_zone_ids": []any{"Z0AAAAAAAAAAAAAAAAAA1"}, "domain_filters": []any{"example.com"}}
			d["network"] = map[string]any{"load_balancer_controller": map[string]any{"enabled": false}}
			d["operators"] = map[string]any{"echo_server": map[string]any{"enabled": true}}
		}),
		want:   []string{`environments/prod.json: operators.echo_server.enabled: needs network.load_balancer_controller enabled: the echo-server is reached through an ALB`},
		schema: false,
	},
	{
		name:   "canary as large as the role",
		data:   edit(func(d map[string]any) { d["rollout"] = map[string]any{"canary": 2} }),
		want:   []string{`environments/prod.json: rollout.canary: must be 0 (no canary) or fewer than the role's 2 cluster(s), got 2`},
		schema: false,
	},
	{
		name:   "bake that is not a duration",
		data:   edit(func(d map[string]any) { d["rollout"] = map[string]any{"bake": "half an hour"} }),
		want:   []string{`environments/prod.json: rollout.bake: must be a duration like "30m" or "0s", got "half an hour"`},
		schema: true,
	},
	{
		name:   "duplicate JSON key",
		data:   raw(strings.Replace(baseRole, `"wave": 3,`, `"wave": 3, "wave": 4,`, 1)),
		want:   []string{`environments/prod.json: wave: duplicate key: each key may appear once in an object`},
		schema: false,
	},
	{
		name:   "JSON syntax error names line and column",
		data:   raw(strings.Replace(baseRole, `"wave": 3,`, `"wave": 3,,`, 1)),
		want:   []string{`environments/prod.json:4:13: invalid JSON: invalid character ',' looking for beginning of object key string`},
		schema: true,
	},
	{
		name:   "truncated file",
		data:   raw(baseRole[:40]),
		want:   []string{`environments/prod.json:3:9: invalid JSON: unexpected end of file`},
		schema: true,
	},
}

// newestMinor is the calendar's newest minor: messages suggest it.
var newestMinor = func() string { m := catalog.Default().Minors(); return m[len(m)-1] }()

func TestBadCorpus(t *testing.T) {
	t.Parallel()
	require.GreaterOrEqual(t, len(badCorpus), 20)
	for _, tc := range badCorpus {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := Parse(testFile, tc.data(t))
			require.Error(t, err)
			assert.Equal(t, tc.want, strings.Split(err.Error(), "\n"))
		})
	}
}

func TestBaseRoleIsValid(t *testing.T) {
	t.Parallel()
	role, warnings, err := Parse(testFile, []byte(baseRole))
	require.NoError(t, err)
	assert.Equal(t, "prod", role.Name)
	assert.Len(t, role.Clusters, 2)
	// admin_team_claim without an identity provider is allowed but flagged.
	require.Len(t, warnings, 1)
	assert.Equal(t, "admin_team_claim", warnings[0].Path)
}

func TestEveryErrorAtOnce(t *testing.T) {
	t.Parallel()
	data := mutate(t, func(d map[string]any) {
		d["wave"] = -2
		cluster(d, 0)["account_id"] = "abc"
		cluster(d, 1)["region"] = "mars-1"
		nodeGroup(d)["max_size"] = 1
	})
	_, _, err := Parse(testFile, data)
	var errs Errors
	require.ErrorAs(t, err, &errs)
	paths := make([]string, len(errs))
	for i, e := range errs {
		paths[i] = e.Path
		assert.Equal(t, testFile, e.File)
	}
	assert.ElementsMatch(t, []string{"wave", "clusters[0].account_id", "clusters[1].region", "management_node_group.max_size"}, paths)
}

func TestClusterNamesUniqueAcrossFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "prod.json"), []byte(baseRole), 0o600))
	other := strings.NewReplacer(`"role": "prod"`, `"role": "nonprod"`, `"wave": 3`, `"wave": 2`,
		`prod-i02-aws-us-west-2`, `np-i02-aws-us-west-2`).Replace(baseRole)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "nonprod.json"), []byte(other), 0o600))
	_, err := Load(dir)
	require.Error(t, err)
	assert.Equal(t,
		filepath.Join(dir, "prod.json")+`: clusters[0].name: "prod-i01-aws-us-east-2" is already declared at clusters[0].name (`+
			filepath.Join(dir, "nonprod.json")+`); cluster names are stack names and must be unique across the fleet (ignoring case)`,
		err.Error())
}

func TestDefaultsAndOverrides(t *testing.T) {
	t.Parallel()
	data := mutate(t, func(d map[string]any) {
		delete(d, "management_node_group")
		delete(d, "addons")
		d["tags"] = map[string]any{"team": "platform", "tier": "gold"}
		d["control_plane_logging"] = map[string]any{"disabled": []any{"scheduler"}}
		d["endpoint_access"] = map[string]any{"public_cidrs": []any{"198.51.100.0/24"}}
		c := cluster(d, 1)
		c["management_node_group"] = map[string]any{"desired_size": 3}
		c["tags"] = map[string]any{"tier": "platinum"}
		c["endpoint_access"] = map[string]any{"public_cidrs": []any{"203.0.113.0/25"}}
	})
	role, _, err := Parse(testFile, data)
	require.NoError(t, err)
	first, second := role.Clusters[0], role.Clusters[1]

	ng := first.NodeGroup
	assert.Equal(t, []string{DefaultInstanceType}, ng.InstanceTypes)
	assert.Equal(t, [3]int{DefaultMinSize, DefaultDesiredSize, DefaultMaxSize}, [3]int{ng.MinSize, ng.DesiredSize, ng.MaxSize})
	assert.Equal(t, "AL2023_ARM_64_STANDARD", ng.AMIType)
	assert.Equal(t, "arm64", ng.Architecture)
	assert.True(t, ng.FollowsLatestRelease())
	assert.Equal(t, Taint{Key: "dedicated", Value: "management", Effect: "NoSchedule"}, ng.Taint)
	assert.Equal(t, map[string]string{"dedicated": "management"}, ng.Labels)
	assert.Equal(t, 1, ng.IMDSHopLimit)
	assert.Equal(t, 50, ng.DiskSizeGiB)

	assert.Equal(t, 3, second.NodeGroup.DesiredSize, "cluster override")
	assert.Equal(t, 3, second.NodeGroup.MaxSize, "role value kept")

	assert.Equal(t, []string{"api", "audit", "authenticator", "controllerManager"}, first.LogTypes)
	assert.Equal(t, []string{"198.51.100.0/24"}, first.PublicAccessCIDRs)
	assert.Equal(t, []string{"203.0.113.0/25"}, second.PublicAccessCIDRs)
	assert.Equal(t, map[string]string{"team": "platform", "tier": "gold"}, first.Tags)
	assert.Equal(t, map[string]string{"team": "platform", "tier": "platinum"}, second.Tags)

	var names []string
	for _, a := range first.Addons {
		names = append(names, a.Name+"="+a.Version)
	}
	assert.Equal(t, []string{"aws-ebs-csi-driver=latest", "aws-efs-csi-driver=latest", "coredns=latest", "kube-proxy=latest", "vpc-cni=latest"}, names)
	assert.Equal(t, "platformadmin", first.AccessEntries[0].Key)
	assert.Equal(t, "aws", first.Partition)
	assert.False(t, first.Ephemeral)
}

func TestPrivateEndpointByDefault(t *testing.T) {
	t.Parallel()
	role, _, err := Parse(testFile, []byte(baseRole))
	require.NoError(t, err)
	for _, c := range role.Clusters {
		assert.Empty(t, c.PublicAccessCIDRs, c.Name)
		assert.Equal(t, catalog.ControlPlaneLogTypes, c.LogTypes, c.Name)
	}
}

func TestExamplesLoad(t *testing.T) {
	t.Parallel()
	fleet, err := Load(".")
	require.NoError(t, err)
	assert.Equal(t, []string{"sandbox", "preview", "nonprod", "prod"}, fleet.RoleNames())
	waves := map[string]int{}
	for _, r := range fleet.Roles {
		waves[r.Name] = r.Wave
	}
	assert.Equal(t, map[string]int{"sandbox": 0, "preview": 1, "nonprod": 2, "prod": 3}, waves)
	prod, ok := fleet.Role("prod")
	require.True(t, ok)
	require.Len(t, prod.Clusters, 2)
	assert.NotEqual(t, prod.Clusters[0].Region, prod.Clusters[1].Region, "prod spans two regions")
	sandbox, _ := fleet.Role("sandbox")
	assert.Len(t, sandbox.Clusters, 1)
	assert.True(t, sandbox.Ephemeral)
	assert.Empty(t, fleet.Warnings)
	c, ok := fleet.Cluster("np-i01-aws-us-east-2")
	require.True(t, ok)
	assert.Equal(t, "nonprod", c.Role)
}

func TestLoadReportsMissingDirectory(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(t.TempDir(), "nope"))
	require.Error(t, err)
	assert.True(t, errors.Is(err, os.ErrNotExist), err)
}

func TestInstanceArch(t *testing.T) {
	t.Parallel()
	for it, want := range map[string]string{
		"m7g.large": "arm64", "c6gn.xlarge": "arm64", "x2gd.medium": "arm64", "im4gn.large": "arm64",
		"t4g.small": "arm64", "a1.large": "arm64", "r8g.2xlarge": "arm64",
		"m7i.large": "x86_64", "m5.large": "x86_64", "g5.xlarge": "x86_64", "m7i-flex.large": "x86_64",
		"c5n.large": "x86_64", "t3a.micro": "x86_64",
	} {
		got, ok := instanceArch(it)
		assert.True(t, ok, it)
		assert.Equal(t, want, got, it)
	}
	_, ok := instanceArch("large")
	assert.False(t, ok)
}
