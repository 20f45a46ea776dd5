package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/tests/fleetfile"
)

const (
	githubWorkflowExample = "../../examples/ci/github/rollout.yml"
	githubEnvExample      = "../../examples/ci/github/environments.json"
	circleciExample       = "../../examples/ci/circleci/config.yml"
)

// exampleRollout is `eksplatform rollout --all --format json` of the
// example fleet: the numbers the example workflows must hold to.
func exampleRollout(t *testing.T) rolloutDoc {
	t.Helper()
	code, out, errOut := cli("--environments", envDir, "rollout", "--all", "--format", "json")
	require.Equal(t, 0, code, errOut)
	var doc rolloutDoc
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.NotEmpty(t, doc.Waves)
	return doc
}

func TestTheExampleWorkflowsAreWhatRolloutGenerates(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ format, file string }{
		{"github-workflow", githubWorkflowExample},
		{"github-environments", githubEnvExample},
	} {
		code, _, errOut := cli("--environments", envDir, "rollout", "--all", "--format", c.format, "--check", c.file)
		assert.Equal(t, 0, code, "%s is not what `eksplatform rollout --all --format %s` writes: %s", c.file, c.format, errOut)
	}

	// CircleCI: config.yml holds the generated rollout workflow.
	code, out, errOut := cli("--environments", envDir, "rollout", "--all", "--format", "circleci")
	require.Equal(t, 0, code, errOut)
	var generated, config map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(out), &generated))
	data, err := os.ReadFile(circleciExample)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, &config))
	want := generated["workflows"].(map[string]any)["rollout"]
	have := config["workflows"].(map[string]any)["rollout"]
	assert.Equal(t, want, have, "the rollout workflow of %s is not what `eksplatform rollout --all --format circleci` writes", circleciExample)
}

func TestCheckNamesTheStaleLineAndTheCommandThatRegenerates(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(githubWorkflowExample)
	require.NoError(t, err)
	stale := filepath.Join(t.TempDir(), "rollout.yml")
	require.NoError(t, os.WriteFile(stale, []byte(strings.Replace(string(data), "max-parallel: 2", "max-parallel: 3", 1)), 0o600))
	code, _, errOut := cli("--environments", envDir, "rollout", "--all", "--format", "github-workflow", "--check", stale)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "is out of date with the environment files: line ")
	assert.Contains(t, errOut, "max-parallel: 3\nand should be\n  max-parallel: 2")
	assert.Contains(t, errOut, "Regenerate it: eksplatform rollout --all --format github-workflow --out "+stale)
}

// githubWorkflow is the part of a workflow file the graph check reads.
type githubWorkflowFile struct {
	Jobs map[string]struct {
		Needs       []string `json:"needs"`
		Environment string   `json:"environment"`
		Timeout     int      `json:"timeout-minutes"`
		Strategy    struct {
			FailFast    bool                `json:"fail-fast"`
			MaxParallel int                 `json:"max-parallel"`
			Matrix      map[string][]string `json:"matrix"`
		} `json:"strategy"`
		Steps []struct {
			Name string         `json:"name"`
			Run  string         `json:"run"`
			With map[string]any `json:"with"`
		} `json:"steps"`
	} `json:"jobs"`
}

