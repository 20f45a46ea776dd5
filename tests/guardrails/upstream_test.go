package guardrails

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	yaml "go.yaml.in/yaml/v3"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/components/operators"
	"github.com/eksplatform/eksplatform/internal/mockengine"
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

// lbcOmittedActions are the actions of the load balancer controller's
// published policy this platform does not grant, and why (none today).
var lbcOmittedActions = map[string]string{}

// TestLoadBalancerControllerPolicyGrantsThePublishedOne: every action of
// the controller's published iam_policy.json for the pinned app version is
// granted (scoped tighter is fine) or omitted with a reason.
func TestLoadBalancerControllerPolicyGrantsThePublishedOne(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../iamref/upstream/aws-load-balancer-controller.json")
	require.NoError(t, err)
	var up struct {
		Source string
		Covers []string
		Policy struct{ Statement []mockengine.Statement }
	}
	require.NoError(t, json.Unmarshal(data, &up))
	app := catalog.Default().DefaultCharts()["aws-load-balancer-controller"].AppVersion
	require.Len(t, up.Covers, 2)
	assert.True(t, catalog.CompareVersions(up.Covers[0], app) <= 0 && catalog.CompareVersions(app, up.Covers[1]) <= 0,
		"the catalog pins app %s; the reference policy (%s) covers %s to %s: re-read upstream's docs/install/iam_policy.json and update tools/iamref/extract.mjs", app, up.Source, up.Covers[0], up.Covers[1])
	var reference []string
	for _, st := range up.Policy.Statement {
		if st.Effect == "Allow" {
			reference = append(reference, mockengine.Strings(st.Action)...)
		}
	}
	require.Greater(t, len(reference), 50)
	for _, s := range exampleFleet(t) {
		var granted []string
		for _, r := range s.e.ByType("aws:iam/role:Role") {
			if strings.HasSuffix(r.Name, "-aws-load-balancer-controller") || strings.Contains(r.Name, "-aws-load-balancer-co") {
				for _, st := range mockengine.InlinePolicy(t, r) {
					if st.Effect == "Allow" {
						granted = append(granted, mockengine.Strings(st.Action)...)
					}
				}
			}
		}
		require.NotEmpty(t, granted, s.c.Name)
		var missing []string
		for _, a := range reference {
			if _, omitted := lbcOmittedActions[a]; !omitted && !slices.Contains(granted, a) {
				missing = append(missing, a)
			}
		}
		assert.Empty(t, missing, "%s: the published policy grants %s; grant them (components/network/lb_controller_policy.go) or list them in lbcOmittedActions with the reason", s.c.Name, strings.Join(missing, ", "))
	}
}

// karpenterTemplate is karpenter's published getting-started CloudFormation
// template (tests/iamref/upstream/karpenter-cloudformation.yaml says where
// and when it was read).
type karpenterTemplate struct {
	Resources map[string]struct {
		Type       string         `yaml:"Type"`
		Properties map[string]any `yaml:"Properties"`
	} `yaml:"Resources"`
}

func readKarpenterTemplate(t *testing.T) karpenterTemplate {
	t.Helper()
	data, err := os.ReadFile("../iamref/upstream/karpenter-cloudformation.yaml")
	require.NoError(t, err)
	var tpl karpenterTemplate
	require.NoError(t, yaml.Unmarshal(data, &tpl))
	return tpl
}

// TestKarpenterPolicyGrantsThePublishedTemplate: every action of the
// controller policies in karpenter's own CloudFormation template is granted
// (scoped tighter is fine) or omitted on purpose with a reason, and the
// interruption queue gets the same events.
func TestKarpenterPolicyGrantsThePublishedTemplate(t *testing.T) {
	t.Parallel()
	tpl := readKarpenterTemplate(t)
	var reference []string
	var patterns []string
	for id, r := range tpl.Resources {
		switch r.Type {
		case "AWS::IAM::ManagedPolicy":
			name, _ := r.Properties["ManagedPolicyName"].(string)
			if !strings.HasPrefix(name, "KarpenterController") {
				continue
			}
			doc, ok := r.Properties["PolicyDocument"].(string)
			require.True(t, ok, "%s: the template writes its policy documents as JSON strings", id)
			var pol struct{ Statement []mockengine.Statement }
			require.NoError(t, json.Unmarshal([]byte(doc), &pol), id)
			for _, st := range pol.Statement {
				if st.Effect == "Allow" {
					reference = append(reference, mockengine.Strings(st.Action)...)
				}
			}
		case "AWS::Events::Rule":
			pattern, _ := r.Properties["EventPattern"].(map[string]any)
			for _, src := range mockengine.Strings(pattern["source"]) {
				for _, dt := range mockengine.Strings(pattern["detail-type"]) {
					patterns = append(patterns, src+" / "+dt)
				}
			}
		}
	}
	require.Greater(t, len(reference), 30, "the template's controller policies")
	require.Len(t, patterns, 5, "the template's interruption rules")
	sort.Strings(patterns)
	for _, s := range exampleFleet(t) {
		granted := karpenterGranted(t, s)
		var missing []string
		for _, a := range reference {
			if _, omitted := operators.KarpenterOmittedActions[a]; !omitted && !slices.Contains(granted, a) {
				missing = append(missing, a)
			}
		}
		assert.Empty(t, missing, "%s: karpenter's template grants %s; grant them (components/operators/karpenter_policy.go) or list them in KarpenterOmittedActions with the reason", s.c.Name, strings.Join(missing, ", "))

		var ours []string
		for _, r := range s.e.ByType("aws:cloudwatch/eventRule:EventRule") {
			var p struct {
				Source     []string `json:"source"`
				DetailType []string `json:"detail-type"`
			}
			pattern, _ := r.In()["eventPattern"].(string)
			require.NoError(t, json.Unmarshal([]byte(pattern), &p), r.Name)
			for _, src := range p.Source {
				for _, dt := range p.DetailType {
					ours = append(ours, src+" / "+dt)
				}
			}
		}
		sort.Strings(ours)
		assert.Equal(t, patterns, ours, "%s: the interruption queue gets the events of karpenter's template", s.c.Name)
	}
}
