package boxtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/tests/box/box"
)

// pendingCreate is a pending create of a stack's checkpoint on a file://
// backend, as the engine last wrote it, with the inputs that say what it
// was making.
type pendingCreate struct {
	URN    string
	Type   string
	Inputs map[string]any
}

func pendingCreates(t *testing.T, stateDir, stack string) []pendingCreate {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stateDir, ".pulumi", "stacks", automation.ProjectName, stack+".json"))
	if err != nil {
		return nil
	}
	var cp struct {
		Checkpoint struct {
			Latest struct {
				Pending []struct {
					Type     string `json:"type"`
					Resource struct {
						URN    string         `json:"urn"`
						Type   string         `json:"type"`
						Inputs map[string]any `json:"inputs"`
					} `json:"resource"`
				} `json:"pending_operations"`
			} `json:"latest"`
		} `json:"checkpoint"`
	}
	if json.Unmarshal(b, &cp) != nil {
		return nil // the engine is rewriting it
	}
	var out []pendingCreate
	for _, p := range cp.Checkpoint.Latest.Pending {
		if p.Type == "creating" {
			out = append(out, pendingCreate{URN: p.Resource.URN, Type: p.Resource.Type, Inputs: p.Resource.Inputs})
		}
	}
	return out
}

// helmRecords are Helm's records of a release (a Secret per revision).
func helmRecords(ctx context.Context, t *testing.T, c *box.Cluster, ns, name string) []object {
	t.Helper()
	return list(ctx, t, c, "/api/v1/namespaces/"+ns+"/secrets?labelSelector=owner%3Dhelm,name%3D"+name)
}

// exists says whether what a pending create of a kubernetes resource was
// making is in the box's API server, and the id pulumi-kubernetes imports
// it by (namespace/name). A Helm release exists when Helm's record of it
// does; an object's path is found through the API server's discovery.
func exists(ctx context.Context, t *testing.T, c *box.Cluster, p pendingCreate) (string, bool) {
	t.Helper()
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	if p.Type == "kubernetes:helm.sh/v3:Release" {
		name, ns := str(p.Inputs, "name"), str(p.Inputs, "namespace")
		require.NotEmpty(t, name, "%s: the release's name is an input", p.URN)
		return ns + "/" + name, len(helmRecords(ctx, t, c, ns, name)) > 0
	}
	meta, _ := p.Inputs["metadata"].(map[string]any)
	apiVersion, kind, name, ns := str(p.Inputs, "apiVersion"), str(p.Inputs, "kind"), str(meta, "name"), str(meta, "namespace")
	require.NotEmpty(t, kind, "%s: a kubernetes object's kind is an input", p.URN)
	path := "/apis/" + apiVersion
	if apiVersion == "v1" {
		path = "/api/v1"
	}
	body, err := c.Do(ctx, http.MethodGet, path, nil)
	require.NoError(t, err, "discovery of %s", apiVersion)
	var discovery struct {
		Resources []struct{ Name, Kind string }
	}
	require.NoError(t, json.Unmarshal(body, &discovery))
	plural := ""
	for _, r := range discovery.Resources {
		if r.Kind == kind && !strings.Contains(r.Name, "/") {
			plural = r.Name
		}
	}
	require.NotEmpty(t, plural, "%s: the API server serves %s %s", p.URN, apiVersion, kind)
	id := name
	if ns != "" {
		path, id = path+"/namespaces/"+ns, ns+"/"+name
	}
	_, err = c.Do(ctx, http.MethodGet, path+"/"+plural+"/"+name, nil)
	return id, err == nil
}