// TestTheExampleJobGraph reads the example workflows as a CI engine does:
// one job per wave in wave order, each cluster a matrix job, each bake the
// next job's wait, no job longer than its runner's limit at the example
// fleet's own numbers.
func TestTheExampleJobGraph(t *testing.T) {
	t.Parallel()
	doc := exampleRollout(t)
	data, err := os.ReadFile(githubWorkflowExample)
	require.NoError(t, err)
	var gh githubWorkflowFile
	require.NoError(t, yaml.Unmarshal(data, &gh))
	var envs []githubEnvironment
	envData, err := os.ReadFile(githubEnvExample)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(envData, &envs))
	waitTimer := map[string]githubEnvironment{}
	for _, e := range envs {
		waitTimer[e.Name] = e
	}

	require.Len(t, gh.Jobs, len(doc.Waves)+1, "one job per wave and the check that the file is current")
	assert.Contains(t, gh.Jobs["waves"].Steps[len(gh.Jobs["waves"].Steps)-1].Run, "rollout --all --format github-workflow --check .github/workflows/rollout.yml")
	limit := int(automation.GitHubJobLimit.Minutes())
	for i, w := range doc.Waves {
		id := fmt.Sprintf("wave-%d", w.Wave)
		job, ok := gh.Jobs[id]
		require.True(t, ok, "no job %s for %s", id, w.Label)
		prev := "waves"
		if i > 0 {
			prev = fmt.Sprintf("wave-%d", doc.Waves[i-1].Wave)
		}
		assert.Equal(t, []string{prev}, job.Needs, "%s starts after %s only", id, prev)
		assert.Equal(t, w.Clusters, job.Strategy.Matrix["cluster"], "%s: one matrix job per cluster of %s", id, w.Label)
		assert.Equal(t, w.Parallel, job.Strategy.MaxParallel, "%s: at most the wave's parallelism at once", id)
		assert.False(t, job.Strategy.FailFast, "%s: a failed cluster does not cancel the rest of its wave", id)

		env, ok := waitTimer[job.Environment]
		require.True(t, ok, "%s's environment %q is in environments.json", id, job.Environment)
		assert.Equal(t, w.BakeBeforeMinutes, env.WaitTimer, "%s: the bake after the wave before is its environment's wait timer", id)
		if i == 0 {
			assert.True(t, env.Reviewers, "the first wave waits for an approval")
		} else {
			assert.Equal(t, doc.Waves[i-1].BakeAfterMinutes, env.WaitTimer)
		}

		assert.LessOrEqual(t, job.Timeout, limit, "%s: longer than a GitHub-hosted job may run", id)
		assert.GreaterOrEqual(t, job.Timeout, w.Estimate.MatrixJob+w.BakeBeforeMinutes, "%s: its timeout is shorter than the job may take", id)
		var up string
		for _, s := range job.Steps {
			if s.Name == "up" {
				up = s.Run
			}
			if d, ok := s.With["role-duration-seconds"]; ok {
				assert.GreaterOrEqual(t, int(d.(float64)), job.Timeout*60, "%s: the role session outlives the job", id)
			}
		}
		for _, want := range []string{"up --all --yes", "--wave " + strconv.Itoa(w.Wave) + " ", `--wave-cluster "${{ matrix.cluster }}"`, `--rollout-id "gh-${{ github.run_id }}"`, "--wait-bake"} {
			assert.Contains(t, up, want, "%s's up", id)
		}
		assert.NotContains(t, up, "--require-previous=false", "%s: each wave checks the one before", id)
	}

	// CircleCI: an approval, then one job per wave chained with requires.
	data, err = os.ReadFile(circleciExample)
	require.NoError(t, err)
	var circle struct {
		Jobs map[string]struct {
			Steps []any `json:"steps"`
		} `json:"jobs"`
		Workflows map[string]struct {
			Jobs []map[string]map[string]any `json:"jobs"`
		} `json:"workflows"`
	}
	require.NoError(t, yaml.Unmarshal(data, &circle))
	jobs := circle.Workflows["rollout"].Jobs
	require.Len(t, jobs, len(doc.Waves)+1)
	assert.Equal(t, "approval", jobs[0]["approve-rollout"]["type"])
	prev := "approve-rollout"
	circleLimit := int(automation.CircleCIJobLimit.Minutes())
	timeoutRe := regexp.MustCompile(`^(\d+)m$`)
	for i, w := range doc.Waves {
		j, ok := jobs[i+1]["wave"]
		require.True(t, ok, "CircleCI job %d runs the wave job", i+1)
		assert.Equal(t, fmt.Sprintf("wave-%d", w.Wave), j["name"])
		assert.EqualValues(t, w.Wave, j["wave"])
		assert.Equal(t, []any{prev}, j["requires"])
		m := timeoutRe.FindStringSubmatch(fmt.Sprint(j["timeout"]))
		require.NotNil(t, m, "timeout %v", j["timeout"])
		minutes, _ := strconv.Atoi(m[1])
		assert.LessOrEqual(t, minutes, circleLimit)
		assert.GreaterOrEqual(t, minutes, w.Estimate.WaveJob+w.BakeBeforeMinutes, "wave-%d: CircleCI waits out the bake inside the job", w.Wave)
		prev = fmt.Sprint(j["name"])
	}
	steps := fmt.Sprint(circle.Jobs["wave"].Steps)
	for _, want := range []string{"--wave << parameters.wave >>", `--rollout-id "cci-<< pipeline.id >>"`, "--wait-bake", "no_output_timeout:<< parameters.timeout >>"} {
		assert.Contains(t, steps, want, "config.yml's wave job")
	}
}

