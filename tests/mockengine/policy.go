package mockengine

import "encoding/json"

// Statement is an IAM policy statement as tests read it.
type Statement struct {
	Sid       string
	Effect    string
	Principal any
	Action    any
	Resource  any
	Condition map[string]map[string]any
}

// Statements parses a policy document.
func Statements(tb TB, doc string) []Statement {
	tb.Helper()
	var d struct{ Statement []Statement }
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		tb.Fatalf("policy does not parse: %v\n%s", err, doc)
	}
	return d.Statement
}

// InlinePolicy parses the one inline policy of an IAM role.
func InlinePolicy(tb TB, role Resource) []Statement {
	tb.Helper()
	pols, _ := role.In()["inlinePolicies"].([]any)
	if len(pols) != 1 {
		tb.Fatalf("%s has %d inline policies, want 1", role.Name, len(pols))
	}
	doc, _ := pols[0].(map[string]any)["policy"].(string)
	return Statements(tb, doc)
}

// Strings reads a policy field that is a string or a list of strings.
func Strings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, s := range x {
			if str, ok := s.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}
