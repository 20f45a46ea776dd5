// Package stacks composes the layers of one cluster into a Pulumi program.
// The same program runs under `pulumi up -s <cluster>` (main.go), as the
// Automation API's inline program (automation) and under the mock engine
// (synth and tests).
package stacks

import (
	"fmt"
	"maps"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/components/facts"
	"github.com/eksplatform/eksplatform/components/foundation"
	"github.com/eksplatform/eksplatform/components/network"
	"github.com/eksplatform/eksplatform/components/observability"
	"github.com/eksplatform/eksplatform/components/operators"
	"github.com/eksplatform/eksplatform/components/storage"
	"github.com/eksplatform/eksplatform/contract"
	"github.com/eksplatform/eksplatform/environments"
)

// Tags every AWS resource of a cluster carries besides the environment's.
func platformTags(c *environments.Cluster) map[string]string {
	tags := maps.Clone(c.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	tags["eksplatform:cluster"] = c.Name
	tags["eksplatform:role"] = c.Role
	tags["managed-by"] = "eksplatform"
	return tags
}

// Cluster returns the program of one cluster's stack, with an AWS provider
// pinned to the cluster's account and region: the VPC (which the control
// plane needs first), then foundation → network → storage → operators, each
// layer taking the typed outputs of the ones before it. In-cluster objects go
// through one Kubernetes provider built from the cluster's kubeconfig.
func Cluster(c *environments.Cluster) pulumi.RunFunc {
	return clusterProgram(c, func(ctx *pulumi.Context, name string, v pulumi.Input) { ctx.Export(name, v) })
}

// clusterProgram is Cluster with its exports going to export: the test that
// keeps the stack's outputs and contract.Names in step records them.
func clusterProgram(c *environments.Cluster, export func(ctx *pulumi.Context, name string, v pulumi.Input)) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		if c == nil {
			return fmt.Errorf("stacks.Cluster: no cluster")
		}
		if ctx.Stack() != c.Name {
			return fmt.Errorf("stack %q runs cluster %q: the stack name must be the cluster name", ctx.Stack(), c.Name)
		}
		tags := platformTags(c)

		provArgs := &aws.ProviderArgs{
			Region: pulumi.String(c.Region),
			// A stack can only ever touch its cluster's account: credentials
			// for any other account fail before anything is read or changed.
			AllowedAccountIds: pulumi.ToStringArray([]string{c.AccountID}),
		}
		if c.DeployRoleARN != "" {
			provArgs.AssumeRole = aws.ProviderAssumeRoleArgs{
				RoleArn:     pulumi.String(c.DeployRoleARN),
				SessionName: pulumi.String("eksplatform-" + c.Name),
			}
		}
		awsProvider, err := aws.NewProvider(ctx, c.Name, provArgs)
		if err != nil {
			return err
		}
		withAWS := pulumi.Providers(awsProvider)

		vpc, err := network.NewVpc(ctx, c.Name, &network.VpcArgs{
			ClusterName:          c.Name,
			CIDR:                 c.VPC.CIDR,
			NATGateways:          c.VPC.NATGateways,
			FlowLogRetentionDays: c.VPC.FlowLogRetentionDays,
			Partition:            c.Partition,
			Region:               c.Region,
			AccountID:            c.AccountID,
			ID:                   c.VPC.ID,
			PrivateSubnetIDs:     c.VPC.PrivateSubnetIDs,
			PublicSubnetIDs:      c.VPC.PublicSubnetIDs,
			Tags:                 tags,
		}, withAWS)
		if err != nil {
			return err
		}

		// Account-level: the first cluster of an account (wave order) owns
		// the account's Spot service-linked role (environments.Fleet.Accounts).
		spotOwner := pulumi.String(c.SpotRole()).ToStringOutput()
		if c.OwnsSpotRole {
			spot, err := foundation.NewSpotServiceLinkedRole(ctx, "account-"+c.AccountID+"-spot", &foundation.SpotServiceLinkedRoleArgs{
				AccountID: c.AccountID, Tags: tags,
			}, withAWS)
			if err != nil {
				return err
			}
			spotOwner = spot.ARN
		}

		fargs := foundationArgs(c, vpc, tags)
		fargs.AWSProvider = awsProvider
		fargs.KubeconfigRoleARN = c.DeployRoleARN
		f, err := foundation.NewFoundation(ctx, c.Name, fargs, withAWS)
		if err != nil {
			return err
		}

		// Built from an output: during a preview of a cluster that does not
		// exist yet the kubeconfig is unknown, and the provider previews
		// every in-cluster object without contacting a cluster.
		k8s, err := kubernetes.NewProvider(ctx, c.Name, &kubernetes.ProviderArgs{
			Kubeconfig:            f.Cluster.Kubeconfig,
			EnableServerSideApply: pulumi.Bool(true),
		})
		if err != nil {
			return err
		}
		l := layerInputs{c: c, f: f, vpc: vpc, k8s: k8s, tags: tags}

		net, err := network.NewNetwork(ctx, c.Name, l.networkArgs(), withAWS)
		if err != nil {
			return err
		}
		store, err := storage.NewStorage(ctx, c.Name, l.storageArgs(), withAWS)
		if err != nil {
			return err
		}
		ops, err := operators.NewOperators(ctx, c.Name, l.operatorsArgs(net), withAWS)
		if err != nil {
			return err
		}
		// Container Insights is an addon of the foundation (c.Addons); the
		// workspace, the scraper and the alarms are the observability layer.
		var obs *observability.Observability
		if c.Observability.Any() {
			if obs, err = observability.NewObservability(ctx, c.Name, l.observabilityArgs(ops), withAWS); err != nil {
				return err
			}
		}

		cl := f.Cluster
		export(ctx, contract.Role, pulumi.String(c.Role))
		export(ctx, contract.Wave, pulumi.Int(c.Wave))
		export(ctx, contract.ClusterName, cl.Name)
		export(ctx, contract.Region, pulumi.String(c.Region))
		export(ctx, contract.AccountID, pulumi.String(c.AccountID))
		export(ctx, contract.KubernetesVersion, cl.KubernetesVersion)
		export(ctx, contract.Endpoint, cl.Endpoint)
		export(ctx, contract.CertificateAuthority, cl.CertificateAuthority)
		export(ctx, contract.OIDCIssuerURL, cl.OIDCIssuerURL)
		export(ctx, contract.OIDCProviderARN, cl.OIDCProviderARN)
		export(ctx, contract.Kubeconfig, cl.Kubeconfig)
		export(ctx, contract.NodeGroupName, f.NodeGroup.NodeGroupName)
		export(ctx, contract.NodeGroupRelease, f.NodeGroup.ReleaseVersion)
		export(ctx, contract.AddonVersions, f.AddonVersions)
		export(ctx, contract.KMSKeyARN, f.Key.KeyARN)
		export(ctx, contract.VpcID, vpc.VpcID)
		export(ctx, contract.PrivateSubnetIDs, vpc.PrivateSubnetIDs)
		export(ctx, contract.PublicSubnetIDs, vpc.PublicSubnetIDs)
		export(ctx, contract.EBSStorageClass, pulumi.String(store.EBS.Name))
		if store.EFS != nil {
			export(ctx, contract.EFSFileSystemID, store.EFS.FileSystemID)
			export(ctx, contract.EFSStorageClass, pulumi.String(store.EFS.StorageClassName))
		}
		export(ctx, contract.KarpenterVersion, pulumi.String(c.Charts["karpenter"].Version))
		export(ctx, contract.KarpenterQueue, ops.Karpenter.QueueName)
		export(ctx, contract.EchoServerURL, ops.EchoServerURL)
		export(ctx, contract.ChartVersions, chartVersions(c))
		export(ctx, contract.ClusterAdminRoleARN, f.Admin.RoleARN)
		export(ctx, contract.SpotServiceLinkedRole, spotOwner)
		if ops.FluentBit != nil {
			export(ctx, contract.PodLogGroup, pulumi.String(c.Operators.FluentBit.LogGroup))
		}
		if c.Observability.ContainerInsights {
			export(ctx, contract.ContainerInsights, pulumi.String(ContainerInsightsURL(c)))
		}
		if c.Observability.Prometheus.Enabled {
			export(ctx, contract.PrometheusWorkspaceID, obs.WorkspaceID)
			export(ctx, contract.PrometheusEndpoint, obs.PrometheusEndpoint)
		}

		// The cluster's facts in SSM Parameter Store, for services that
		// find a cluster with the AWS SDK (the inventory names them).
		factArgs := &facts.Args{
			ClusterName: c.Name,
			Values: map[string]pulumi.StringInput{
				contract.FactRole:                 pulumi.String(c.Role),
				contract.FactKubernetesVersion:    cl.KubernetesVersion,
				contract.FactEndpoint:             cl.Endpoint,
				contract.FactCertificateAuthority: cl.CertificateAuthority,
				contract.FactOIDCIssuerURL:        cl.OIDCIssuerURL,
				contract.FactOIDCProviderARN:      cl.OIDCProviderARN,
				contract.FactClusterAdminRoleARN:  f.Admin.RoleARN,
				contract.FactVpcID:                vpc.VpcID,
				contract.FactNodeGroupRelease:     f.NodeGroup.ReleaseVersion,
				contract.FactKarpenterVersion:     pulumi.String(c.Charts["karpenter"].Version),
				contract.FactKarpenterQueue:       ops.Karpenter.QueueName,
				contract.FactEBSStorageClass:      pulumi.String(store.EBS.Name),
			},
			Lists: map[string]pulumi.StringArrayInput{contract.FactPrivateSubnetIDs: vpc.PrivateSubnetIDs},
			Tags:  tags,
		}
		if store.EFS != nil {
			// The storage layer publishes the file system id beside it.
			factArgs.Skip = []string{contract.FactEFSFileSystemID}
			factArgs.Values[contract.FactEFSStorageClass] = pulumi.String(store.EFS.StorageClassName)
		}
		if c.Observability.Prometheus.Enabled {
			factArgs.Values[contract.FactPrometheusWorkspaceID] = obs.WorkspaceID
			factArgs.Values[contract.FactPrometheusEndpoint] = obs.PrometheusEndpoint
		}
		published, err := facts.NewClusterFacts(ctx, c.Name, factArgs, withAWS)
		if err != nil {
			return err
		}
		export(ctx, contract.Parameters, pulumi.ToStringMap(published.Names))
		return nil
	}
}

