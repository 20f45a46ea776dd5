package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/environments"
)

func newStatusCommand(g *globalOptions) *cobra.Command {
	var o backendOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [--json]",
		Short: "What the backend holds per cluster: last update and versions",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fleet, err := loadFleet(g.environments, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			backend, _, err := newBackend(&o)
			if err != nil {
				return err
			}
			rows, err := automation.FleetStatus(context.Background(), fleet.Clusters(), backend)
			if err != nil {
				return err
			}
			warnUndeclared(context.Background(), cmd.ErrOrStderr(), fleet, backend)
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(rows); err != nil {
					return err
				}
				for _, r := range rows {
					if r.Error != "" {
						return exitError{1}
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "CLUSTER\tROLE\tWAVE\tLAST UPDATE\tRESOURCES\tKUBERNETES\tDESIRED\tNODE AMI\tKARPENTER\tPENDING")
			for _, r := range rows {
				last := "never"
				if r.LastUpdate != nil {
					last = r.LastUpdate.UTC().Format(time.RFC3339)
				}
				if r.UpdateInProgress {
					last += " (updating)"
				}
				pending := "-"
				if len(r.Pending) > 0 {
					pending = fmt.Sprintf("%d: eksplatform recover --cluster %s", len(r.Pending), r.Cluster)
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r.Cluster, r.Role, r.Wave, last, r.Resources,
					dash(r.Kubernetes), r.Desired, dash(r.NodeRelease), dash(r.Karpenter), pending)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			failed := 0
			for _, r := range rows {
				if r.Error != "" {
					failed++
					fmt.Fprintf(cmd.ErrOrStderr(), "error: %s: %s\n", r.Cluster, r.Error)
				}
			}
			if failed > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "status: the state of %d cluster(s) could not be read (above)\n", failed)
				return exitError{1}
			}
			return nil
		},
	}
	addBackendFlags(cmd, &o)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func warnUndeclared(ctx context.Context, w io.Writer, fleet *environments.Fleet, backend automation.Backend) {
	names, err := automation.UndeclaredStacks(ctx, fleet, backend)
	if err != nil {
		return
	}
	for _, n := range names {
		fmt.Fprintf(w, "warning: stack %s in the backend holds resources but no environment file in %s declares it "+
			"(a renamed or deleted role file?); no command touches it until one does\n", n, fleet.Dir)
	}
}
