package network

import (
	"fmt"

	"github.com/eksplatform/eksplatform/components/internal/iampolicy"
)

// lbControllerTag is the tag the controller puts on every load balancer,
// target group and security group it creates, valued with the cluster name.
const lbControllerTag = "elbv2.k8s.aws/cluster"

// LBPolicyScope is what the controller's policy is narrowed to.
type LBPolicyScope struct {
	Partition, Region, Account, Cluster string
	VpcID                               string
	// ClusterSecurityGroupID is the EKS cluster security group every node
	// carries: the only node group whose rules the controller edits.
	ClusterSecurityGroupID string
}

// LoadBalancerControllerPolicy is the controller's published IAM policy,
// tightened so that two clusters sharing an account cannot touch each other's
// load balancers and no write action is granted on "*" where the resource
// can be named: the cluster tag must name this cluster (the published policy
// only asks that it exist), new security groups go in this VPC, node rules
// are edited on this cluster's security group, and listener and rule actions
// are limited to load balancer ARNs. The WAF and Shield associations stay on
// "*" as published: their resources are web ACLs the platform does not own.
func LoadBalancerControllerPolicy(s LBPolicyScope) string {
	partition, cluster := s.Partition, s.Cluster
	arn := func(resource string) string {
		return fmt.Sprintf("arn:%s:elasticloadbalancing:%s:%s:%s", partition, s.Region, s.Account, resource)
	}
	ec2ARN := func(resource string) string {
		return fmt.Sprintf("arn:%s:ec2:%s:%s:%s", partition, s.Region, s.Account, resource)
	}
	loadBalancers := []string{arn("loadbalancer/net/*/*"), arn("loadbalancer/app/*/*")}
	listenersAndRules := []string{arn("listener/net/*/*/*"), arn("listener/app/*/*/*"), arn("listener-rule/net/*/*/*"), arn("listener-rule/app/*/*/*")}
	ownedResource := map[string]map[string]any{"StringEquals": {"aws:ResourceTag/" + lbControllerTag: cluster}}
	ownedRequest := map[string]map[string]any{"StringEquals": {"aws:RequestTag/" + lbControllerTag: cluster}}
	retagOwned := map[string]map[string]any{
		"Null":         {"aws:RequestTag/" + lbControllerTag: "true"},
		"StringEquals": {"aws:ResourceTag/" + lbControllerTag: cluster},
	}
	lbAndTargetGroups := append([]string{arn("targetgroup/*/*")}, loadBalancers...)
	securityGroups := ec2ARN("security-group/*")

	return iampolicy.New(
		iampolicy.Statement{
			Sid: "CreateELBServiceLinkedRole", Effect: "Allow", Action: "iam:CreateServiceLinkedRole",
			Resource:  fmt.Sprintf("arn:%s:iam::%s:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing", partition, s.Account),
			Condition: map[string]map[string]any{"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
		},
		iampolicy.Statement{
			Sid: "Describe", Effect: "Allow", Resource: "*",
			Action: []string{
				"ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
				"ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
				"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
				"ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage", "ec2:DescribeCoipPools",
				"ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools", "ec2:DescribeRouteTables",
				"elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
				"elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates",
				"elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeRules",
				"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
				"elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTags",
				"elasticloadbalancing:DescribeTrustStores", "elasticloadbalancing:DescribeListenerAttributes",
				"elasticloadbalancing:DescribeCapacityReservation",
			},
		},
		iampolicy.Statement{
			Sid: "CertificatesAndFirewalls", Effect: "Allow", Resource: "*",
			Action: []string{
				"cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate",
				"iam:ListServerCertificates", "iam:GetServerCertificate",
				"waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL", "waf-regional:DisassociateWebACL",
				"wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL",
				"shield:GetSubscriptionState", "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection",
				// SetWebAcl supports no resource type: only "*" grants it.
				"elasticloadbalancing:SetWebAcl",
			},
		},
		iampolicy.Statement{
			Sid: "OpenNodeSecurityGroup", Effect: "Allow", Resource: ec2ARN("security-group/" + s.ClusterSecurityGroupID),
			Action: []string{"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"},
		},
		iampolicy.Statement{
			Sid: "CreateSecurityGroupsInClusterVPC", Effect: "Allow", Action: "ec2:CreateSecurityGroup",
			Resource: []string{securityGroups, ec2ARN("vpc/" + s.VpcID)},
		},
		iampolicy.Statement{
			Sid: "TagNewSecurityGroups", Effect: "Allow", Action: "ec2:CreateTags", Resource: securityGroups,
			Condition: map[string]map[string]any{
				"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup", "aws:RequestTag/" + lbControllerTag: cluster},
			},
		},
		iampolicy.Statement{
			Sid: "RetagOwnSecurityGroups", Effect: "Allow", Action: []string{"ec2:CreateTags", "ec2:DeleteTags"},
			Resource: securityGroups, Condition: retagOwned,
		},
		iampolicy.Statement{
			Sid: "ManageOwnSecurityGroups", Effect: "Allow", Resource: securityGroups, Condition: ownedResource,
			Action: []string{"ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"},
		},
		iampolicy.Statement{
			Sid: "CreateLoadBalancers", Effect: "Allow", Resource: lbAndTargetGroups, Condition: ownedRequest,
			Action: []string{"elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"},
		},
		iampolicy.Statement{
			Sid: "ManageListenersAndRules", Effect: "Allow", Resource: append(append([]string(nil), loadBalancers...), listenersAndRules...),
			Action: []string{"elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
				"elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule"},
		},
		iampolicy.Statement{
			Sid: "RetagOwnLoadBalancers", Effect: "Allow", Resource: lbAndTargetGroups, Condition: retagOwned,
			Action: []string{"elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"},
		},
		iampolicy.Statement{
			Sid: "TagListenersAndRules", Effect: "Allow",
			Action:   []string{"elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"},
			Resource: []string{arn("listener/net/*/*/*"), arn("listener/app/*/*/*"), arn("listener-rule/net/*/*/*"), arn("listener-rule/app/*/*/*")},
		},
		iampolicy.Statement{
			Sid: "ModifyOwnLoadBalancers", Effect: "Allow", Resource: lbAndTargetGroups, Condition: ownedResource,
			Action: []string{
				"elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
				"elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
				"elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
				"elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
				"elasticloadbalancing:ModifyCapacityReservation",
				"elasticloadbalancing:ModifyIpPools",
			},
		},
		iampolicy.Statement{
			// ModifyListenerAttributes acts on listeners, not on load
			// balancers: granted on listener ARNs, of this cluster's ALBs
			// and NLBs only (the controller tags its listeners).
			Sid: "ModifyOwnListeners", Effect: "Allow", Action: "elasticloadbalancing:ModifyListenerAttributes",
			Resource: []string{arn("listener/net/*/*/*"), arn("listener/app/*/*/*")}, Condition: ownedResource,
		},
		iampolicy.Statement{
			Sid: "TagOnCreate", Effect: "Allow", Action: "elasticloadbalancing:AddTags", Resource: lbAndTargetGroups,
			Condition: map[string]map[string]any{"StringEquals": {
				"elasticloadbalancing:CreateAction": []string{"CreateTargetGroup", "CreateLoadBalancer"},
				"aws:RequestTag/" + lbControllerTag: cluster,
			}},
		},
		iampolicy.Statement{
			Sid: "RegisterTargets", Effect: "Allow", Resource: arn("targetgroup/*/*"),
			Action: []string{"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"},
		},
		iampolicy.Statement{
			Sid: "ListenerSettings", Effect: "Allow", Resource: listenersAndRules,
			Action: []string{"elasticloadbalancing:ModifyListener",
				"elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
				"elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities"},
		},
	).JSON()
}
