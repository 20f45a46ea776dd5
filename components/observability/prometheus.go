package observability

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/amp"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/components/kube"
)

// prometheus creates the workspace, its retention, the fleet's alert rules,
// the scraper with its security group, and the scraper's access to the
// cluster (access entry, ClusterRole, ClusterRoleBinding).
func (o *Observability) prometheus(ctx *pulumi.Context, name string, a *Args) error {
	parent := pulumi.Parent(o)
	tags := pulumi.ToStringMap(a.Tags)

	ws, err := amp.NewWorkspace(ctx, name, &amp.WorkspaceArgs{
		Alias: pulumi.String(a.ClusterName),
		Tags:  tags,
	}, parent)
	if err != nil {
		return err
	}
	if _, err := amp.NewWorkspaceConfiguration(ctx, name, &amp.WorkspaceConfigurationArgs{
		WorkspaceId:           ws.ID(),
		RetentionPeriodInDays: pulumi.Int(a.Prometheus.RetentionDays),
	}, parent); err != nil {
		return err
	}
	if _, err := amp.NewRuleGroupNamespace(ctx, name+"-rules", &amp.RuleGroupNamespaceArgs{
		WorkspaceId: ws.ID(),
		Name:        pulumi.String(RuleNamespace),
		Data:        pulumi.String(AlertRules()),
		Tags:        tags,
	}, parent); err != nil {
		return err
	}

	// The scraper's network interfaces reach the API server only.
	sg, err := ec2.NewSecurityGroup(ctx, name+"-scraper", &ec2.SecurityGroupArgs{
		VpcId:       a.VpcID,
		Description: pulumi.Sprintf("Managed Prometheus scraper of %s: HTTPS to the cluster security group only", a.ClusterName),
		Egress: ec2.SecurityGroupEgressArray{ec2.SecurityGroupEgressArgs{
			Description:    pulumi.String("Kubernetes API (and the kubelets through it)"),
			Protocol:       pulumi.String("tcp"),
			FromPort:       pulumi.Int(443),
			ToPort:         pulumi.Int(443),
			SecurityGroups: pulumi.StringArray{a.ClusterSecurityGroupID},
		}},
		Tags: tags,
	}, parent)
	if err != nil {
		return err
	}
	ingress, err := ec2.NewSecurityGroupRule(ctx, name+"-scraper-ingress", &ec2.SecurityGroupRuleArgs{
		Type:                  pulumi.String("ingress"),
		Protocol:              pulumi.String("tcp"),
		FromPort:              pulumi.Int(443),
		ToPort:                pulumi.Int(443),
		SecurityGroupId:       a.ClusterSecurityGroupID,
		SourceSecurityGroupId: sg.ID(),
		Description:           pulumi.String("eksplatform: Kubernetes API from the managed Prometheus scraper"),
	}, parent)
	if err != nil {
		return err
	}

	scraper, err := amp.NewScraper(ctx, name, &amp.ScraperArgs{
		Alias:               pulumi.String(a.ClusterName),
		ScrapeConfiguration: pulumi.String(ScrapeConfiguration(a.ClusterName)),
		Source: amp.ScraperSourceArgs{Eks: amp.ScraperSourceEksArgs{
			ClusterArn:       a.ClusterARN,
			SubnetIds:        a.PrivateSubnetIDs,
			SecurityGroupIds: pulumi.StringArray{sg.ID()},
		}},
		Destination: amp.ScraperDestinationArgs{Amp: amp.ScraperDestinationAmpArgs{WorkspaceArn: ws.Arn}},
		Tags:        tags,
	}, parent, pulumi.DependsOn([]pulumi.Resource{ingress}))
	if err != nil {
		return err
	}

	// The scraper's role becomes the Kubernetes user the ClusterRole is bound to.
	if _, err := awseks.NewAccessEntry(ctx, name+"-scraper", &awseks.AccessEntryArgs{
		ClusterName:  pulumi.String(a.ClusterName),
		PrincipalArn: scraper.RoleArn,
		Type:         pulumi.String("STANDARD"),
		UserName:     pulumi.String(ScraperUser),
		Tags:         tags,
	}, parent); err != nil {
		return err
	}
	k8s := []pulumi.ResourceOption{parent, pulumi.Provider(a.KubernetesProvider), pulumi.DependsOn(a.WaitFor)}
	role, err := rbacv1.NewClusterRole(ctx, name+"-scraper", &rbacv1.ClusterRoleArgs{
		Metadata: kube.Meta(ScraperClusterRole, "", nil),
		Rules:    scraperRules(),
	}, k8s...)
	if err != nil {
		return err
	}
	if _, err := rbacv1.NewClusterRoleBinding(ctx, name+"-scraper", &rbacv1.ClusterRoleBindingArgs{
		Metadata: kube.Meta(ScraperClusterRole+"-binding", "", nil),
		RoleRef: rbacv1.RoleRefArgs{
			ApiGroup: pulumi.String("rbac.authorization.k8s.io"),
			Kind:     pulumi.String("ClusterRole"),
			Name:     role.Metadata.Name().Elem(),
		},
		Subjects: rbacv1.SubjectArray{rbacv1.SubjectArgs{
			ApiGroup: pulumi.String("rbac.authorization.k8s.io"),
			Kind:     pulumi.String("User"),
			Name:     pulumi.String(ScraperUser),
		}},
	}, k8s...); err != nil {
		return err
	}

	o.WorkspaceID = ws.ID().ToStringOutput()
	o.WorkspaceARN = ws.Arn
	o.PrometheusEndpoint = ws.PrometheusEndpoint
	o.ScraperRoleARN = scraper.RoleArn
	return nil
}

// scraperRules are the read-only permissions AWS documents for the managed
// collector: discovery of nodes, services, endpoints and pods, the kubelets
// through the nodes proxy, the control-plane metrics EKS exposes and the
// API server's /metrics. (AWS's example also lists the verb "describe",
// which Kubernetes has not; it is left out.)
func scraperRules() rbacv1.PolicyRuleArray {
	read := pulumi.ToStringArray([]string{"get", "list", "watch"})
	return rbacv1.PolicyRuleArray{
		rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.ToStringArray([]string{""}),
			Resources: pulumi.ToStringArray([]string{"nodes", "nodes/proxy", "nodes/metrics", "services", "endpoints", "pods", "configmaps"}),
			Verbs:     read,
		},
		rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.ToStringArray([]string{"extensions", "networking.k8s.io"}),
			Resources: pulumi.ToStringArray([]string{"ingresses/status", "ingresses"}),
			Verbs:     read,
		},
		rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.ToStringArray([]string{"metrics.eks.amazonaws.com"}),
			Resources: pulumi.ToStringArray([]string{"kcm/metrics", "ksh/metrics"}),
			Verbs:     pulumi.ToStringArray([]string{"get"}),
		},
		rbacv1.PolicyRuleArgs{
			NonResourceURLs: pulumi.ToStringArray([]string{"/metrics"}),
			Verbs:           pulumi.ToStringArray([]string{"get"}),
		},
	}
}
