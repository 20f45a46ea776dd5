package guardrails

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/eksplatform/eksplatform/automation"
)

// The CI examples' scripts run here for real — bash, curl and jq for
// CircleCI, Node.js for GitHub's github-script — against a fake GitHub that
// speaks its REST API and refuses what GitHub refuses.

type circleConfig struct {
	Jobs map[string]struct {
		Steps []any `json:"steps"`
	} `json:"jobs"`
}

// circleStep returns the command of the run step of job that has name.
func circleStep(t *testing.T, job, name string) string {
	t.Helper()
	data, err := os.ReadFile("../../examples/ci/circleci/config.yml")
	require.NoError(t, err)
	var cfg circleConfig
	require.NoError(t, yaml.Unmarshal(data, &cfg))
	for _, s := range cfg.Jobs[job].Steps {
		m, _ := s.(map[string]any)
		run, _ := m["run"].(map[string]any)
		if run != nil && run["name"] == name {
			return run["command"].(string)
		}
	}
	t.Fatalf("CircleCI job %s has no run step named %q", job, name)
	return ""
}

// need fails (never skips) when a tool the CI examples rely on is missing.
func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: the CI examples' scripts need it, and this test runs them", tool)
		}
	}
}

// runBash runs a CircleCI command the way CircleCI does (bash -eo pipefail).
func runBash(t *testing.T, dir, command string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", "-eo", "pipefail", "-c", command)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// bigComment is a comment body as eksplatform comment writes it for a plan
// far over GitHub's limit.
func bigComment() string {
	plan := "## eksplatform plan\n\n" + strings.Repeat("| wave 3 | prod-i02-aws-us-west-2 | 1.36 → 1.37 | ok |\n", 4000)
	return automation.PullRequestComment([]automation.CommentPart{
		{Name: "preview report", Body: "## eksplatform preview\n"},
		{Name: "plan", Body: plan},
	}, 0)
}

func TestCircleCIPostsThePreviewCommentWithoutTheGitHubCLI(t *testing.T) {
	need(t, "bash", "curl", "jq")
	command := circleStep(t, "preview", "post or edit the comment")
	assert.NotRegexp(t, `(^|\s)gh\s`, command, "the CircleCI image has no GitHub CLI")

	gh, srv := newFakeGitHub(t)
	for i := range 130 { // two pages of other people's comments
		gh.comments = append(gh.comments, fakeComment{ID: i + 1, Issue: 7, Body: fmt.Sprintf("comment %d", i)})
	}
	gh.comments = append(gh.comments, fakeComment{ID: 500, Issue: 8, Body: automation.CommentMarker + "\nanother pull request's"})
	dir := t.TempDir()
	body := bigComment()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "body.md"), []byte(body), 0o600))
	env := []string{
		"CIRCLE_PULL_REQUEST=https://github.com/acme/fleet/pull/7",
		"CIRCLE_PROJECT_USERNAME=acme", "CIRCLE_PROJECT_REPONAME=fleet",
		"GH_TOKEN=" + gh.token, "GITHUB_API_URL=" + srv.URL,
	}

	out, err := runBash(t, dir, command, env...)
	require.NoError(t, err, out)
	mine := func() []fakeComment {
		t.Helper()
		var m []fakeComment
		for _, c := range gh.comments {
			if c.Issue == 7 && strings.HasPrefix(c.Body, automation.CommentMarker) {
				m = append(m, c)
			}
		}
		return m
	}
	require.Equal(t, 1, len(mine()), "the first push creates the comment")
	assert.True(t, body == mine()[0].Body, "the body as written, byte for byte")
	assert.Contains(t, gh.requests, "GET /repos/acme/fleet/issues/7/comments", "looked for its own comment first")

	// A second push edits the same comment, found on the second page.
	body2 := automation.CommentMarker + "\n## eksplatform preview\n\nsecond push\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "body.md"), []byte(body2), 0o600))
	gh.requests = nil
	out, err = runBash(t, dir, command, env...)
	require.NoError(t, err, out)
	require.Equal(t, 1, len(mine()), "edited, not added")
	assert.Equal(t, body2, mine()[0].Body)
	assert.Contains(t, gh.requests, fmt.Sprintf("PATCH /repos/acme/fleet/issues/comments/%d", mine()[0].ID))
	assert.Equal(t, automation.CommentMarker+"\nanother pull request's", gh.comments[130].Body, "another pull request's comment untouched")

	// Not a pull request build: nothing is posted, and the step passes.
	gh.requests = nil
	out, err = runBash(t, dir, command, append(env, "CIRCLE_PULL_REQUEST=")...)
	require.NoError(t, err, out)
	assert.Empty(t, gh.requests)
	assert.Contains(t, out, "not a pull request build")

	// A wrong token fails the step (curl -f), instead of passing silently.
	_, err = runBash(t, dir, command, append(env, "GH_TOKEN=wrong")...)
	assert.Error(t, err)
}

