package policy

// The tests of this file evaluate every policy with Gatekeeper's own code:
// they write gator Suites (templates, constraints, good and bad sample
// objects, inventories for the referential policy) and run `gator verify`
// and `gator test` on them. tools/gator/install.sh (`make setup`) builds
// gator into the cache; without it these tests fail, they never skip.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

const gatekeeperModule = "github.com/open-policy-agent/gatekeeper/v3"

// gatorVersion is the gatekeeper version tools/gator/go.mod pins, the one
// install.sh builds.
func gatorVersion(t *testing.T) string {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "..", "tools", "gator", "go.mod"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^(?:require)?\s*` + regexp.QuoteMeta(gatekeeperModule) + ` (v\d+\.\d+\.\d+)(?: // indirect)?$`).FindSubmatch(body)
	require.NotNil(t, m, "tools/gator/go.mod must require %s at an exact release", gatekeeperModule)
	return string(m[1])
}

// gatorBinary is gator in the cache install.sh fills:
// ${EKSPLATFORM_CACHE:-$HOME/.cache/eksplatform}/gator-VERSION/gator.
func gatorBinary(t *testing.T) string {
	t.Helper()
	version := gatorVersion(t)
	cache := os.Getenv("EKSPLATFORM_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		require.NoError(t, err, "finding the cache of tools/gator/install.sh")
		cache = filepath.Join(home, ".cache", "eksplatform")
	}
	bin := filepath.Join(cache, "gator-"+version, "gator")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("gator %s is not installed (%v): run `make setup` (or tools/gator/install.sh), which builds it into %s",
			version, err, filepath.Dir(bin))
	}
	return bin
}

// gator runs the binary; the exit code is 0 on success.
func gator(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), gatorBinary(t), args...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	require.NoError(t, err, "running gator %v", args)
	return string(out), 0
}

func writeYAML(t *testing.T, path string, obj any) {
	t.Helper()
	b, err := yaml.Marshal(obj)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

// Sample objects.

func meta(ns, name string, labels map[string]any) map[string]any {
	m := map[string]any{"name": name}
	if ns != "" {
		m["namespace"] = ns
	}
	if labels != nil {
		m["labels"] = labels
	}
	return m
}

func podSpec(extra map[string]any) map[string]any {
	s := map[string]any{"containers": []any{map[string]any{"name": "app", "image": "registry.example.com/app:1.0.0"}}}
	for k, v := range extra {
		s[k] = v
	}
	return s
}

var appLabels = map[string]any{"app": "web", "tier": "frontend"}

func workload(kind, ns, name string, replicas any, extra map[string]any) map[string]any {
	spec := map[string]any{
		"selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
		"template": map[string]any{"metadata": map[string]any{"labels": appLabels}, "spec": podSpec(extra)},
	}
	if replicas != nil {
		spec["replicas"] = replicas
	}
	return map[string]any{"apiVersion": "apps/v1", "kind": kind, "metadata": meta(ns, name, nil), "spec": spec}
}

func pod(ns, name string, extra map[string]any) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta(ns, name, nil), "spec": podSpec(extra)}
}

func pdbObject(ns, name string, selector any) map[string]any {
	spec := map[string]any{"minAvailable": 1}
	if selector != nil {
		spec["selector"] = selector
	}
	return map[string]any{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta(ns, name, nil), "spec": spec}
}

func withAPIVersion(o map[string]any, v string) map[string]any {
	o["apiVersion"] = v
	return o
}

func ingress(apiVersion, ns string) map[string]any {
	return map[string]any{"apiVersion": apiVersion, "kind": "Ingress", "metadata": meta(ns, "web", nil),
		"spec": map[string]any{"rules": []any{map[string]any{"host": "web.example.com"}}}}
}

var mgmtToleration = map[string]any{"key": "dedicated", "operator": "Equal", "value": "management", "effect": "NoSchedule"}

func tolerations(t ...map[string]any) map[string]any {
	list := make([]any, len(t))
	for i, v := range t {
		list[i] = v
	}
	return map[string]any{"tolerations": list}
}

func nodeAffinity(kind string) map[string]any {
	expr := map[string]any{"matchExpressions": []any{map[string]any{"key": "dedicated", "operator": "In", "values": []any{"gpu", "management"}}}}
	var na map[string]any
	if kind == "required" {
		na = map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{"nodeSelectorTerms": []any{expr}}}
	} else {
		na = map[string]any{"preferredDuringSchedulingIgnoredDuringExecution": []any{map[string]any{"weight": 10, "preference": expr}}}
	}
	return map[string]any{"affinity": map[string]any{"nodeAffinity": na}}
}

