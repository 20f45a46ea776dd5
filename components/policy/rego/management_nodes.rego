# management-nodes: outside the platform namespaces, no Pod (nor the pod
# template of a workload) may tolerate the management node group's taint or
# select its nodes by their label.
package eksplatformmanagementnodes

violation contains {"msg": msg} if {
	obj := input.review.object
	ns := namespace(obj)
	not ns in {n | some n in input.parameters.platformNamespaces}
	some spec in pod_specs(obj)
	some reason in reasons(spec)
	msg := sprintf("%s %s/%s %s; only the platform namespaces (%s) may run on the management nodes",
		[obj.kind, ns, obj.metadata.name, reason, concat(", ", input.parameters.platformNamespaces)])
}

namespace(obj) := obj.metadata.namespace if {
	obj.metadata.namespace != ""
} else := input.review.namespace

template_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

pod_specs(obj) := [obj.spec] if {
	obj.kind == "Pod"
} else := [obj.spec.template.spec] if {
	obj.kind in template_kinds
} else := [obj.spec.jobTemplate.spec.template.spec] if {
	obj.kind == "CronJob"
} else := []

reasons(spec) := {r |
	some t in object.get(spec, "tolerations", [])
	tolerates(t, input.parameters.taint)
	r := sprintf("tolerates the management taint %s=%s:%s (toleration %v)",
		[input.parameters.taint.key, input.parameters.taint.value, input.parameters.taint.effect, t])
} | {r |
	some label in input.parameters.nodeLabels
	object.get(spec, ["nodeSelector", label.key], null) == label.value
	r := sprintf("selects the management nodes with nodeSelector %s=%s", [label.key, label.value])
} | {r |
	some term in object.get(spec, ["affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"], [])
	some label in selected_labels(term)
	r := sprintf("requires the management nodes by node affinity on %s=%s", [label.key, label.value])
} | {r |
	some pref in object.get(spec, ["affinity", "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution"], [])
	some label in selected_labels(object.get(pref, "preference", {}))
	r := sprintf("prefers the management nodes by node affinity on %s=%s", [label.key, label.value])
}

selected_labels(term) := {label |
	some expr in object.get(term, "matchExpressions", [])
	expr.operator == "In"
	some label in input.parameters.nodeLabels
	expr.key == label.key
	label.value in expr.values
}

# A toleration tolerates a taint as the scheduler decides it: the key matches
# (an empty key with Exists matches every key), the value matches (Exists
# ignores it), and the effect matches (an empty effect matches every effect).
tolerates(t, taint) if {
	key_matches(t, taint)
	value_matches(t, taint)
	effect_matches(t, taint)
}

operator(t) := object.get(t, "operator", "Equal")

key_matches(t, taint) if object.get(t, "key", "") == taint.key

key_matches(t, _) if {
	object.get(t, "key", "") == ""
	operator(t) == "Exists"
}

value_matches(t, _) if operator(t) == "Exists"

value_matches(t, taint) if {
	operator(t) == "Equal"
	object.get(t, "value", "") == taint.value
}

effect_matches(t, _) if object.get(t, "effect", "") == ""

effect_matches(t, taint) if t.effect == taint.effect
