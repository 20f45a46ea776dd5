package boxtest

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/automation/inventory"
	"github.com/eksplatform/eksplatform/contract"
	"github.com/eksplatform/eksplatform/tests/s3fake"
)

// TestTheRealProgramRollsOutAsWaveJobsOnS3: the eksplatform command runs
// the rollout of two clusters as two wave jobs, as CI runs them, with the
// state and the wave records in S3 (gofakes3 on loopback): the second
// wave's job refuses before the first ran; the first rolls the sandbox
// out and records it; the second waits out the sandbox's bake and rolls
// the preview cluster out; a re-run of the second resumes (nothing to do).
func TestTheRealProgramRollsOutAsWaveJobsOnS3(t *testing.T) {
	t.Parallel() // a box of its own
	ctx, cancel := context.WithTimeout(t.Context(), 25*time.Minute)
	defer cancel()
	e := newRealEngine(ctx, t, twoWaves...)
	s3 := s3fake.Start(t, "teams/platform")
	e.StateURL = s3.URL
	for k, v := range s3.Env {
		e.Env[k] = v
	}
	cli, err := e.BuildCLI(ctx)
	require.NoError(t, err)
	envs := t.TempDir()
	const bake = "1m"
	_, err = e.Fleet(envs, func(doc map[string]any) {
		atMinor(from)(doc)
		if doc["role"] == "sandbox" {
			rollout, _ := doc["rollout"].(map[string]any)
			if rollout == nil {
				rollout = map[string]any{}
			}
			rollout["bake"] = bake
			doc["rollout"] = rollout
		}
	})
	require.NoError(t, err)
	auditFile := "file://" + filepath.Join(t.TempDir(), "audit.jsonl")
	job := func(wave string, more ...string) (int, string) {
		args := append([]string{"up", "--cluster", twoWaves[0], "--cluster", twoWaves[1], "--yes", "--skip-health-gate",
			"--wave", wave, "--rollout-id", "box-1", "--audit", auditFile}, more...)
		cmd := e.CLI(ctx, cli, envs, args...)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			require.NoError(t, err)
		}
		return cmd.ProcessState.ExitCode(), string(out)
	}

	code, out := job("2")
	require.Equal(t, 1, code, out)
	assert.Contains(t, out, "the wave before has not passed: wave 0 of rollout box-1 in s3://fleet-state/teams/platform/.eksplatform")
	assert.Contains(t, out, twoWaves[0]+": no record")
	assert.Empty(t, s3.Keys(t, ".pulumi/stacks/"), "a refused job changes nothing")

	code, out = job("1")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "this job: wave 1 of 2 (wave 0): "+twoWaves[0]+"; rollout box-1")
	assert.Equal(t, []string{".pulumi/stacks/eksplatform/" + twoWaves[0] + ".json"}, s3fake.Checkpoints(s3.Keys(t, ".pulumi/stacks/")))
	var rec automation.WaveRecord
	require.NoError(t, json.Unmarshal([]byte(s3.Object(t, ".eksplatform/rollouts/box-1/up/wave-001/"+twoWaves[0]+".json")), &rec))
	assert.Equal(t, automation.StatusSucceeded, rec.Status)
	assert.Equal(t, automation.StatusSkipped, rec.Gate, "the job was told to skip the gate, and the record says so")
	assert.NotEmpty(t, rec.RunID, "the record names the audit run")

	// The inventory reads the real stack's outputs through the contract and
	// the trail the job wrote: the sandbox is deployed, with its facts
	// named; the preview cluster is what its file declares.
	inv := e.CLI(ctx, cli, envs, "inventory", "--cluster", twoWaves[0], "--cluster", twoWaves[1], "--format", "json", "--audit", auditFile)
	var invErr strings.Builder
	inv.Stderr = &invErr
	body, err := inv.Output()
	require.NoError(t, err, invErr.String())
	var listed inventory.Inventory
	require.NoError(t, json.Unmarshal(body, &listed))
	require.Len(t, listed.Clusters, 2)
	sbx, pre := listed.Clusters[0], listed.Clusters[1]
	assert.True(t, sbx.Deployed, sbx.Error)
	assert.Equal(t, from, sbx.Kubernetes.Deployed)
	assert.NotEmpty(t, sbx.Endpoint)
	assert.NotEmpty(t, sbx.OIDCIssuerURL)
	assert.NotEmpty(t, sbx.StorageClasses)
	require.NotNil(t, sbx.LastRollout, "the job's audit record")
	assert.Equal(t, rec.RunID, sbx.LastRollout.RunID)
	for _, f := range contract.Facts {
		if !f.Optional {
			assert.Equal(t, contract.ParameterName(twoWaves[0], f.Name), sbx.Parameters.Names[f.Name], "the stack's parameters output names %s", f.Name)
		}
	}
	assert.False(t, pre.Deployed)
	assert.Nil(t, pre.LastRollout)

	code, out = job("2", "--wait-bake")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "wave 0 passed; waiting out the rest of its bake")
	assert.Len(t, s3fake.Checkpoints(s3.Keys(t, ".pulumi/stacks/")), 2)
	e.checkPlatform(ctx, t, twoWaves[1])

	code, out = job("2")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "rolled out by an earlier attempt of rollout box-1", "a re-run resumes: the cluster is not rolled out again")
	assert.Empty(t, s3.Keys(t, ".pulumi/locks/"), "every job released its lock")
}
