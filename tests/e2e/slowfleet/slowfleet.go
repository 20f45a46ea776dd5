// Package slowfleet is what the interrupt tests and their helper process
// share: the directories of one run, the program of slow resources (served
// by tests/e2e/slowprovider) and the backend that runs it.
package slowfleet

import (
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/environments"
)

// Dirs are the directories a helper run and its test share, under Root:
// the environment files, the state, the markers, the provider's pids.
type Dirs struct{ Root string }

// Envs holds the environment files.
func (h Dirs) Envs() string { return filepath.Join(h.Root, "environments") }

// State is the file:// backend.
func (h Dirs) State() string { return filepath.Join(h.Root, "state") }

// Marker holds one file per cluster whose slow create has started.
func (h Dirs) Marker() string { return filepath.Join(h.Root, "marker") }

// Pids holds one file per slow provider process started.
func (h Dirs) Pids() string { return filepath.Join(h.Root, "pids") }

// Home is PULUMI_HOME.
func (h Dirs) Home() string { return filepath.Join(h.Root, "pulumi-home") }

// Audit is the run's audit trail.
func (h Dirs) Audit() string { return filepath.Join(h.Root, "audit.jsonl") }

// Bin holds the slow provider (and the helper): it goes on the CLI's PATH.
func (h Dirs) Bin() string { return filepath.Join(h.Root, "bin") }

// slowResource is e2eslow:index:Slow, the slow provider's resource.
type slowResource struct{ pulumi.CustomResourceState }

// Program registers one slow resource per cluster, whose create touches
// marker/<cluster> when it starts and then takes seconds.
func Program(marker string, seconds float64) func(c *environments.Cluster) pulumi.RunFunc {
	return func(c *environments.Cluster) pulumi.RunFunc {
		return func(ctx *pulumi.Context) error {
			var r slowResource
			if err := ctx.RegisterResource("e2eslow:index:Slow", c.Name+"-slow", pulumi.Map{
				"marker":  pulumi.String(filepath.Join(marker, c.Name)),
				"seconds": pulumi.Float64(seconds),
			}, &r); err != nil {
				return err
			}
			ctx.Export("kubernetesVersion", pulumi.String(c.EKSVersion))
			return nil
		}
	}
}

// Backend runs Program on the file:// state of h.
func Backend(h Dirs, cmd *automation.Command, seconds float64) (*automation.PulumiBackend, error) {
	return automation.NewPulumiBackend(automation.PulumiOptions{
		BackendURL: "file://" + h.State(),
		Command:    cmd,
		Program:    Program(h.Marker(), seconds),
		PulumiHome: h.Home(),
		Env: map[string]string{"PULUMI_CONFIG_PASSPHRASE": "e2e-passphrase",
			"PATH": h.Bin() + string(os.PathListSeparator) + os.Getenv("PATH")},
	})
}
