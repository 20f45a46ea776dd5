package audit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// IdentityFunc returns the AWS caller identity ARN.
type IdentityFunc func(ctx context.Context) (string, error)

// identityTimeout bounds STSIdentity, credential resolution included.
const identityTimeout = 5 * time.Second

// STSIdentity returns an IdentityFunc calling sts:GetCallerIdentity with the
// default AWS config (config.LoadDefaultConfig); each call gives up after 5
// seconds.
func STSIdentity() IdentityFunc {
	return stsIdentity()
}

// stsIdentity is STSIdentity with options for the sts client, which tests
// use to point it at a fake.
func stsIdentity(optFns ...func(*sts.Options)) IdentityFunc {
	return func(ctx context.Context) (string, error) {
		ctx, cancel := context.WithTimeout(ctx, identityTimeout)
		defer cancel()
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return "", fmt.Errorf("sts:GetCallerIdentity: loading the AWS config: %w", err)
		}
		out, err := sts.NewFromConfig(cfg, optFns...).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return "", fmt.Errorf("sts:GetCallerIdentity: %w", err)
		}
		return aws.ToString(out.Arn), nil
	}
}

// currentUser is user.Current, replaced in tests.
var currentUser = user.Current

// DetectActor says who is running: the AWS identity from identity, the OS
// user (else $USER), and the CI system and job, read through getenv
// (os.Getenv when nil):
//
//   - GitHub Actions (GITHUB_ACTIONS=true): CI "github-actions", JobURL
//     $GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID
//     (+ "/attempts/$GITHUB_RUN_ATTEMPT"), User $GITHUB_ACTOR when set.
//   - CircleCI (CIRCLECI=true): CI "circleci", JobURL $CIRCLE_BUILD_URL,
//     User $CIRCLE_USERNAME when set.
//
// A nil identity leaves Identity empty. So does a failing one, whose error
// DetectActor returns next to the otherwise complete Actor for the caller
// to report; it is never fatal.
func DetectActor(ctx context.Context, getenv func(string) string, identity IdentityFunc) (Actor, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var a Actor
	if u, err := currentUser(); err == nil && u.Username != "" {
		a.User = u.Username
	} else {
		a.User = getenv("USER")
	}
	switch {
	case getenv("GITHUB_ACTIONS") == "true":
		a.CI = "github-actions"
		a.JobURL = githubJobURL(getenv)
		if actor := getenv("GITHUB_ACTOR"); actor != "" {
			a.User = actor
		}
	case getenv("CIRCLECI") == "true":
		a.CI = "circleci"
		a.JobURL = getenv("CIRCLE_BUILD_URL")
		if name := getenv("CIRCLE_USERNAME"); name != "" {
			a.User = name
		}
	}
	if identity == nil {
		return a, nil
	}
	arn, err := identity(ctx)
	if err != nil {
		return a, fmt.Errorf("finding the AWS caller identity: %w", err)
	}
	a.Identity = arn
	return a, nil
}

// githubJobURL is the URL of the running GitHub Actions run, or "" when the
// variables that make it are missing.
func githubJobURL(getenv func(string) string) string {
	repo, runID := getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID")
	if repo == "" || runID == "" {
		return ""
	}
	server := strings.TrimSuffix(getenv("GITHUB_SERVER_URL"), "/")
	if server == "" {
		server = "https://github.com"
	}
	jobURL := server + "/" + repo + "/actions/runs/" + runID
	if attempt := getenv("GITHUB_RUN_ATTEMPT"); attempt != "" {
		jobURL += "/attempts/" + attempt
	}
	return jobURL
}

// GitCommit returns the commit checked out in the repository at dir (git
// rev-parse HEAD) and whether its working tree is dirty (git status
// --porcelain prints anything, untracked files included). When git is
// missing or dir is not in a repository it falls back to $GITHUB_SHA, then
// $CIRCLE_SHA1, read through getenv (os.Getenv when nil), with dirty false;
// commit is "" when nothing is known.
func GitCommit(ctx context.Context, dir string, getenv func(string) string) (commit string, dirty bool) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if head, err := git(ctx, dir, "rev-parse", "--verify", "HEAD"); err == nil && head != "" {
		status, err := git(ctx, dir, "status", "--porcelain")
		return head, err == nil && status != ""
	}
	if sha := getenv("GITHUB_SHA"); sha != "" {
		return sha, false
	}
	return getenv("CIRCLE_SHA1"), false
}

// git runs git in dir and returns its trimmed standard output.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return "", err
	}
	return strings.TrimSpace(out.String()), nil
}

// NewRunID returns a fresh random id: the UTC time now, to the second, then
// 16 random hex digits, e.g. "20261122T101500Z-9f86d081884c7d65", so ids sort
// by time.
func NewRunID(now time.Time) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}