func TestCircleCICatalogRefreshOpensOnePullRequestWithoutTheGitHubCLI(t *testing.T) {
	need(t, "bash", "curl", "jq", "git")
	command := circleStep(t, "catalog-refresh", "open or update the pull request")
	assert.NotRegexp(t, `(^|\s)gh\s`, command, "the CircleCI image has no GitHub CLI")

	// A clone with an origin to push to, and a catalog the refresh changed.
	root := t.TempDir()
	origin, dir := filepath.Join(root, "origin.git"), filepath.Join(root, "clone")
	gitEnv := []string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null"}
	for _, c := range []string{
		"git init -q --bare " + origin,
		"git init -q -b main " + dir,
		"cd " + dir + " && mkdir -p catalog/data/crds && echo '{}' > catalog/data/eks.json && echo a: 1 > catalog/data/crds/x.yaml && echo 'other' > README.md" +
			" && git add . && git commit -qm init && git remote add origin " + origin + " && git push -q origin main",
	} {
		out, err := runBash(t, root, c, gitEnv...)
		require.NoError(t, err, out)
	}
	change := func(v string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "catalog/data/eks.json"), []byte(`{"v": "`+v+`"}`), 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "README.md"), []byte("not the catalog's "+v), 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "refresh.txt"), []byte("eks: 1.37 added "+v), 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "plan.md"), []byte("## eksplatform plan\n"), 0o600))
	}
	gh, srv := newFakeGitHub(t)
	env := append(gitEnv, "CIRCLE_PROJECT_USERNAME=acme", "CIRCLE_PROJECT_REPONAME=fleet", "GH_TOKEN="+gh.token, "GITHUB_API_URL="+srv.URL)

	change("one")
	out, err := runBash(t, dir, command, env...)
	require.NoError(t, err, out)
	require.Len(t, gh.pulls, 1)
	pr := gh.pulls[0]
	assert.Equal(t, "catalog-refresh", pr.Head)
	assert.Equal(t, "main", pr.Base)
	assert.Contains(t, pr.Body, "eks: 1.37 added one")
	assert.Equal(t, []string{"catalog"}, gh.labels[pr.Number])
	files, err := runBash(t, dir, "git show --name-only --format= origin/catalog-refresh 2>/dev/null || git --git-dir "+origin+" show --name-only --format= catalog-refresh", env...)
	require.NoError(t, err, files)
	assert.Equal(t, "catalog/data/eks.json", strings.TrimSpace(files), "only the catalog's files are committed")

	// The next week's refresh updates the same pull request.
	runBashOK := func(c string) {
		out, err := runBash(t, dir, c, env...)
		require.NoError(t, err, out)
	}
	runBashOK("git checkout -q main && git checkout -q -- . && git clean -qfd")
	change("two")
	runBashOK(command)
	require.Len(t, gh.pulls, 1, "one pull request, updated")
	assert.Contains(t, gh.pulls[0].Body, "eks: 1.37 added two")

	// A current catalog opens nothing.
	runBashOK("git checkout -q main && git checkout -q -- . && git clean -qfd")
	gh.requests = nil
	out, err = runBash(t, dir, command, env...)
	require.NoError(t, err, out)
	assert.Contains(t, out, "the catalog is current")
	assert.Empty(t, gh.requests)
}

