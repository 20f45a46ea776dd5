package mockengine

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/eksplatform/eksplatform/internal/awsanswers"
)

// outputsFor gives a resource the outputs the real provider would report
// (awsanswers, the table the stand-in providers of tests/box share). Callers
// hold e.mu.
func (e *Engine) outputsFor(r *Resource) (resource.PropertyMap, error) {
	prov := r.Provider
	if prov == "" && r.Providers != nil {
		prov = r.Providers["aws"]
	}
	a := e.accountOf(prov)
	if r.Type == "eks:index:Cluster" {
		return eksClusterOutputs(r, a)
	}
	ar := awsanswers.Resource{URN: r.URN, Type: r.Type, Name: r.Name, ID: r.ID, Inputs: r.Inputs}
	out, err := awsanswers.Create(&ar, a)
	r.ID = ar.ID
	return out, err
}

// eksClusterOutputs answers for pulumi-eks's Cluster, a multi-language
// component whose children (the aws:eks/cluster:Cluster, its IAM role, the
// IRSA OIDC provider) live in the eks provider plugin and are never
// registered by this program. Its "eksCluster" output is a reference to that
// child cluster. The SDK resolves a reference by asking the engine for the
// referenced URN, so the harness points it at the component itself and puts
// the child cluster's fields (certificateAuthority, identities, vpcConfig, ...)
// into the component's recorded state: the program reads exactly the fields
// it would read from the real child. (The stand-in eks plugin of tests/box
// registers the child for real, with the same table.)
func eksClusterOutputs(r *Resource, a awsanswers.Account) (resource.PropertyMap, error) {
	name := awsanswers.Str(r.Inputs, "name")
	if name == "" {
		return nil, fmt.Errorf("the program must name the EKS cluster explicitly")
	}
	child := awsanswers.Resource{
		URN: r.URN, Type: "aws:eks/cluster:Cluster", Name: r.Name + "-eksCluster", ID: shortID(r.URN + "/cluster"),
		Inputs: resource.PropertyMap{
			"name":      resource.NewProperty(name),
			"vpcConfig": resource.NewProperty(resource.PropertyMap{"vpcId": r.Inputs["vpcId"], "subnetIds": r.Inputs["privateSubnetIds"]}),
		},
	}
	out, err := awsanswers.Create(&child, a)
	if err != nil {
		return nil, err
	}
	for k, v := range r.Inputs {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	out["eksCluster"] = resource.NewResourceReferenceProperty(resource.ResourceReference{
		URN:  resource.URN(r.URN),
		Type: "aws:eks/cluster:Cluster",
		Name: child.Name,
		ID:   resource.NewProperty(awsanswers.ShortID(r.URN + "/cluster")),
	})
	c := awsanswers.EKSClusterOf(r.URN, name, a)
	kubeconfig := awsanswers.KubeconfigFor(name, c.Endpoint, c.CertificateAuthority, a.Region)
	out["kubeconfigJson"] = resource.MakeSecret(resource.NewProperty(kubeconfig))
	out["kubeconfig"] = resource.MakeSecret(resource.NewProperty(kubeconfig))
	return out, nil
}
