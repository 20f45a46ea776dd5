package network

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/components/irsa"
	"github.com/eksplatform/eksplatform/components/kube"
)

// LoadBalancerSettings switch on the aws-load-balancer-controller.
type LoadBalancerSettings struct {
	Chart catalog.Chart
	// CRDs are the chart's CRDs the program applies (catalog.Catalog.CRDs).
	CRDs         []catalog.CRD
	IngressClass string
	IngressGroup string
	Scheme       string
	// SubnetIDs are the ALB's subnets by id, for an adopted VPC whose
	// subnets carry no kubernetes.io/role tags; nil finds them by tag.
	SubnetIDs []string
}

// ExternalDNSSettings switch on external-dns.
type ExternalDNSSettings struct {
	Chart         catalog.Chart
	Policy        string
	HostedZoneIDs []string
	DomainFilters []string
}

// CertManagerSettings switch on cert-manager.
type CertManagerSettings struct {
	Chart  catalog.Chart
	Issuer *ACMEIssuer
}

// Args configures the in-cluster network layer. A nil settings block leaves
// that controller out.
type Args struct {
	ClusterName string
	Region      string
	Partition   string
	AccountID   string
	VpcID       pulumi.StringInput
	// ClusterSecurityGroupID is the security group of the cluster's nodes.
	ClusterSecurityGroupID pulumi.StringInput
	IRSA                   irsa.Cluster
	KubernetesProvider     pulumi.ProviderResource
	Toleration             kube.Taint
	// WaitFor are the foundation's node group and addons: controllers need
	// nodes, networking and DNS before their pods can start.
	WaitFor []pulumi.Resource
	Tags    map[string]string

	LoadBalancerController *LoadBalancerSettings
	ExternalDNS            *ExternalDNSSettings
	CertManager            *CertManagerSettings
}

// Network is the in-cluster network layer.
type Network struct {
	pulumi.ResourceState

	LoadBalancerController *LoadBalancerController
	ExternalDNS            *ExternalDNS
	CertManager            *CertManager
}

// NewNetwork installs the network controllers the args switch on.
func NewNetwork(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil {
		return nil, fmt.Errorf("Network %s: args are required", name)
	}
	a := args
	var errs argcheck.Errors
	errs.Check(a.ClusterName != "", "ClusterName is required")
	errs.Check(a.KubernetesProvider != nil, "KubernetesProvider is required")
	if err := errs.Err("Network", name); err != nil {
		return nil, err
	}
	n := &Network{}
	if err := ctx.RegisterComponentResource("eksplatform:network:Network", name, n, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(n)

	if s := a.LoadBalancerController; s != nil {
		c, err := NewLoadBalancerController(ctx, name+"-aws-load-balancer-controller", &LoadBalancerControllerArgs{
			ClusterName: a.ClusterName, Region: a.Region, Partition: a.Partition, AccountID: a.AccountID,
			VpcID: a.VpcID, ClusterSecurityGroupID: a.ClusterSecurityGroupID, IRSA: a.IRSA,
			KubernetesProvider: a.KubernetesProvider, Chart: s.Chart, CRDs: s.CRDs,
			IngressClass: s.IngressClass, IngressGroup: s.IngressGroup, Scheme: s.Scheme, SubnetIDs: s.SubnetIDs,
			Toleration: a.Toleration, WaitFor: a.WaitFor, Tags: a.Tags,
		}, parent)
		if err != nil {
			return nil, err
		}
		n.LoadBalancerController = c
	}
	if s := a.ExternalDNS; s != nil {
		d, err := NewExternalDNS(ctx, name+"-external-dns", &ExternalDNSArgs{
			ClusterName: a.ClusterName, Region: a.Region, Partition: a.Partition, IRSA: a.IRSA,
			HostedZoneIDs: s.HostedZoneIDs, DomainFilters: s.DomainFilters, Policy: s.Policy,
			KubernetesProvider: a.KubernetesProvider, Chart: s.Chart, Toleration: a.Toleration,
			WaitFor: a.WaitFor, Tags: a.Tags,
		}, parent)
		if err != nil {
			return nil, err
		}
		n.ExternalDNS = d
	}
	if s := a.CertManager; s != nil {
		m, err := NewCertManager(ctx, name+"-cert-manager", &CertManagerArgs{
			ClusterName: a.ClusterName, Region: a.Region, Partition: a.Partition, IRSA: a.IRSA,
			KubernetesProvider: a.KubernetesProvider, Chart: s.Chart, Toleration: a.Toleration,
			Issuer: s.Issuer, WaitFor: a.WaitFor, Tags: a.Tags,
		}, parent)
		if err != nil {
			return nil, err
		}
		n.CertManager = m
	}
	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{}); err != nil {
		return nil, err
	}
	return n, nil
}
