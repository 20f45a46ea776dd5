package box

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Plugins are the provider plugins the real program needs, as the engine
// finds them in a PULUMI_HOME: the real kubernetes provider and the
// stand-ins for aws and eks, each at exactly the version the program's SDK
// asks for.
type Plugins struct {
	// Versions by plugin name (aws, eks, kubernetes), without the "v".
	Versions map[string]string
}

// sdkModules are the Go modules whose version is the plugin version.
var sdkModules = map[string]string{
	"aws":        "github.com/pulumi/pulumi-aws/sdk/v6",
	"eks":        "github.com/pulumi/pulumi-eks/sdk/v2",
	"kubernetes": "github.com/pulumi/pulumi-kubernetes/sdk/v4",
}

// PluginVersions reads from the repository's go.mod the versions the SDKs ask for.
func PluginVersions(ctx context.Context, root string) (Plugins, error) {
	p := Plugins{Versions: map[string]string{}}
	for name, mod := range sdkModules {
		cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Version}}", mod)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			return p, fmt.Errorf("go list -m %s: %w", mod, err)
		}
		p.Versions[name] = strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	}
	return p, nil
}

// BuildStandin builds tests/box/standin into dir, stamped with the versions.
func (p Plugins) BuildStandin(ctx context.Context, root, dir string) (string, error) {
	out := filepath.Join(dir, "standin")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out,
		"-ldflags", fmt.Sprintf("-X main.awsVersion=%s -X main.eksVersion=%s", p.Versions["aws"], p.Versions["eks"]),
		"./tests/box/standin")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the stand-in providers: %w\n%s", err, b)
	}
	return out, nil
}

// Install puts the plugins into home/plugins the way `pulumi plugin
// install --file` lays them out, as symbolic links (the kubernetes plugin
// is 441 MB; the CLI's install copies it, 19 s a home).
func (p Plugins) Install(home, standin string, parts Parts) error {
	bins := map[string]string{
		"aws":        standin,
		"eks":        standin,
		"kubernetes": filepath.Join(parts.KubernetesProvider, "pulumi-resource-kubernetes"),
	}
	for name, bin := range bins {
		dir := filepath.Join(home, "plugins", "resource-"+name+"-v"+p.Versions[name])
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		link := filepath.Join(dir, "pulumi-resource-"+name)
		_ = os.Remove(link)
		if err := os.Symlink(bin, link); err != nil {
			return err
		}
	}
	return nil
}

// Env is what every engine run on the box needs: no plugin downloads, no
// plugin from PATH, and the box's kubeconfigs for the stand-in eks plugin.
func Env(boxDir string) map[string]string {
	return map[string]string{
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PULUMI_IGNORE_AMBIENT_PLUGINS":               "true",
		"EKSPLATFORM_BOX_DIR":                         boxDir,
	}
}