func foundationArgs(c *environments.Cluster, vpc *network.Vpc, tags map[string]string) *foundation.Args {
	entries := make([]foundation.AccessEntry, len(c.AccessEntries))
	for i, e := range c.AccessEntries {
		entries[i] = foundation.AccessEntry{
			Key: e.Key, PrincipalARN: e.PrincipalARN, Policy: e.Policy,
			Namespaces: e.Namespaces, KubernetesGroups: e.KubernetesGroups,
		}
	}
	var idp *foundation.IdentityProvider
	if p := c.OIDC; p != nil {
		idp = &foundation.IdentityProvider{
			Name: p.Name, IssuerURL: p.IssuerURL, ClientID: p.ClientID,
			UsernameClaim: p.UsernameClaim, GroupsClaim: p.GroupsClaim,
			UsernamePrefix: p.UsernamePrefix, GroupsPrefix: p.GroupsPrefix,
		}
	}
	addons := make([]foundation.AddonVersion, len(c.Addons))
	for i, a := range c.Addons {
		addons[i] = foundation.AddonVersion{Addon: a.Spec, Version: a.Version}
	}
	ng := c.NodeGroup
	return &foundation.Args{
		ClusterName:              c.Name,
		KubernetesVersion:        c.EKSVersion,
		Partition:                c.Partition,
		AccountID:                c.AccountID,
		Protect:                  !c.Ephemeral,
		Tags:                     tags,
		VpcID:                    vpc.VpcID,
		PrivateSubnetIDs:         vpc.PrivateSubnetIDs,
		DeployerSecurityGroupIDs: c.Deployer.IngressSecurityGroupIDs,
		DeployerCIDRs:            c.Deployer.IngressCIDRs,
		PublicAccessCIDRs:        c.PublicAccessCIDRs,
		LogTypes:                 c.LogTypes,
		LogRetentionDays:         c.LogRetentionDays,
		ExistingKMSKeyARN:        c.KMSKeyARN,
		AccessEntries:            entries,
		IdentityProvider:         idp,
		NodeGroup: foundation.NodeGroupSettings{
			InstanceTypes:  ng.InstanceTypes,
			MinSize:        ng.MinSize,
			DesiredSize:    ng.DesiredSize,
			MaxSize:        ng.MaxSize,
			AMIType:        ng.AMIType,
			ReleaseVersion: ng.ReleaseVersion,
			DiskSizeGiB:    ng.DiskSizeGiB,
			CapacityType:   ng.CapacityType,
			Taint:          foundation.Taint{Key: ng.Taint.Key, Value: ng.Taint.Value, Effect: ng.Taint.Effect},
			Labels:         ng.Labels,
			IMDSHopLimit:   ng.IMDSHopLimit,
		},
		Addons:                 addons,
		Region:                 c.Region,
		AdminTrustedPrincipals: c.ClusterAdmin.TrustedPrincipals,
		AdminRoleARN:           c.ClusterAdmin.RoleARN,
	}
}

// FromEnvironments is the program of `pulumi up -s <cluster>`: it loads the
// environment files and runs the cluster named by the stack.
func FromEnvironments(dir string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		fleet, err := environments.Load(dir)
		if err != nil {
			return fmt.Errorf("loading %s: %w", dir, err)
		}
		c, ok := fleet.Cluster(ctx.Stack())
		if !ok {
			return fmt.Errorf("stack %q is not a cluster of %s; the stack name must be one of: %v", ctx.Stack(), dir, fleet.ClusterNames())
		}
		return Cluster(c)(ctx)
	}
}
