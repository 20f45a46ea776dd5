package audit

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func envOf(vars map[string]string) func(string) string {
	return func(key string) string { return vars[key] }
}

// withUser makes the OS user lookup return name, or fail when name is "".
// Tests using it do not run in parallel.
func withUser(t *testing.T, name string) {
	t.Helper()
	old := currentUser
	t.Cleanup(func() { currentUser = old })
	currentUser = func() (*user.User, error) {
		if name == "" {
			return nil, errors.New("no such user")
		}
		return &user.User{Username: name}, nil
	}
}

func identityOf(arn string, err error) IdentityFunc {
	return func(context.Context) (string, error) { return arn, err }
}

const aliceARN = "arn:aws:iam::123456789012:user/alice"

func TestDetectActorGitHubActions(t *testing.T) {
	withUser(t, "runner")
	env := map[string]string{
		"GITHUB_ACTIONS":     "true",
		"GITHUB_SERVER_URL":  "https://github.example.com",
		"GITHUB_REPOSITORY":  "acme/platform",
		"GITHUB_RUN_ID":      "4242",
		"GITHUB_RUN_ATTEMPT": "2",
		"GITHUB_ACTOR":       "octocat",
		"CIRCLECI":           "true", // ignored: GitHub Actions comes first
	}
	a, err := DetectActor(t.Context(), envOf(env), identityOf(aliceARN, nil))
	require.NoError(t, err)
	assert.Equal(t, Actor{Identity: aliceARN, User: "octocat", CI: "github-actions",
		JobURL: "https://github.example.com/acme/platform/actions/runs/4242/attempts/2"}, a)

	delete(env, "GITHUB_RUN_ATTEMPT")
	delete(env, "GITHUB_ACTOR")
	a, err = DetectActor(t.Context(), envOf(env), nil)
	require.NoError(t, err)
	assert.Equal(t, Actor{User: "runner", CI: "github-actions", JobURL: "https://github.example.com/acme/platform/actions/runs/4242"}, a)
}

func TestDetectActorCircleCI(t *testing.T) {
	withUser(t, "circleci")
	env := map[string]string{
		"CIRCLECI":         "true",
		"CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/platform/77",
		"CIRCLE_USERNAME":  "bob",
		"GITHUB_ACTIONS":   "false",
	}
	a, err := DetectActor(t.Context(), envOf(env), identityOf(aliceARN, nil))
	require.NoError(t, err)
	assert.Equal(t, Actor{Identity: aliceARN, User: "bob", CI: "circleci", JobURL: "https://circleci.com/gh/acme/platform/77"}, a)
}

func TestDetectActorLocal(t *testing.T) {
	withUser(t, "carol")
	a, err := DetectActor(t.Context(), envOf(map[string]string{"USER": "ignored"}), identityOf(aliceARN, nil))
	require.NoError(t, err)
	assert.Equal(t, Actor{Identity: aliceARN, User: "carol"}, a)

	withUser(t, "")
	a, err = DetectActor(t.Context(), envOf(map[string]string{"USER": "dave"}), nil)
	require.NoError(t, err)
	assert.Equal(t, Actor{User: "dave"}, a, "$USER when the OS user is unknown")
}

func TestDetectActorIdentityError(t *testing.T) {
	withUser(t, "carol")
	cause := errors.New("no valid credential sources")
	a, err := DetectActor(t.Context(), envOf(map[string]string{"CIRCLECI": "true", "CIRCLE_BUILD_URL": "u"}),
		identityOf("arn:ignored", cause))
	require.ErrorIs(t, err, cause)
	assert.Contains(t, err.Error(), "finding the AWS caller identity")
	assert.Equal(t, Actor{User: "carol", CI: "circleci", JobURL: "u"}, a, "the rest of the actor is still filled")
}

