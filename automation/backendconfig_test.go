package automation

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBackendConfigResolve(t *testing.T) {
	t.Parallel()
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	for name, tc := range map[string]struct {
		cfg                             BackendConfig
		url, source, localDir, stateDir string
		shared                          bool
		secrets                         string
		passphraseErr                   bool
	}{
		"the flag wins over the environment": {
			cfg: BackendConfig{URL: "file:///srv/state", LookupEnv: env(map[string]string{"PULUMI_BACKEND_URL": "s3://b/p", "PULUMI_CONFIG_PASSPHRASE": ""})},
			url: "file:///srv/state", source: FromFlag, localDir: "/srv/state", stateDir: "/srv/state", secrets: "passphrase",
		},
		"the environment when no flag": {
			cfg: BackendConfig{LookupEnv: env(map[string]string{"PULUMI_BACKEND_URL": "s3://b/p", "PULUMI_CONFIG_PASSPHRASE_FILE": "/run/pass"}), WorkDir: "/w"},
			url: "s3://b/p", source: FromEnv, stateDir: "/w/.pulumi-state", shared: true, secrets: "passphrase",
		},
		"an empty variable is no variable": {
			cfg: BackendConfig{LookupEnv: env(map[string]string{"PULUMI_BACKEND_URL": ""}), WorkDir: "/w"},
			url: "file:///w/.pulumi-state", source: FromDefault, localDir: "/w/.pulumi-state", stateDir: "/w/.pulumi-state", secrets: "passphrase",
			passphraseErr: true,
		},
		"the default directory under the working directory": {
			cfg: BackendConfig{LookupEnv: env(nil), WorkDir: "/w"},
			url: "file:///w/.pulumi-state", source: FromDefault, localDir: "/w/.pulumi-state", stateDir: "/w/.pulumi-state", secrets: "passphrase",
			passphraseErr: true,
		},
		"a KMS provider needs no passphrase": {
			cfg: BackendConfig{URL: "https://api.pulumi.com", SecretsProvider: "awskms://alias/p?region=us-east-2", LookupEnv: env(nil), WorkDir: "/w"},
			url: "https://api.pulumi.com", source: FromFlag, stateDir: "/w/.pulumi-state", shared: true, secrets: "awskms://alias/p?region=us-east-2",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r, err := tc.cfg.Resolve()
			require.NoError(t, err)
			assert.Equal(t, tc.url, r.URL)
			assert.Equal(t, tc.source, r.Source)
			assert.Equal(t, tc.localDir, r.LocalDir)
			assert.Equal(t, tc.stateDir, r.StateDir)
			assert.Equal(t, tc.shared, r.Shared())
			assert.Equal(t, tc.secrets, r.SecretsProvider)
			if tc.passphraseErr {
				assert.ErrorIs(t, r.RequirePassphrase(), ErrNoPassphrase)
			} else {
				assert.NoError(t, r.RequirePassphrase())
			}
		})
	}
}
