package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newValidateCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check every environment file; print one line per role, or every problem",
		Long: `Validate loads every <role>.json of the environments directory: strict decoding
(unknown fields are errors), defaults, then every rule at once.

Exit 0 and one line per role when the fleet is valid.
Exit 1 and one "file: path: message" line per problem otherwise.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fleet, err := loadFleet(g.environments, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, r := range fleet.Roles {
				names := make([]string, len(r.Clusters))
				for i, c := range r.Clusters {
					names[i] = c.Name
				}
				fmt.Fprintf(out, "%s: ok (wave %d, EKS %s, %d cluster(s): %s)\n",
					r.File, r.Wave, r.EKSVersion, len(r.Clusters), strings.Join(names, ", "))
			}
			return nil
		},
	}
}