const callerIdentityXML = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`

func TestSTSIdentity(t *testing.T) {
	isolateAWS(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
	t.Setenv("AWS_REGION", "us-east-2")
	var (
		mu       sync.Mutex
		auth     string
		form     url.Values
		failWith int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		auth = r.Header.Get("Authorization")
		form, _ = url.ParseQuery(string(body))
		w.Header().Set("Content-Type", "text/xml")
		if failWith != 0 {
			w.WriteHeader(failWith)
			_, _ = io.WriteString(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>2</RequestId></ErrorResponse>`)
			return
		}
		_, _ = io.WriteString(w, callerIdentityXML)
	}))
	t.Cleanup(srv.Close)
	identity := stsIdentity(func(o *sts.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.HTTPClient = srv.Client()
	})

	arn, err := identity(t.Context())
	require.NoError(t, err)
	assert.Equal(t, aliceARN, arn)
	mu.Lock()
	assert.Equal(t, "GetCallerIdentity", form.Get("Action"))
	assert.True(t, strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKID/"), auth)
	assert.Contains(t, auth, "/us-east-2/sts/aws4_request")
	failWith = http.StatusForbidden
	mu.Unlock()

	arn, err = identity(t.Context())
	require.Error(t, err)
	assert.Empty(t, arn)
	assert.Contains(t, err.Error(), "sts:GetCallerIdentity")
	assert.Contains(t, err.Error(), "InvalidClientTokenId")
	assert.NotContains(t, err.Error(), "SECRET")
}

func TestSTSIdentityWithoutCredentialsFailsFast(t *testing.T) {
	isolateAWS(t)
	t.Setenv("AWS_REGION", "us-east-2")
	start := time.Now()
	arn, err := STSIdentity()(t.Context())
	require.Error(t, err)
	assert.Empty(t, arn)
	assert.Contains(t, err.Error(), "sts:GetCallerIdentity")
	assert.Less(t, time.Since(start), 6*time.Second, "bounded by the 5-second timeout")
}

// gitRepo makes a repository with one commit and returns its dir and the
// commit, with the user's and system git config kept out.
func gitRepo(t *testing.T) (dir, commit string) {
	t.Helper()
	dir = t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
		return strings.TrimSpace(string(out))
	}
	run("init", "-q")
	run("config", "user.name", "Test")
	run("config", "user.email", "test@example.com")
	run("config", "commit.gpgsign", "false")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "fleet.json"), []byte("{}\n"), 0o600))
	run("add", "fleet.json")
	run("commit", "-q", "-m", "first")
	return dir, run("rev-parse", "HEAD")
}

func TestGitCommit(t *testing.T) {
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	dir, want := gitRepo(t)
	require.Regexp(t, `^[0-9a-f]{40,64}$`, want)
	env := envOf(map[string]string{"GITHUB_SHA": "from-github"})

	commit, dirty := GitCommit(t.Context(), dir, env)
	assert.Equal(t, want, commit, "git wins over $GITHUB_SHA")
	assert.False(t, dirty)

	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o700))
	commit, dirty = GitCommit(t.Context(), sub, env)
	assert.Equal(t, want, commit, "a directory inside the repository")
	assert.False(t, dirty, "an empty directory is not a change")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "fleet.json"), []byte("{\"changed\": true}\n"), 0o600))
	commit, dirty = GitCommit(t.Context(), dir, env)
	assert.Equal(t, want, commit)
	assert.True(t, dirty)
}

func TestGitCommitFallsBack(t *testing.T) {
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	outside := t.TempDir()
	// Keep git from finding a repository above the temporary directory.
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(outside))

	commit, dirty := GitCommit(t.Context(), outside, envOf(map[string]string{"GITHUB_SHA": "abc123", "CIRCLE_SHA1": "def456"}))
	assert.Equal(t, "abc123", commit)
	assert.False(t, dirty)
	commit, _ = GitCommit(t.Context(), outside, envOf(map[string]string{"CIRCLE_SHA1": "def456"}))
	assert.Equal(t, "def456", commit)
	commit, dirty = GitCommit(t.Context(), outside, envOf(nil))
	assert.Empty(t, commit)
	assert.False(t, dirty)

	// git missing: even a repository falls back.
	dir, _ := gitRepo(t)
	t.Setenv("PATH", t.TempDir())
	commit, _ = GitCommit(t.Context(), dir, envOf(map[string]string{"GITHUB_SHA": "abc123"}))
	assert.Equal(t, "abc123", commit)
}

func TestNewRunID(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 11, 15, 0, 999, time.FixedZone("CET", 3600))
	a, b := NewRunID(now), NewRunID(now)
	assert.NotEqual(t, a, b)
	assert.Regexp(t, `^20261122T101500Z-[0-9a-f]{16}$`, a, "UTC time prefix")
	assert.Regexp(t, `^20261122T101500Z-[0-9a-f]{16}$`, b)
	assert.Less(t, a, NewRunID(now.Add(time.Second)), "ids sort by time")
}