func TestAWaveTooLongForItsRunnerIsRefused(t *testing.T) {
	t.Parallel()
	dir := fleetfile.Write(t, fleetfile.Role{Name: "sandbox", Wave: 0, Clusters: 14, Extra: `"ephemeral": true, "rollout": {"parallel": 1}`})
	code, _, errOut := cli("--environments", dir, "rollout", "--all", "--format", "circleci")
	assert.Equal(t, 1, code)
	assert.Regexp(t, `wave 0's job would take up to \d+h\d+m0s, more than a CircleCI job's 5h0m0s limit: split the role's clusters over more waves, raise rollout.parallel`, errOut)
	// One GitHub job per cluster fits.
	code, out, errOut := cli("--environments", dir, "rollout", "--all", "--format", "github-workflow")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "max-parallel: 1")
}

func TestRolloutUsage(t *testing.T) {
	t.Parallel()
	code, _, errOut := cli("--environments", envDir, "rollout", "--all", "--format", "gitlab")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--format must be one of text, json, github-matrix, github-workflow, github-environments, circleci")
	code, _, errOut = cli("--environments", envDir, "rollout")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "choose the clusters")

	code, out, errOut := cli("--environments", envDir, "rollout", "--all", "--format", "github-matrix")
	require.Equal(t, 0, code, errOut)
	doc := exampleRollout(t)
	assert.Contains(t, out, fmt.Sprintf("waves=%d\n", len(doc.Waves)))
	assert.Contains(t, out, `wave4=["prod-i01-aws-us-east-2"]`+"\nwave4_parallel=2\n", "the prod canary is a wave of its own")
	assert.Contains(t, out, "rollout="+doc.Rollout+"\n")
}

func TestWaveFlagsUsage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"up", "--all", "--yes", "--wave-cluster", "x"}, "--wave-cluster goes with --wave N"},
		{[]string{"up", "--all", "--yes", "--wait-bake"}, "--wait-bake goes with --wave N"},
		{[]string{"up", "--all", "--yes", "--wave", "2", "--from-wave", "1"}, "use one of them"},
		{[]string{"up", "--all", "--yes", "--wave", "2", "--bake", "5m"}, "the bake after a wave is the next job's wait"},
		{[]string{"up", "--all", "--yes", "--wave", "2", "--rollout-id", "a/b"}, "--rollout-id must be"},
		{[]string{"up", "--all", "--yes", "--wave", "2", "--wait-bake", "--require-previous=false"}, "--wait-bake waits for the bake of a wave that passed"},
		{[]string{"up", "--all", "--yes", "--wave", "-1"}, "--wave must be"},
	} {
		code, _, errOut := cli(append([]string{"--environments", envDir}, c.args...)...)
		assert.Equal(t, 2, code, "%v: %s", c.args, errOut)
		assert.Contains(t, errOut, c.want, "%v", c.args)
	}
}

// BenchmarkRolloutFormats renders the rollout of 200 clusters in 5 waves
// in each format, from a loaded fleet (json and github-matrix include the
// digest: the environment files read and hashed, the commit asked of git).
func BenchmarkRolloutFormats(b *testing.B) {
	roles := make([]fleetfile.Role, 5)
	for i := range roles {
		roles[i] = fleetfile.Role{Name: fmt.Sprintf("r%d", i), Wave: i, Clusters: 40, Extra: `"rollout": {"parallel": 8}`}
	}
	dir := fleetfile.Write(b, roles...)
	fleet, err := environments.Load(dir)
	require.NoError(b, err)
	plan, err := automation.NewRollout(fleet, automation.Selection{}, automation.RolloutOptions{})
	require.NoError(b, err)
	require.Len(b, plan.Clusters(), 200)
	for _, format := range []string{"json", "github-matrix", "github-workflow", "circleci"} {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				var buf strings.Builder
				if err := renderRollout(b.Context(), &buf, format, plan, fleet, dir, "--all"); err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
			}
			b.ReportMetric(float64(size), "bytes")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/200, "µs/cluster")
		})
	}
}
