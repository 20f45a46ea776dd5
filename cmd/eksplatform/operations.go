package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/eksplatform/eksplatform/automation"
)

func newPreviewCommand(g *globalOptions) *cobra.Command {
	r := &driverRun{g: g, runOpts: automation.RunOptions{Op: automation.OpPreview}}
	cmd := &cobra.Command{
		Use:   "preview (--role R ... | --cluster C ... | --all)",
		Short: "Preview every selected cluster and write the pull request report",
		Long: `Preview runs each selected cluster's preview through the Pulumi engine (in
parallel; the report keeps wave order) and collects what would change.

--report-md writes the pull request comment: the fleet summary, then warnings
(replacements or deletions of EKS clusters, EFS file systems, KMS keys and
node groups, and failures), then the changes of each cluster, kept under
60 000 characters. --json writes the same as data.

Like up, preview first runs the checks of ` + "`eksplatform plan`" + `: an error-level
finding refuses it unless --allow-check names its code.

Needs AWS credentials for each cluster's account and the aws, eks and
kubernetes provider plugins; without them each cluster fails with a message
that says which is missing.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return r.run(cmd) },
	}
	addSelectFlags(cmd, &r.sel)
	addBackendFlags(cmd, &r.backend)
	cmd.Flags().StringVar(&r.backend.audit, "audit", "", auditFlagHelp)
	cmd.Flags().IntVar(&r.runOpts.Parallel, "parallel", 0, "previews at once (default: the largest parallelism of the waves)")
	cmd.Flags().StringVar(&r.mdOut, "report-md", "", "write the markdown report for the pull request to this file")
	addAllowCheckFlag(cmd, r)
	cmd.Flags().StringVar(&r.jsonOut, "json", "", "write the report as JSON to this file")
	addWaveFlags(cmd, &r.wave, automation.OpPreview)
	return cmd
}

func newUpCommand(g *globalOptions) *cobra.Command {
	r := &driverRun{g: g, gate: true, runOpts: automation.RunOptions{Op: automation.OpUp}}
	var yes bool
	var bake string
	var noGate bool
	cmd := &cobra.Command{
		Use:   "up (--role R ... | --cluster C ... | --all) --yes",
		Short: "Roll the selected clusters out, wave by wave",
		Long: `Up applies the environment files to the selected clusters in waves: roles by
wave number, a role's canary clusters first, clusters of a wave in parallel
(--parallel, default from the environment files). After each wave every
cluster must pass the health gate (EKS cluster ACTIVE at the target version,
node groups ACTIVE without health issues, addons ACTIVE, the echo-server
answering), then the wave bakes before the next one starts.

A failed cluster fails its wave: the rest of the wave finishes, no later wave
starts, the exit code is 1. --from-wave N resumes.

Before anything runs, the checks of ` + "`eksplatform plan`" + ` run over the
selection, with the current versions read from the backend: an error-level
finding (a skipped minor, prod ahead of nonprod, a chart that does not
support the target, ...) refuses the run unless --allow-check names its code.

Each cluster is previewed first: a replacement or deletion of an EKS cluster,
EFS file system, KMS key or node group is refused unless --allow-replace
names its URN.

--refresh-management-nodes replaces the management node group of every
cluster that already exists (its nodes roll); clusters that do not exist yet
are created as usual and say so.

` + waveHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if bake != "" {
				d, err := time.ParseDuration(bake)
				if err != nil || d < 0 {
					return usageError{fmt.Errorf("--bake must be a duration like 30m or 0s, got %q", bake)}
				}
				if d > maxBake {
					return usageError{fmt.Errorf("--bake must be at most %s (a longer soak is a pause between runs: resume with --from-wave), got %s", maxBake, d)}
				}
				r.planOpts.Bake = &d
			}
			if noGate {
				r.gate = false
			}
			r.check = func(plan *automation.Rollout) error {
				if !yes {
					printPlan(cmd.ErrOrStderr(), automation.OpUp, plan)
					return usageError{errors.New("up changes the clusters above; run again with --yes to apply (preview shows what would change)")}
				}
				return nil
			}
			return r.run(cmd)
		},
	}
	addSelectFlags(cmd, &r.sel)
	addBackendFlags(cmd, &r.backend)
	cmd.Flags().StringVar(&r.backend.audit, "audit", "", auditFlagHelp)
	cmd.Flags().BoolVar(&yes, "yes", false, "apply without asking (required)")
	cmd.Flags().IntVar(&r.fromWave, "from-wave", 0, "resume from this wave number (as in the environment files)")
	cmd.Flags().IntVar(&r.planOpts.Parallel, "parallel", 0, "clusters changed at once in a wave (default: the environment files' rollout.parallel, else 4)")
	cmd.Flags().StringVar(&bake, "bake", "", "wait after each wave's gate, overriding the environment files (e.g. 10m, 0s)")
	cmd.Flags().StringSliceVar(&r.runOpts.AllowReplace, "allow-replace", nil, "URN of a protected resource this run may replace or delete (repeatable)")
	cmd.Flags().BoolVar(&r.runOpts.RefreshManagementNodes, "refresh-management-nodes", false, "replace the management node group of clusters that already exist")
	addAllowCheckFlag(cmd, r)
	cmd.Flags().BoolVar(&noGate, "skip-health-gate", false, "do not gate waves on EKS health (for clusters the gate cannot reach)")
	cmd.Flags().StringVar(&r.jsonOut, "json", "", "write the run's report as JSON to this file")
	addWaveFlags(cmd, &r.wave, automation.OpUp)
	return cmd
}

func newRefreshCommand(g *globalOptions) *cobra.Command {
	r := &driverRun{g: g, runOpts: automation.RunOptions{Op: automation.OpRefresh}}
	cmd := &cobra.Command{
		Use:   "refresh (--role R ... | --cluster C ... | --all)",
		Short: "Read the clusters' real state into the backend; --expect-no-changes fails on drift",
		Long: `Refresh reads each selected cluster's resources from AWS and Kubernetes and
updates the state. Clusters the backend holds nothing of are skipped.
--expect-no-changes makes any drift a failure (for scheduled drift checks).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return r.run(cmd) },
	}
	addSelectFlags(cmd, &r.sel)
	addBackendFlags(cmd, &r.backend)
	cmd.Flags().StringVar(&r.backend.audit, "audit", "", auditFlagHelp)
	cmd.Flags().BoolVar(&r.runOpts.ExpectNoChanges, "expect-no-changes", false, "fail when the real state drifted from the backend")
	cmd.Flags().StringVar(&r.jsonOut, "json", "", "write the run's report as JSON to this file")
	addWaveFlags(cmd, &r.wave, automation.OpRefresh)
	return cmd
}

