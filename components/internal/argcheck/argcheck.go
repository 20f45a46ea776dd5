// Package argcheck collects every problem of a component's Args at once, so a
// programming error shows all its causes in one message.
package argcheck

import (
	"errors"
	"fmt"
	"strings"
)

// Errors gathers failed checks.
type Errors []string

// Check records the message when ok is false.
func (e *Errors) Check(ok bool, format string, a ...any) {
	if !ok {
		*e = append(*e, fmt.Sprintf(format, a...))
	}
}

// Err returns nil when every check passed, else one error naming the
// component type and name.
func (e Errors) Err(component, name string) error {
	if len(e) == 0 {
		return nil
	}
	return errors.New(component + " " + name + ": invalid args: " + strings.Join(e, "; "))
}
