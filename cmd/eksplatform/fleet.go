package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

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

// selectClusters narrows the fleet to the named roles and clusters (all when
// both are empty), in rollout order. Unknown names are usage errors.
func selectClusters(fleet *environments.Fleet, roles, clusters []string) ([]*environments.Cluster, error) {
	for _, r := range roles {
		if _, ok := fleet.Role(r); !ok {
			return nil, usageError{fmt.Errorf("unknown role %q; roles: %s", r, strings.Join(fleet.RoleNames(), ", "))}
		}
	}
	for _, c := range clusters {
		if _, ok := fleet.Cluster(c); !ok {
			return nil, usageError{fmt.Errorf("unknown cluster %q; clusters: %s", c, strings.Join(fleet.ClusterNames(), ", "))}
		}
	}
	var out []*environments.Cluster
	for _, c := range fleet.Clusters() {
		if len(roles) > 0 && !slices.Contains(roles, c.Role) {
			continue
		}
		if len(clusters) > 0 && !slices.Contains(clusters, c.Name) {
			continue
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, usageError{fmt.Errorf("no cluster matches --role %v --cluster %v", roles, clusters)}
	}
	return out, nil
}
