// Package network declares a cluster's network: the VPC (created from a CIDR
// or adopted) that the foundation's cluster gets its subnets from, and, after
// the cluster exists, the in-cluster network controllers.
package network

import (
	"errors"
	"fmt"
	"strings"
)

type argErrors []string

func (e *argErrors) check(ok bool, format string, args ...any) {
	if !ok {
		*e = append(*e, fmt.Sprintf(format, args...))
	}
}

func (e argErrors) err(component, name string) error {
	if len(e) == 0 {
		return nil
	}
	return errors.New(component + " " + name + ": invalid args: " + strings.Join(e, "; "))
}
