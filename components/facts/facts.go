// Package facts publishes a cluster's facts (contract.Facts) as SSM
// parameters under /eksplatform/<cluster>/, so that services read a
// cluster's endpoint, issuer, roles and storage with the AWS SDK.
package facts

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/components/internal/argcheck"
	"github.com/eksplatform/eksplatform/contract"
)

// Args are the values to publish, by fact name (contract.Facts).
type Args struct {
	ClusterName string
	// Values are the String facts; Lists the StringList facts.
	Values map[string]pulumi.StringInput
	Lists  map[string]pulumi.StringArrayInput
	// Skip are facts another component publishes (the storage layer's
	// file system id).
	Skip []string
	Tags map[string]string
}

// ClusterFacts is the set of parameters of one cluster.
type ClusterFacts struct {
	pulumi.ResourceState

	// Names maps every fact of the cluster, Skip included, to its
	// parameter's name.
	Names map[string]string
}

// NewClusterFacts creates one SSM parameter per fact given. Every
// non-optional fact of contract.Facts must be given or skipped, so a fact
// added to the contract cannot go unpublished; a name the contract does not
// have, or a value of the wrong kind, is an error.
func NewClusterFacts(ctx *pulumi.Context, name string, a *Args, opts ...pulumi.ResourceOption) (*ClusterFacts, error) {
	if a == nil {
		return nil, fmt.Errorf("ClusterFacts %s: args are required", name)
	}
	var errs argcheck.Errors
	errs.Check(a.ClusterName != "", "ClusterName is required")
	given := map[string]bool{}
	for n := range a.Values {
		given[n] = true
	}
	for n := range a.Lists {
		errs.Check(!given[n], "fact %s is given twice", n)
		given[n] = true
	}
	for _, n := range a.Skip {
		errs.Check(!given[n], "fact %s is both given and skipped", n)
	}
	for _, n := range slices.Sorted(maps.Keys(given)) {
		f, ok := contract.FactNamed(n)
		if !ok {
			errs.Check(false, "fact %s is not in contract.Facts", n)
			continue
		}
		_, isList := a.Lists[n]
		errs.Check(f.List == isList, "fact %s is a %s", n, map[bool]string{true: "StringList (Lists)", false: "String (Values)"}[f.List])
	}
	for _, f := range contract.Facts {
		errs.Check(f.Optional || given[f.Name] || slices.Contains(a.Skip, f.Name), "fact %s is neither given nor skipped", f.Name)
	}
	if err := errs.Err("ClusterFacts", name); err != nil {
		return nil, err
	}

	c := &ClusterFacts{Names: map[string]string{}}
	if err := ctx.RegisterComponentResource("eksplatform:facts:ClusterFacts", name, c, opts...); err != nil {
		return nil, err
	}
	for _, f := range contract.Facts {
		if slices.Contains(a.Skip, f.Name) {
			c.Names[f.Name] = contract.ParameterName(a.ClusterName, f.Name)
			continue
		}
		if !given[f.Name] {
			continue
		}
		args := &ssm.ParameterArgs{
			Name:        pulumi.String(contract.ParameterName(a.ClusterName, f.Name)),
			Description: pulumi.Sprintf("%s of EKS cluster %s (eksplatform)", strings.ReplaceAll(f.Name, "-", " "), a.ClusterName),
			Type:        pulumi.String("String"),
			Tier:        pulumi.String("Standard"),
			Tags:        pulumi.ToStringMap(a.Tags),
		}
		if f.List {
			args.Type = pulumi.String("StringList")
			// SSM's StringList is the values joined by commas.
			args.InsecureValue = a.Lists[f.Name].ToStringArrayOutput().ApplyT(func(v []string) string {
				return strings.Join(v, ",")
			}).(pulumi.StringOutput)
		} else {
			// Facts are not secrets (the kubeconfig is not one of them):
			// InsecureValue keeps them readable in state, previews and synth.
			args.InsecureValue = a.Values[f.Name]
		}
		if _, err := ssm.NewParameter(ctx, name+"-"+f.Name, args, pulumi.Parent(c)); err != nil {
			return nil, err
		}
		c.Names[f.Name] = contract.ParameterName(a.ClusterName, f.Name)
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"names": pulumi.ToStringMap(c.Names)}); err != nil {
		return nil, err
	}
	return c, nil
}