func newDestroyCommand(g *globalOptions) *cobra.Command {
	r := &driverRun{g: g, runOpts: automation.RunOptions{Op: automation.OpDestroy}}
	var yes bool
	cmd := &cobra.Command{
		Use:   "destroy --role R --yes",
		Short: "Delete every resource of an ephemeral role's clusters, last wave first",
		Long: `Destroy deletes the clusters of one role. Only roles marked "ephemeral": true
can be destroyed: other roles' clusters, KMS keys and file systems are
protected, and a partial destroy would take away everything around them.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(r.sel.roles) != 1 || len(r.sel.clusters) > 0 {
				return usageError{errors.New("destroy takes exactly one --role")}
			}
			if !yes {
				return usageError{fmt.Errorf("destroy deletes every resource of role %s; run again with --yes", r.sel.roles[0])}
			}
			r.check = func(plan *automation.Rollout) error {
				if err := automation.RefuseNotEphemeral(plan); err != nil {
					return usageError{err}
				}
				return nil
			}
			return r.run(cmd)
		},
	}
	cmd.Flags().StringSliceVar(&r.sel.roles, "role", nil, "the role to destroy")
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm the deletion (required)")
	addBackendFlags(cmd, &r.backend)
	cmd.Flags().StringVar(&r.backend.audit, "audit", "", auditFlagHelp)
	cmd.Flags().StringVar(&r.jsonOut, "json", "", "write the run's report as JSON to this file")
	return cmd
}
