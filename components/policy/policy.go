// Package policy is the platform's policy guardrails as data: OPA Gatekeeper
// ConstraintTemplates (Rego in rego/*.rego), the constraints a role's
// Settings make of them, and the Gatekeeper Config that replicates what the
// referential policies read. Every object is a plain map, ready for
// pulumi-kubernetes' apiextensions.NewCustomResource or a YAML rendering;
// components/operators' PolicyEngine installs them.
//
// The engine is Gatekeeper (v3.23.1), not Kyverno: Kyverno 1.19's CLI needs
// Go 1.27 and a dependency tree of cosign and every cloud SDK, so it cannot
// reasonably be built here, while Gatekeeper's gator CLI can
// (tools/gator/install.sh), so the tests evaluate every policy with the
// engine's own code.
package policy

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The policies, by the stable id a role switches them on and off with.
const (
	// DeprecatedAPIs refuses objects sent in an API version that the
	// cluster's next minor removes (data/deprecated-apis.json).
	DeprecatedAPIs = "deprecated-apis"
	// PDBRequired wants a PodDisruptionBudget for every Deployment and
	// StatefulSet with more than one replica.
	PDBRequired = "pdb-required"
	// ManagementNodes keeps workloads outside the platform namespaces off
	// the management node group.
	ManagementNodes = "management-nodes"
)

// IDs are the policy ids, in a stable order.
func IDs() []string { return []string{DeprecatedAPIs, PDBRequired, ManagementNodes} }

// Mode is how the constraints act on a violation.
type Mode string

const (
	// Audit warns: the API server returns the violation to the client as a
	// warning and admits the object, and Gatekeeper's audit records it in the
	// constraint's status. (dryrun would only record it; warn also tells the
	// person applying the object, before enforce makes it an error.)
	Audit Mode = "audit"
	// Enforce denies: the API server refuses the object; audit records the
	// objects already in the cluster.
	Enforce Mode = "enforce"
)

// EnforcementAction is the constraint's spec.enforcementAction for the mode.
func (m Mode) EnforcementAction() string {
	if m == Enforce {
		return "deny"
	}
	return "warn"
}

// Gatekeeper's names.
const (
	// Namespace is where the chart installs Gatekeeper and where its Config lives.
	Namespace = "gatekeeper-system"
	// ConfigName is the one Config Gatekeeper reads.
	ConfigName = "config"

	TemplateAPIVersion   = "templates.gatekeeper.sh/v1"
	ConstraintAPIVersion = "constraints.gatekeeper.sh/v1beta1"
	ConfigAPIVersion     = "config.gatekeeper.sh/v1alpha1"
	admissionTarget      = "admission.k8s.gatekeeper.sh"

	// PolicyLabel names the policy id on every object of the set.
	PolicyLabel = "eksplatform.io/policy"
)

// Taint is the management node group's taint.
type Taint struct {
	Key, Value, Effect string
}

// Settings are a role's policy guardrails.
type Settings struct {
	// Mode is audit or enforce, for every policy of the role.
	Mode Mode
	// Disabled are the ids of the policies switched off; the others are on.
	Disabled []string
	// NextMinor is the Kubernetes minor the cluster upgrades to next
	// ("1.35"): deprecated-apis flags what it removes.
	NextMinor string
	// ExemptNamespaces are left alone by every policy.
	ExemptNamespaces []string
	// Exceptions are, per policy id, the namespaces that policy leaves alone.
	Exceptions map[string][]string
	// PlatformNamespaces may run on the management nodes (management-nodes);
	// Gatekeeper's own namespace always may.
	PlatformNamespaces []string
	// ManagementTaint and ManagementLabels identify the management node
	// group (environments.DefaultTaint* and DefaultLabels by default);
	// management-nodes needs both.
	ManagementTaint  Taint
	ManagementLabels map[string]string
}

// Enabled says whether a policy is on.
func (s Settings) Enabled(id string) bool { return !slices.Contains(s.Disabled, id) }

