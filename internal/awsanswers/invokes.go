package awsanswers

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

type invokeFunc func(args resource.PropertyMap, a Account) (resource.PropertyMap, error)

// Invoke answers a data source the program calls through a provider of
// this account. Unknown invokes are errors: a new data source must get an
// answer here before anything can run it.
func Invoke(token string, args resource.PropertyMap, a Account) (resource.PropertyMap, error) {
	answer, ok := invokeAnswers[token]
	if !ok {
		return nil, fmt.Errorf("no canned answer for invoke %s; add one to internal/awsanswers/invokes.go", token)
	}
	return answer(args, a)
}

// invokeAnswers are the data sources the program calls. Each answer depends on
// the invoke's arguments and on the account and region of the provider it was
// called through, so tests can check both. Unknown invokes are errors: a new
// data source must get an answer here before anything can synthesize it.
var invokeAnswers = map[string]invokeFunc{
	"aws:index/getCallerIdentity:getCallerIdentity": func(_ resource.PropertyMap, a Account) (resource.PropertyMap, error) {
		return resource.PropertyMap{
			"accountId": resource.NewProperty(a.AccountID),
			"arn":       resource.NewProperty(fmt.Sprintf("arn:%s:sts::%s:assumed-role/eksplatform-deploy/mock", a.Partition, a.AccountID)),
			"userId":    resource.NewProperty("AROAMOCK:mock"),
			"id":        resource.NewProperty(a.AccountID),
		}, nil
	},
	"aws:index/getPartition:getPartition": func(_ resource.PropertyMap, a Account) (resource.PropertyMap, error) {
		suffix := "amazonaws.com"
		if a.Partition == "aws-cn" {
			suffix = "amazonaws.com.cn"
		}
		return resource.PropertyMap{
			"partition": resource.NewProperty(a.Partition),
			"dnsSuffix": resource.NewProperty(suffix),
			"id":        resource.NewProperty(a.Partition),
		}, nil
	},
	"aws:index/getRegion:getRegion": func(_ resource.PropertyMap, a Account) (resource.PropertyMap, error) {
		return resource.PropertyMap{
			"name":   resource.NewProperty(a.Region),
			"region": resource.NewProperty(a.Region),
			"id":     resource.NewProperty(a.Region),
		}, nil
	},
	"aws:index/getAvailabilityZones:getAvailabilityZones": func(_ resource.PropertyMap, a Account) (resource.PropertyMap, error) {
		var names, ids []resource.PropertyValue
		for i, s := range []string{"a", "b", "c", "d"} {
			names = append(names, resource.NewProperty(a.Region+s))
			ids = append(ids, resource.NewProperty(fmt.Sprintf("%s-az%d", regionCode(a.Region), i+1)))
		}
		return resource.PropertyMap{
			"names":   resource.NewProperty(names),
			"zoneIds": resource.NewProperty(ids),
			"id":      resource.NewProperty(a.Region),
		}, nil
	},
	"aws:ssm/getParameter:getParameter": ssmParameter,
	"aws:ec2/getSubnet:getSubnet": func(args resource.PropertyMap, a Account) (resource.PropertyMap, error) {
		id := Str(args, "id")
		if id == "" {
			return nil, fmt.Errorf("getSubnet needs an id, got %v", args)
		}
		return resource.PropertyMap{
			"id":               resource.NewProperty(id),
			"availabilityZone": resource.NewProperty(SubnetZone(a.Region, id)),
			"vpcId":            resource.NewProperty("vpc-0mock"),
		}, nil
	},
	// IAM answers by the issuer URL an EKS cluster of this account created.
	"aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": func(args resource.PropertyMap, a Account) (resource.PropertyMap, error) {
		url := Str(args, "url")
		host, ok := strings.CutPrefix(url, "https://")
		if !ok || !strings.HasPrefix(host, "oidc.eks."+a.Region+".amazonaws.com/id/") {
			return nil, fmt.Errorf("no IAM OIDC provider of account %s has url %q (an EKS issuer of %s is https://oidc.eks.%s.amazonaws.com/id/<id>)", a.AccountID, url, a.Region, a.Region)
		}
		return resource.PropertyMap{
			"id":  resource.NewProperty(fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", a.Partition, a.AccountID, host)),
			"arn": resource.NewProperty(fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", a.Partition, a.AccountID, host)),
			"url": resource.NewProperty(host),
		}, nil
	},
	"aws:eks/getAddonVersion:getAddonVersion": func(args resource.PropertyMap, _ Account) (resource.PropertyMap, error) {
		name, k8s := Str(args, "addonName"), Str(args, "kubernetesVersion")
		if name == "" || k8s == "" {
			return nil, fmt.Errorf("addonName and kubernetesVersion are required, got %v", args)
		}
		which := "default"
		if v, ok := args["mostRecent"]; ok && v.IsBool() && v.BoolValue() {
			which = "latest"
		}
		return resource.PropertyMap{
			"addonName":         resource.NewProperty(name),
			"kubernetesVersion": resource.NewProperty(k8s),
			"mostRecent":        resource.NewProperty(which == "latest"),
			"version":           resource.NewProperty(AddonVersion(name, k8s, which == "latest")),
			"id":                resource.NewProperty(name),
		}, nil
	},
}

// SubnetZone is the zone the engine reports for an adopted subnet: by the
// subnet id's last character, a, b or c, so that tests can put two subnets
// in one zone.
func SubnetZone(region, subnetID string) string {
	return region + string("abc"[int(subnetID[len(subnetID)-1])%3])
}

// AddonVersion is the version the engine reports for getAddonVersion: it names
// the addon, the Kubernetes version and latest/default, so that a synthesized
// cluster shows which question was asked. Real runs get real versions.
func AddonVersion(addon, kubernetesVersion string, latest bool) string {
	which := "default"
	if latest {
		which = "latest"
	}
	return fmt.Sprintf("v0.0.0-mock.%s.k8s%s.%s", addon, kubernetesVersion, which)
}

// AMIRelease is the release version the engine reports for the public SSM
// parameter of an EKS-optimized AMI.
func AMIRelease(kubernetesVersion, family, arch string) string {
	return fmt.Sprintf("%s.0-mock.%s.%s", kubernetesVersion, family, arch)
}

var (
	al2023Param       = regexp.MustCompile(`^/aws/service/eks/optimized-ami/(1\.[0-9]+)/amazon-linux-2023/(arm64|x86_64)/standard/recommended/release_version$`)
	bottlerocketParam = regexp.MustCompile(`^/aws/service/bottlerocket/aws-k8s-(1\.[0-9]+)/(arm64|x86_64)/latest/image_version$`)
)

func ssmParameter(args resource.PropertyMap, _ Account) (resource.PropertyMap, error) {
	name := Str(args, "name")
	var value string
	if m := al2023Param.FindStringSubmatch(name); m != nil {
		value = AMIRelease(m[1], "al2023", m[2])
	} else if m := bottlerocketParam.FindStringSubmatch(name); m != nil {
		value = AMIRelease(m[1], "bottlerocket", m[2])
	} else {
		return nil, fmt.Errorf("no canned value for SSM parameter %q", name)
	}
	return resource.PropertyMap{
		"name":    resource.NewProperty(name),
		"value":   resource.NewProperty(value),
		"type":    resource.NewProperty("String"),
		"version": resource.NewProperty(1.0),
		"id":      resource.NewProperty(name),
		"arn":     resource.NewProperty("arn:aws:ssm:::parameter" + name),
	}, nil
}

func regionCode(region string) string {
	parts := regexp.MustCompile(`-`).Split(region, -1)
	code := ""
	for i, p := range parts {
		if i == len(parts)-1 {
			code += p
		} else if len(p) > 0 {
			code += p[:1]
		}
	}
	return code
}
