// Command eksplatform validates, synthesizes and rolls out the fleet of EKS
// clusters declared in environments/.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// exitError carries an exit code out of a command whose output is already printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// hardExit ends the process at once: a second interrupt during a run uses it.
var hardExit = os.Exit

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the CLI and returns the process exit code: 0 success, 1 the
// operation failed (invalid environments, a failed check), 2 bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCommand(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintln(stderr, "error:", err)
		if isUsageError(err) || strings.HasPrefix(err.Error(), "unknown command ") {
			return 2
		}
		return 1
	}
}

// noArgs refuses positional arguments as bad usage (exit 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if err := cobra.NoArgs(cmd, args); err != nil {
		return usageError{err}
	}
	return nil
}

type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

func isUsageError(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

// globalOptions are the flags every command shares.
type globalOptions struct {
	environments string
}

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	opts := &globalOptions{}
	root := &cobra.Command{
		Use:   "eksplatform",
		Short: "Declare, plan and roll out a fleet of Amazon EKS clusters",
		Long: `eksplatform manages a fleet of Amazon EKS clusters declared in environments/,
one JSON file per cluster role. Each cluster is one Pulumi stack named after it.

Without an AWS account:
  eksplatform plan                the rollout plan and pre-upgrade checks
  eksplatform validate            check every environment file
  eksplatform synth --out DIR     write what every cluster declares, one JSON per cluster
  eksplatform charts check        check every Helm release against its chart (needs the chart repositories)
  eksplatform rollout --all       the waves as CI jobs (--format json, github-workflow, circleci ...)

With AWS credentials (state in --backend, default file://./.pulumi-state):
  eksplatform preview --all --report-md report.md   the pull request report
  eksplatform up --all --yes                        roll out wave by wave, gated and baked
  eksplatform up --all --yes --wave N               one wave per CI job, chained through the backend
  eksplatform refresh --all --expect-no-changes     the drift check
  eksplatform status                                what each cluster runs, and pending operations
  eksplatform recover --cluster C                   resolve what an interrupted run left pending
  eksplatform destroy --role sandbox --yes          ephemeral roles only
  eksplatform audit --since 7d                      who ran what, newest first (every run is recorded)`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&opts.environments, "environments", "environments",
		"directory of the environment files (<role>.json)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newValidateCommand(opts), newPlanCommand(opts), newSynthCommand(opts),
		newPreviewCommand(opts), newUpCommand(opts), newRefreshCommand(opts), newDestroyCommand(opts), newStatusCommand(opts), newAuditCommand(), newCatalogCommand(opts), newChartsCommand(opts), newRecoverCommand(opts), newCommentCommand(), newRolloutCommand(opts), newInventoryCommand(opts))
	return root
}
