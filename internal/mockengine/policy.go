package mockengine

import (
	"encoding/json"
	"strings"
)

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

// IRSASubjects checks that an IRSA role's trust policy is the one statement
// letting the cluster's OIDC provider assume it for STS, and returns the
// service-account subjects it allows (a string or a list).
func IRSASubjects(tb TB, role Resource, issuerURL string) any {
	tb.Helper()
	doc, _ := role.In()["assumeRolePolicy"].(string)
	trust := Statements(tb, doc)
	if len(trust) != 1 {
		tb.Fatalf("%s: trust policy has %d statements, want 1", role.Name, len(trust))
	}
	st := trust[0]
	host := strings.TrimPrefix(issuerURL, "https://")
	principal, _ := st.Principal.(map[string]any)
	if st.Effect != "Allow" || st.Action != "sts:AssumeRoleWithWebIdentity" || principal["Federated"] == nil {
		tb.Fatalf("%s: trust is not an OIDC web-identity trust: %+v", role.Name, st)
	}
	if aud := st.Condition["StringEquals"][host+":aud"]; aud != "sts.amazonaws.com" {
		tb.Fatalf("%s: trust audience is %v, want sts.amazonaws.com", role.Name, aud)
	}
	return st.Condition["StringEquals"][host+":sub"]
}