func TestGitHubActionsPostsThePreviewComment(t *testing.T) {
	need(t, "node")
	data, err := os.ReadFile("../../examples/ci/github/preview.yml")
	require.NoError(t, err)
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Name string            `json:"name"`
				Uses string            `json:"uses"`
				Run  string            `json:"run"`
				With map[string]string `json:"with"`
			} `json:"steps"`
		} `json:"jobs"`
	}
	require.NoError(t, yaml.Unmarshal(data, &wf))
	var script, compose string
	for _, s := range wf.Jobs["preview"].Steps {
		if strings.HasPrefix(s.Uses, "actions/github-script@") {
			script = s.With["script"]
		}
		if strings.Contains(s.Run, "eksplatform comment") {
			compose = s.Run
		}
	}
	require.NotEmpty(t, script, "a github-script step posts the comment")
	require.Contains(t, compose, "--out body.md", "eksplatform comment writes the body the script posts")

	gh, srv := newFakeGitHub(t)
	for i := range 130 {
		gh.comments = append(gh.comments, fakeComment{ID: i + 1, Issue: 7, Body: fmt.Sprintf("comment %d", i)})
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "script.js"), []byte(script), 0o600))
	// A stand-in for what github-script injects: an authenticated Octokit's
	// paginate and rest.issues, over GitHub's REST API (the fake here).
	harness := `
const fs = require('fs');
const api = process.env.API, auth = { Authorization: 'Bearer ' + process.env.TOKEN, 'Content-Type': 'application/json' };
async function call(method, path, body) {
  const r = await fetch(api + path, { method, headers: auth, body: body && JSON.stringify(body) });
  if (!r.ok) throw new Error(method + ' ' + path + ': ' + r.status + ' ' + await r.text());
  return { data: await r.json() };
}
const github = {
  rest: { issues: {
    listComments: p => call('GET', '/repos/' + p.owner + '/' + p.repo + '/issues/' + p.issue_number + '/comments?per_page=' + (p.per_page || 30) + '&page=' + (p.page || 1)),
    createComment: p => call('POST', '/repos/' + p.owner + '/' + p.repo + '/issues/' + p.issue_number + '/comments', { body: p.body }),
    updateComment: p => call('PATCH', '/repos/' + p.owner + '/' + p.repo + '/issues/comments/' + p.comment_id, { body: p.body }),
  } },
  paginate: async (fn, p) => { let all = []; for (let page = 1; ; page++) { const { data } = await fn({ ...p, per_page: 100, page }); all = all.concat(data); if (data.length < 100) return all; } },
};
const context = { repo: { owner: 'acme', repo: 'fleet' }, issue: { number: 7 } };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('github', 'context', 'require', fs.readFileSync('script.js', 'utf8'))(github, context, require)
  .catch(e => { console.error(e); process.exit(1); });
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "harness.js"), []byte(harness), 0o600))
	post := func(body string) {
		t.Helper()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "body.md"), []byte(body), 0o600))
		cmd := exec.Command("node", "harness.js")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "API="+srv.URL, "TOKEN="+gh.token)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
	}
	body := bigComment()
	post(body)
	require.Equal(t, 131, len(gh.comments))
	assert.True(t, body == gh.comments[130].Body, "the body as written, byte for byte")
	post(automation.CommentMarker + "\nsecond push\n")
	require.Equal(t, 131, len(gh.comments), "edited, not added")
	assert.Equal(t, automation.CommentMarker+"\nsecond push\n", gh.comments[130].Body)
}