var (
	dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	minorRE      = regexp.MustCompile(`^1\.(0|[1-9][0-9]*)$`)
	// Label keys and values as Kubernetes allows them (prefix/name, 63 each).
	labelKeyRE   = regexp.MustCompile(`^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)
	labelValueRE = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$`)
	taintEffects = []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}
)

// Validate names every problem of the settings: the field, what it holds
// and what is allowed.
func (s Settings) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	ids := IDs()
	if s.Mode != Audit && s.Mode != Enforce {
		bad("mode: %q is not allowed; use %q or %q", s.Mode, Audit, Enforce)
	}
	for _, id := range s.Disabled {
		if !slices.Contains(ids, id) {
			bad("disabled: %q is not a policy id; the policies are %s", id, strings.Join(ids, ", "))
		}
	}
	namespaces := func(field string, list []string) {
		for _, ns := range list {
			if len(ns) > 63 || !dns1123Label.MatchString(ns) {
				bad("%s: %q is not a namespace name (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)", field, ns)
			}
		}
	}
	namespaces("exempt_namespaces", s.ExemptNamespaces)
	for _, id := range slices.Sorted(maps.Keys(s.Exceptions)) {
		if !slices.Contains(ids, id) {
			bad("exceptions: %q is not a policy id; the policies are %s", id, strings.Join(ids, ", "))
			continue
		}
		namespaces("exceptions."+id, s.Exceptions[id])
	}
	if s.Enabled(DeprecatedAPIs) && !minorRE.MatchString(s.NextMinor) {
		bad("next_minor: %q is not a Kubernetes minor like \"1.35\" (deprecated-apis needs the minor the cluster upgrades to)", s.NextMinor)
	}
	if s.Enabled(ManagementNodes) {
		namespaces("platform_namespaces", s.PlatformNamespaces)
		t := s.ManagementTaint
		if !labelKeyRE.MatchString(t.Key) || !labelValueRE.MatchString(t.Value) {
			bad("management_taint: %q=%q is not a taint key and value (management-nodes needs the management node group's taint)", t.Key, t.Value)
		}
		if !slices.Contains(taintEffects, t.Effect) {
			bad("management_taint.effect: %q is not allowed; use one of %s", t.Effect, strings.Join(taintEffects, ", "))
		}
		if len(s.ManagementLabels) == 0 {
			bad("management_labels: empty (management-nodes needs the management node group's labels)")
		}
		for _, k := range slices.Sorted(maps.Keys(s.ManagementLabels)) {
			if !labelKeyRE.MatchString(k) || !labelValueRE.MatchString(s.ManagementLabels[k]) {
				bad("management_labels: %q=%q is not a node label", k, s.ManagementLabels[k])
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("policy settings: %w", errors.Join(errs...))
	}
	return nil
}

//go:embed rego/*.rego
var regoFS embed.FS

// definition is one policy: its template and what its constraint matches.
type definition struct {
	id   string
	kind string // the constraint kind the template defines
	rego string // file under rego/
	// description is the template's metadata.gatekeeper.sh/description.
	description string
	// parameters is the openAPIV3Schema of the constraint's parameters.
	parameters map[string]any
	// requiresSync is the data the policy reads from data.inventory.
	requiresSync []gvk
}

type gvk struct{ Group, Version, Kind string }

func str() map[string]any { return map[string]any{"type": "string"} }

func strArray() map[string]any { return map[string]any{"type": "array", "items": str()} }

func object(props map[string]any) map[string]any {
	return map[string]any{"type": "object", "properties": props}
}

var pdb = gvk{"policy", "v1", "PodDisruptionBudget"}

var definitions = []definition{
	{
		id: DeprecatedAPIs, kind: "EksplatformDeprecatedAPIs", rego: "deprecated_apis.rego",
		description: "Refuses objects sent in an API version that the cluster's next Kubernetes minor no longer serves.",
		parameters: object(map[string]any{
			"targetMinor": str(),
			"apis": map[string]any{"type": "array", "items": object(map[string]any{
				"apiVersion": str(), "kinds": strArray(), "status": str(), "replacement": str(),
			})},
		}),
	},
	{
		id: PDBRequired, kind: "EksplatformPDBRequired", rego: "pdb_required.rego",
		description:  "Requires a PodDisruptionBudget selecting the pods of every Deployment and StatefulSet with more than one replica.",
		parameters:   object(map[string]any{}),
		requiresSync: []gvk{pdb},
	},
	{
		id: ManagementNodes, kind: "EksplatformManagementNodes", rego: "management_nodes.rego",
		description: "Keeps pods outside the platform namespaces off the management node group (its taint and its node labels).",
		parameters: object(map[string]any{
			"platformNamespaces": strArray(),
			"taint":              object(map[string]any{"key": str(), "value": str(), "effect": str()}),
			"nodeLabels":         map[string]any{"type": "array", "items": object(map[string]any{"key": str(), "value": str()})},
		}),
	},
}

func lookup(id string) definition {
	for _, d := range definitions {
		if d.id == id {
			return d
		}
	}
	panic("policy: unknown id " + id)
}

// ConstraintKind is the kind of a policy's constraint (its template's CRD).
func ConstraintKind(id string) string { return lookup(id).kind }

// TemplateName is the name of a policy's ConstraintTemplate: Gatekeeper
// wants the lower-cased kind.
func TemplateName(id string) string { return strings.ToLower(lookup(id).kind) }

func labels(id string) map[string]any {
	return map[string]any{"app.kubernetes.io/managed-by": "eksplatform", PolicyLabel: id}
}

// Templates are the ConstraintTemplates of every policy, in IDs order. A
// template is harmless without a constraint, so a switched-off policy's
// template stays installed.
func Templates() ([]map[string]any, error) {
	var out []map[string]any
	for _, id := range IDs() {
		t, err := Template(id)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Template is one policy's ConstraintTemplate.
func Template(id string) (map[string]any, error) {
	d := lookup(id)
	src, err := regoFS.ReadFile("rego/" + d.rego)
	if err != nil {
		return nil, err
	}
	meta := map[string]any{
		"name":        TemplateName(id),
		"labels":      labels(id),
		"annotations": map[string]any{"metadata.gatekeeper.sh/title": id, "metadata.gatekeeper.sh/description": d.description},
	}
	if len(d.requiresSync) > 0 {
		// Gatekeeper's annotation for the data a template reads: a list of
		// alternatives, each a list of GVK sets.
		var reqs []map[string]any
		for _, g := range d.requiresSync {
			reqs = append(reqs, map[string]any{"groups": []string{g.Group}, "versions": []string{g.Version}, "kinds": []string{g.Kind}})
		}
		sync, err := json.Marshal([][]map[string]any{reqs})
		if err != nil {
			return nil, err
		}
		meta["annotations"].(map[string]any)["metadata.gatekeeper.sh/requires-sync-data"] = string(sync)
	}
	return map[string]any{
		"apiVersion": TemplateAPIVersion,
		"kind":       "ConstraintTemplate",
		"metadata":   meta,
		"spec": map[string]any{
			"crd": map[string]any{"spec": map[string]any{
				"names":      map[string]any{"kind": d.kind},
				"validation": map[string]any{"openAPIV3Schema": d.parameters},
			}},
			"targets": []any{map[string]any{
				"target": admissionTarget,
				"code": []any{map[string]any{
					"engine": "Rego",
					"source": map[string]any{"version": "v1", "rego": string(src)},
				}},
			}},
		},
	}, nil
}

// Objects are the constraints of the enabled policies (in IDs order), then
// the Config when a policy reads replicated data. The settings are validated
// first.
func Objects(s Settings) ([]map[string]any, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	var out []map[string]any
	var sync []gvk
	for _, id := range IDs() {
		if !s.Enabled(id) {
			continue
		}
		c, err := constraint(id, s)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		sync = append(sync, lookup(id).requiresSync...)
	}
	if len(sync) > 0 {
		out = append(out, Config(sync))
	}
	return out, nil
}

// Config is Gatekeeper's Config replicating the given kinds into
// data.inventory (spec.sync.syncOnly; v3.23.1 also reads SyncSets, whose
// union with syncOnly is what it syncs).
func Config(kinds []gvk) map[string]any {
	var only []any
	for _, g := range kinds {
		only = append(only, map[string]any{"group": g.Group, "version": g.Version, "kind": g.Kind})
	}
	return map[string]any{
		"apiVersion": ConfigAPIVersion,
		"kind":       "Config",
		"metadata": map[string]any{
			"name": ConfigName, "namespace": Namespace,
			"labels": map[string]any{"app.kubernetes.io/managed-by": "eksplatform"},
		},
		"spec": map[string]any{"sync": map[string]any{"syncOnly": only}},
	}
}

func constraint(id string, s Settings) (map[string]any, error) {
	var match map[string]any
	var params map[string]any
	switch id {
	case DeprecatedAPIs:
		apis, err := DeprecatedFor(s.NextMinor)
		if err != nil {
			return nil, err
		}
		var list []any
		groups := map[string][]string{}
		for _, a := range apis {
			list = append(list, map[string]any{"apiVersion": a.APIVersion, "kinds": toAny(a.Kinds), "status": a.Status(s.NextMinor), "replacement": a.Replacement})
			g := a.Group()
			for _, k := range a.Kinds {
				if !slices.Contains(groups[g], k) {
					groups[g] = append(groups[g], k)
				}
			}
		}
		var kinds []any
		for _, g := range slices.Sorted(maps.Keys(groups)) {
			kinds = append(kinds, map[string]any{"apiGroups": []any{g}, "kinds": toAny(slices.Sorted(slices.Values(groups[g])))})
		}
		match = map[string]any{"kinds": kinds}
		params = map[string]any{"targetMinor": s.NextMinor, "apis": list}
	case PDBRequired:
		match = map[string]any{"kinds": []any{map[string]any{"apiGroups": []any{"apps"}, "kinds": []any{"Deployment", "StatefulSet"}}}}
		params = map[string]any{}
	case ManagementNodes:
		match = map[string]any{"kinds": []any{
			map[string]any{"apiGroups": []any{""}, "kinds": []any{"Pod"}},
			map[string]any{"apiGroups": []any{"apps"}, "kinds": []any{"DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"}},
			map[string]any{"apiGroups": []any{"batch"}, "kinds": []any{"CronJob", "Job"}},
		}}
		platform := union([]string{Namespace}, s.PlatformNamespaces)
		var nodeLabels []any
		for _, k := range slices.Sorted(maps.Keys(s.ManagementLabels)) {
			nodeLabels = append(nodeLabels, map[string]any{"key": k, "value": s.ManagementLabels[k]})
		}
		params = map[string]any{
			"platformNamespaces": toAny(platform),
			"taint":              map[string]any{"key": s.ManagementTaint.Key, "value": s.ManagementTaint.Value, "effect": s.ManagementTaint.Effect},
			"nodeLabels":         nodeLabels,
		}
	}
	if excluded := union(s.ExemptNamespaces, s.Exceptions[id]); len(excluded) > 0 {
		match["excludedNamespaces"] = toAny(excluded)
	}
	return map[string]any{
		"apiVersion": ConstraintAPIVersion,
		"kind":       lookup(id).kind,
		"metadata":   map[string]any{"name": id, "labels": labels(id)},
		"spec": map[string]any{
			"enforcementAction": s.Mode.EnforcementAction(),
			"match":             match,
			"parameters":        params,
		},
	}, nil
}

// union is the sorted set of both lists.
func union(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

func toAny(list []string) []any {
	out := make([]any, len(list))
	for i, v := range list {
		out[i] = v
	}
	return out
}

// compareMinors orders "1.9" before "1.10".
func compareMinors(a, b string) int {
	pa, pb := minorNumber(a), minorNumber(b)
	switch {
	case pa < pb:
		return -1
	case pa > pb:
		return 1
	}
	return 0
}

func minorNumber(m string) int {
	_, rest, _ := strings.Cut(m, ".")
	n, err := strconv.Atoi(rest)
	if err != nil {
		return -1
	}
	return n
}
