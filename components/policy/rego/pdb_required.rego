# pdb-required: a Deployment or StatefulSet with more than one replica needs a
# policy/v1 PodDisruptionBudget in its namespace whose selector selects its
# pods, or a node drain during an upgrade may take every replica down at once.
# The budgets come from Gatekeeper's replicated data (data.inventory, which
# the Config syncs).
package eksplatformpdbrequired

violation contains {"msg": msg} if {
	obj := input.review.object
	replicas := object.get(obj, ["spec", "replicas"], 1)
	replicas > 1
	ns := namespace(obj)
	labels := object.get(obj, ["spec", "template", "metadata", "labels"], {})
	not covered(ns, labels)
	msg := sprintf("%s %s/%s has %d replicas and no PodDisruptionBudget in namespace %s selects its pods (labels %v); add a policy/v1 PodDisruptionBudget so that node drains during an upgrade keep it available",
		[obj.kind, ns, obj.metadata.name, replicas, ns, labels])
}

namespace(obj) := obj.metadata.namespace if {
	obj.metadata.namespace != ""
} else := input.review.namespace

covered(ns, labels) if {
	some pdb in data.inventory.namespace[ns]["policy/v1"].PodDisruptionBudget
	selects(pdb.spec.selector, labels)
}

# An unset selector selects nothing; an empty one ({}) selects every pod of
# the namespace (policy/v1).
selects(selector, labels) if {
	every key, value in object.get(selector, "matchLabels", {}) {
		labels[key] == value
	}
	every expr in object.get(selector, "matchExpressions", []) {
		expression_matches(expr, labels)
	}
}

expression_matches(expr, labels) if {
	expr.operator == "In"
	labels[expr.key] in expr.values
}

expression_matches(expr, labels) if {
	expr.operator == "NotIn"
	not labels[expr.key] in expr.values
}

expression_matches(expr, labels) if {
	expr.operator == "Exists"
	expr.key in object.keys(labels)
}

expression_matches(expr, labels) if {
	expr.operator == "DoesNotExist"
	not expr.key in object.keys(labels)
}
