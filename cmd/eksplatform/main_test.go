package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/environments"
)

const envDir = "../../environments"

func cli(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// badEnvironments copies the examples and breaks two files.
func badEnvironments(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"sandbox.json", "prod.json"} {
		data, err := os.ReadFile(filepath.Join(envDir, f))
		require.NoError(t, err)
		switch f {
		case "sandbox.json":
			data = bytes.Replace(data, []byte(`"eks_version"`), []byte(`"eks_verison"`), 1)
		case "prod.json":
			data = bytes.Replace(data, []byte(`"account_id": "345678901234", "region": "us-west-2"`), []byte(`"account_id": "12345", "region": "us-west-2"`), 1)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), data, 0o600))
	}
	return dir
}

func TestValidateExamples(t *testing.T) {
	t.Parallel()
	code, out, errOut := cli("validate", "--environments", envDir)
	assert.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4, "one line per role")
	fleet, err := environments.Load(envDir)
	require.NoError(t, err)
	sandbox, _ := fleet.Role("sandbox")
	prod, _ := fleet.Role("prod")
	assert.Equal(t, "../../environments/sandbox.json: ok (wave 0, EKS "+sandbox.EKSVersion+", 1 cluster(s): sbx-i01-aws-us-east-1)", lines[0])
	assert.Contains(t, lines[3], "prod.json: ok (wave 3, EKS "+prod.EKSVersion+", 2 cluster(s)")
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	dir := badEnvironments(t)
	code, out, errOut := cli("validate", "--environments", dir)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Equal(t, []string{
		filepath.Join(dir, "prod.json") + `: clusters[1].account_id: must be 12 digits, got "12345"`,
		filepath.Join(dir, "sandbox.json") + `: eks_verison: unknown field; did you mean "eks_version"?`,
		"2 problem(s) in " + dir + "; nothing was changed",
	}, strings.Split(strings.TrimSpace(errOut), "\n"))
}

func TestSynthWritesOneDocumentPerCluster(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "synth")
	code, stdout, errOut := cli("synth", "--environments", envDir, "--out", out)
	require.Equal(t, 0, code, errOut)
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"np-i01-aws-us-east-2.json", "pre-i01-aws-us-east-2.json", "prod-i01-aws-us-east-2.json",
		"prod-i02-aws-us-west-2.json", "sbx-i01-aws-us-east-1.json"}, names)
	assert.Equal(t, 5, strings.Count(stdout, "resources (role "))

	first, err := os.ReadFile(filepath.Join(out, "np-i01-aws-us-east-2.json"))
	require.NoError(t, err)
	assert.Contains(t, string(first), `"cluster": "np-i01-aws-us-east-2"`)
	code, _, _ = cli("synth", "--environments", envDir, "--out", out, "--cluster", "np-i01-aws-us-east-2")
	require.Equal(t, 0, code)
	second, err := os.ReadFile(filepath.Join(out, "np-i01-aws-us-east-2.json"))
	require.NoError(t, err)
	assert.Equal(t, first, second, "byte-identical from run to run")
}

func TestSynthSelectsByRole(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	code, stdout, errOut := cli("synth", "--environments", envDir, "--out", out, "--role", "prod")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, 2, strings.Count(stdout, "(role prod"))
	assert.Contains(t, stdout, "prod-i01-aws-us-east-2.json: ")
	assert.Contains(t, stdout, "(role prod; creates the Spot service-linked role of account 345678901234)\n", "synth names the cluster that owns the account's role")
	assert.Equal(t, 1, strings.Count(stdout, "creates the Spot service-linked role"), "once per account")
	entries, _ := os.ReadDir(out)
	assert.Len(t, entries, 2)
}

func TestSynthOfInvalidEnvironmentsWritesNothing(t *testing.T) {
	t.Parallel()
	dir := badEnvironments(t)
	out := filepath.Join(t.TempDir(), "synth")
	code, _, errOut := cli("synth", "--environments", dir, "--out", out)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `clusters[1].account_id: must be 12 digits, got "12345"`)
	_, err := os.Stat(out)
	assert.True(t, os.IsNotExist(err), "nothing written")
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"synth without --out": {[]string{"synth", "--environments", envDir}, "--out is required"},
		"unknown role":        {[]string{"synth", "--environments", envDir, "--out", "x", "--role", "qa"}, `unknown role "qa"; roles: sandbox, preview, nonprod, prod`},
		"unknown cluster":     {[]string{"synth", "--environments", envDir, "--out", "x", "--cluster", "c1"}, `unknown cluster "c1"`},
		"unknown flag":        {[]string{"validate", "--bogus"}, "unknown flag: --bogus"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := cli(tc.args...)
			assert.Equal(t, 2, code)
			assert.Contains(t, errOut, tc.want)
		})
	}
}

func TestMissingEnvironmentsDirectory(t *testing.T) {
	t.Parallel()
	code, _, errOut := cli("validate", "--environments", filepath.Join(t.TempDir(), "none"))
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "reading environments directory")
}

// TestRecoverUsage: recover names what it needs before touching a backend.
func TestRecoverUsage(t *testing.T) {
	t.Parallel()
	code, _, errOut := cli("recover")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "recover needs --cluster C")
	code, _, errOut = cli("recover", "--cluster", "np-i01-aws-us-east-2", "--import", "mgmt=abc", "--environments", envDir)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--import takes URN=ID")
	code, _, errOut = cli("recover", "--cluster", "nope", "--environments", envDir, "--backend", "file://"+t.TempDir())
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown cluster "nope"; clusters: `)
}

// TestPositionalArgumentsAndUnknownCommandsAreUsageErrors: exit 2, as the
// README says of bad usage.
func TestPositionalArgumentsAndUnknownCommandsAreUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"validate", "extra-arg"}, {"synth", "x", "--out", "y"}, {"frobnicate"}} {
		code, _, errOut := cli(append(args, "--environments", envDir)...)
		assert.Equal(t, 2, code, "%v: %s", args, errOut)
	}
}
