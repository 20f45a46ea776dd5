package automation

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func reportOf(clusters int, changesEach int, dangerous bool) *Report {
	rep := &Report{Operation: OpPreview, Outcome: StatusSucceeded}
	for w := range 3 {
		wr := WaveResult{Index: w + 1, Number: w, Label: fmt.Sprintf("wave %d", w)}
		for c := range clusters {
			name := fmt.Sprintf("c%d-%02d", w, c)
			var changes []Change
			for i := range changesEach {
				changes = append(changes, Change{
					URN:   fmt.Sprintf("urn:pulumi:%s::eksplatform::eksplatform:foundation:Foundation$aws:iam/role:Role::%s-role-%03d", name, name, i),
					Type:  "aws:iam/role:Role",
					Kind:  KindUpdate,
					Diffs: map[string]string{"tags": "update", "description": `update: "a|b" → "c"`},
				})
			}
			if dangerous && w == 1 && c == 0 {
				changes = append(changes, Change{URN: "urn:pulumi:" + name + "::eksplatform::eks:index:Cluster::" + name, Type: "eks:index:Cluster", Kind: KindReplace, Protected: "EKS cluster"})
			}
			wr.Clusters = append(wr.Clusters, ClusterResult{Cluster: name, Status: StatusSucceeded, Result: &Result{Changes: changes, Counts: CountsOf(changes)}})
		}
		rep.Waves = append(rep.Waves, wr)
	}
	return rep
}

func TestMarkdownSummaryWarningsAndDetails(t *testing.T) {
	t.Parallel()
	rep := reportOf(2, 2, true)
	rep.Waves[2].Clusters[1].Status = StatusFailed
	rep.Waves[2].Clusters[1].Reason = "stack c2-01: provider plugins are missing"
	md := Markdown(rep, MarkdownOptions{})
	assert.True(t, strings.HasPrefix(md, "## eksplatform preview\n\n**6 clusters in 3 waves** · 0 to create · 10 to update · 1 to replace · 0 to delete · **1 failed**"), md[:200])
	assert.Contains(t, md, "| wave 0 | c0-00 | 0 | 2 | 0 | 0 | ok |")
	assert.Contains(t, md, "| wave 1 | c1-00 | 0 | 2 | 1 | 0 | ok |")
	assert.Contains(t, md, "| wave 2 | c2-01 | – | – | – | – | **failed** |", "a failed preview's counts are not shown")
	assert.Contains(t, md, "| **total** | 6 clusters | **0** | **10** | **1** | **0** | |")

	warnings := md[strings.Index(md, "### Warnings"):strings.Index(md, "### Changes by cluster")]
	assert.Contains(t, warnings, "⚠️ **replace** of the EKS cluster `urn:pulumi:c1-00::eksplatform::eks:index:Cluster::c1-00` in **c1-00** (wave 1)")
	assert.Contains(t, warnings, "❌ **c2-01** (wave 2) failed: stack c2-01: provider plugins are missing")
	assert.Less(t, strings.Index(md, "### Warnings"), strings.Index(md, "<details>"), "warnings come before the details")
	assert.Contains(t, md, "<details><summary>wave 0 · <b>c0-00</b> — 2 to update</summary>")
	assert.Contains(t, md, "| update | `aws:iam/role:Role` | `c0-00-role-000` | `description` update: \"a\\|b\" → \"c\"<br>`tags` update |", "pipes are escaped")
}

func TestMarkdownStaysUnderTheLimitAndSaysWhatWasTrimmed(t *testing.T) {
	t.Parallel()
	rep := reportOf(10, 60, true)
	full := Markdown(rep, MarkdownOptions{Limit: 10_000_000})
	require.Greater(t, len(full), GitHubCommentLimit, "the fixture is bigger than a comment")
	md := Markdown(rep, MarkdownOptions{})
	assert.LessOrEqual(t, len(md), GitHubCommentLimit)
	assert.Contains(t, md, "**30 clusters in 3 waves** · 0 to create · 1800 to update · 1 to replace", "the summary is never trimmed")
	assert.Contains(t, md, "| wave 2 | c2-09 | 0 | 60 | 0 | 0 | ok |")
	assert.Contains(t, md, "⚠️ **replace** of the EKS cluster", "warnings are never trimmed")
	assert.Regexp(t, `✂️ Trimmed to stay under 60000 characters: the resource lists of \d+ cluster\(s\) \(\d+ changes\) are not shown`, md)
	assert.Contains(t, md, "changes not shown (trimmed)")

	tiny := Markdown(rep, MarkdownOptions{Limit: 4000})
	assert.Contains(t, tiny, "the changes of all 30 cluster(s) are not shown")
	assert.Contains(t, tiny, "| **total** | 30 clusters |")
}

func TestExplainSaysWhatToDo(t *testing.T) {
	t.Parallel()
	output := "exit status 255\n  error: creating IAM Service Linked Role (spot.amazonaws.com): InvalidInput: Service role name AWSServiceRoleForEC2Spot has been taken in this account, please try a different suffix.\n"
	cause := errors.New(output)
	err := explain("prod-01", cause)
	assert.ErrorIs(t, err, cause)
	assert.Contains(t, err.Error(), `stack prod-01: creating IAM Service Linked Role (spot.amazonaws.com): InvalidInput: Service role name AWSServiceRoleForEC2Spot has been taken`)
	assert.Contains(t, err.Error(), `"spot_service_linked_role": "exists"`)

	err = explain("prod-01", errors.New("error: no valid credential sources for the AWS provider found"))
	assert.ErrorIs(t, err, ErrCredentials)
}
