package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/automation/eksgate"
	"github.com/eksplatform/eksplatform/automation/upgrade"
	"github.com/eksplatform/eksplatform/environments"
)

type planOptions struct {
	roles     []string
	clusters  []string
	format    string
	out       string
	base      string
	today     string
	awsAddons bool
	insights  bool
	offline   bool
	failOn    []string
	backend   backendOptions
}

func newPlanCommand(g *globalOptions) *cobra.Command {
	o := &planOptions{}
	cmd := &cobra.Command{
		Use:   "plan [--role R ...] [--format text|json|markdown] [--out FILE] [--base-environments DIR]",
		Short: "The rollout plan and pre-upgrade checks, offline",
		Long: `Plan shows, before anything runs, what the environment files will do to every
cluster: the waves (roles, canary split, parallelism, bake, gate), each
cluster's current and desired versions, the ordered steps between them
(control plane one minor at a time, addons in the order EKS needs, the
management node group roll, karpenter, the data plane), and the checks:
skipped minors and downgrades, versions EKS does not offer or stops
supporting, addon pins incompatible with the target version, roles going
ahead of earlier waves, node skew, karpenter support.

Current versions come from the backend's state when a stack exists
(--backend, $PULUMI_BACKEND_URL, or ./.pulumi-state when present), else from
--base-environments (the environment files of the target branch), else the
cluster is new. No AWS account is needed; --aws-addon-versions asks EKS
(DescribeAddonVersions) instead of the shipped compatibility table, and
--aws-insights reads each cluster's EKS upgrade insights for its target minor
(ListInsights, DescribeInsight): deprecated API calls the control plane saw,
kubelet and addon skew, as checks INS101-INS104.

Exit code 0 when no check fails, 1 when one does (the output is written
either way), 2 on bad usage. --fail-on widens "fails": a scheduled check
runs --fail-on error,EKS104,EKS105 to fail on support windows too.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd, g) },
	}
	cmd.Flags().StringSliceVar(&o.roles, "role", nil, "only these roles (repeatable)")
	cmd.Flags().StringSliceVar(&o.clusters, "cluster", nil, "only these clusters (repeatable)")
	cmd.Flags().StringVar(&o.format, "format", "text", "text, json or markdown (with a playbook per cluster)")
	cmd.Flags().StringVar(&o.out, "out", "", "write the plan to this file instead of stdout")
	cmd.Flags().StringVar(&o.base, "base-environments", "", "environment files of the target branch: the current versions of clusters without state")
	cmd.Flags().StringVar(&o.today, "today", "", "judge support windows as of this date (YYYY-MM-DD; default: today, UTC)")
	cmd.Flags().BoolVar(&o.awsAddons, "aws-addon-versions", false, "ask EKS for addon versions (needs AWS credentials) instead of the offline table")
	cmd.Flags().BoolVar(&o.insights, "aws-insights", false, "read each cluster's EKS upgrade insights for its target minor (needs AWS credentials: eks:ListInsights, eks:DescribeInsight)")
	cmd.Flags().StringSliceVar(&o.failOn, "fail-on", []string{upgrade.Error},
		"what makes plan exit 1: error (default), warning, or check codes such as EKS104 (repeatable; scheduled checks use --fail-on error,EKS104,EKS105)")
	cmd.Flags().BoolVar(&o.offline, "offline", false, "do not read the backend: current versions come from --base-environments only")
	addBackendFlags(cmd, &o.backend)
	return cmd
}

func (o *planOptions) run(cmd *cobra.Command, g *globalOptions) error {
	switch o.format {
	case "text", "json", "markdown":
	default:
		return usageError{fmt.Errorf("--format must be text, json or markdown, got %q", o.format)}
	}
	for _, r := range o.failOn {
		if !strings.EqualFold(r, upgrade.Error) && !strings.EqualFold(r, upgrade.Warning) && !slices.ContainsFunc(upgrade.Codes, func(c string) bool { return strings.EqualFold(c, r) }) {
			return usageError{fmt.Errorf("--fail-on takes error, warning or a check code (%s), got %q", strings.Join(upgrade.Codes, ", "), r)}
		}
	}
	today, err := parseToday(o.today)
	if err != nil {
		return err
	}
	fleet, err := loadFleet(g.environments, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	in := upgrade.Inputs{Fleet: fleet, Today: today, Selection: automation.Selection{Roles: o.roles, Clusters: o.clusters}}
	if o.base != "" {
		base, err := environments.Load(o.base)
		if err != nil {
			fmt.Fprintln(cmd.ErrOrStderr(), "the base environments do not load:")
			return reportLoadError(err, o.base, cmd)
		}
		in.Base = base
	}
	if o.awsAddons {
		in.Catalog = eksgate.NewAddonCatalog()
	}
	if o.insights {
		in.Insights = eksgate.NewInsights()
	}
	if o.offline && o.backend.backend != "" {
		return usageError{errors.New("--offline reads no backend; leave out --backend or --offline")}
	}
	if want, err := o.stateWanted(); err != nil {
		return err
	} else if want {
		backend, url, err := newBackend(&o.backend)
		if err != nil {
			if errors.Is(err, automation.ErrNoPassphrase) {
				return usageError{fmt.Errorf("%w. plan reads the current versions from the state; --offline plans from the environment files alone", err)}
			}
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "reading current versions from %s\n", redactURL(url))
		in.State = &upgrade.BackendState{Backend: backend}
	}
	plan, err := upgrade.Build(context.Background(), in)
	if err != nil {
		return asUsage(err)
	}
	var out []byte
	switch o.format {
	case "json":
		out, err = plan.JSON()
		if err != nil {
			return err
		}
	case "markdown":
		out = []byte(plan.Markdown())
	default:
		out = []byte(plan.Text())
	}
	if o.out != "" {
		if err := writeFileAtomic(o.out, out); err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", o.out)
	} else if _, err := cmd.OutOrStdout().Write(out); err != nil {
		return err
	}
	if failing := plan.FailingOn(o.failOn); len(failing) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "plan: %d finding(s) fail it (--fail-on %s)\n", len(failing), strings.Join(o.failOn, ","))
		return exitError{1}
	}
	return nil
}

// stateWanted: a backend named by flag or environment, or the local default
// when it already exists. Plan never creates state: a file:// backend that
// does not exist is an error when named, and skipped when it is the default.
func (o *planOptions) stateWanted() (bool, error) { return stateWanted(o.offline, &o.backend, "plan") }

// stateWanted is whether a reading command (plan, inventory) reads state:
// not offline, and a backend named, or the local default holding stacks.
func stateWanted(offline bool, o *backendOptions, command string) (bool, error) {
	if offline {
		return false, nil
	}
	r, err := o.config().Resolve()
	if err != nil {
		return false, err
	}
	if r.Source == automation.FromDefault {
		// The default directory is read only when it holds stacks: an
		// empty one (left by a failed status or preview) needs no
		// passphrase to plan.
		stacks, _ := filepath.Glob(filepath.Join(r.LocalDir, ".pulumi", "stacks", "*", "*", "*.json*"))
		return len(stacks) > 0, nil
	}
	if r.LocalDir != "" {
		if st, err := os.Stat(r.LocalDir); err != nil || !st.IsDir() {
			return false, usageError{fmt.Errorf("the backend %s does not exist; %s reads state and never creates it (use --offline to leave state out)", r.URL, command)}
		}
	}
	return true, nil
}

func reportLoadError(err error, dir string, cmd *cobra.Command) error {
	var errs environments.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Fprintln(cmd.ErrOrStderr(), e.Error())
		}
		return exitError{1}
	}
	return fmt.Errorf("%s: %w", dir, err)
}
