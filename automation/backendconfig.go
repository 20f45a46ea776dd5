package automation

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// DefaultStateDir is the local state backend, under the working directory.
const DefaultStateDir = ".pulumi-state"

// ErrNoPassphrase means the passphrase secrets provider was chosen (or
// defaulted) and neither $PULUMI_CONFIG_PASSPHRASE nor
// $PULUMI_CONFIG_PASSPHRASE_FILE is set.
var ErrNoPassphrase = errors.New("PULUMI_CONFIG_PASSPHRASE is not set: the passphrase secrets provider encrypts each stack's " +
	"secrets (the kubeconfig) with it. Export it (it is never printed), or use --secrets-provider awskms://ALIAS")

// BackendConfig is where state lives and how its secrets are encrypted, as
// given on the command line; Resolve applies the defaults. Every command that
// reads or writes state (and the audit trail's default file) resolves it the
// same way.
type BackendConfig struct {
	// URL is --backend: file://DIR, s3://BUCKET/PREFIX, https://api.pulumi.com.
	URL string
	// SecretsProvider is --secrets-provider; empty means "passphrase".
	SecretsProvider string
	// LookupEnv reads the environment; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// WorkDir anchors the default state directory; empty means the working
	// directory.
	WorkDir string
}

// Backend sources: where a resolved URL came from.
const (
	FromFlag    = "--backend"
	FromEnv     = "$PULUMI_BACKEND_URL"
	FromDefault = "default"
)

// ResolvedBackend is a BackendConfig with its defaults applied.
type ResolvedBackend struct {
	// URL is the backend: the flag, else $PULUMI_BACKEND_URL, else
	// file://<WorkDir>/.pulumi-state.
	URL string
	// Source says which of the three it is (FromFlag, FromEnv, FromDefault).
	Source string
	// LocalDir is the directory of a file:// backend; empty for a shared one.
	LocalDir string
	// StateDir is where local files that go with the state live (the audit
	// trail's default file): LocalDir, else the default state directory.
	StateDir string
	// SecretsProvider is "passphrase" unless given.
	SecretsProvider string
	lookup          func(string) (string, bool)
}

// Resolve applies the defaults. It changes nothing on disk.
func (c BackendConfig) Resolve() (ResolvedBackend, error) {
	lookup := c.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	wd := c.WorkDir
	if wd == "" {
		var err error
		if wd, err = os.Getwd(); err != nil {
			return ResolvedBackend{}, err
		}
	}
	defaultDir := filepath.Join(wd, DefaultStateDir)
	r := ResolvedBackend{URL: c.URL, Source: FromFlag, SecretsProvider: c.SecretsProvider, lookup: lookup}
	if r.URL == "" {
		if v, ok := lookup("PULUMI_BACKEND_URL"); ok && v != "" {
			r.URL, r.Source = v, FromEnv
		}
	}
	if r.URL == "" {
		r.URL, r.Source = "file://"+defaultDir, FromDefault
	}
	if dir, ok := strings.CutPrefix(r.URL, "file://"); ok && dir != "" {
		r.LocalDir = dir
	}
	r.StateDir = r.LocalDir
	if r.StateDir == "" {
		r.StateDir = defaultDir
	}
	if r.SecretsProvider == "" {
		r.SecretsProvider = "passphrase"
	}
	return r, nil
}

// Shared says whether the state is somewhere other than this machine.
func (r ResolvedBackend) Shared() bool { return !strings.HasPrefix(r.URL, "file://") }

// RequirePassphrase returns ErrNoPassphrase when the passphrase provider
// has no passphrase to read.
func (r ResolvedBackend) RequirePassphrase() error {
	if r.SecretsProvider != "passphrase" {
		return nil
	}
	_, hasPass := r.lookup("PULUMI_CONFIG_PASSPHRASE")
	_, hasFile := r.lookup("PULUMI_CONFIG_PASSPHRASE_FILE")
	if !hasPass && !hasFile {
		return ErrNoPassphrase
	}
	return nil
}
