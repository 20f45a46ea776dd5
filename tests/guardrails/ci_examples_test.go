package guardrails

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/eksplatform/eksplatform/environments"
)

// TestCIExamplesParse: the pipelines in examples/ci are valid YAML with jobs
// (a flow sequence holding CircleCI's {{ checksum }} once slipped through).
func TestCIExamplesParse(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../examples/ci/*/*.y*ml")
	require.NoError(t, err)
	require.Len(t, files, 5)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var doc map[string]any
		require.NoError(t, yaml.Unmarshal(data, &doc), f)
		assert.NotEmpty(t, doc["jobs"], "%s has jobs", f)
	}
}

// TestCatalogRefreshRunsWeekly: both CI examples refresh the catalog on a
// weekly schedule, rebuild before planning against it (the catalog is built
// into the binary), and hand the result to a person as a pull request.
func TestCatalogRefreshRunsWeekly(t *testing.T) {
	t.Parallel()
	var gh struct {
		// YAML 1.1 reads the key "on" as true.
		On   map[string]any `json:"true"`
		Jobs map[string]struct {
			Steps []struct {
				Uses string         `json:"uses"`
				Run  string         `json:"run"`
				With map[string]any `json:"with"`
			} `json:"steps"`
		} `json:"jobs"`
	}
	data, err := os.ReadFile("../../examples/ci/github/catalog.yml")
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, &gh))
	schedule, _ := gh.On["schedule"].([]any)
	require.Len(t, schedule, 1)
	assert.Regexp(t, `^\S+ \S+ \* \* [0-6]$`, schedule[0].(map[string]any)["cron"], "weekly")
	var runs []string
	var pr map[string]any
	for _, s := range gh.Jobs["refresh"].Steps {
		runs = append(runs, s.Run)
		if strings.HasPrefix(s.Uses, "peter-evans/create-pull-request@") {
			pr = s.With
		}
	}
	all := strings.Join(runs, "\n")
	refresh := strings.Index(all, "eksplatform catalog refresh")
	rebuild := strings.LastIndex(all, "make build")
	plan := strings.Index(all, "eksplatform plan")
	require.True(t, refresh >= 0 && plan >= 0, "refreshes and plans")
	assert.Less(t, refresh, rebuild, "rebuilds after the refresh")
	assert.Less(t, rebuild, plan, "plans with the rebuilt binary")
	require.NotNil(t, pr, "opens a pull request")
	assert.Equal(t, "catalog/data/*.json\ncatalog/data/crds/*.yaml\n", pr["add-paths"], "only the catalog's files, with the CRDs the program applies")
	assert.Equal(t, "body.md", pr["body-path"])

	var circle struct {
		Jobs      map[string]any `json:"jobs"`
		Workflows map[string]struct {
			Triggers []map[string]any `json:"triggers"`
			Jobs     []any            `json:"jobs"`
		} `json:"workflows"`
	}
	data, err = os.ReadFile("../../examples/ci/circleci/config.yml")
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, &circle))
	wf, ok := circle.Workflows["catalog"]
	require.True(t, ok, "a catalog workflow")
	require.Len(t, wf.Triggers, 1)
	assert.Regexp(t, `^\S+ \S+ \* \* [0-6]$`, wf.Triggers[0]["schedule"].(map[string]any)["cron"])
	job, err := yaml.Marshal(circle.Jobs["catalog-refresh"])
	require.NoError(t, err)
	assert.Contains(t, string(job), "eksplatform catalog refresh")
	assert.Contains(t, string(job), `${api}/pulls`, "opens the pull request (TestCircleCICatalogRefreshOpensOnePullRequestWithoutTheGitHubCLI runs it)")
}

// TestPipelinesThatReachTheAPIServerRunInTheDeployerNetwork: every job that
// previews, rolls out or refreshes the fleet runs where the example
// environments' deployer setting says the API servers admit it (an in-VPC
// runner for in_vpc, the NAT egress for public), never on a hosted runner
// whose address no cluster admits.
func TestPipelinesThatReachTheAPIServerRunInTheDeployerNetwork(t *testing.T) {
	t.Parallel()
	fleet, err := environments.Load(envDir)
	require.NoError(t, err)
	var networks []string
	for _, c := range fleet.Clusters() {
		networks = append(networks, c.Deployer.IngressCIDRs...)
		networks = append(networks, c.Deployer.EgressCIDRs...)
	}
	require.NotEmpty(t, networks)

	for file, job := range map[string]string{"rollout.yml": "wave-*", "preview.yml": "preview", "scheduled.yml": "checks"} {
		data, err := os.ReadFile("../../examples/ci/github/" + file)
		require.NoError(t, err)
		var gh struct {
			Jobs map[string]struct {
				RunsOn any `json:"runs-on"`
			} `json:"jobs"`
		}
		require.NoError(t, yaml.Unmarshal(data, &gh))
		jobs := []string{job}
		if job == "wave-*" {
			jobs = nil
			for name := range gh.Jobs {
				if strings.HasPrefix(name, "wave-") {
					jobs = append(jobs, name)
				}
			}
			require.NotEmpty(t, jobs, "%s has wave jobs", file)
		}
		for _, job := range jobs {
			runsOn, _ := gh.Jobs[job].RunsOn.(string)
			assert.Regexp(t, `^codebuild-eksplatform-deployer-\$\{\{ github\.run_id \}\}-\$\{\{ github\.run_attempt \}\}$`, runsOn, "%s: job %s runs on the CodeBuild-hosted runner in the deployer VPC", file, job)
		}
		for _, n := range networks {
			assert.Contains(t, string(data), n, "%s says which network the runner sits in", file)
		}
	}

	data, err := os.ReadFile("../../examples/ci/circleci/config.yml")
	require.NoError(t, err)
	var circle struct {
		Executors map[string]map[string]any `json:"executors"`
		Jobs      map[string]struct {
			Executor string `json:"executor"`
		} `json:"jobs"`
	}
	require.NoError(t, yaml.Unmarshal(data, &circle))
	assert.Regexp(t, `^[a-z0-9-]+/[a-z0-9-]+$`, circle.Executors["deployer"]["resource_class"], "a self-hosted runner class")
	for _, job := range []string{"preview", "wave", "weekly-checks"} {
		assert.Equal(t, "deployer", circle.Jobs[job].Executor, "CircleCI job %s runs in the deployer network", job)
	}
	assert.Equal(t, "go", circle.Jobs["catalog-refresh"].Executor, "the catalog refresh needs no cluster")
	for _, n := range networks {
		assert.Contains(t, string(data), n)
	}
}

// TestThePullRequestCommentKeepsWhyNothingWasWritten: an invalid environment
// file writes neither the plan nor the report; both CI examples keep each
// command's standard error where `eksplatform comment` reads it, so the
// comment posts the validation errors (TestCommentPostsTheValidationErrors-
// WhenNothingLoads proves what it makes of them; the tests in
// ci_scripts_test.go run the posting).
func TestThePullRequestCommentKeepsWhyNothingWasWritten(t *testing.T) {
	t.Parallel()
	for _, f := range []string{"github/preview.yml", "circleci/config.yml"} {
		data, err := os.ReadFile("../../examples/ci/" + f)
		require.NoError(t, err)
		text := string(data)
		for _, want := range []string{
			"--base-environments base/environments 2>plan.err",
			"--report-md report.md --json report.json 2>preview.err",
			"./bin/eksplatform comment --report report.md --report-stderr preview.err",
			"--plan plan.md --plan-stderr plan.err --out body.md",
		} {
			assert.Contains(t, text, want, f)
		}
	}
}

// firstNode24Major is, per action the GitHub examples use, its first major
// that runs on Node.js 24: Node 20 was removed from GitHub's hosted runners on
// 2026-09-16 (github.blog changelog 2025-09-19, "Deprecation of Node 20 on
// GitHub Actions runners"), so an older major no longer runs. Renovate
// (renovate.json, "github-actions") keeps the examples on current majors.
//
// Where each number comes from (read in the upstream projects' own pull
// requests and release notes, 2026-12-02); where that was not found, the
// number is a major known to run on Node 24, so the check can only be
// stricter than the truth.
var firstNode24Major = map[string]int{
	"actions/checkout":                      5, // actions/checkout#2238 "Prepare v5.0.0 release … support for Node.js 24"
	"actions/setup-go":                      6, // v6.0.0 (2025-09), the Node 24 major; not read in its release notes here
	"actions/github-script":                 8, // release notes of v8.0.0: "Node.js 24 runtime"
	"actions/upload-artifact":               6, // v6.0.0 (2025-12) runs on Node 24; whether v5 already did was not read here
	"aws-actions/configure-aws-credentials": 5, // v5 (2025-09); not read in its release notes here
	"peter-evans/create-pull-request":       8, // v8.0.0 release notes: Node 24, "Requires Actions Runner v2.327.1"
}

func TestGitHubExamplesUseActionsThatStillRun(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../examples/ci/github/*.yml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	uses := regexp.MustCompile(`uses:\s*([\w.-]+/[\w.-]+)@v(\d+)\b`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		found := uses.FindAllStringSubmatch(string(data), -1)
		require.NotEmpty(t, found, f)
		require.Equal(t, strings.Count(string(data), "uses:"), len(found), "%s: every action is pinned to a major (name@vN)", f)
		for _, m := range found {
			first, ok := firstNode24Major[m[1]]
			if !assert.True(t, ok, "%s uses %s: add its first Node 24 major to firstNode24Major", f, m[1]) {
				continue
			}
			major, _ := strconv.Atoi(m[2])
			assert.GreaterOrEqual(t, major, first, "%s: %s@v%d runs on Node 20, which GitHub's runners no longer have", f, m[1], major)
		}
	}
}

// TestRenovateKeepsTheCIExamplesCurrent: Renovate's default file patterns are
// .github/workflows and .circleci/config.yml; the examples live elsewhere,
// so renovate.json must name them or their actions and orbs age unseen.
func TestRenovateKeepsTheCIExamplesCurrent(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../renovate.json")
	require.NoError(t, err)
	var cfg map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &cfg))
	matches := func(manager, file string) bool {
		var m struct {
			ManagerFilePatterns []string `json:"managerFilePatterns"`
		}
		if raw, ok := cfg[manager]; ok {
			require.NoError(t, json.Unmarshal(raw, &m))
		}
		for _, p := range m.ManagerFilePatterns {
			if strings.HasPrefix(p, "/") && strings.HasSuffix(p, "/") && regexp.MustCompile(strings.Trim(p, "/")).MatchString(file) {
				return true
			}
		}
		return false
	}
	files, err := filepath.Glob("../../examples/ci/*/*.y*ml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		rel := strings.TrimPrefix(f, "../../")
		manager := "github-actions"
		if strings.Contains(rel, "/circleci/") {
			manager = "circleci"
		}
		assert.True(t, matches(manager, rel), "renovate.json: the %s manager does not read %s", manager, rel)
	}
}