// sample is one case of a suite: an object, the inventory it is reviewed
// with, and what gator must report.
type sample struct {
	name       string
	object     map[string]any
	inventory  []map[string]any
	violations any    // "yes", "no" or a count
	message    string // a regular expression every counted violation matches
}

// gatorSettings are the settings the suites are generated from.
func gatorSettings(mode Mode) Settings {
	return settings(func(s *Settings) {
		s.Mode = mode
		s.ExemptNamespaces = []string{"kube-system"}
		s.Exceptions = map[string][]string{DeprecatedAPIs: {"migrating"}, PDBRequired: {"legacy"}, ManagementNodes: {"ops-tools"}}
	})
}

func samples() map[string][]sample {
	matching := pdbObject("web", "web", map[string]any{"matchLabels": map[string]any{"app": "web"}})
	return map[string][]sample{
		DeprecatedAPIs: {
			{name: "ingress in extensions/v1beta1", object: ingress("extensions/v1beta1", "web"), violations: 1,
				message: `^Ingress web/web uses extensions/v1beta1, removed in 1\.22 \(the cluster's next minor is 1\.35\); use networking\.k8s\.io/v1$`},
			{name: "ingress in networking.k8s.io/v1beta1", object: ingress("networking.k8s.io/v1beta1", "web"), violations: 1, message: "removed in 1.22"},
			{name: "ingress in networking.k8s.io/v1", object: ingress("networking.k8s.io/v1", "web"), violations: "no"},
			{name: "cronjob in batch/v1beta1", violations: 1, message: "^CronJob web/nightly uses batch/v1beta1, removed in 1.25",
				object: map[string]any{"apiVersion": "batch/v1beta1", "kind": "CronJob", "metadata": meta("web", "nightly", nil), "spec": map[string]any{"schedule": "@daily"}}},
			{name: "cronjob in batch/v1", violations: "no",
				object: map[string]any{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta("web", "nightly", nil), "spec": map[string]any{"schedule": "@daily"}}},
			{name: "cluster-scoped flowschema in v1beta3", violations: 1, message: "^FlowSchema platform uses flowcontrol.apiserver.k8s.io/v1beta3, removed in 1.32",
				object: map[string]any{"apiVersion": "flowcontrol.apiserver.k8s.io/v1beta3", "kind": "FlowSchema", "metadata": meta("", "platform", nil), "spec": map[string]any{}}},
			{name: "pdb in policy/v1", object: pdbObject("web", "web", map[string]any{}), violations: "no"},
			{name: "pdb in policy/v1beta1", object: withAPIVersion(pdbObject("web", "web", map[string]any{}), "policy/v1beta1"), violations: 1, message: `removed in 1\.25 .*; use policy/v1$`},
			{name: "exempt namespace", object: ingress("extensions/v1beta1", "kube-system"), violations: "no"},
			{name: "exception of the policy", object: ingress("extensions/v1beta1", "migrating"), violations: "no"},
		},
		PDBRequired: {
			{name: "three replicas and a matching budget", object: workload("Deployment", "web", "web", 3, nil), inventory: []map[string]any{matching}, violations: "no"},
			{name: "three replicas and no budget", object: workload("Deployment", "web", "web", 3, nil), violations: 1,
				message: `^Deployment web/web has 3 replicas and no PodDisruptionBudget in namespace web selects its pods`},
			{name: "budget in another namespace", object: workload("Deployment", "web", "web", 3, nil),
				inventory: []map[string]any{pdbObject("shop", "web", map[string]any{"matchLabels": map[string]any{"app": "web"}})}, violations: 1},
			{name: "budget selecting other pods", object: workload("Deployment", "web", "web", 3, nil),
				inventory: []map[string]any{pdbObject("web", "api", map[string]any{"matchLabels": map[string]any{"app": "api"}})}, violations: 1},
			{name: "budget selecting a subset of the labels", object: workload("Deployment", "web", "web", 2, nil),
				inventory: []map[string]any{pdbObject("web", "web", map[string]any{"matchLabels": map[string]any{"app": "web", "tier": "backend"}})}, violations: 1},
			{name: "budget by match expressions", object: workload("StatefulSet", "web", "web", 3, nil), violations: "no",
				inventory: []map[string]any{pdbObject("web", "web", map[string]any{"matchExpressions": []any{
					map[string]any{"key": "app", "operator": "In", "values": []any{"web", "api"}},
					map[string]any{"key": "tier", "operator": "Exists"},
					map[string]any{"key": "canary", "operator": "DoesNotExist"},
					map[string]any{"key": "tier", "operator": "NotIn", "values": []any{"backend"}},
				}})}},
			{name: "budget whose expression excludes the pods", object: workload("StatefulSet", "web", "web", 3, nil), violations: 1,
				inventory: []map[string]any{pdbObject("web", "web", map[string]any{"matchExpressions": []any{
					map[string]any{"key": "tier", "operator": "NotIn", "values": []any{"frontend"}},
				}})}},
			{name: "empty selector selects every pod", object: workload("Deployment", "web", "web", 3, nil), inventory: []map[string]any{pdbObject("web", "all", map[string]any{})}, violations: "no"},
			{name: "unset selector selects none", object: workload("Deployment", "web", "web", 3, nil), inventory: []map[string]any{pdbObject("web", "none", nil)}, violations: 1},
			{name: "statefulset without budget", object: workload("StatefulSet", "web", "db", 2, nil), violations: 1, message: "^StatefulSet web/db has 2 replicas"},
			{name: "one replica", object: workload("Deployment", "web", "web", 1, nil), violations: "no"},
			{name: "replicas unset", object: workload("Deployment", "web", "web", nil, nil), violations: "no"},
			{name: "exception of the policy", object: workload("Deployment", "legacy", "web", 3, nil), violations: "no"},
			{name: "exempt namespace", object: workload("Deployment", "kube-system", "coredns", 2, nil), violations: "no"},
		},
		ManagementNodes: {
			{name: "pod tolerating the taint", object: pod("web", "web", tolerations(mgmtToleration)), violations: 1,
				message: `^Pod web/web tolerates the management taint dedicated=management:NoSchedule .*; only the platform namespaces \(gatekeeper-system, karpenter, kube-system\) may run on the management nodes$`},
			{name: "pod tolerating every taint", object: pod("web", "web", tolerations(map[string]any{"operator": "Exists"})), violations: 1, message: "tolerates the management taint"},
			{name: "pod tolerating the key with any effect", object: pod("web", "web", tolerations(map[string]any{"key": "dedicated", "operator": "Exists"})), violations: 1},
			{name: "pod tolerating another value", object: pod("web", "web", tolerations(map[string]any{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"})), violations: "no"},
			{name: "pod tolerating another effect", object: pod("web", "web", tolerations(map[string]any{"key": "dedicated", "operator": "Equal", "value": "management", "effect": "NoExecute"})), violations: "no"},
			{name: "pod selecting the nodes", object: pod("web", "web", map[string]any{"nodeSelector": map[string]any{"dedicated": "management"}}), violations: 1,
				message: "selects the management nodes with nodeSelector dedicated=management"},
			{name: "pod selecting other nodes", object: pod("web", "web", map[string]any{"nodeSelector": map[string]any{"dedicated": "gpu"}}), violations: "no"},
			{name: "deployment requiring the nodes", object: workload("Deployment", "web", "web", 2, nodeAffinity("required")), violations: 1,
				message: "^Deployment web/web requires the management nodes by node affinity on dedicated=management"},
			{name: "daemonset preferring the nodes", object: workload("DaemonSet", "web", "agent", nil, nodeAffinity("preferred")), violations: 1, message: "prefers the management nodes"},
			{name: "cronjob tolerating the taint", violations: 1, message: "^CronJob web/nightly tolerates",
				object: map[string]any{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta("web", "nightly", nil), "spec": map[string]any{"schedule": "@daily",
					"jobTemplate": map[string]any{"spec": map[string]any{"template": map[string]any{"spec": podSpec(tolerations(mgmtToleration))}}}}}},
			{name: "tolerating and selecting", object: pod("web", "web", map[string]any{"tolerations": []any{mgmtToleration}, "nodeSelector": map[string]any{"dedicated": "management"}}), violations: 2},
			{name: "plain pod", object: pod("web", "web", nil), violations: "no"},
			{name: "platform namespace", object: pod("karpenter", "karpenter", tolerations(mgmtToleration)), violations: "no"},
			{name: "gatekeeper's namespace", object: pod("gatekeeper-system", "audit", tolerations(mgmtToleration)), violations: "no"},
			{name: "exception of the policy", object: pod("ops-tools", "debug", tolerations(mgmtToleration)), violations: "no"},
			{name: "exempt namespace", object: workload("DaemonSet", "kube-system", "aws-node", nil, tolerations(map[string]any{"operator": "Exists"})), violations: "no"},
		},
	}
}

// writeSuite writes one policy's suite under dir: its template (rego
// replaced when rego is not ""), its constraint from the settings, and the
// samples. It returns the suite's directory.
func writeSuite(t *testing.T, dir, id string, s Settings, cases []sample, rego string) string {
	t.Helper()
	dir = filepath.Join(dir, id)
	tpl, err := Template(id)
	require.NoError(t, err)
	if rego != "" {
		code := spec(tpl)["targets"].([]any)[0].(map[string]any)["code"].([]any)[0].(map[string]any)
		code["source"].(map[string]any)["rego"] = rego
	}
	writeYAML(t, filepath.Join(dir, "template.yaml"), tpl)
	objs, err := Objects(s)
	require.NoError(t, err)
	var constraint map[string]any
	for _, o := range objs {
		if o["kind"] == ConstraintKind(id) {
			constraint = o
		}
	}
	require.NotNil(t, constraint, "the settings enable %s", id)
	writeYAML(t, filepath.Join(dir, "constraint.yaml"), constraint)

	var tcs []any
	for i, c := range cases {
		obj := fmt.Sprintf("samples/%02d.yaml", i)
		writeYAML(t, filepath.Join(dir, obj), c.object)
		var inv []any
		for j, o := range c.inventory {
			p := fmt.Sprintf("samples/%02d-inventory-%d.yaml", i, j)
			writeYAML(t, filepath.Join(dir, p), o)
			inv = append(inv, p)
		}
		assertion := map[string]any{"violations": c.violations}
		if c.message != "" {
			assertion["message"] = c.message
		}
		tc := map[string]any{"name": c.name, "object": obj, "assertions": []any{assertion}}
		if inv != nil {
			tc["inventory"] = inv
		}
		tcs = append(tcs, tc)
	}
	writeYAML(t, filepath.Join(dir, "suite.yaml"), map[string]any{
		"apiVersion": "test.gatekeeper.sh/v1alpha1", "kind": "Suite", "metadata": map[string]any{"name": id},
		"tests": []any{map[string]any{"name": id, "template": "template.yaml", "constraint": "constraint.yaml", "cases": tcs}},
	})
	return dir
}

// passed are the cases `gator verify -v` reports as passed.
func passed(out string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^    --- PASS: (.+)\t\(`).FindAllStringSubmatch(out, -1) {
		names = append(names, m[1])
	}
	return names
}

func caseNames(cases []sample) []string {
	var out []string
	for _, c := range cases {
		out = append(out, c.name)
	}
	return out
}

func TestEveryPolicyOnGoodAndBadSamplesWithGator(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, id := range IDs() {
		cases := samples()[id]
		require.NotEmpty(t, cases, id)
		suite := writeSuite(t, dir, id, gatorSettings(Enforce), cases, "")
		out, code := gator(t, "verify", "-v", suite)
		t.Logf("gator verify -v %s:\n%s", id, out)
		assert.Equal(t, 0, code, "%s: gator verify:\n%s", id, out)
		assert.ElementsMatch(t, caseNames(cases), passed(out), "%s: every case ran and passed:\n%s", id, out)
	}
}

// The suites can fail: a template whose Rego never fires fails every case
// that expects a violation, and a good sample made bad fails its case.
func TestTheSuitesCatchABrokenPolicy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, id := range IDs() {
		cases := samples()[id]
		never := "package " + TemplateName(id) + "\n\nviolation contains {\"msg\": \"never\"} if false\n"
		suite := writeSuite(t, filepath.Join(dir, "never"), id, gatorSettings(Enforce), cases, never)
		out, code := gator(t, "verify", "-v", suite)
		assert.NotEqual(t, 0, code, "%s: a policy that never fires must fail its suite:\n%s", id, out)
		var good []string
		for _, c := range cases {
			if c.violations == "no" {
				good = append(good, c.name)
			}
		}
		assert.ElementsMatch(t, good, passed(out), "%s: only the cases expecting no violation pass:\n%s", id, out)
	}

	// pdb-required's first case without its budget.
	cases := samples()[PDBRequired][:1]
	cases[0].inventory = nil
	suite := writeSuite(t, filepath.Join(dir, "no-budget"), PDBRequired, gatorSettings(Enforce), cases, "")
	out, code := gator(t, "verify", "-v", suite)
	assert.NotEqual(t, 0, code, out)
	assert.Contains(t, out, "--- FAIL: "+cases[0].name, out)
	assert.Contains(t, out, "has 3 replicas and no PodDisruptionBudget", "gator reports the violation it found")
}

// Gatekeeper checks a constraint against the schema it generates from the
// template: a constraint whose parameters do not fit is refused.
func TestGatorRefusesAConstraintThatDoesNotFitItsTemplate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	suite := writeSuite(t, dir, ManagementNodes, gatorSettings(Enforce), samples()[ManagementNodes][:1], "")
	objs, err := Objects(gatorSettings(Enforce))
	require.NoError(t, err)
	for _, o := range objs {
		if o["kind"] != ConstraintKind(ManagementNodes) {
			continue
		}
		b, err := json.Marshal(o)
		require.NoError(t, err)
		var params, match map[string]any
		require.NoError(t, json.Unmarshal(b, &params))
		require.NoError(t, json.Unmarshal(b, &match))
		spec(params)["parameters"].(map[string]any)["platformNamespaces"] = "karpenter"
		writeYAML(t, filepath.Join(suite, "invalid-parameters.yaml"), params)
		spec(match)["match"].(map[string]any)["excludedNamespaces"] = "kube-system"
		writeYAML(t, filepath.Join(suite, "invalid-match.yaml"), match)
	}
	writeYAML(t, filepath.Join(suite, "suite.yaml"), map[string]any{
		"apiVersion": "test.gatekeeper.sh/v1alpha1", "kind": "Suite",
		"tests": []any{
			map[string]any{"name": "parameters: a string for a list", "template": "template.yaml", "constraint": "invalid-parameters.yaml", "invalid": true},
			map[string]any{"name": "match: a string for a list", "template": "template.yaml", "constraint": "invalid-match.yaml", "invalid": true},
		},
	})
	out, code := gator(t, "verify", "-v", suite)
	assert.Equal(t, 0, code, "gator finds the constraints invalid, as the tests expect:\n%s", out)
	assert.Contains(t, out, "--- PASS: parameters: a string for a list", out)
	assert.Contains(t, out, "--- PASS: match: a string for a list", out)

	// And the same test fails for the constraint as generated.
	suite = writeSuite(t, filepath.Join(dir, "valid"), ManagementNodes, gatorSettings(Enforce), samples()[ManagementNodes][:1], "")
	writeYAML(t, filepath.Join(suite, "suite.yaml"), map[string]any{
		"apiVersion": "test.gatekeeper.sh/v1alpha1", "kind": "Suite",
		"tests": []any{map[string]any{"name": "as generated", "template": "template.yaml", "constraint": "constraint.yaml", "invalid": true}},
	})
	out, code = gator(t, "verify", "-v", suite)
	assert.NotEqual(t, 0, code, "the generated constraint is valid:\n%s", out)
}

// gatorResult is what `gator test -o json` reports per violation.
type gatorResult struct {
	Msg               string `json:"msg"`
	EnforcementAction string `json:"enforcementAction"`
	Constraint        struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	} `json:"constraint"`
}

// Audit and enforce, as Gatekeeper acts on them: `gator test` reviews the
// objects against every template and constraint of the set, reports each
// violation with its constraint's enforcement action, and exits 1 only
// when one of them denies.
func TestAuditWarnsAndEnforceDenies(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		mode   Mode
		action string
		exit   int
	}{{Audit, "warn", 0}, {Enforce, "deny", 1}} {
		dir := t.TempDir()
		templates, err := Templates()
		require.NoError(t, err)
		objs, err := Objects(gatorSettings(c.mode))
		require.NoError(t, err)
		for _, o := range append(templates, objs...) {
			if o["kind"] == "Config" {
				continue // gator test has no Config; it replicates every object it reads
			}
			writeYAML(t, filepath.Join(dir, strings.ToLower(o["kind"].(string))+"-"+o["metadata"].(map[string]any)["name"].(string)+".yaml"), o)
		}
		bad := []map[string]any{
			ingress("extensions/v1beta1", "web"),
			workload("Deployment", "web", "web", 3, tolerations(mgmtToleration)),
			workload("Deployment", "legacy", "web", 3, nil), // excepted from pdb-required
		}
		for i, o := range bad {
			writeYAML(t, filepath.Join(dir, fmt.Sprintf("object-%d.yaml", i)), o)
		}
		out, code := gator(t, "test", "-o", "json", "-f", dir)
		assert.Equal(t, c.exit, code, "%s: gator test:\n%s", c.mode, out)
		var results []gatorResult
		require.NoError(t, json.Unmarshal([]byte(out), &results), out)
		got := map[string]int{}
		for _, r := range results {
			assert.Equal(t, c.action, r.EnforcementAction, "%s: %s", c.mode, r.Msg)
			got[r.Constraint.Metadata.Name]++
		}
		assert.Equal(t, map[string]int{DeprecatedAPIs: 1, PDBRequired: 1, ManagementNodes: 1}, got, "%s: one violation per policy:\n%s", c.mode, out)
	}
}
