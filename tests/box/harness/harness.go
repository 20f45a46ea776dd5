// Package harness sets up a run of the real program on the cluster in a
// box, for the tests of tests/box and for `make demo`: the box's parts
// (built once per version), the plugins in a PULUMI_HOME of its own, the
// box with its chart repository and stand-in controllers, a copy of the
// environments that takes every chart from that repository, and the
// driver on a file:// backend.
package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/contract"
	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/stacks"
	"github.com/eksplatform/eksplatform/tests/box/box"
)

// Harness is one box and the engine set up to run the program on it.
type Harness struct {
	Root, Dir string
	Box       *box.Box
	Charts    *box.ChartRepo
	Backend   *automation.PulumiBackend
	// Log receives the driver's progress.
	Log io.Writer
	// Env is the environment the engine runs in beyond the process's own
	// (PULUMI_HOME with the plugins, the box's directory, its CA, the
	// passphrase), and StateURL the file:// backend; CLI runs the
	// eksplatform binary with both.
	Env      map[string]string
	StateURL string
}

// New builds what is missing (tools/box/build.sh: many minutes cold), then
// starts the box with the clusters in dir. Stop ends it.
func New(ctx context.Context, root, dir string, clusters ...string) (*Harness, error) {
	h := &Harness{Root: root, Dir: dir, Log: os.Stderr}
	parts, err := box.BuildParts(ctx, root)
	if err != nil {
		return nil, err
	}
	plugins, err := box.PluginVersions(ctx, root)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"home", "bin", "box", "state"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	standin, err := plugins.BuildStandin(ctx, root, filepath.Join(dir, "bin"))
	if err != nil {
		return nil, err
	}
	home := filepath.Join(dir, "home")
	if err := plugins.Install(home, standin, parts); err != nil {
		return nil, err
	}
	boxDir := filepath.Join(dir, "box")
	if h.Box, err = box.Start(ctx, boxDir, parts, clusters...); err != nil {
		return nil, err
	}
	if h.Charts, err = h.Box.ServeCharts(ctx, catalog.Default().Charts.Charts); err != nil {
		h.Stop()
		return nil, err
	}
	h.Box.Simulate(ctx)

	path, err := automation.FindPulumi(root)
	if err != nil {
		h.Stop()
		return nil, fmt.Errorf("%w (run `make setup`)", err)
	}
	cmd, err := automation.NewCommand(path)
	if err != nil {
		h.Stop()
		return nil, err
	}
	env := box.Env(boxDir)
	env["PULUMI_CONFIG_PASSPHRASE"] = "box-passphrase"
	// Helm, in the kubernetes provider, trusts the box's CA for the chart
	// repository (Go reads SSL_CERT_FILE instead of the system's roots).
	env["SSL_CERT_FILE"] = h.Box.CAFile()
	h.Env, h.StateURL = env, "file://"+filepath.Join(dir, "state")
	h.Backend, err = automation.NewPulumiBackend(automation.PulumiOptions{
		BackendURL: h.StateURL,
		Command:    cmd,
		Program:    stacks.Cluster,
		PulumiHome: home,
		Env:        env,
	})
	if err != nil {
		h.Stop()
		return nil, err
	}
	return h, nil
}

// BuildCLI builds the eksplatform command into the harness's bin
// directory and returns its path.
func (h *Harness) BuildCLI(ctx context.Context) (string, error) {
	path := filepath.Join(h.Dir, "bin", "eksplatform")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", path, "./cmd/eksplatform")
	cmd.Dir = h.Root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the eksplatform command: %w\n%s", err, out)
	}
	return path, nil
}

// CLI is a run of the eksplatform binary at path, from the repository's
// root (where it finds bin/pulumi), in the engine's environment, with the
// harness's backend and the given environments directory.
func (h *Harness) CLI(ctx context.Context, path, environments string, args ...string) *exec.Cmd {
	args = append(append([]string{}, args...), "--environments", environments)
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = h.Root
	cmd.Env = append(os.Environ(), "PULUMI_HOME="+filepath.Join(h.Dir, "home"), "PULUMI_BACKEND_URL="+h.StateURL)
	for k, v := range h.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// Stop ends the box and its chart repository.
func (h *Harness) Stop() {
	if h.Charts != nil {
		h.Charts.Close()
	}
	h.Box.Stop()
}

// Fleet copies the repository's environment files into dst with every
// chart of the catalog taken from the box's repository (what a team with a
// chart mirror writes under "charts"), applies edit to each role's
// document, and loads the copy.
func (h *Harness) Fleet(dst string, edit func(doc map[string]any)) (*environments.Fleet, error) {
	src := filepath.Join(h.Root, "environments")
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(src, "*.json"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if filepath.Base(f) != "schema.json" {
			var doc map[string]any
			if err := json.Unmarshal(data, &doc); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			charts, _ := doc["charts"].(map[string]any)
			if charts == nil {
				charts = map[string]any{}
			}
			for name, ch := range catalog.Default().Charts.Charts {
				spec, _ := charts[name].(map[string]any)
				if spec == nil {
					spec = map[string]any{}
				}
				spec["repository"] = h.Charts.URL
				spec["chart"] = ch.Chart
				charts[name] = spec
			}
			doc["charts"] = charts
			// The box's stand-in charts have no Gatekeeper controller to
			// create the constraints' kinds from their templates: the
			// policy engine is tested by components/policy with gator.
			delete(doc, "policy")
			if edit != nil {
				edit(doc)
			}
			if data, err = json.MarshalIndent(doc, "", "  "); err != nil {
				return nil, err
			}
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), data, 0o600); err != nil {
			return nil, err
		}
	}
	return environments.Load(dst)
}

// Run runs one operation over the selected clusters of a fleet through the
// driver, with the program's protected kinds, the box's health gate after
// each wave of an up, and the given bake (nil: none).
func (h *Harness) Run(ctx context.Context, fleet *environments.Fleet, sel automation.Selection, opts automation.RunOptions, bake *time.Duration) (*automation.Report, error) {
	if bake == nil {
		zero := time.Duration(0)
		bake = &zero
	}
	plan, err := automation.NewRollout(fleet, sel, automation.RolloutOptions{Bake: bake})
	if err != nil {
		return nil, err
	}
	d := &automation.Driver{
		Backend: h.Backend, Log: h.Log, Gate: &Gate{Box: h.Box},
		Resources: automation.Resources{
			Protected:           contract.Protected,
			ManagementNodeGroup: automation.ResourceRef{Type: contract.NodeGroup, ParentType: contract.ManagementNodeGroup},
		},
	}
	return d.Run(ctx, plan, opts)
}
