package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation/audit"
)

func TestAuditCommandListsNewestFirst(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	store := audit.NewFileStore(path)
	day := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for i, r := range []audit.Record{
		{RunID: "r1", Cluster: "np-i01-aws-us-east-2", Role: "nonprod", Wave: 2, Command: "up", Result: "succeeded",
			Counts: map[string]int{"update": 4, "replace": 1}, Actor: audit.Actor{Identity: "arn:aws:sts::123456789012:assumed-role/deploy/gha", CI: "github-actions"},
			Commit: "0123456789abcdef0123456789abcdef01234567"},
		{RunID: "r2", Cluster: "prod-i01-aws-us-east-2", Role: "prod", Wave: 3, Command: "up", Result: "failed",
			Reason: "stack prod-i01-aws-us-east-2: creating node group: AccessDenied\nmore", Actor: audit.Actor{User: "alice"}, Dirty: true, Commit: "fedcba9876543210"},
		{RunID: "r3", Cluster: "prod-i02-aws-us-west-2", Role: "prod", Wave: 3, Command: "up", Result: "not run"},
	} {
		r.Start = day.Add(time.Duration(i) * time.Hour)
		r.End = r.Start.Add(12 * time.Minute)
		require.NoError(t, store.Append(t.Context(), r))
	}

	code, out, errOut := cli("audit", "--audit", "file://"+path)
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4)
	assert.Regexp(t, `^START \(UTC\)\s+CLUSTER\s+ROLE\s+WAVE\s+COMMAND\s+RESULT`, lines[0])
	assert.Contains(t, lines[1], "prod-i02-aws-us-west-2", "newest first")
	assert.Regexp(t, `^2026-11-20 10:00:00\s+prod-i01-aws-us-east-2\s+prod\s+3\s+up\s+failed\s+-\s+12m0s\s+alice\s+fedcba987654\+dirty\s+r2\s+stack prod-i01-aws-us-east-2: creating node group: AccessDenied$`, lines[2])
	assert.Contains(t, lines[3], "+0 ~4 ±1 -0")
	assert.Contains(t, lines[3], "arn:aws:sts::123456789012:assumed-role/deploy/gha (github-actions)")

	code, out, _ = cli("audit", "--audit", "file://"+path, "--role", "prod", "--since", "2026-11-20T09:30:00Z", "--json")
	require.Equal(t, 0, code)
	var recs []audit.Record
	require.NoError(t, json.Unmarshal([]byte(out), &recs))
	require.Len(t, recs, 2)
	assert.Equal(t, []string{"r3", "r2"}, []string{recs[0].RunID, recs[1].RunID})

	code, out, _ = cli("audit", "--audit", "file://"+path, "--cluster", "np-i01-aws-us-east-2", "--json")
	require.Equal(t, 0, code)
	require.NoError(t, json.Unmarshal([]byte(out), &recs))
	assert.Len(t, recs, 1)

	code, out, errOut = cli("audit", "--audit", "file://"+path, "--since", "1d", "--json")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "[]\n", out, "records of 2026-11-20 are older than a day")

	code, out, _ = cli("audit", "--audit", "file://"+path, "--limit", "1")
	require.Equal(t, 0, code)
	assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 2, "the header and the newest record")
	assert.Contains(t, out, "r3")
}

func TestAuditCommandUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "--since", "last week"}, `--since must be a duration back from now (90m, 36h, 7d), a date (2026-11-01) or a time (2026-11-01T10:00:00Z), got "last week"`},
		{[]string{"audit", "--audit", "s3://bucket/audit"}, `audit store "s3://bucket/audit": unsupported scheme; want file://PATH (a JSON Lines file) or dynamodb://TABLE[?region=REGION]`},
		{[]string{"audit", "--limit", "-1"}, "--limit must be 0 (all) or more"},
	} {
		code, _, errOut := cli(tc.args...)
		assert.Equal(t, 2, code, "%v", tc.args)
		assert.Contains(t, errOut, tc.want)
	}
	code, out, errOut := cli("audit", "--audit", "file://"+filepath.Join(t.TempDir(), "none.jsonl"))
	assert.Equal(t, 0, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "no audit records in file://")
}

func TestParseSince(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                     {},
		"90m":                  now.Add(-90 * time.Minute),
		"7d":                   now.AddDate(0, 0, -7),
		"2026-11-01":           time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		"2026-11-01T10:00:00Z": time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC),
	} {
		got, err := parseSince(in, now)
		require.NoError(t, err, in)
		assert.True(t, want.Equal(got), "%s: %s", in, got)
	}
	_, err := parseSince("-3d", now)
	assert.Error(t, err)
}
