package automation

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeLock(t *testing.T, state, stack string, pid int, host string) string {
	t.Helper()
	dir := filepath.Join(state, ".pulumi", "locks", "organization", ProjectName, stack)
	require.NoError(t, os.MkdirAll(dir, 0o700))
	path := filepath.Join(dir, "0d4c.json")
	body := `{"pid":` + strconv.Itoa(pid) + `,"username":"ci","hostname":"` + host + `","timestamp":"2026-12-02T01:00:00Z"}`
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	require.NoError(t, os.WriteFile(path+".attrs", []byte("{}"), 0o600))
	return path
}

// TestStaleLocksAreNamedAndReleasedOnlyWhenTheirHolderIsGone.
func TestStaleLocksAreNamedAndReleasedOnlyWhenTheirHolderIsGone(t *testing.T) {
	t.Parallel()
	host, err := os.Hostname()
	require.NoError(t, err)
	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	state := t.TempDir()
	url := "file://" + state

	path := writeLock(t, state, "gone", dead.Process.Pid, host)
	locks, err := FileLocks(url, "gone")
	require.NoError(t, err)
	require.Len(t, locks, 1)
	assert.True(t, locks[0].Stale())
	desc := locks[0].Describe(time.Date(2026, 12, 2, 1, 30, 0, 0, time.UTC))
	assert.Contains(t, desc, "held since 2026-12-02T01:00:00Z (30m0s ago) by ci@"+host+" pid ")
	assert.Contains(t, desc, "that process is gone: the lock is stale")
	released, err := ReleaseStaleLocks(url, "gone")
	require.NoError(t, err)
	assert.Len(t, released, 1)
	assert.NoFileExists(t, path)
	assert.NoFileExists(t, path+".attrs")

	live := writeLock(t, state, "live", os.Getpid(), host)
	_, err = ReleaseStaleLocks(url, "live")
	require.ErrorContains(t, err, "it is not known to be stale")
	assert.FileExists(t, live, "a lock whose holder runs is kept")

	other := writeLock(t, state, "other", dead.Process.Pid, "another-host")
	_, err = ReleaseStaleLocks(url, "other")
	require.Error(t, err, "a holder on another host cannot be checked")
	assert.FileExists(t, other)

	_, err = ReleaseStaleLocks("s3://bucket/state", "x")
	require.ErrorContains(t, err, "remove .pulumi/locks/*/eksplatform/x/")
}
