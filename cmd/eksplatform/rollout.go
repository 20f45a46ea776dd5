package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/environments"
)

// rolloutFormats are the outputs of `eksplatform rollout`.
var rolloutFormats = []string{"text", "json", "github-matrix", "github-workflow", "github-environments", "circleci"}

// Rollout document: the waves of a selection as data a CI engine consumes.
type rolloutDoc struct {
	// Rollout is the default --rollout-id of the plan's jobs; Digest what
	// it is derived from (the commit, the environment files, the waves).
	Rollout string `json:"rollout"`
	Digest  string `json:"digest"`
	Commit  string `json:"commit,omitempty"`
	Dirty   bool   `json:"dirty,omitempty"`
	// Selection is the selection flags every job of the rollout passes.
	Selection string    `json:"selection"`
	Waves     []waveDoc `json:"waves"`
}

type waveDoc struct {
	// Wave is the value of --wave.
	Wave     int      `json:"wave"`
	Label    string   `json:"label"`
	Number   int      `json:"number"`
	Canary   bool     `json:"canary"`
	Roles    []string `json:"roles"`
	Clusters []string `json:"clusters"`
	Parallel int      `json:"parallel"`
	// BakeBeforeMinutes is the wait between the wave before and this one
	// (the next job's wait); BakeAfterMinutes the one after this wave.
	BakeBeforeMinutes  int  `json:"bakeBeforeMinutes"`
	BakeAfterMinutes   int  `json:"bakeAfterMinutes"`
	GateTimeoutMinutes int  `json:"gateTimeoutMinutes"`
	EchoCheck          bool `json:"echoCheck"`
	// Upper-end job lengths (automation.JobEstimate), in minutes.
	Estimate estimateDoc `json:"estimateMinutes"`
	// Command is the wave's job, one process for the whole wave.
	Command string `json:"command"`
}

type estimateDoc struct {
	Cluster int `json:"cluster"`
	// WaveJob is one job for the wave, MatrixJob one job per cluster;
	// both without the bake they may wait out first (BakeBeforeMinutes).
	WaveJob   int `json:"waveJob"`
	MatrixJob int `json:"matrixJob"`
}

func minutes(d time.Duration) int { return int((d + time.Minute - 1) / time.Minute) }

func newRolloutDoc(plan *automation.Rollout, digest, commit string, dirty bool, selection string) rolloutDoc {
	doc := rolloutDoc{Rollout: automation.DefaultRolloutID(digest), Digest: digest, Commit: commit, Dirty: dirty, Selection: selection}
	for i, w := range plan.Waves {
		e := plan.Estimate(i)
		gate := w.GateTimeout
		if gate == 0 {
			gate, _ = time.ParseDuration(environments.DefaultGateTimeout)
		}
		doc.Waves = append(doc.Waves, waveDoc{
			Wave: w.Index, Label: w.Label(), Number: w.Number, Canary: w.Canary, Roles: w.Roles, Clusters: w.Names(),
			Parallel: w.Parallel, BakeBeforeMinutes: minutes(e.BakeWait), BakeAfterMinutes: minutes(w.Bake),
			GateTimeoutMinutes: minutes(gate), EchoCheck: w.EchoCheck,
			Estimate: estimateDoc{Cluster: minutes(e.Cluster), WaveJob: minutes(e.Wave), MatrixJob: minutes(e.Matrix)},
			Command:  fmt.Sprintf("eksplatform up %s --yes --wave %d --rollout-id ID --wait-bake", selection, w.Index),
		})
	}
	return doc
}

// selectionFlags writes a selection back as the flags every job passes.
func selectionFlags(o selectOptions) string {
	if o.all {
		return "--all"
	}
	var parts []string
	for _, r := range o.roles {
		parts = append(parts, "--role "+r)
	}
	for _, c := range o.clusters {
		parts = append(parts, "--cluster "+c)
	}
	return strings.Join(parts, " ")
}

