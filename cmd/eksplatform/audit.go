package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/automation/audit"
)

// auditFlagHelp is the --audit flag's help, shared by every command that
// records or reads the trail.
const auditFlagHelp = "audit trail: file://PATH.jsonl or dynamodb://TABLE?region=REGION[&endpoint=http(s)://HOST:PORT] (default: $EKSPLATFORM_AUDIT, else audit.jsonl in the local state directory)"

// identity looks up the AWS caller identity for the audit trail; tests
// replace it.
var identity = audit.STSIdentity

// auditStoreURL applies the defaults: --audit, then $EKSPLATFORM_AUDIT, then
// "" (the file in the local state directory).
func auditStoreURL(o *backendOptions) string {
	if o.audit != "" {
		return o.audit
	}
	return os.Getenv("EKSPLATFORM_AUDIT")
}

// openAudit opens the trail's store; it warns when records would stay on
// this machine while the state is shared.
func openAudit(o *backendOptions, stderr io.Writer) (audit.Store, error) {
	r, err := o.config().Resolve()
	if err != nil {
		return nil, err
	}
	url := auditStoreURL(o)
	store, err := audit.Open(context.Background(), url, r.StateDir)
	if err != nil {
		return nil, usageError{err}
	}
	if url == "" && r.Shared() {
		fmt.Fprintf(stderr, "audit: records go to %s on this machine while the state is shared; pass --audit dynamodb://TABLE (or set EKSPLATFORM_AUDIT) for a team trail\n", store)
	}
	return store, nil
}

// newTrail prepares the audit records of one run: who, from which commit.
// The caller identity is looked up in the background while the run starts.
func newTrail(o *backendOptions, envDir string, op automation.Operation, now time.Time, stderr io.Writer) (*audit.Trail, error) {
	store, err := openAudit(o, stderr)
	if err != nil {
		return nil, err
	}
	commit, dirty := audit.GitCommit(context.Background(), envDir, os.Getenv)
	lookup := audit.LookupActor(os.Getenv, identity())
	var warnOnce sync.Once
	return &audit.Trail{
		Store: store,
		Base:  audit.Record{RunID: audit.NewRunID(now), Command: string(op), Commit: commit, Dirty: dirty},
		Actor: func() audit.Actor {
			a, err := lookup()
			if err != nil {
				warnOnce.Do(func() {
					fmt.Fprintf(stderr, "audit: %v; the records name %s instead\n", firstLine(err.Error()), a.User)
				})
			}
			return a
		},
	}, nil
}

func firstLine(s string) string { return automation.FirstLine(s) }

// parseSince reads --since: a duration back from now (90m, 36h, 7d) or a
// date or time (2026-11-01, 2026-11-01T10:00:00Z).
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.DateOnly, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since must be a duration back from now (90m, 36h, 7d), a date (2026-11-01) or a time (2026-11-01T10:00:00Z), got %q", s)
}

func newAuditCommand() *cobra.Command {
	var o backendOptions
	var clusters, roles []string
	var since string
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "audit [--cluster C ...] [--role R ...] [--since D] [--json]",
		Short: "List the audit trail of driver runs, newest first",
		Long: `Audit lists what preview, up, refresh and destroy did: one record per
cluster per run, with the run id, who ran it (the AWS caller identity, the
user, and the CI job when the run came from GitHub Actions or CircleCI), the
git commit, the command, role, wave, result, change counts and times.
Failed, cancelled and not-run clusters are recorded too.

The trail is --audit, else $EKSPLATFORM_AUDIT, else audit.jsonl in the local
state directory (the file:// backend's directory, or ./.pulumi-state).
DynamoDB (dynamodb://TABLE?region=REGION) needs AWS credentials that may
query and scan the table; see the README for the table's keys.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, err := parseSince(since, time.Now())
			if err != nil {
				return usageError{err}
			}
			if limit < 0 {
				return usageError{errors.New("--limit must be 0 (all) or more")}
			}
			r, err := o.config().Resolve()
			if err != nil {
				return err
			}
			store, err := audit.Open(context.Background(), auditStoreURL(&o), r.StateDir)
			if err != nil {
				return usageError{err}
			}
			recs, err := store.List(context.Background(), audit.Filter{Clusters: clusters, Roles: roles, Since: from})
			if err != nil {
				return fmt.Errorf("reading the audit trail %s: %w", store, err)
			}
			if limit > 0 && len(recs) > limit {
				recs = recs[:limit]
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if recs == nil {
					recs = []audit.Record{}
				}
				return enc.Encode(recs)
			}
			if len(recs) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "no audit records in %s match\n", store)
				return nil
			}
			return printAudit(cmd.OutOrStdout(), recs)
		},
	}
	cmd.Flags().StringSliceVar(&clusters, "cluster", nil, "only these clusters (repeatable)")
	cmd.Flags().StringSliceVar(&roles, "role", nil, "only these roles (repeatable)")
	cmd.Flags().StringVar(&since, "since", "", "only runs started since: 90m, 36h, 7d, 2026-11-01 or 2026-11-01T10:00:00Z")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the records as JSON")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many records (0: all)")
	cmd.Flags().StringVar(&o.audit, "audit", "", auditFlagHelp)
	cmd.Flags().StringVar(&o.backend, "backend", "", "the state backend, to find the default audit file of a file:// backend")
	return cmd
}

func printAudit(w io.Writer, recs []audit.Record) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "START (UTC)\tCLUSTER\tROLE\tWAVE\tCOMMAND\tRESULT\tCHANGES\tDURATION\tWHO\tCOMMIT\tRUN\tREASON")
	for _, r := range recs {
		changes := "-"
		if len(r.Counts) > 0 {
			changes = fmt.Sprintf("+%d ~%d ±%d -%d", r.Counts[automation.KindCreate], r.Counts[automation.KindUpdate],
				r.Counts[automation.KindReplace], r.Counts[automation.KindDelete])
		}
		who := r.Actor.Identity
		if who == "" {
			who = r.Actor.User
		}
		if r.Actor.CI != "" {
			who += " (" + r.Actor.CI + ")"
		}
		commit := r.Commit
		if len(commit) > 12 {
			commit = commit[:12]
		}
		if r.Dirty {
			commit += "+dirty"
		}
		reason := firstLine(r.Reason)
		if len(reason) > 80 {
			reason = reason[:79] + "…"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Start.UTC().Format("2006-01-02 15:04:05"), r.Cluster, r.Role, r.Wave,
			r.Command, r.Result, changes, r.End.Sub(r.Start).Round(time.Second), dash(who), dash(commit), r.RunID, reason)
	}
	return tw.Flush()
}
