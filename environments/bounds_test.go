package environments

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHostileFilesAreRefusedBeforeTheyAreDecoded: deep nesting (which cost
// the decoder 15 s and 4 GB at depth 40 000), oversized files, a FIFO (read
// blocked forever) and a symlink to /dev/zero (read grew without bound) are
// each refused with the file named; the loader never blocks on them.
func TestHostileFilesAreRefusedBeforeTheyAreDecoded(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("[", 40000) + strings.Repeat("]", 40000)
	for name, tc := range map[string]struct {
		make func(path string)
		want string
	}{
		"deep": {func(p string) { require.NoError(t, os.WriteFile(p, []byte(`{"role": `+deep+`}`), 0o600)) },
			"nests objects and arrays deeper than 32 levels (at byte 40); environment files are a few levels deep"},
		"big": {func(p string) {
			require.NoError(t, os.WriteFile(p, []byte(`{"role": "`+strings.Repeat("a", MaxFileSize)+`"}`), 0o600))
		}, "bytes; environment files are at most 1048576 bytes"},
		"fifo": {func(p string) { require.NoError(t, syscall.Mkfifo(p, 0o600)) },
			"is not a regular file (a named pipe); environment files must be plain files"},
		"zero": {func(p string) { require.NoError(t, os.Symlink("/dev/zero", p)) },
			"is not a regular file (a device); environment files must be plain files"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "sandbox.json")
			tc.make(path)
			_, err := Load(dir)
			require.Error(t, err)
			assert.Equal(t, path+": "+tc.want, firstLineOf(err.Error()), err.Error()[:min(300, len(err.Error()))])
		})
	}
	// Depth within the limit is decoded as usual: the error is the schema's.
	_, _, err := Parse("sandbox.json", []byte(`{"role": [[[[1]]]]}`))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "nests objects")
}

func firstLineOf(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if i := strings.Index(line, "bytes; environment"); i > 0 && strings.Contains(line, ": is ") {
		// "is N bytes; ..." — N depends on the file
		return line[:strings.Index(line, ": is ")+2] + line[i:]
	}
	return line
}

// TestFilesThatLookLikeEnvironmentsButAreNotReadAreWarnedAbout: a role
// file named sandbox.JSON was silently skipped and its deployed stack
// vanished from status, plan and up.
func TestFilesThatLookLikeEnvironmentsButAreNotReadAreWarnedAbout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, err := os.ReadFile("../environments/prod.json")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "prod.json"), src, 0o600))
	for _, name := range []string{"sandbox.JSON", "nonprod.json.bak", "preview.yaml", "README.md"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("{}"), 0o600))
	}
	fleet, err := Load(dir)
	require.NoError(t, err)
	var got []string
	for _, w := range fleet.Warnings {
		got = append(got, w.Error())
	}
	for _, name := range []string{"sandbox.JSON", "nonprod.json.bak", "preview.yaml"} {
		assert.Contains(t, got, filepath.Join(dir, name)+": is not read: environment files are <role>.json (lower-case .json); rename it to load its role, or move it out of "+dir)
	}
	assert.Len(t, got, 3, "README.md is not an environment file")
}

// TestVeryWidePublicCIDRsAreWarnedAbout.
func TestVeryWidePublicCIDRsAreWarnedAbout(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../environments/sandbox.json")
	require.NoError(t, err)
	var d map[string]any
	require.NoError(t, json.Unmarshal(src, &d))
	d["endpoint_access"] = map[string]any{"public_cidrs": []any{"64.0.0.0/3", "203.0.113.0/24"}}
	data, err := json.Marshal(d)
	require.NoError(t, err)
	_, warnings, err := Parse("environments/sandbox.json", data)
	require.NoError(t, err)
	var got []string
	for _, w := range warnings {
		got = append(got, w.Error())
	}
	assert.Contains(t, got, "environments/sandbox.json: endpoint_access.public_cidrs[0]: 64.0.0.0/3 admits 536870912 addresses to the Kubernetes API; "+
		"a deployer's or office's egress is usually a /24 or narrower")
	assert.Len(t, got, 1, "203.0.113.0/24 is not wide")
}

// BenchmarkParseRefusesDeepNesting: the 82 KB, depth-40 000 file that took
// the decoder 15 s and 4 GB is refused by the byte scan.
func BenchmarkParseRefusesDeepNesting(b *testing.B) {
	data := []byte(`{"role": ` + strings.Repeat("[", 40000) + strings.Repeat("]", 40000) + `}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Parse("sandbox.json", data); err == nil {
			b.Fatal("accepted")
		}
	}
}
