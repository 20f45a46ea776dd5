package automation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Resources tells the driver which of the program's resources need care.
// The driver knows no cloud resource types of its own: the program that
// declares them names them (contract) and the CLI passes them on.
type Resources struct {
	// Protected maps the types whose replacement or deletion loses data or
	// access to what messages call them ("EKS cluster"): up refuses such a
	// change unless it is allowed by URN, and the report warns of it.
	Protected map[string]string
	// ManagementNodeGroup is what RefreshManagementNodes replaces.
	ManagementNodeGroup ResourceRef
}

// ResourceRef picks a resource out of a stack's state by its type and the
// type of its parent component.
type ResourceRef struct {
	Type, ParentType string
}

// mark sets Protected on the changes of a result.
func (r Resources) mark(res *Result) {
	if res == nil {
		return
	}
	for i := range res.Changes {
		res.Changes[i].Protected = r.Protected[res.Changes[i].Type]
	}
}

// find returns the URN of the state's resource that ref picks, "" when there
// is none.
func (ref ResourceRef) find(state []StateResource) string {
	for _, r := range state {
		if r.Type == ref.Type && r.Parent != "" && string(resource.URN(r.Parent).Type()) == ref.ParentType {
			return r.URN
		}
	}
	return ""
}

// Dangerous reports whether a change replaces or deletes a protected resource.
func Dangerous(c Change) bool {
	return c.Protected != "" && (c.Kind == KindReplace || c.Kind == KindDelete)
}

// refuseProtected returns an error naming every dangerous change not allowed.
func refuseProtected(changes []Change, allow []string) error {
	var refused []string
	for _, c := range changes {
		if Dangerous(c) && !slices.Contains(allow, c.URN) {
			refused = append(refused, fmt.Sprintf("%s %s (%s)", c.Kind, c.URN, c.Protected))
		}
	}
	if len(refused) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s; rerun with --allow-replace <urn> for each one you mean",
		ErrProtected, strings.Join(refused, "; "))
}