func newRolloutCommand(g *globalOptions) *cobra.Command {
	var sel selectOptions
	var format, check, out string
	var parallel int
	cmd := &cobra.Command{
		Use:   "rollout (--role R ... | --cluster C ... | --all) [--format F]",
		Short: "The waves of a rollout as data a CI engine runs: one job per wave",
		Long: `Rollout lists the waves of the selected clusters as ` + "`up`" + ` runs them (roles by
wave number, a role's canary clusters in a wave of their own), with what a CI
engine needs to run one job per wave: each wave's clusters, parallelism, gate
timeout, the bake before and after it, and upper-end job lengths. Offline: no
AWS account, no backend.

Formats:
  text                 the waves, one line each (default)
  json                 the same as data, with the rollout's default id and digest
  github-matrix        KEY=VALUE lines for $GITHUB_OUTPUT: rollout, waves, and per
                       wave waveN (its clusters as a JSON array) and waveN_parallel
  github-workflow      a GitHub Actions workflow: one job per wave chained with
                       needs, each cluster a matrix job (max-parallel = the wave's
                       parallelism), each wave's bake the wait timer of the next
                       job's environment; its first job checks the file is current
  github-environments  the environments that workflow names, with their wait
                       timers (for the repository settings or the REST API)
  circleci             the rollout workflow of a CircleCI config: an approval,
                       then one job per wave chained with requires

--check FILE compares the output with FILE and fails with the command that
regenerates it when they differ: how a generated workflow stays current.

Each wave's job runs ` + "`eksplatform up --wave N`" + ` (see ` + "`eksplatform up --help`" + `).
The workflow formats refuse a wave whose job would run longer than the
engine's limit (GitHub-hosted jobs: 6 hours; CircleCI: 5 hours), naming the
wave and what to change.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(rolloutFormats, format) {
				return usageError{fmt.Errorf("--format must be one of %s, got %q", strings.Join(rolloutFormats, ", "), format)}
			}
			if err := checkFlagRanges(cmd); err != nil {
				return err
			}
			s, err := sel.selection()
			if err != nil {
				return err
			}
			fleet, err := loadFleet(g.environments, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			plan, err := automation.NewRollout(fleet, s, automation.RolloutOptions{Parallel: parallel})
			if err != nil {
				return asUsage(err)
			}
			var buf bytes.Buffer
			if err := renderRollout(context.Background(), &buf, format, plan, fleet, g.environments, selectionFlags(sel)); err != nil {
				return err
			}
			if check != "" {
				return checkGenerated(cmd.ErrOrStderr(), check, buf.Bytes(), cmd.CommandPath(), selectionFlags(sel), format)
			}
			if out != "" {
				return writeFileAtomic(out, buf.Bytes())
			}
			_, err = cmd.OutOrStdout().Write(buf.Bytes())
			return err
		},
	}
	addSelectFlags(cmd, &sel)
	cmd.Flags().StringVar(&format, "format", "text", "output: "+strings.Join(rolloutFormats, ", "))
	cmd.Flags().StringVar(&check, "check", "", "compare the output with this file; exit 1 when it differs (a generated workflow that is out of date)")
	cmd.Flags().StringVar(&out, "out", "", "write the output to this file instead of standard output")
	cmd.Flags().IntVar(&parallel, "parallel", 0, "clusters at once in a wave (default: the environment files' rollout.parallel)")
	return cmd
}

func checkGenerated(stderr io.Writer, path string, want []byte, command, selection, format string) error {
	have, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--check: %w", err)
	}
	if bytes.Equal(have, want) {
		fmt.Fprintf(stderr, "%s is current\n", path)
		return nil
	}
	hl, wl := strings.Split(string(have), "\n"), strings.Split(string(want), "\n")
	line := 0
	for line < len(hl) && line < len(wl) && hl[line] == wl[line] {
		line++
	}
	got, exp := "(end of file)", "(end of file)"
	if line < len(hl) {
		got = hl[line]
	}
	if line < len(wl) {
		exp = wl[line]
	}
	fmt.Fprintf(stderr, "%s is out of date with the environment files: line %d is\n  %s\nand should be\n  %s\nRegenerate it: %s %s --format %s --out %s\n",
		path, line+1, strings.TrimSpace(got), strings.TrimSpace(exp), command, selection, format, path)
	return exitError{1}
}

func renderRollout(ctx context.Context, w io.Writer, format string, plan *automation.Rollout, fleet *environments.Fleet, envDir, selection string) error {
	switch format {
	case "text":
		printPlan(w, "rollout", plan)
		for i, wave := range plan.Waves {
			e := plan.Estimate(i)
			fmt.Fprintf(w, "  --wave %d = %s: jobs up to %d min (one job) or %d min (one per cluster)\n", wave.Index, wave.Label(), minutes(e.Wave), minutes(e.Matrix))
		}
		return nil
	case "github-workflow":
		return githubWorkflow(w, plan, fleet, selection)
	case "github-environments":
		return githubEnvironments(w, plan)
	case "circleci":
		return circleciWorkflow(w, plan, selection)
	}
	digest, commit, dirty, err := planDigest(ctx, plan, envDir)
	if err != nil {
		return err
	}
	doc := newRolloutDoc(plan, digest, commit, dirty, selection)
	if format == "json" {
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	// github-matrix
	fmt.Fprintf(w, "rollout=%s\nwaves=%d\n", doc.Rollout, len(doc.Waves))
	for _, wd := range doc.Waves {
		b, _ := json.Marshal(wd.Clusters)
		fmt.Fprintf(w, "wave%d=%s\nwave%d_parallel=%d\n", wd.Wave, b, wd.Wave, wd.Parallel)
	}
	return nil
}

// envName is the GitHub environment of a wave's jobs.
func envName(index int) string { return fmt.Sprintf("fleet-wave-%d", index) }

// githubJob is one wave's job in the generated workflow.
type githubJob struct {
	wave    automation.Wave
	timeout time.Duration
}

func githubJobs(plan *automation.Rollout) ([]githubJob, error) {
	var jobs []githubJob
	var errs []error
	for i, w := range plan.Waves {
		e := plan.Estimate(i)
		t, err := automation.JobTimeout(w, e.Matrix+e.BakeWait, automation.GitHubJobLimit, "a GitHub-hosted job")
		errs = append(errs, err)
		jobs = append(jobs, githubJob{wave: w, timeout: t})
	}
	return jobs, errors.Join(errs...)
}

// deployerNetworks are the deployer CIDRs the fleet declares, for the
// comment that says where the runner must sit.
func deployerNetworks(fleet *environments.Fleet) []string {
	var out []string
	for _, c := range fleet.Clusters() {
		for _, n := range append(slices.Clone(c.Deployer.IngressCIDRs), c.Deployer.EgressCIDRs...) {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

const githubWorkflowPath = ".github/workflows/rollout.yml"

func githubWorkflow(w io.Writer, plan *automation.Rollout, fleet *environments.Fleet, selection string) error {
	jobs, err := githubJobs(plan)
	if err != nil {
		return err
	}
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("# Generated by `eksplatform rollout %s --format github-workflow`; do not edit.", selection)
	p("# Copy to %s. Its first job fails when the environment files' waves", githubWorkflowPath)
	p("# no longer match it, with the command that regenerates it.")
	p("#")
	p("# The rollout on merge, one job per wave (a GitHub-hosted job stops at 6 hours;")
	p("# each job here is sized from the fleet's own numbers, see `eksplatform rollout`),")
	p("# each cluster of a wave a matrix job, at most the wave's parallelism at once.")
	p("# Every job records its cluster's result in the backend; the next wave's jobs")
	p("# start only when every cluster of the wave before passed its up and its")
	p("# health gate in this run, and its bake ended (up --wave refuses otherwise).")
	p("# A failed wave stops the rollout; \"Re-run failed jobs\" resumes it: clusters")
	p("# already rolled out are skipped and gated again.")
	p("#")
	p("# Environments (Settings > Environments, or `eksplatform rollout %s --format", selection)
	p("# github-environments` for the REST API): the wait timer of each is the bake")
	p("# before its wave, so no runner waits it out; --wait-bake waits any rest.")
	for i, j := range jobs {
		if i == 0 {
			p("#   %s: required reviewers (the approval before anything is applied)", envName(j.wave.Index))
			continue
		}
		p("#   %s: wait timer %d minutes (the bake after %s)", envName(j.wave.Index), minutes(plan.Waves[i-1].Bake), plan.Waves[i-1].Label())
	}
	p("#")
	p("# The jobs that reach the API servers run on an AWS CodeBuild-hosted runner in")
	p("# the deployer network (%s): see the README, \"Reaching the API server\".", strings.Join(deployerNetworks(fleet), ", "))
	p("name: fleet rollout")
	p("on:")
	p("  push:")
	p("    branches: [main]")
	p(`    paths: ["environments/**", "components/**", "stacks/**", "go.mod", "go.sum"]`)
	p("  workflow_dispatch: {}")
	p("")
	p("permissions:")
	p("  contents: read")
	p("  id-token: write")
	p("")
	p("concurrency:")
	p("  group: fleet-rollout   # one rollout at a time; the next one queues")
	p("  cancel-in-progress: false")
	p("")
	p("env:")
	p("  PULUMI_BACKEND_URL: ${{ vars.PULUMI_BACKEND_URL }}   # s3://BUCKET/PREFIX?region=...: the state and the wave records")
	p("  PULUMI_CONFIG_PASSPHRASE: ${{ secrets.PULUMI_CONFIG_PASSPHRASE }}")
	p("  EKSPLATFORM_AUDIT: ${{ vars.EKSPLATFORM_AUDIT }}   # e.g. dynamodb://eksplatform-audit?region=us-east-2")
	p("")
	p("jobs:")
	p("  waves:")
	p("    name: the waves match this workflow")
	p("    runs-on: ubuntu-latest")
	p("    timeout-minutes: 30   # builds the CLI once")
	p("    steps:")
	p("      - uses: actions/checkout@v7")
	p("      - uses: actions/setup-go@v7")
	p("        with:")
	p("          go-version-file: go.mod")
	p("      - run: make build")
	p("      - run: ./bin/eksplatform rollout %s --format github-workflow --check %s", selection, githubWorkflowPath)
	prev := "waves"
	for _, j := range jobs {
		wv := j.wave
		id := fmt.Sprintf("wave-%d", wv.Index)
		p("")
		p("  %s:", id)
		p("    name: \"%s (%s): ${{ matrix.cluster }}\"", wv.Label(), strings.Join(wv.Roles, ", "))
		p("    needs: [%s]", prev)
		p("    runs-on: codebuild-eksplatform-deployer-${{ github.run_id }}-${{ github.run_attempt }}")
		p("    environment: %s", envName(wv.Index))
		p("    timeout-minutes: %d", minutes(j.timeout))
		p("    strategy:")
		p("      fail-fast: false   # a failed cluster does not stop the others of its wave")
		p("      max-parallel: %d", wv.Parallel)
		p("      matrix:")
		p("        cluster: [%s]", strings.Join(wv.Names(), ", "))
		p("    steps:")
		p("      - uses: actions/checkout@v7")
		p("      - uses: actions/setup-go@v7")
		p("        with:")
		p("          go-version-file: go.mod")
		p("      - uses: aws-actions/configure-aws-credentials@v6")
		p("        with:")
		p("          role-to-assume: ${{ vars.EKSPLATFORM_DEPLOY_ROLE }}")
		p("          aws-region: us-east-2")
		p("          role-duration-seconds: %d", int(j.timeout/time.Second))
		p("      - run: make setup build")
		p("      - name: up")
		p("        run: >-")
		p("          ./bin/eksplatform up %s --yes --wave %d --wave-cluster \"${{ matrix.cluster }}\"", selection, wv.Index)
		p("          --rollout-id \"gh-${{ github.run_id }}\" --wait-bake --json \"%s-${{ matrix.cluster }}.json\"", id)
		p("      - if: always()")
		p("        uses: actions/upload-artifact@v7")
		p("        with:")
		p("          name: %s-${{ matrix.cluster }}", id)
		p("          path: %s-${{ matrix.cluster }}.json", id)
		prev = id
	}
	return nil
}

// githubEnvironment is one environment the generated workflow names.
type githubEnvironment struct {
	Name      string `json:"environment"`
	WaitTimer int    `json:"wait_timer"`
	Reviewers bool   `json:"required_reviewers"`
	Why       string `json:"why"`
}

func githubEnvironments(w io.Writer, plan *automation.Rollout) error {
	var envs []githubEnvironment
	for i, wv := range plan.Waves {
		e := githubEnvironment{Name: envName(wv.Index)}
		if i == 0 {
			e.Reviewers, e.Why = true, "the approval before anything is applied"
		} else {
			e.WaitTimer = minutes(plan.Waves[i-1].Bake)
			e.Why = "the bake after " + plan.Waves[i-1].Label()
		}
		envs = append(envs, e)
	}
	b, err := json.MarshalIndent(envs, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func circleciWorkflow(w io.Writer, plan *automation.Rollout, selection string) error {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	var errs []error
	p("# Generated by `eksplatform rollout %s --format circleci`: the rollout", selection)
	p("# workflow of config.yml, one job per wave after an approval. Each `wave` job")
	p("# runs up --wave N (config.yml's `wave` job); the next waits out the bake.")
	p("workflows:")
	p("  rollout:")
	p("    jobs:")
	p("      - approve-rollout:")
	p("          type: approval")
	p("          filters:")
	p("            branches:")
	p("              only: main")
	prev := "approve-rollout"
	for i, wv := range plan.Waves {
		e := plan.Estimate(i)
		t, err := automation.JobTimeout(wv, e.Wave+e.BakeWait, automation.CircleCIJobLimit, "a CircleCI job")
		errs = append(errs, err)
		id := fmt.Sprintf("wave-%d", wv.Index)
		p("      - wave:")
		p("          name: %s", id)
		p("          wave: %d", wv.Index)
		p("          selection: \"%s\"", selection)
		p("          timeout: %dm   # %s: %s", minutes(t), wv.Label(), strings.Join(wv.Names(), ", "))
		p("          requires: [%s]", prev)
		p("          context: [eksplatform-aws-deploy, eksplatform-pulumi]")
		p("          serial-group: eksplatform/fleet   # never beside a refresh or another wave's job")
		p("          filters:")
		p("            branches:")
		p("              only: main")
		prev = id
	}
	return errors.Join(errs...)
}
