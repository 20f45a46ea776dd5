package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/automation/eksgate"
	"github.com/eksplatform/eksplatform/automation/upgrade"
	"github.com/eksplatform/eksplatform/contract"
	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/stacks"
)

// backendOptions are the flags of every command that talks to state.
type backendOptions struct {
	backend         string
	secretsProvider string
	audit           string
}

func addBackendFlags(cmd *cobra.Command, o *backendOptions) {
	cmd.Flags().StringVar(&o.backend, "backend", "",
		"state backend: file://DIR, s3://BUCKET/PREFIX or https://api.pulumi.com (default: $PULUMI_BACKEND_URL, else file://./"+automation.DefaultStateDir+")")
	cmd.Flags().StringVar(&o.secretsProvider, "secrets-provider", "",
		`how stack secrets are encrypted: "passphrase" (default; the passphrase comes from $PULUMI_CONFIG_PASSPHRASE) or e.g. awskms://alias/pulumi?region=us-east-2`)
}

// selectOptions choose the clusters of a run.
type selectOptions struct {
	roles    []string
	clusters []string
	all      bool
}

func addSelectFlags(cmd *cobra.Command, o *selectOptions) {
	cmd.Flags().StringSliceVar(&o.roles, "role", nil, "roles to run (repeatable)")
	cmd.Flags().StringSliceVar(&o.clusters, "cluster", nil, "only these clusters (repeatable)")
	cmd.Flags().BoolVar(&o.all, "all", false, "every cluster of every role")
}

func (o *selectOptions) selection() (automation.Selection, error) {
	if !o.all && len(o.roles) == 0 && len(o.clusters) == 0 {
		return automation.Selection{}, usageError{errors.New("choose the clusters: --role R (repeatable), --cluster C or --all")}
	}
	if o.all && (len(o.roles) > 0 || len(o.clusters) > 0) {
		return automation.Selection{}, usageError{errors.New("--all runs every cluster; leave out --role and --cluster, or leave out --all")}
	}
	return automation.Selection{Roles: o.roles, Clusters: o.clusters}, nil
}

// config is what the flags say of the backend (automation.BackendConfig
// applies the defaults).
func (o *backendOptions) config() automation.BackendConfig {
	return automation.BackendConfig{URL: o.backend, SecretsProvider: o.secretsProvider}
}

// resolveBackend resolves the backend for a command that writes state: a
// local state directory is created on first use, and the passphrase must be
// there when the passphrase provider encrypts the secrets.
func resolveBackend(o *backendOptions) (url, secrets string, err error) {
	r, err := o.config().Resolve()
	if err != nil {
		return "", "", err
	}
	if r.LocalDir != "" {
		if err := os.MkdirAll(r.LocalDir, 0o700); err != nil {
			return "", "", fmt.Errorf("creating the state directory %s: %w", r.LocalDir, err)
		}
	}
	if err := r.RequirePassphrase(); err != nil {
		return "", "", usageError{err}
	}
	return r.URL, r.SecretsProvider, nil
}

// newBackend builds the Automation API backend that runs the real program.
func newBackend(o *backendOptions) (*automation.PulumiBackend, string, error) {
	url, secrets, err := resolveBackend(o)
	if err != nil {
		return nil, "", err
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, "", err
	}
	path, err := automation.FindPulumi(wd)
	if err != nil {
		return nil, "", err
	}
	cmd, err := automation.NewCommand(path)
	if err != nil {
		return nil, "", err
	}
	b, err := automation.NewPulumiBackend(automation.PulumiOptions{
		BackendURL: url, SecretsProvider: secrets, Command: cmd, Program: stacks.Cluster,
	})
	return b, url, err
}

// programResources are the program's resources the driver treats with care.
var programResources = automation.Resources{
	Protected:           contract.Protected,
	ManagementNodeGroup: automation.ResourceRef{Type: contract.NodeGroup, ParentType: contract.ManagementNodeGroup},
}

// printPlan writes the waves of a plan.
func printPlan(w io.Writer, op automation.Operation, plan *automation.Rollout) {
	fmt.Fprintf(w, "%s: %d cluster(s) in %d wave(s)\n", op, len(plan.Clusters()), len(plan.Waves))
	for _, wave := range plan.Waves {
		names := make([]string, len(wave.Clusters))
		for i, c := range wave.Clusters {
			names[i] = c.Name
		}
		bake := "no bake"
		if wave.Bake > 0 {
			bake = "bake " + wave.Bake.String()
		}
		fmt.Fprintf(w, "  %s (%s): %s — %d at a time, %s\n", wave.Label(), strings.Join(wave.Roles, ", "), strings.Join(names, ", "), wave.Parallel, bake)
	}
}

