package upgrade

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Preflight is what plan's checks say of a run before it touches a stack:
// the error-level findings the run's --allow-check codes override, and
// those that refuse it. Warnings never stop a run.
type Preflight struct {
	Allowed []Finding
	Refused []Finding
}

// RunPreflight builds the plan of the run's selection (current versions as
// in.State reads them) and sorts its error-level findings into allowed
// (their code is in allow, any case) and refused.
func RunPreflight(ctx context.Context, in Inputs, allow []string) (Preflight, error) {
	plan, err := Build(ctx, in)
	if err != nil {
		return Preflight{}, fmt.Errorf("the pre-upgrade checks: %w", err)
	}
	var p Preflight
	for _, f := range plan.Findings {
		if f.Severity != Error {
			continue
		}
		if slices.ContainsFunc(allow, func(c string) bool { return strings.EqualFold(c, f.Code) }) {
			p.Allowed = append(p.Allowed, f)
		} else {
			p.Refused = append(p.Refused, f)
		}
	}
	return p, nil
}

// Overrides are the allowed findings as the audit trail records them.
func (p Preflight) Overrides() []string {
	var out []string
	for _, f := range p.Allowed {
		out = append(out, fmt.Sprintf("%s %s: %s", f.Code, f.Subject, f.Message))
	}
	return out
}

// RefusedCodes are the codes of the refused findings, each once, in order.
func (p Preflight) RefusedCodes() []string {
	codes := []string{}
	for _, f := range p.Refused {
		if !slices.Contains(codes, f.Code) {
			codes = append(codes, f.Code)
		}
	}
	return codes
}
