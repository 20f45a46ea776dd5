# deprecated-apis: an object sent in an API version that the cluster's next
# minor no longer serves (or deprecates). input.parameters.apis is the part
# of data/deprecated-apis.json that applies to input.parameters.targetMinor.
package eksplatformdeprecatedapis

violation contains {"msg": msg, "details": {"apiVersion": api.apiVersion, "kind": kind, "replacement": api.replacement}} if {
	obj := input.review.object
	kind := obj.kind
	some api in input.parameters.apis
	obj.apiVersion == api.apiVersion
	kind in api.kinds
	msg := sprintf("%s %s uses %s, %s (the cluster's next minor is %s); use %s",
		[kind, display_name(obj), api.apiVersion, api.status, input.parameters.targetMinor, api.replacement])
}

display_name(obj) := sprintf("%s/%s", [obj.metadata.namespace, obj.metadata.name]) if {
	obj.metadata.namespace != ""
} else := object.get(obj.metadata, "name", "")
