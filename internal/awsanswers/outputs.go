package mockengine

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// outputsFor gives a resource the outputs the real provider would report,
// derived from its inputs and its provider's account and region. Callers hold e.mu.
func (e *Engine) outputsFor(r *Resource) (resource.PropertyMap, error) {
	out := r.Inputs.Copy()
	prov := r.Provider
	if prov == "" && r.Providers != nil {
		prov = r.Providers["aws"]
	}
	a := e.accountOf(prov)
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

type outputFunc func(r *Resource, a account, out resource.PropertyMap) error

var cannedOutputs = map[string]outputFunc{
	"eks:index:Cluster":                                     eksClusterOutputs,
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
}

func sqsQueueOutputs(r *Resource, a account, out resource.PropertyMap) error {
	name := nameOrAuto(r, "name", out)
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:sqs:%s:%s:%s", a.Partition, a.Region, a.AccountID, name))
	out["url"] = resource.NewProperty(fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", a.Region, a.AccountID, name))
	return nil
}

func efsOutputs(r *Resource, a account, out resource.PropertyMap) error {
	r.ID = "fs-" + r.ID
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:elasticfilesystem:%s:%s:file-system/%s", a.Partition, a.Region, a.AccountID, r.ID))
	out["dnsName"] = resource.NewProperty(fmt.Sprintf("%s.efs.%s.amazonaws.com", r.ID, a.Region))
	return nil
}

func ssmParameterOutputs(r *Resource, a account, out resource.PropertyMap) error {
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:ssm:%s:%s:parameter%s", a.Partition, a.Region, a.AccountID, str(r.Inputs, "name")))
	return nil
}

func fargateProfileOutputs(r *Resource, a account, out resource.PropertyMap) error {
	name := nameOrAuto(r, "fargateProfileName", out)
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:eks:%s:%s:fargateprofile/%s/%s/%s", a.Partition, a.Region, a.AccountID, str(r.Inputs, "clusterName"), name, r.ID))
	out["status"] = resource.NewProperty("ACTIVE")
	return nil
}

// serviceLinkedRoleOutputs name the role the way IAM does for a service:
// AWSServiceRoleForEC2Spot under aws-service-role/spot.amazonaws.com/.
func serviceLinkedRoleOutputs(r *Resource, a account, out resource.PropertyMap) error {
	service := str(r.Inputs, "awsServiceName")
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

func accessEntryOutputs(r *Resource, a account, out resource.PropertyMap) error {
	out["accessEntryArn"] = resource.NewProperty(fmt.Sprintf("arn:%s:eks:%s:%s:access-entry/%s/%s", a.Partition, a.Region, a.AccountID, str(r.Inputs, "clusterName"), r.ID))
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

func logGroupOutputs(r *Resource, a account, out resource.PropertyMap) error {
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
	h := shortID(seed) + shortID(seed+"/2")
	return fmt.Sprintf("%s-%s-4%s-8%s-%s", h[0:8], h[8:12], h[13:16], h[17:20], h[20:32])
}

func kmsKeyOutputs(r *Resource, a account, out resource.PropertyMap) error {
	id := uuidOf(r.URN)
	r.ID = id
	out["keyId"] = resource.NewProperty(id)
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", a.Partition, a.Region, a.AccountID, id))
	return nil
}

func arnOutputs(service, prefix string, nameKey resource.PropertyKey) outputFunc {
	return func(r *Resource, a account, out resource.PropertyMap) error {
		name := nameOrAuto(r, nameKey, out)
		out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:%s:%s:%s:%s%s", a.Partition, service, a.Region, a.AccountID, prefix, strings.TrimPrefix(name, prefix)))
		return nil
	}
}

func iamRoleOutputs(r *Resource, a account, out resource.PropertyMap) error {
	name := nameOrAuto(r, "name", out)
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:iam::%s:role/%s", a.Partition, a.AccountID, name))
	out["uniqueId"] = resource.NewProperty("AROA" + strings.ToUpper(r.ID))
	return nil
}

func iamNamedOutputs(kind string) outputFunc {
	return func(r *Resource, a account, out resource.PropertyMap) error {
		name := nameOrAuto(r, "name", out)
		out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:iam::%s:%s/%s", a.Partition, a.AccountID, kind, name))
		return nil
	}
}

func launchTemplateOutputs(r *Resource, a account, out resource.PropertyMap) error {
	r.ID = "lt-" + r.ID
	nameOrAuto(r, "name", out)
	out["latestVersion"] = resource.NewProperty(1.0)
	out["defaultVersion"] = resource.NewProperty(1.0)
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:ec2:%s:%s:launch-template/%s", a.Partition, a.Region, a.AccountID, r.ID))
	return nil
}

func nodeGroupOutputs(r *Resource, a account, out resource.PropertyMap) error {
	name := nameOrAuto(r, "nodeGroupName", out)
	cluster := str(r.Inputs, "clusterName")
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:eks:%s:%s:nodegroup/%s/%s/%s", a.Partition, a.Region, a.AccountID, cluster, name, r.ID))
	out["status"] = resource.NewProperty("ACTIVE")
	return nil
}

func addonOutputs(r *Resource, a account, out resource.PropertyMap) error {
	cluster, addon := str(r.Inputs, "clusterName"), str(r.Inputs, "addonName")
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:eks:%s:%s:addon/%s/%s/%s", a.Partition, a.Region, a.AccountID, cluster, addon, r.ID))
	return nil
}

func identityProviderOutputs(r *Resource, a account, out resource.PropertyMap) error {
	cluster := str(r.Inputs, "clusterName")
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:eks:%s:%s:identityproviderconfig/%s/oidc/%s", a.Partition, a.Region, a.AccountID, cluster, r.Name))
	out["status"] = resource.NewProperty("ACTIVE")
	return nil
}

// eksClusterOutputs answers for pulumi-eks's Cluster, a multi-language
// component whose children (the aws:eks/cluster:Cluster, its IAM role, the
// IRSA OIDC provider) live in the eks provider plugin and are never
// registered by this program. Its "eksCluster" output is a reference to that
// child cluster. The SDK resolves a reference by asking the engine for the
// referenced URN, so the harness points it at the component itself and puts
// the child cluster's fields (certificateAuthority, identities, vpcConfig, ...)
// into the component's recorded state: the program reads exactly the fields
// it would read from the real child.
func eksClusterOutputs(r *Resource, a account, out resource.PropertyMap) error {
	name := str(r.Inputs, "name")
	if name == "" {
		return fmt.Errorf("the program must name the EKS cluster explicitly")
	}
	oidcID := strings.ToUpper(shortID(r.URN + "/oidc"))[:16] + strings.ToUpper(shortID(r.URN + "/oidc2"))[:16]
	endpoint := fmt.Sprintf("https://%s.gr7.%s.eks.amazonaws.com", strings.ToUpper(shortID(r.URN)), a.Region)
	ca := base64.StdEncoding.EncodeToString([]byte("mock certificate authority of " + name))
	issuer := fmt.Sprintf("https://oidc.eks.%s.amazonaws.com/id/%s", a.Region, oidcID)
	clusterID := shortID(r.URN + "/cluster")

	out["eksCluster"] = resource.NewResourceReferenceProperty(resource.ResourceReference{
		URN:  resource.URN(r.URN),
		Type: "aws:eks/cluster:Cluster",
		Name: r.Name + "-eksCluster",
		ID:   resource.NewProperty(clusterID),
	})
	// The child cluster's fields, read through the reference above.
	out["arn"] = resource.NewProperty(fmt.Sprintf("arn:%s:eks:%s:%s:cluster/%s", a.Partition, a.Region, a.AccountID, name))
	out["endpoint"] = resource.NewProperty(endpoint)
	out["status"] = resource.NewProperty("ACTIVE")
	out["platformVersion"] = resource.NewProperty("eks.1")
	out["certificateAuthority"] = resource.NewProperty(resource.PropertyMap{"data": resource.NewProperty(ca)})
	out["identities"] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty(resource.PropertyMap{
		"oidcs": resource.NewProperty([]resource.PropertyValue{resource.NewProperty(resource.PropertyMap{
			"issuer": resource.NewProperty(issuer),
		})}),
	})})
	out["vpcConfig"] = resource.NewProperty(resource.PropertyMap{
		"clusterSecurityGroupId": resource.NewProperty("sg-" + shortID(r.URN+"/sg")),
		"vpcId":                  r.Inputs["vpcId"],
		"subnetIds":              r.Inputs["privateSubnetIds"],
	})
	kubeconfig := kubeconfigFor(name, endpoint, ca, a.Region)
	out["kubeconfigJson"] = resource.MakeSecret(resource.NewProperty(kubeconfig))
	out["kubeconfig"] = resource.MakeSecret(resource.NewProperty(kubeconfig))
	return nil
}

func kubeconfigFor(name, endpoint, ca, region string) string {
	return fmt.Sprintf(`{"apiVersion":"v1","kind":"Config","clusters":[{"name":"kubernetes","cluster":{"server":%q,"certificate-authority-data":%q}}],`+
		`"contexts":[{"name":"aws","context":{"cluster":"kubernetes","user":"aws"}}],"current-context":"aws",`+
		`"users":[{"name":"aws","user":{"exec":{"apiVersion":"client.authentication.k8s.io/v1beta1","command":"aws","args":["eks","get-token","--cluster-name",%q,"--region",%q]}}}]}`,
		endpoint, ca, name, region)
}

func str(m resource.PropertyMap, key resource.PropertyKey) string {
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
