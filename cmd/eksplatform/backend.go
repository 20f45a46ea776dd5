package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/contract"
	"github.com/eksplatform/eksplatform/stacks"
)

// backendOptions are the flags of every command that talks to state.
type backendOptions struct {
	backend         string
	secretsProvider string
	audit           string
}

func addBackendFlags(cmd *cobra.Command, o *backendOptions) {
	cmd.Flags().StringVar(&o.backend, "backend", "",
		"state backend: file://DIR, s3://BUCKET/PREFIX or https://api.pulumi.com (default: $PULUMI_BACKEND_URL, else file://./"+automation.DefaultStateDir+")")
	cmd.Flags().StringVar(&o.secretsProvider, "secrets-provider", "",
		`how stack secrets are encrypted: "passphrase" (default; the passphrase comes from $PULUMI_CONFIG_PASSPHRASE) or e.g. awskms://alias/pulumi?region=us-east-2`)
}

// resolveBackend resolves the backend for a command that writes state: a
// local state directory is created on first use, and the passphrase must be
// there when the passphrase provider encrypts the secrets.
func resolveBackend(o *backendOptions) (url, secrets string, err error) {
	r, err := o.config().Resolve()
	if err != nil {
		return "", "", err
	}
	if r.LocalDir != "" {
		if err := os.MkdirAll(r.LocalDir, 0o700); err != nil {
			return "", "", fmt.Errorf("creating the state directory %s: %w", r.LocalDir, err)
		}
	}
	if err := r.RequirePassphrase(); err != nil {
		return "", "", usageError{err}
	}
	return r.URL, r.SecretsProvider, nil
}

// newBackend builds the Automation API backend that runs the real program.
func newBackend(o *backendOptions) (*automation.PulumiBackend, string, error) {
	url, secrets, err := resolveBackend(o)
	if err != nil {
		return nil, "", err
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, "", err
	}
	path, err := automation.FindPulumi(wd)
	if err != nil {
		return nil, "", err
	}
	cmd, err := automation.NewCommand(path)
	if err != nil {
		return nil, "", err
	}
	b, err := automation.NewPulumiBackend(automation.PulumiOptions{
		BackendURL: url, SecretsProvider: secrets, Command: cmd, Program: stacks.Cluster,
	})
	return b, url, err
}

// programResources are the program's resources the driver treats with care.
var programResources = automation.Resources{
	Protected:           contract.Protected,
	ManagementNodeGroup: automation.ResourceRef{Type: contract.NodeGroup, ParentType: contract.ManagementNodeGroup},
}

// redactURL hides credentials a backend URL might carry.
func redactURL(u string) string {
	if i := strings.Index(u, "@"); i > 0 && strings.Contains(u[:i], "://") {
		scheme, _, _ := strings.Cut(u, "://")
		return scheme + "://…@" + u[i+1:]
	}
	return u
}

// config is what the flags say of the backend (automation.BackendConfig
// applies the defaults).
func (o *backendOptions) config() automation.BackendConfig {
	return automation.BackendConfig{URL: o.backend, SecretsProvider: o.secretsProvider}
}
