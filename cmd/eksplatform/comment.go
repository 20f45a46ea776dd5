package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/eksplatform/eksplatform/automation"
)

type commentOptions struct {
	report, reportStderr string
	plan, planStderr     string
	out                  string
	limit                int
}

func newCommentCommand() *cobra.Command {
	o := &commentOptions{}
	cmd := &cobra.Command{
		Use:   "comment --report report.md --plan plan.md [--out body.md]",
		Short: "Join the preview report and the plan into one pull request comment body",
		Long: `Comment writes the body of the pull request comment the CI examples post:
a marker line (` + automation.CommentMarker + `) the CI step finds its own
comment by, the preview report (its summary leads), then the plan in the room
left under GitHub's limit of 65 536 characters, cut at a line break with a note
that the whole file is in the run's artifacts.

A file that is missing or empty — the command that should have written it
failed before writing anything, for example because an environment file does
not load — is replaced by that command's standard error (--report-stderr,
--plan-stderr), so the comment says why. It reads files only: no state, no
AWS, no GitHub.`,
		Example: `  eksplatform plan --format markdown --out plan.md 2>plan.err
  eksplatform preview --all --report-md report.md 2>preview.err
  eksplatform comment --report report.md --report-stderr preview.err \
      --plan plan.md --plan-stderr plan.err --out body.md`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.limit < 0 || o.limit > automation.GitHubBodyLimit {
				return usageError{fmt.Errorf("--limit %d: allowed 1–%d bytes (0: a margin under GitHub's limit)", o.limit, automation.GitHubBodyLimit)}
			}
			var parts []automation.CommentPart
			for _, p := range []struct{ name, body, stderr string }{
				{"preview report", o.report, o.reportStderr},
				{"plan", o.plan, o.planStderr},
			} {
				if p.body == "" && p.stderr == "" {
					continue
				}
				body, err := readOptional(p.body)
				if err != nil {
					return err
				}
				stderr, err := readOptional(p.stderr)
				if err != nil {
					return err
				}
				parts = append(parts, automation.CommentPart{Name: p.name, Body: body, Stderr: stderr})
			}
			if len(parts) == 0 {
				return usageError{errors.New("nothing to join: give --report and/or --plan")}
			}
			body := automation.PullRequestComment(parts, o.limit)
			if o.out == "" {
				_, err := fmt.Fprint(cmd.OutOrStdout(), body)
				return err
			}
			return writeFileAtomic(o.out, []byte(body))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.report, "report", "", "the preview report (preview --report-md)")
	f.StringVar(&o.reportStderr, "report-stderr", "", "preview's standard error, shown when the report is missing")
	f.StringVar(&o.plan, "plan", "", "the plan (plan --format markdown --out)")
	f.StringVar(&o.planStderr, "plan-stderr", "", "plan's standard error, shown when the plan is missing")
	f.StringVar(&o.out, "out", "", "write the body here (default: standard output)")
	f.IntVar(&o.limit, "limit", 0, "most bytes the body may have (default: a margin under GitHub's 65 536)")
	return cmd
}

// readOptional reads a file the CI may not have written: missing is empty.
func readOptional(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return string(data), nil
}
