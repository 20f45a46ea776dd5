package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/eksplatform/eksplatform/automation"
)

func newRecoverCommand(g *globalOptions) *cobra.Command {
	var o backendOptions
	var cluster string
	var imports []string
	var clear, releaseLock bool
	cmd := &cobra.Command{
		Use:   "recover --cluster C [--release-lock] [--import URN=ID ...] [--clear]",
		Short: "List and resolve the pending operations an interrupted run left in a cluster's state",
		Long: `A run that was killed mid-step (a second Ctrl-C, a killed CI job, a machine
that went away) leaves the steps it had started pending in the state: a
create may have made the resource in AWS without the state knowing its id.
up, preview and refresh refuse such a stack; status shows it.

Without --import or --clear, recover lists the pending operations and exits 1
when there are any. Then, for each pending create, look the resource up in
AWS (the URN names its type and name):

  - it exists: --import URN=ID records it as created with its id (an EKS
    cluster's id is its name, a node group's CLUSTER:NODEGROUP, ...);
  - it does not: --clear drops the pending create.

A Helm release (kubernetes:helm.sh/v3:Release) killed mid-install is left
pending-install and blocks every later upgrade: uninstall it with helm and
--clear its create; import (NAMESPACE/NAME) only a release helm shows
deployed.

Both run a refresh of the stack, which reads every other resource from AWS
(so the run needs the cluster account's credentials) and resolves the
pending updates and deletes. A create that is neither imported nor cleared
keeps the stack refused.

A killed run also leaves its lock on the stack. --release-lock removes it on
a file:// backend when its holder is known to be gone (it ran on this host
and its process has ended); the error of a locked stack says who holds the
lock and since when.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			if cluster == "" {
				return usageError{errors.New("recover needs --cluster C")}
			}
			importIDs := map[string]string{}
			for _, kv := range imports {
				urn, id, ok := strings.Cut(kv, "=")
				if !ok || !strings.HasPrefix(urn, "urn:pulumi:") || id == "" {
					return usageError{fmt.Errorf("--import takes URN=ID, e.g. urn:pulumi:C::eksplatform::aws:eks/nodeGroup:NodeGroup::mgmt=C:mgmt, got %q", kv)}
				}
				importIDs[urn] = id
			}
			fleet, err := loadFleet(g.environments, errOut)
			if err != nil {
				return err
			}
			selected, err := selectClusters(fleet, nil, []string{cluster})
			if err != nil {
				return err
			}
			c := selected[0]
			backend, url, err := newBackend(&o)
			if err != nil {
				return err
			}
			if releaseLock {
				released, err := automation.ReleaseStaleLocks(url, cluster)
				if err != nil {
					return err
				}
				for _, l := range released {
					fmt.Fprintf(out, "%s: released the lock %s\n", cluster, l.Describe(time.Now()))
				}
				if len(released) == 0 {
					fmt.Fprintf(out, "%s: no lock to release\n", cluster)
				}
			}
			ctx := cmd.Context()
			stack, err := backend.Open(ctx, c)
			if err != nil {
				return err
			}
			pending, err := stack.PendingOperations(ctx)
			if err != nil {
				return err
			}
			printPending(out, cluster, pending)
			if len(pending) == 0 {
				return nil
			}
			if len(importIDs) == 0 && !clear {
				lockHint := ""
				if !releaseLock {
					if locks, _ := automation.FileLocks(url, cluster); len(locks) > 0 {
						lockHint = ", with --release-lock: the stack is still locked (" + locks[0].Describe(time.Now()) + ")"
					}
				}
				fmt.Fprintf(errOut, "look each pending create up in AWS, then run recover again with --import URN=ID for those that exist "+
					"and --clear for the rest%s (see eksplatform recover --help)\n", lockHint)
				return exitError{1}
			}
			opts := automation.RecoverOptions{Import: importIDs, Clear: clear}
			if err := opts.Check(pending); err != nil {
				return usageError{fmt.Errorf("%s: %w", cluster, err)}
			}
			trail, err := newTrail(&o, g.environments, "recover", time.Now(), errOut)
			if err != nil {
				return err
			}
			start := time.Now()
			result, err := stack.Recover(ctx, opts)
			res := automation.ClusterResult{Cluster: c.Name, Role: c.Role, Status: automation.StatusSucceeded, Started: start,
				Finished: time.Now(), Result: result}
			res.Duration = res.Finished.Sub(start)
			res.Notes = []string{fmt.Sprintf("recovered %s: %d imported, cleared: %t", automation.DescribePending(pending), len(importIDs), clear)}
			if err != nil {
				res.Status, res.Reason = automation.StatusFailed, err.Error()
			}
			trail.Done(automation.Wave{Number: c.Wave}, c, res)
			if err != nil {
				fmt.Fprintln(errOut, "error:", err)
				return exitError{1}
			}
			after, err := stack.PendingOperations(ctx)
			if err != nil {
				return err
			}
			printPending(out, cluster, after)
			if auditErr := trail.Err(); auditErr != nil {
				fmt.Fprintln(errOut, "error:", auditErr)
				return exitError{1}
			}
			if len(after) > 0 {
				return exitError{1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cluster, "cluster", "", "the cluster whose stack to recover")
	cmd.Flags().StringArrayVar(&imports, "import", nil, "URN=ID: record a pending create as created with this cloud id (repeatable)")
	cmd.Flags().BoolVar(&releaseLock, "release-lock", false, "remove the stack's lock when the run that held it is gone (file:// backends)")
	cmd.Flags().BoolVar(&clear, "clear", false, "drop the pending creates that --import does not name, after checking AWS has none of them")
	addBackendFlags(cmd, &o)
	cmd.Flags().StringVar(&o.audit, "audit", "", auditFlagHelp)
	return cmd
}

// printPending lists a stack's pending operations.
func printPending(w io.Writer, cluster string, pending []automation.PendingOperation) {
	if len(pending) == 0 {
		fmt.Fprintf(w, "%s: no pending operations\n", cluster)
		return
	}
	fmt.Fprintf(w, "%s: %d pending operation(s) left by an interrupted run:\n", cluster, len(pending))
	for _, p := range pending {
		id := ""
		if p.ID != "" {
			id = " (id " + p.ID + ")"
		}
		fmt.Fprintf(w, "  %-9s %s%s\n", p.Type, p.URN, id)
	}
	for _, p := range pending {
		if p.Type == "creating" && p.ResourceType == "kubernetes:helm.sh/v3:Release" {
			fmt.Fprintf(w, "A Helm release killed mid-install stays pending-install in the cluster and blocks every later upgrade "+
				"(\"another operation (install/upgrade/rollback) is in progress\"): if `helm status -n NAMESPACE NAME` says pending-install, "+
				"`helm uninstall` it and --clear its create; import only a deployed release (--import URN=NAMESPACE/NAME).\n")
			break
		}
	}
}
