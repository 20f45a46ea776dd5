package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
)

// TestCommentPostsTheValidationErrorsWhenNothingLoads: what the CI examples
// do when an environment file is invalid — plan writes no plan and exits 1,
// and the comment carries plan's own errors instead of failing.
func TestCommentPostsTheValidationErrorsWhenNothingLoads(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, _, stderr := cli("plan", "--offline", "--environments", badEnvironments(t), "--format", "markdown", "--out", filepath.Join(dir, "plan.md"))
	require.Equal(t, 1, code)
	require.NoFileExists(t, filepath.Join(dir, "plan.md"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plan.err"), []byte(stderr), 0o600))

	body := filepath.Join(dir, "body.md")
	code, out, errOut := cli("comment", "--report", filepath.Join(dir, "report.md"), "--report-stderr", filepath.Join(dir, "preview.err"),
		"--plan", filepath.Join(dir, "plan.md"), "--plan-stderr", filepath.Join(dir, "plan.err"), "--out", body)
	require.Equal(t, 0, code, errOut)
	assert.Empty(t, out)
	data, err := os.ReadFile(body)
	require.NoError(t, err)
	text := string(data)
	assert.True(t, strings.HasPrefix(text, automation.CommentMarker+"\n"))
	assert.Contains(t, text, "### eksplatform wrote no preview report\n\nThe command printed nothing")
	assert.Contains(t, text, "### eksplatform wrote no plan\n\n```\n")
	assert.Contains(t, text, "sandbox.json", "names the file that does not load")
	assert.Contains(t, text, "eks_verison")
}

func TestCommentJoinsTheReportAndThePlan(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, _, stderr := cli("plan", "--offline", "--environments", envDir, "--format", "markdown", "--out", filepath.Join(dir, "plan.md"))
	require.Contains(t, []int{0, 1}, code, stderr)
	plan, err := os.ReadFile(filepath.Join(dir, "plan.md"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "report.md"), []byte("## eksplatform preview\n"), 0o600))

	code, out, errOut := cli("comment", "--report", filepath.Join(dir, "report.md"), "--plan", filepath.Join(dir, "plan.md"), "--limit", "2000")
	require.Equal(t, 0, code, errOut)
	assert.True(t, strings.HasPrefix(out, automation.CommentMarker+"\n## eksplatform preview\n\n---\n\n"))
	assert.LessOrEqual(t, len(out), 2000)
	if len(plan) > 2000 {
		assert.Contains(t, out, "the whole plan is in the run's artifacts")
	}
	assert.Contains(t, out, strings.SplitN(string(plan), "\n", 2)[0], "the plan's first line")
}

func TestCommentRefusesBadUsage(t *testing.T) {
	t.Parallel()
	code, _, stderr := cli("comment")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "give --report and/or --plan")
	code, _, stderr = cli("comment", "--plan", "x.md", "--limit", "70000")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "allowed 1–65536")
}
