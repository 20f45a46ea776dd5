// Package crdschema checks objects against the openAPIV3Schema of a
// CustomResourceDefinition the way the API server's structural pruning
// would: a field the schema does not name is refused. CEL rules
// (x-kubernetes-validations) are not evaluated.
package crdschema

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

// Structural makes an openAPIV3Schema a JSON Schema: unknown fields are
// refused where the schema names properties and does not preserve unknown
// fields; int-or-string and nullable take their Kubernetes meaning.
func Structural(node any) any {
	switch n := node.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, v := range n {
			switch k {
			case "x-kubernetes-validations":
				continue
			case "properties":
				props := map[string]any{}
				for name, p := range v.(map[string]any) {
					props[name] = Structural(p)
				}
				out[k] = props
			default:
				out[k] = Structural(v)
			}
		}
		if n["x-kubernetes-int-or-string"] == true {
			delete(out, "type")
			out["anyOf"] = []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}
		}
		if n["nullable"] == true {
			if typ, ok := out["type"].(string); ok {
				out["type"] = []any{typ, "null"}
			}
		}
		_, hasProps := n["properties"]
		_, hasAdditional := n["additionalProperties"]
		if hasProps && !hasAdditional && n["x-kubernetes-preserve-unknown-fields"] != true {
			out["additionalProperties"] = false
		}
		return out
	case []any:
		out := make([]any, len(n))
		for i, v := range n {
			out[i] = Structural(v)
		}
		return out
	}
	return node
}

// Compile compiles an openAPIV3Schema, made structural.
func Compile(openAPIV3Schema map[string]any) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", Structural(openAPIV3Schema)); err != nil {
		return nil, err
	}
	return c.Compile("schema.json")
}

// FromCRD compiles the schema of one version of a CRD (YAML or JSON).
func FromCRD(data []byte, version string) (*jsonschema.Schema, error) {
	jsonData, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	var crd struct {
		Metadata struct{ Name string }
		Spec     struct {
			Versions []struct {
				Name   string
				Schema struct {
					OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
				}
			}
		}
	}
	if err := json.Unmarshal(jsonData, &crd); err != nil {
		return nil, err
	}
	for _, v := range crd.Spec.Versions {
		if v.Name == version {
			return Compile(v.Schema.OpenAPIV3Schema)
		}
	}
	return nil, fmt.Errorf("CRD %s has no version %s", crd.Metadata.Name, version)
}

// Validate checks an object's JSON.
func Validate(sch *jsonschema.Schema, data []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// ValidateValue checks a Go value as the JSON the API server receives.
func ValidateValue(sch *jsonschema.Schema, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return Validate(sch, b)
}
