package automation

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPullRequestCommentLeadsWithTheReportAndFits(t *testing.T) {
	t.Parallel()
	report := "## eksplatform preview\n\n**3 clusters in 3 waves**\n"
	var plan strings.Builder
	plan.WriteString("## eksplatform plan\n\n")
	for plan.Len() < 200000 {
		plan.WriteString("| wave 3 | prod-i02-aws-us-west-2 | 1.36 → 1.37 | ok — ü |\n")
	}
	body := PullRequestComment([]CommentPart{
		{Name: "preview report", Body: report},
		{Name: "plan", Body: plan.String()},
	}, 0)
	assert.LessOrEqual(t, len(body), GitHubBodyLimit, "GitHub refuses longer bodies")
	assert.Greater(t, len(body), GitHubBodyLimit-2000, "the plan fills the room left")
	assert.True(t, strings.HasPrefix(body, CommentMarker+"\n"+report), "marker, then the report's summary")
	assert.True(t, utf8.ValidString(body))
	assert.Contains(t, body, "\n---\n\n## eksplatform plan")
	assert.True(t, strings.HasSuffix(body, "the whole plan is in the run's artifacts.\n"), "says where the rest is")
	cut := strings.TrimSuffix(body[:strings.LastIndex(body, "\n\n… cut here")], "\n")
	assert.True(t, strings.HasSuffix(cut, "ok — ü |"), "cut at a line break: %q", cut[len(cut)-40:])
}

func TestPullRequestCommentKeepsSmallPartsWhole(t *testing.T) {
	t.Parallel()
	body := PullRequestComment([]CommentPart{
		{Name: "preview report", Body: "R\n"},
		{Name: "plan", Body: "P\n"},
	}, 0)
	assert.Equal(t, CommentMarker+"\nR\n\n---\n\nP\n", body)
}

func TestPullRequestCommentSaysWhyWhenNothingWasWritten(t *testing.T) {
	t.Parallel()
	errs := "environments/prod.json: clusters[0].name: \"Prod_1\" must be a DNS label\n"
	body := PullRequestComment([]CommentPart{
		{Name: "preview report", Stderr: errs},
		{Name: "plan", Stderr: errs},
	}, 0)
	assert.Contains(t, body, "### eksplatform wrote no preview report\n\n```\n"+strings.TrimSpace(errs)+"\n```\n")
	assert.Equal(t, 1, strings.Count(body, "must be a DNS label"), "the same errors once")
	assert.Contains(t, body, "### eksplatform wrote no plan\n\nSame errors as above.")

	body = PullRequestComment([]CommentPart{{Name: "plan"}}, 0)
	assert.Contains(t, body, "wrote no plan\n\nThe command printed nothing on standard error: see the job's log.")
}

func TestPullRequestCommentFencesErrorsThatHoldBackticks(t *testing.T) {
	t.Parallel()
	body := PullRequestComment([]CommentPart{{Name: "plan", Stderr: "bad value ```` in x"}}, 0)
	assert.Contains(t, body, "\n`````\nbad value ```` in x\n`````\n", "a fence longer than any run inside")
}

func TestPullRequestCommentCutsHugeErrorsAndAnOversizedReport(t *testing.T) {
	t.Parallel()
	errs := strings.Repeat("environments/x.json: something is wrong\n", 5000)
	body := PullRequestComment([]CommentPart{{Name: "preview report", Stderr: errs}, {Name: "plan", Body: "P\n"}}, 0)
	require.LessOrEqual(t, len(body), GitHubBodyLimit)
	assert.Contains(t, body, "… (cut: the whole output is in the job's log)\n```\n", "the fence is closed after the cut")
	assert.True(t, strings.HasSuffix(body, "\n---\n\nP\n"), "the plan still follows")

	body = PullRequestComment([]CommentPart{{Name: "preview report", Body: strings.Repeat("x", 100000)}, {Name: "plan", Body: "P\n"}}, 1000)
	assert.LessOrEqual(t, len(body), 1000)
	assert.Contains(t, body, "the whole preview report is in the run's artifacts")
	assert.NotContains(t, body, "\nP\n", "no room left for the plan")
}