// TestAKilledUpIsRecoveredWithTheToolsOwnCommands: a machine that goes away
// during the first up of a cluster (eksplatform, its CLI and the plugins
// all killed) leaves creates pending and the lock held. The next up refuses
// with what to do, status shows it, recover lists the pending creates and
// then, told which exist (imported by id) and which do not (cleared),
// resolves them and releases the lock; the up after that completes the
// cluster, a preview then shows no change, and the platform is in the box.
// A Helm release killed mid-install is uninstalled, not imported: Helm left
// it pending-install, and an imported one fails the next up ("another
// operation (install/upgrade/rollback) is in progress").
func TestAKilledUpIsRecoveredWithTheToolsOwnCommands(t *testing.T) {
	t.Parallel() // a box of its own
	ctx, cancel := context.WithTimeout(t.Context(), 25*time.Minute)
	defer cancel()
	name := twoWaves[0]
	e := newRealEngine(ctx, t, name)
	cli, err := e.BuildCLI(ctx)
	require.NoError(t, err)
	envs := t.TempDir()
	_, err = e.Fleet(envs, atMinor(from))
	require.NoError(t, err)
	state := strings.TrimPrefix(e.StateURL, "file://")
	run := func(args ...string) (int, string) {
		cmd := e.CLI(ctx, cli, envs, args...)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			require.NoError(t, err)
		}
		return cmd.ProcessState.ExitCode(), string(out)
	}
	upArgs := []string{"up", "--cluster", name, "--skip-health-gate", "--bake", "0s", "--yes"}

	up := e.CLI(ctx, cli, envs, upArgs...)
	var out bytes.Buffer
	up.Stdout, up.Stderr = &out, &out
	require.NoError(t, up.Start())
	exited := make(chan struct{})
	go func() { _ = up.Wait(); close(exited) }()
	require.Eventually(t, func() bool {
		select {
		case <-exited:
			t.Fatalf("the up ended before a release was being created:\n%s", &out)
		default:
		}
		// Killed once Helm has recorded a release that the state does not
		// have yet, so that recover has something to import.
		for _, p := range pendingCreates(t, state, name) {
			if p.Type == "kubernetes:helm.sh/v3:Release" {
				if _, ok := exists(ctx, t, e.box.Clusters[name], p); ok {
					return true
				}
			}
		}
		return false
	}, 10*time.Minute, 20*time.Millisecond, "a release is being created:\n%s", &out)
	// A machine that goes away ends eksplatform, its CLI and the plugins
	// at once.
	require.Greater(t, automation.KillTree(up.Process.Pid), 2, "eksplatform, its CLI and plugins ran")
	<-exited

	pending := pendingCreates(t, state, name)
	require.NotEmpty(t, pending, "the kill left creates pending:\n%s", &out)
	locks, err := automation.FileLocks(e.StateURL, name)
	require.NoError(t, err)
	require.Len(t, locks, 1, "and the killed run's lock")

	code, msg := run(upArgs...)
	assert.Equal(t, 1, code, msg)
	assert.Contains(t, msg, "pending operation(s)", "up names what is pending")
	assert.Contains(t, msg, pending[0].URN)
	assert.Contains(t, msg, "eksplatform recover --cluster "+name, "and the command that resolves it")

	code, msg = run("status")
	assert.Equal(t, 0, code, "status reads a killed first up: %s", msg)
	assert.Contains(t, msg, strconv.Itoa(len(pending))+": eksplatform recover --cluster "+name)

	code, msg = run("recover", "--cluster", name)
	assert.Equal(t, 1, code, msg)
	for _, p := range pending {
		assert.Contains(t, msg, p.URN, "recover lists every pending create")
	}
	assert.Contains(t, msg, "--release-lock", "and says the stack is still locked")

	args := []string{"recover", "--cluster", name, "--release-lock", "--clear"}
	imported, uninstalled := 0, 0
	for _, p := range pending {
		t.Logf("pending create %s", p.URN)
		if !strings.HasPrefix(p.Type, "kubernetes:") {
			continue // the stand-in AWS keeps nothing outside the engine: a killed create made nothing
		}
		id, ok := exists(ctx, t, e.box.Clusters[name], p)
		if !ok {
			continue
		}
		if p.Type == "kubernetes:helm.sh/v3:Release" {
			// Killed mid-install, the release is pending-install: as
			// recover says, the user uninstalls it and clears its create.
			assert.Contains(t, msg, "`helm uninstall` it and --clear its create")
			helmUninstall(ctx, t, e.box.Clusters[name], p)
			uninstalled++
			continue
		}
		args = append(args, "--import", p.URN+"="+id)
		imported++
	}
	t.Logf("pending %d, imported %d, uninstalled %d", len(pending), imported, uninstalled)
	require.Positive(t, uninstalled, "the release Helm recorded was killed mid-install")
	code, msg = run(args...)
	require.Equal(t, 0, code, msg)
	assert.Contains(t, msg, "released the lock")
	assert.Contains(t, msg, name+": no pending operations")

	code, msg = run(upArgs...)
	require.Equal(t, 0, code, "after recover the up completes the cluster: %s", msg)
	rep := e.run(ctx, t, automation.RunOptions{Op: automation.OpPreview}, name)
	requireNoChanges(t, rep.Waves[0].Clusters[0])
	e.checkPlatform(ctx, t, name)
}

// helmUninstall does what `helm uninstall` does to a release of a stand-in
// chart (there is no helm binary here): it deletes Helm's records of the
// release and the objects the chart rendered (labelled with the chart's
// name and version).
func helmUninstall(ctx context.Context, t *testing.T, c *box.Cluster, p pendingCreate) {
	t.Helper()
	name, _ := p.Inputs["name"].(string)
	ns, _ := p.Inputs["namespace"].(string)
	chart, _ := p.Inputs["chart"].(string)
	version, _ := p.Inputs["version"].(string)
	records := helmRecords(ctx, t, c, ns, name)
	require.NotEmpty(t, records)
	assert.Equal(t, "pending-install", records[len(records)-1].Metadata.Labels["status"], "Helm's record of a release killed mid-install")
	rendered := "labelSelector=" + box.StandInLabel + "%3D" + chart + "-" + version
	for _, path := range []string{
		"/api/v1/namespaces/" + ns + "/secrets?labelSelector=owner%3Dhelm,name%3D" + name,
		"/apis/apps/v1/namespaces/" + ns + "/deployments?" + rendered,
		"/api/v1/namespaces/" + ns + "/serviceaccounts?" + rendered,
		"/apis/apiextensions.k8s.io/v1/customresourcedefinitions?" + rendered,
	} {
		_, err := c.Do(ctx, http.MethodDelete, path, nil)
		require.NoError(t, err, path)
	}
}