// printTable writes the final table of a run.
func printTable(w io.Writer, rep *automation.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WAVE\tCLUSTER\tSTATUS\tDURATION\tCREATE\tUPDATE\tREPLACE\tDELETE\tNOTE")
	causes := map[string]string{}
	for _, wave := range rep.Waves {
		for _, c := range wave.Clusters {
			var counts map[string]int
			if c.Result != nil {
				counts = c.Result.Counts
			}
			// The CLUSTER column names the stack; a cause several clusters
			// share is written once (the final error lists them together).
			note := strings.TrimPrefix(c.Reason, "stack "+c.Cluster+": ")
			if note != "" {
				if first, ok := causes[note]; ok {
					note = "the same cause as " + first
				} else {
					causes[note] = c.Cluster
				}
			}
			if note == "" && len(c.Notes) > 0 {
				note = c.Notes[0]
			}
			if len(note) > 120 {
				note = note[:119] + "…"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", wave.Label, c.Cluster, c.Status, c.Duration.Round(time.Second),
				counts[automation.KindCreate], counts[automation.KindUpdate], counts[automation.KindReplace], counts[automation.KindDelete], note)
		}
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%s %s in %s\n", rep.Operation, rep.Outcome, rep.Finished.Sub(rep.Started).Round(time.Second))
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// runDriver loads the fleet, plans and runs one operation, printing the plan,
// progress (to stderr) and the final table; it returns exit code 1 on failure.
type driverRun struct {
	g        *globalOptions
	backend  backendOptions
	sel      selectOptions
	planOpts automation.RolloutOptions
	fromWave int
	runOpts  automation.RunOptions
	jsonOut  string
	mdOut    string
	gate     bool
	// check refuses a plan before anything runs.
	check func(plan *automation.Rollout) error
	// planChecks runs plan's checks first (up, preview): an error-level
	// finding refuses the run unless allowChecks names its code.
	planChecks  bool
	allowChecks []string
}

// addAllowCheckFlag adds --allow-check to a command that runs plan's checks.
func addAllowCheckFlag(cmd *cobra.Command, r *driverRun) {
	r.planChecks = true
	cmd.Flags().StringSliceVar(&r.allowChecks, "allow-check", nil,
		"run even though this check of `eksplatform plan` fails with an error, e.g. --allow-check FLT101 (repeatable; the audit records it)")
}

// preflight runs plan's checks over the selection, reading current
// versions from the backend. It returns the overridden findings, or an
// error naming every refusing one.
func (r *driverRun) preflight(ctx context.Context, fleet *environments.Fleet, sel automation.Selection, backend automation.Backend, w io.Writer) ([]string, error) {
	today, err := parseToday("")
	if err != nil {
		return nil, err
	}
	plan, err := upgrade.Build(ctx, upgrade.Inputs{Fleet: fleet, Today: today, Selection: sel, State: &upgrade.BackendState{Backend: backend}})
	if err != nil {
		return nil, fmt.Errorf("the pre-upgrade checks: %w", err)
	}
	var overrides []string
	var refused []upgrade.Finding
	for _, f := range plan.Findings {
		if f.Severity != upgrade.Error {
			continue
		}
		if slices.ContainsFunc(r.allowChecks, func(c string) bool { return strings.EqualFold(c, f.Code) }) {
			overrides = append(overrides, fmt.Sprintf("%s %s: %s", f.Code, f.Subject, f.Message))
			fmt.Fprintf(w, "warning: %s %s: %s (allowed by --allow-check %s)\n", f.Code, f.Subject, f.Message, f.Code)
			continue
		}
		refused = append(refused, f)
	}
	if len(refused) == 0 {
		return overrides, nil
	}
	codes := []string{}
	for _, f := range refused {
		fmt.Fprintf(w, "%s %s: %s\n  fix: %s\n", f.Code, f.Subject, f.Message, f.Fix)
		if !slices.Contains(codes, f.Code) {
			codes = append(codes, f.Code)
		}
	}
	fmt.Fprintf(w, "%s refuses to run: %d check(s) of `eksplatform plan` fail with an error (above); nothing was changed. "+
		"Fix them, or name each check to run anyway: --allow-check %s (the audit records it)\n",
		r.runOpts.Op, len(refused), strings.Join(codes, " --allow-check "))
	return nil, exitError{1}
}

// Bounds of the numeric flags of the driver commands.
const (
	maxParallel = 64
	maxBake     = 24 * time.Hour
)

// checkFlagRanges refuses out-of-range values of the flags a user set.
func checkFlagRanges(cmd *cobra.Command) error {
	f := cmd.Flags()
	if f.Changed("parallel") {
		if n, _ := f.GetInt("parallel"); n < 1 || n > maxParallel {
			return usageError{fmt.Errorf("--parallel must be between 1 and %d, got %d", maxParallel, n)}
		}
	}
	if f.Changed("from-wave") {
		if n, _ := f.GetInt("from-wave"); n < 0 {
			return usageError{fmt.Errorf("--from-wave must be a wave number (0 or more, as in the environment files), got %d", n)}
		}
	}
	return nil
}

func (r *driverRun) run(cmd *cobra.Command) error {
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := checkFlagRanges(cmd); err != nil {
		return err
	}
	sel, err := r.sel.selection()
	if err != nil {
		return err
	}
	fleet, err := loadFleet(r.g.environments, errOut)
	if err != nil {
		return err
	}
	plan, err := automation.NewRollout(fleet, sel, r.planOpts)
	if err != nil {
		return asUsage(err)
	}
	if r.fromWave > 0 {
		if plan, err = plan.From(r.fromWave); err != nil {
			return usageError{err}
		}
	}
	if r.check != nil {
		if err := r.check(plan); err != nil {
			return err
		}
	}
	for _, c := range r.allowChecks {
		if !slices.ContainsFunc(upgrade.Codes, func(code string) bool { return strings.EqualFold(code, c) }) {
			return usageError{fmt.Errorf("--allow-check takes a check code of `eksplatform plan` (%s), got %q", strings.Join(upgrade.Codes, ", "), c)}
		}
	}
	backend, url, err := newBackend(&r.backend)
	if err != nil {
		return err
	}
	fmt.Fprintf(errOut, "backend %s\n", redactURL(url))
	warnUndeclared(context.Background(), errOut, fleet, backend)
	var overrides []string
	if r.planChecks {
		if overrides, err = r.preflight(context.Background(), fleet, sel, backend, errOut); err != nil {
			return err
		}
	}
	trail, err := newTrail(&r.backend, r.g.environments, r.runOpts.Op, time.Now(), errOut)
	if err != nil {
		return err
	}
	trail.Base.Overrides = overrides
	printPlan(errOut, r.runOpts.Op, plan)
	driver := &automation.Driver{Backend: backend, Log: errOut, Audit: trail, Resources: programResources}
	if r.gate {
		gate := eksgate.New()
		gate.Log = errOut
		driver.Gate = gate
	}
	ctx, stop := automation.Interruptible(errOut, func(os.Signal) {
		// A second signal: the clusters under way are recorded as
		// interrupted, then their CLIs and plugins are killed.
		abandoned := driver.Abandon("killed by a second interrupt: the steps in flight are pending in the state; " +
			"`eksplatform status` shows them, `eksplatform recover --cluster C` resolves them")
		killed := backend.Kill()
		fmt.Fprintf(errOut, "killed %d Pulumi CLI(s) and their plugins; recorded %s as interrupted in %s\n", killed, strings.Join(abandoned, ", "), trail.Store)
		hardExit(130)
	})
	defer stop()
	rep, runErr := driver.Run(ctx, plan, r.runOpts)
	printTable(out, rep)
	if r.jsonOut != "" {
		if err := writeJSON(r.jsonOut, rep); err != nil {
			return err
		}
	}
	if r.mdOut != "" {
		md := automation.Markdown(rep, automation.MarkdownOptions{})
		if err := writeFileAtomic(r.mdOut, []byte(md)); err != nil {
			return err
		}
		fmt.Fprintf(errOut, "wrote %s (%d characters)\n", r.mdOut, len(md))
	}
	// The run's own error comes first, then a trail that could not be
	// written (automation.AuditError), which fails a run that otherwise
	// succeeded.
	for _, e := range joined(runErr) {
		fmt.Fprintln(errOut, "error:", e)
	}
	var auditErr *automation.AuditError
	if !errors.As(runErr, &auditErr) {
		fmt.Fprintf(errOut, "audit: %d record(s) of run %s in %s\n", trail.Written(), trail.Base.RunID, trail.Store)
	}
	if runErr != nil {
		return exitError{1}
	}
	return nil
}

// joined splits the run's error from the audit trail's (Driver.Run joins an
// automation.AuditError after it); any other error is one.
func joined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs := j.Unwrap()
		var ae *automation.AuditError
		if len(errs) > 0 && errors.As(errs[len(errs)-1], &ae) {
			return errs
		}
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// redactURL hides credentials a backend URL might carry.
func redactURL(u string) string {
	if i := strings.Index(u, "@"); i > 0 && strings.Contains(u[:i], "://") {
		scheme, _, _ := strings.Cut(u, "://")
		return scheme + "://…@" + u[i+1:]
	}
	return u
}

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
are created as usual and say so.`,
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
				for _, c := range plan.Clusters() {
					if !c.Ephemeral {
						return usageError{fmt.Errorf("role %s is not ephemeral: its clusters, keys and file systems are protected. "+
							"Set \"ephemeral\": true in %s (a reviewed change) before destroying it", c.Role, c.File)}
					}
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
