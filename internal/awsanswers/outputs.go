package awsanswers

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Create gives a resource created by the cloud the outputs the real
// provider would report, derived from its inputs and its provider's account
// and region. r.ID comes in as the seed the caller chose (the mock engine: a
// hash of the URN, so synth output is stable; the stand-in providers: a hash
// of the URN and the moment of creation, so a replacement gets a new id) and
// goes out as the id the cloud would give (with its "vpc-", "fs-", ... form).
func Create(r *Resource, a Account) (resource.PropertyMap, error) {
	out := r.Inputs.Copy()
	if p, ok := idPrefixes[r.Type]; ok {
		r.ID = p + r.ID
	}
	if fn, ok := cannedOutputs[r.Type]; ok {
		if err := fn(r, a, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Known reports whether the table has an answer for the type beyond echoing
// its inputs.
func Known(typ string) bool {
	_, canned := cannedOutputs[typ]
	_, prefixed := idPrefixes[typ]
	return canned || prefixed
}

type outputFunc func(r *Resource, a Account, out resource.PropertyMap) error

var cannedOutputs = map[string]outputFunc{
	"aws:eks/cluster:Cluster":                               eksClusterOutputs,
	"aws:kms/key:Key":                                       kmsKeyOutputs,
	"aws:kms/alias:Alias":                                   arnOutputs("kms", "alias/", "name"),
	"aws:iam/role:Role":                                     iamRoleOutputs,
	"aws:iam/policy:Policy":                                 iamNamedOutputs("policy"),
	"aws:ec2/launchTemplate:LaunchTemplate":                 launchTemplateOutputs,
	"aws:eks/nodeGroup:NodeGroup":                           nodeGroupOutputs,
	"aws:eks/addon:Addon":                                   addonOutputs,
	"aws:eks/identityProviderConfig:IdentityProviderConfig": identityProviderOutputs,
	"aws:cloudwatch/logGroup:LogGroup":                      logGroupOutputs,
	"aws:sqs/queue:Queue":                                   sqsQueueOutputs,
	"aws:cloudwatch/eventRule:EventRule":                    arnOutputs("events", "rule/", "name"),
	"aws:efs/fileSystem:FileSystem":                         efsOutputs,
	"aws:ssm/parameter:Parameter":                           ssmParameterOutputs,
	"aws:eks/fargateProfile:FargateProfile":                 fargateProfileOutputs,
	"aws:eks/accessEntry:AccessEntry":                       accessEntryOutputs,
	"aws:iam/serviceLinkedRole:ServiceLinkedRole":           serviceLinkedRoleOutputs,
	"aws:iam/openIdConnectProvider:OpenIdConnectProvider":   oidcProviderOutputs,
	"aws:amp/workspace:Workspace":                           ampWorkspaceOutputs,
	"aws:amp/scraper:Scraper":                               ampScraperOutputs,
}

// ampWorkspaceOutputs answer like AMP: a ws- id, its ARN and its endpoint.
func ampWorkspaceOutputs(r *Resource, a Account, out resource.PropertyMap) error {
	r.ID = "ws-" + uuidOf(r.URN)
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:aps:%s:%s:workspace/%s", a.Partition, a.Region, a.AccountID, r.ID))
	out["prometheusEndpoint"] = resource.NewProperty(fmt.Sprintf("https://aps-workspaces.%s.amazonaws.com/workspaces/%s/", a.Region, r.ID))
	return nil
}

// ampScraperOutputs: an s- id and the service-linked role AMP makes for
// each scraper (AWSServiceRoleForAmazonPrometheusScraper_<id prefix>).
func ampScraperOutputs(r *Resource, a Account, out resource.PropertyMap) error {
	r.ID = "s-" + uuidOf(r.URN)
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:aps:%s:%s:scraper/%s", a.Partition, a.Region, a.AccountID, r.ID))
	out["roleArn"] = resource.NewProperty(fmt.Sprintf("arn:%s:iam::%s:role/aws-service-role/scraper.aps.amazonaws.com/AWSServiceRoleForAmazonPrometheusScraper_%s", a.Partition, a.AccountID, r.ID[2:15]))
	return nil
}

// oidcProviderOutputs name the provider as IAM does: by its URL's host and path.
func oidcProviderOutputs(r *Resource, a Account, out resource.PropertyMap) error {
	host := strings.TrimPrefix(Str(r.Inputs, "url"), "https://")
	if host == "" {
		return fmt.Errorf("an OIDC provider needs its url")
	}
	r.ID = fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", a.Partition, a.AccountID, host)
	out["arn"] = resource.NewProperty(r.ID)
	return nil
}

func sqsQueueOutputs(r *Resource, a Account, out resource.PropertyMap) error {
	name := nameOrAuto(r, "name", out)
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:sqs:%s:%s:%s", a.Partition, a.Region, a.AccountID, name))
	out["url"] = resource.NewProperty(fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", a.Region, a.AccountID, name))
	return nil
}

func efsOutputs(r *Resource, a Account, out resource.PropertyMap) error {
	r.ID = "fs-" + r.ID
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:elasticfilesystem:%s:%s:file-system/%s", a.Partition, a.Region, a.AccountID, r.ID))
	out["dnsName"] = resource.NewProperty(fmt.Sprintf("%s.efs.%s.amazonaws.com", r.ID, a.Region))
	return nil
}

func ssmParameterOutputs(r *Resource, a Account, out resource.PropertyMap) error {
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:ssm:%s:%s:parameter%s", a.Partition, a.Region, a.AccountID, Str(r.Inputs, "name")))
	return nil
}

func fargateProfileOutputs(r *Resource, a Account, out resource.PropertyMap) error {
	name := nameOrAuto(r, "fargateProfileName", out)
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:eks:%s:%s:fargateprofile/%s/%s/%s", a.Partition, a.Region, a.AccountID, Str(r.Inputs, "clusterName"), name, r.ID))
	out["status"] = resource.NewProperty("ACTIVE")
	return nil
}

// serviceLinkedRoleOutputs name the role the way IAM does for a service:
// AWSServiceRoleForEC2Spot under aws-service-role/spot.amazonaws.com/.
func serviceLinkedRoleOutputs(r *Resource, a Account, out resource.PropertyMap) error {
	service := Str(r.Inputs, "awsServiceName")
	names := map[string]string{"spot.amazonaws.com": "AWSServiceRoleForEC2Spot"}
	name, ok := names[service]
	if !ok {
		return fmt.Errorf("no canned role name for service %q", service)
	}
	out["name"] = resource.NewProperty(name)
	out["path"] = resource.NewProperty("/aws-service-role/" + service + "/")
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:iam::%s:role/aws-service-role/%s/%s", a.Partition, a.AccountID, service, name))
	return nil
}

func accessEntryOutputs(r *Resource, a Account, out resource.PropertyMap) error {
	out["accessEntryArn"] = resource.NewProperty(fmt.Sprintf("arn:%s:eks:%s:%s:access-entry/%s/%s", a.Partition, a.Region, a.AccountID, Str(r.Inputs, "clusterName"), r.ID))
	return nil
}

// idPrefixes make ids look like the cloud's, so synth output reads naturally.
var idPrefixes = map[string]string{
	"aws:ec2/vpc:Vpc":                                   "vpc-",
	"aws:ec2/subnet:Subnet":                             "subnet-",
	"aws:ec2/internetGateway:InternetGateway":           "igw-",
	"aws:ec2/natGateway:NatGateway":                     "nat-",
	"aws:ec2/eip:Eip":                                   "eipalloc-",
	"aws:ec2/routeTable:RouteTable":                     "rtb-",
	"aws:ec2/securityGroup:SecurityGroup":               "sg-",
	"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
	"aws:ec2/flowLog:FlowLog":                           "fl-",
}

func logGroupOutputs(r *Resource, a Account, out resource.PropertyMap) error {
	name := nameOrAuto(r, "name", out)
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s", a.Partition, a.Region, a.AccountID, name))
	return nil
}

// autoName mimics Pulumi's auto-naming: the logical name and a suffix that is
// stable here (real runs use random hex).
func autoName(r *Resource) string {
	return r.Name + "-" + r.ID[:7]
}

func nameOrAuto(r *Resource, key resource.PropertyKey, out resource.PropertyMap) string {
	if v, ok := r.Inputs[key]; ok && v.IsString() && v.StringValue() != "" {
		return v.StringValue()
	}
	name := autoName(r)
	out[key] = resource.NewProperty(name)
	return name
}

func uuidOf(seed string) string {
	h := ShortID(seed) + ShortID(seed+"/2")
	return fmt.Sprintf("%s-%s-4%s-8%s-%s", h[0:8], h[8:12], h[13:16], h[17:20], h[20:32])
}

func kmsKeyOutputs(r *Resource, a Account, out resource.PropertyMap) error {
	id := uuidOf(r.URN)
	r.ID = id
	out["keyId"] = resource.NewProperty(id)
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", a.Partition, a.Region, a.AccountID, id))
	return nil
}

func arnOutputs(service, prefix string, nameKey resource.PropertyKey) outputFunc {
	return func(r *Resource, a Account, out resource.PropertyMap) error {
		name := nameOrAuto(r, nameKey, out)
		out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:%s:%s:%s:%s%s", a.Partition, service, a.Region, a.AccountID, prefix, strings.TrimPrefix(name, prefix)))
		return nil
	}
}

func iamRoleOutputs(r *Resource, a Account, out resource.PropertyMap) error {
	name := nameOrAuto(r, "name", out)
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:iam::%s:role/%s", a.Partition, a.AccountID, name))
	out["uniqueId"] = resource.NewProperty("AROA" + strings.ToUpper(r.ID))
	return nil
}

func iamNamedOutputs(kind string) outputFunc {
	return func(r *Resource, a Account, out resource.PropertyMap) error {
		name := nameOrAuto(r, "name", out)
		out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:iam::%s:%s/%s", a.Partition, a.AccountID, kind, name))
		return nil
	}
}

func launchTemplateOutputs(r *Resource, a Account, out resource.PropertyMap) error {
	r.ID = "lt-" + r.ID
	nameOrAuto(r, "name", out)
	out["latestVersion"] = resource.NewProperty(1.0)
	out["defaultVersion"] = resource.NewProperty(1.0)
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:ec2:%s:%s:launch-template/%s", a.Partition, a.Region, a.AccountID, r.ID))
	return nil
}

func nodeGroupOutputs(r *Resource, a Account, out resource.PropertyMap) error {
	name := nameOrAuto(r, "nodeGroupName", out)
	cluster := Str(r.Inputs, "clusterName")
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:eks:%s:%s:nodegroup/%s/%s/%s", a.Partition, a.Region, a.AccountID, cluster, name, r.ID))
	out["status"] = resource.NewProperty("ACTIVE")
	return nil
}

func addonOutputs(r *Resource, a Account, out resource.PropertyMap) error {
	cluster, addon := Str(r.Inputs, "clusterName"), Str(r.Inputs, "addonName")
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:eks:%s:%s:addon/%s/%s/%s", a.Partition, a.Region, a.AccountID, cluster, addon, r.ID))
	return nil
}

func identityProviderOutputs(r *Resource, a Account, out resource.PropertyMap) error {
	cluster := Str(r.Inputs, "clusterName")
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:eks:%s:%s:identityproviderconfig/%s/oidc/%s", a.Partition, a.Region, a.AccountID, cluster, r.Name))
	out["status"] = resource.NewProperty("ACTIVE")
	return nil
}

// eksClusterOutputs answers for the EKS control plane, aws:eks/cluster:Cluster:
// its endpoint, certificate authority, OIDC issuer and cluster security
// group, as EKS reports them once the cluster is ACTIVE.
func eksClusterOutputs(r *Resource, a Account, out resource.PropertyMap) error {
	name := nameOrAuto(r, "name", out)
	c := EKSClusterOf(r.URN, name, a)
	r.ID = name
	out["arn"] = resource.NewProperty(c.ARN)
	out["endpoint"] = resource.NewProperty(c.Endpoint)
	out["status"] = resource.NewProperty("ACTIVE")
	out["platformVersion"] = resource.NewProperty("eks.1")
	out["clusterId"] = resource.NewProperty(ShortID(r.URN + "/cluster"))
	out["certificateAuthority"] = resource.NewProperty(resource.PropertyMap{"data": resource.NewProperty(c.CertificateAuthority)})
	out["identities"] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty(resource.PropertyMap{
		"oidcs": resource.NewProperty([]resource.PropertyValue{resource.NewProperty(resource.PropertyMap{
			"issuer": resource.NewProperty(c.Issuer),
		})}),
	})})
	vpc := resource.PropertyMap{"clusterSecurityGroupId": resource.NewProperty(c.SecurityGroupID)}
	if in, ok := r.Inputs["vpcConfig"]; ok && in.IsObject() {
		for k, v := range in.ObjectValue() {
			vpc[k] = v
		}
	}
	out["vpcConfig"] = resource.NewProperty(vpc)
	return nil
}

// EKSCluster is what EKS reports of a cluster that the program reads.
type EKSCluster struct {
	ARN, Endpoint, CertificateAuthority, Issuer, SecurityGroupID string
}

// EKSClusterOf is the cluster EKS would report for the resource of this URN
// and name in this account.
func EKSClusterOf(urn, name string, a Account) EKSCluster {
	oidcID := strings.ToUpper(ShortID(urn + "/oidc"))[:16] + strings.ToUpper(ShortID(urn + "/oidc2"))[:16]
	return EKSCluster{
		ARN:                  fmt.Sprintf("arn:%s:eks:%s:%s:cluster/%s", a.Partition, a.Region, a.AccountID, name),
		Endpoint:             fmt.Sprintf("https://%s.gr7.%s.eks.amazonaws.com", strings.ToUpper(ShortID(urn)), a.Region),
		CertificateAuthority: base64.StdEncoding.EncodeToString([]byte("mock certificate authority of " + name)),
		Issuer:               fmt.Sprintf("https://oidc.eks.%s.amazonaws.com/id/%s", a.Region, oidcID),
		SecurityGroupID:      "sg-" + ShortID(urn+"/sg"),
	}
}

// KubeconfigFor is the kubeconfig pulumi-eks writes for a cluster: it
// authenticates with `aws eks get-token`.
func KubeconfigFor(name, endpoint, ca, region string) string {
	return fmt.Sprintf(`{"apiVersion":"v1","kind":"Config","clusters":[{"name":"kubernetes","cluster":{"server":%q,"certificate-authority-data":%q}}],`+
		`"contexts":[{"name":"aws","context":{"cluster":"kubernetes","user":"aws"}}],"current-context":"aws",`+
		`"users":[{"name":"aws","user":{"exec":{"apiVersion":"client.authentication.k8s.io/v1beta1","command":"aws","args":["eks","get-token","--cluster-name",%q,"--region",%q]}}}]}`,
		endpoint, ca, name, region)
}

// Str reads a string property, through a secret; "" when absent.
func Str(m resource.PropertyMap, key resource.PropertyKey) string {
	v, ok := m[key]
	if !ok {
		return ""
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

// Update is what the cloud reports after an in-place update: the new inputs
// over what it had computed. A launch template gets a new version (its
// number is unknown in a preview, as the real provider reports it).
// olds are the outputs before, oldInputs the inputs they were made from: an
// input the program no longer sets is gone.
func Update(typ string, olds, oldInputs, news resource.PropertyMap, preview bool) resource.PropertyMap {
	out := merge(olds, oldInputs, news)
	if typ == "aws:ec2/launchTemplate:LaunchTemplate" {
		if preview {
			out["latestVersion"] = resource.MakeComputed(resource.NewProperty(""))
		} else if v, ok := olds["latestVersion"]; ok && v.IsNumber() {
			out["latestVersion"] = resource.NewProperty(v.NumberValue() + 1)
		}
	}
	return out
}

// merge lays new inputs over old outputs, object by object: what the cloud
// computed inside an input object (an EKS cluster's
// vpcConfig.clusterSecurityGroupId) stays, an input the program no longer
// sets is gone, anything else takes the new value.
func merge(olds, oldInputs, news resource.PropertyMap) resource.PropertyMap {
	out := olds.Copy()
	for k := range oldInputs {
		if _, ok := news[k]; !ok {
			delete(out, k)
		}
	}
	for k, v := range news {
		old, inOld := olds[k]
		if inOld && old.IsObject() && v.IsObject() {
			var oldIn resource.PropertyMap
			if i, ok := oldInputs[k]; ok && i.IsObject() {
				oldIn = i.ObjectValue()
			}
			out[k] = resource.NewProperty(merge(old.ObjectValue(), oldIn, v.ObjectValue()))
			continue
		}
		out[k] = v
	}
	return out
}
