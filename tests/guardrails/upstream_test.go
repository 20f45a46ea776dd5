package guardrails

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/operators"
	"github.com/eksplatform/eksplatform/tests/mockengine"
)

// karpenterServices maps the AWS API interfaces of karpenter's pkg/aws/sdk.go
// to their IAM service prefixes.
var karpenterServices = map[string]string{
	"EC2API": "ec2", "IAMAPI": "iam", "EKSAPI": "eks", "PricingAPI": "pricing", "SSMAPI": "ssm",
	"SQSAPI": "sqs", "ARCZonalShiftAPI": "arc-zonal-shift", "TimestreamWriteAPI": "timestream",
}

// karpenterCalls reads, from the karpenter release the catalog pins, every
// AWS call its controller can make: the methods of the SDK interfaces in
// pkg/aws/sdk.go, as IAM actions (service:Operation).
func karpenterCalls(t *testing.T) []string {
	t.Helper()
	version := "v" + catalog.Default().DefaultCharts()["karpenter"].Version
	src := moduleFile(t, karpenterModule, version, "pkg/aws/sdk.go")
	f, err := parser.ParseFile(token.NewFileSet(), "sdk.go", src, 0)
	require.NoError(t, err)
	var out []string
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, spec := range gen.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok {
				continue
			}
			iface, ok := ts.Type.(*ast.InterfaceType)
			if !ok {
				continue
			}
			service, known := karpenterServices[ts.Name.Name]
			require.True(t, known, "karpenter %s declares AWS API interface %s: map it to its IAM service in karpenterServices", version, ts.Name.Name)
			for _, m := range iface.Methods.List {
				for _, n := range m.Names {
					out = append(out, service+":"+n.Name)
				}
			}
		}
	}
	sort.Strings(out)
	require.NotEmpty(t, out)
	return out
}

// karpenterGranted are the actions of the karpenter controller's policy in a
// synthesized cluster: the inline policy of the role that may CreateFleet.
func karpenterGranted(t *testing.T, s synthesized) []string {
	t.Helper()
	for _, r := range s.e.ByType("aws:iam/role:Role") {
		pols, _ := r.In()["inlinePolicies"].([]any)
		if len(pols) != 1 {
			continue
		}
		var actions []string
		for _, st := range mockengine.InlinePolicy(t, r) {
			if st.Effect == "Allow" {
				actions = append(actions, mockengine.Strings(st.Action)...)
			}
		}
		if slices.Contains(actions, "ec2:CreateFleet") {
			return actions
		}
	}
	t.Fatalf("%s: no karpenter controller role", s.c.Name)
	return nil
}

// TestKarpenterPolicyGrantsEveryCallOfThePinnedRelease: every AWS call of
// the pinned karpenter (its own SDK interfaces) is granted, or omitted on
// purpose with a reason; a karpenter bump that adds a call fails here and
// names it.
func TestKarpenterPolicyGrantsEveryCallOfThePinnedRelease(t *testing.T) {
	t.Parallel()
	calls := karpenterCalls(t)
	for action := range operators.KarpenterOmittedActions {
		assert.Contains(t, calls, action, "%s is listed as omitted but karpenter no longer calls it: drop it from KarpenterOmittedActions", action)
	}
	for _, s := range exampleFleet(t) {
		granted := karpenterGranted(t, s)
		var missing []string
		for _, call := range calls {
			if _, omitted := operators.KarpenterOmittedActions[call]; omitted {
				assert.NotContains(t, granted, call, "%s: %s is listed as omitted but granted", s.c.Name, call)
				continue
			}
			if !slices.Contains(granted, call) {
				missing = append(missing, call)
			}
		}
		assert.Empty(t, missing, "%s: karpenter %s calls %s, which its policy does not grant; grant them (components/operators/karpenter_policy.go) or list them in KarpenterOmittedActions with the reason",
			s.c.Name, catalog.Default().DefaultCharts()["karpenter"].Version, strings.Join(missing, ", "))
	}
}
