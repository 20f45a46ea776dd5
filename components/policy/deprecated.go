package policy

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

// DeprecationTable is data/deprecated-apis.json: the API versions Kubernetes
// removed, by minor, from its Deprecated API Migration Guide.
type DeprecationTable struct {
	Source  string          `json:"source"`
	Checked string          `json:"checked"`
	Note    string          `json:"note"`
	APIs    []DeprecatedAPI `json:"apis"`
}

// DeprecatedAPI is one API version of some kinds that a minor stops serving.
type DeprecatedAPI struct {
	APIVersion string   `json:"api_version"`
	Kinds      []string `json:"kinds"`
	// DeprecatedIn is the minor that deprecates the version, when known
	// ahead of its removal.
	DeprecatedIn string `json:"deprecated_in,omitempty"`
	// RemovedIn is the minor that stops serving it ("" when only deprecated).
	RemovedIn   string `json:"removed_in,omitempty"`
	Replacement string `json:"replacement"`
}

// Group is the API group ("" for the core group).
func (a DeprecatedAPI) Group() string {
	g, _, ok := strings.Cut(a.APIVersion, "/")
	if !ok {
		return ""
	}
	return g
}

// Status is what the version is in a minor: "removed in 1.25" or
// "deprecated since 1.33, removed in 1.36", "" when neither.
func (a DeprecatedAPI) Status(minor string) string {
	switch {
	case a.RemovedIn != "" && compareMinors(a.RemovedIn, minor) <= 0:
		return "removed in " + a.RemovedIn
	case a.DeprecatedIn != "" && compareMinors(a.DeprecatedIn, minor) <= 0:
		s := "deprecated since " + a.DeprecatedIn
		if a.RemovedIn != "" {
			s += ", removed in " + a.RemovedIn
		}
		return s
	}
	return ""
}

//go:embed data/deprecated-apis.json
var deprecatedJSON []byte

// Deprecations parses data/deprecated-apis.json, checking every entry.
func Deprecations() (*DeprecationTable, error) {
	var t DeprecationTable
	dec := json.NewDecoder(strings.NewReader(string(deprecatedJSON)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("data/deprecated-apis.json: %w", err)
	}
	if t.Source == "" || t.Checked == "" {
		return nil, fmt.Errorf("data/deprecated-apis.json: source and checked are required")
	}
	for i, a := range t.APIs {
		where := fmt.Sprintf("data/deprecated-apis.json: apis[%d] (%s)", i, a.APIVersion)
		switch {
		case !strings.Contains(a.APIVersion, "/") && a.APIVersion != "v1":
			return nil, fmt.Errorf("%s: api_version must be group/version", where)
		case len(a.Kinds) == 0:
			return nil, fmt.Errorf("%s: kinds is empty", where)
		case a.RemovedIn == "" && a.DeprecatedIn == "":
			return nil, fmt.Errorf("%s: removed_in or deprecated_in is required", where)
		case a.RemovedIn != "" && !minorRE.MatchString(a.RemovedIn), a.DeprecatedIn != "" && !minorRE.MatchString(a.DeprecatedIn):
			return nil, fmt.Errorf("%s: removed_in and deprecated_in are minors like \"1.25\"", where)
		case a.Replacement == "":
			return nil, fmt.Errorf("%s: replacement is required", where)
		}
	}
	return &t, nil
}

// DeprecatedFor is what the deprecated-apis constraint carries for a next
// minor: every version removed or deprecated at or before it.
func DeprecatedFor(minor string) ([]DeprecatedAPI, error) {
	if !minorRE.MatchString(minor) {
		return nil, fmt.Errorf("%q is not a Kubernetes minor like \"1.35\"", minor)
	}
	t, err := Deprecations()
	if err != nil {
		return nil, err
	}
	var out []DeprecatedAPI
	for _, a := range t.APIs {
		if a.Status(minor) != "" {
			out = append(out, a)
		}
	}
	return out, nil
}
