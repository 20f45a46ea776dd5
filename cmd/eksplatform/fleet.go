package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/environments"
)

// loadFleet loads the environments and prints every problem, one
// `file: path: message` line each, to w.
func loadFleet(dir string, w io.Writer) (*environments.Fleet, error) {
	fleet, err := environments.Load(dir)
	if err != nil {
		var errs environments.Errors
		if errors.As(err, &errs) {
			for _, e := range errs {
				fmt.Fprintln(w, e.Error())
			}
			fmt.Fprintf(w, "%d problem(s) in %s; nothing was changed\n", len(errs), dir)
			return nil, exitError{1}
		}
		return nil, err
	}
	for _, wn := range fleet.Warnings {
		fmt.Fprintln(w, "warning: "+wn.Error())
	}
	return fleet, nil
}

// loadSelected loads the environments (printing their problems, as
// loadFleet) and selects the named roles and clusters (selectClusters).
func loadSelected(dir string, w io.Writer, roles, clusters []string) ([]*environments.Cluster, error) {
	fleet, err := loadFleet(dir, w)
	if err != nil {
		return nil, err
	}
	return selectClusters(fleet, roles, clusters)
}

// selectClusters narrows the fleet to the named roles and clusters (all when
// both are empty), in rollout order (automation.Select). Unknown names are
// usage errors.
func selectClusters(fleet *environments.Fleet, roles, clusters []string) ([]*environments.Cluster, error) {
	out, err := automation.Select(fleet, automation.Selection{Roles: roles, Clusters: clusters})
	return out, asUsage(err)
}

// asUsage makes a selection the fleet cannot satisfy a usage error (exit 2).
func asUsage(err error) error {
	var se *automation.SelectionError
	if errors.As(err, &se) {
		return usageError{err}
	}
	return err
}
