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
	"github.com/eksplatform/eksplatform/environments"
)

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
			note := c.Cause()
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
			if r := []rune(note); len(r) > 120 {
				note = string(r[:119]) + "…"
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
	// wave runs one wave of the rollout (commands with addWaveFlags).
	wave waveOptions
}

// addAllowCheckFlag adds --allow-check to a command that runs plan's checks.
func addAllowCheckFlag(cmd *cobra.Command, r *driverRun) {
	r.planChecks = true
	cmd.Flags().StringSliceVar(&r.allowChecks, "allow-check", nil,
		"run even though this check of `eksplatform plan` fails with an error, e.g. --allow-check FLT101 (repeatable; the audit records it)")
}

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
func (o *selectOptions) selection() (automation.Selection, error) {
	if !o.all && len(o.roles) == 0 && len(o.clusters) == 0 {
		return automation.Selection{}, usageError{errors.New("choose the clusters: --role R (repeatable), --cluster C or --all")}
	}
	if o.all && (len(o.roles) > 0 || len(o.clusters) > 0) {
		return automation.Selection{}, usageError{errors.New("--all runs every cluster; leave out --role and --cluster, or leave out --all")}
	}
	return automation.Selection{Roles: o.roles, Clusters: o.clusters}, nil
}

// preflight runs plan's checks over the selection, reading current
// versions from the backend. It returns the overridden findings, or an
// error naming every refusing one.
func (r *driverRun) preflight(ctx context.Context, fleet *environments.Fleet, sel automation.Selection, backend automation.Backend, w io.Writer) ([]string, error) {
	today, err := parseToday("")
	if err != nil {
		return nil, err
	}
	p, err := upgrade.RunPreflight(ctx, upgrade.Inputs{Fleet: fleet, Today: today, Selection: sel, State: &upgrade.BackendState{Backend: backend}}, r.allowChecks)
	if err != nil {
		return nil, err
	}
	for _, f := range p.Allowed {
		fmt.Fprintf(w, "warning: %s %s: %s (allowed by --allow-check %s)\n", f.Code, f.Subject, f.Message, f.Code)
	}
	if len(p.Refused) == 0 {
		return p.Overrides(), nil
	}
	for _, f := range p.Refused {
		fmt.Fprintf(w, "%s %s: %s\n  fix: %s\n", f.Code, f.Subject, f.Message, f.Fix)
	}
	fmt.Fprintf(w, "%s refuses to run: %d check(s) of `eksplatform plan` fail with an error (above); nothing was changed. "+
		"Fix them, or name each check to run anyway: --allow-check %s (the audit records it)\n",
		r.runOpts.Op, len(p.Refused), strings.Join(p.RefusedCodes(), " --allow-check "))
	return nil, exitError{1}
}

// Bounds of the numeric flags of the driver commands.
const (
	maxParallel = 64
	maxBake     = 24 * time.Hour
)

func (r *driverRun) run(cmd *cobra.Command) error {
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := checkFlagRanges(cmd); err != nil {
		return err
	}
	if r.wave.op != "" {
		if err := r.wave.check(cmd); err != nil {
			return err
		}
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
	var job *automation.WaveJob
	if r.wave.wave > 0 {
		if job, err = r.wave.job(context.Background(), plan, r.g.environments, url, errOut); err != nil {
			return err
		}
	}
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
	if job != nil {
		records := "none (a preview records nothing)"
		if job.Objects != nil {
			records = job.Objects.String()
		}
		fmt.Fprintf(errOut, "this job: %s; rollout %s (plan %s); wave records in %s\n", selectedWave(job), job.Rollout, job.Digest, records)
	}
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
	var rep *automation.Report
	var runErr error
	if job != nil {
		rep, runErr = automation.RunJob(ctx, driver, job, r.runOpts, automation.JobOptions{
			RequirePrevious: r.wave.requirePrevious, WaitBake: r.wave.waitBake, RunID: trail.Base.RunID, Job: trail.Actor().JobURL,
		})
		if rep == nil {
			fmt.Fprintln(errOut, "error:", runErr)
			return exitError{1}
		}
	} else {
		rep, runErr = driver.Run(ctx, plan, r.runOpts)
	}
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
