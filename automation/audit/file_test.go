package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 22, 10, 15, 0, 0, time.UTC)

// threeRecords are two runs over two clusters and two roles. The first two
// start at the same time, so their order is by cluster name.
func threeRecords() []Record {
	actor := Actor{Identity: "arn:aws:iam::123456789012:user/alice", User: "alice"}
	return []Record{
		{RunID: "run-1", Cluster: "prod-b", Role: "workload", Wave: 2, Command: "up", Result: "succeeded",
			Counts: map[string]int{"update": 3}, Start: t0, End: t0.Add(time.Minute), Actor: actor, Commit: "abc123"},
		{RunID: "run-1", Cluster: "prod-a", Role: "platform", Wave: 1, Command: "up", Result: "failed",
			Reason: "health gate: node group not ready", Start: t0, End: t0.Add(2 * time.Minute), Actor: actor, Commit: "abc123", Dirty: true},
		{RunID: "run-2", Cluster: "prod-a", Role: "platform", Wave: 1, Command: "preview", Result: "succeeded",
			Counts: map[string]int{"create": 1, "delete": 2}, Start: t0.Add(time.Hour), End: t0.Add(time.Hour + time.Minute), Actor: actor},
	}
}

func appendAll(t *testing.T, s Store, records []Record) {
	t.Helper()
	for _, r := range records {
		require.NoError(t, s.Append(t.Context(), r))
	}
}

func clustersAndRuns(records []Record) []string {
	var out []string
	for _, r := range records {
		out = append(out, r.RunID+"/"+r.Cluster)
	}
	return out
}

func TestFileStoreListNewestFirst(t *testing.T) {
	t.Parallel()
	s := NewFileStore(filepath.Join(t.TempDir(), "deep", "dir", "audit.jsonl"))
	in := threeRecords()
	appendAll(t, s, in)

	got, err := s.List(t.Context(), Filter{})
	require.NoError(t, err)
	assert.Equal(t, []Record{in[2], in[1], in[0]}, got)

	info, err := os.Stat(s.Path())
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the audit file is private")
	dirInfo, err := os.Stat(filepath.Dir(s.Path()))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), dirInfo.Mode().Perm())
}

func TestFileStoreFilters(t *testing.T) {
	t.Parallel()
	s := NewFileStore(filepath.Join(t.TempDir(), "audit.jsonl"))
	appendAll(t, s, threeRecords())

	for name, tc := range map[string]struct {
		filter Filter
		want   []string
	}{
		"cluster":            {Filter{Clusters: []string{"prod-a"}}, []string{"run-2/prod-a", "run-1/prod-a"}},
		"two clusters":       {Filter{Clusters: []string{"prod-b", "prod-a"}}, []string{"run-2/prod-a", "run-1/prod-a", "run-1/prod-b"}},
		"role":               {Filter{Roles: []string{"workload"}}, []string{"run-1/prod-b"}},
		"since is inclusive": {Filter{Since: t0.Add(time.Hour)}, []string{"run-2/prod-a"}},
		"since in another zone": {Filter{Since: t0.Add(30 * time.Minute).In(time.FixedZone("X", 5*3600))},
			[]string{"run-2/prod-a"}},
		"all three":     {Filter{Clusters: []string{"prod-a"}, Roles: []string{"platform"}, Since: t0}, []string{"run-2/prod-a", "run-1/prod-a"}},
		"nothing":       {Filter{Clusters: []string{"prod-c"}}, nil},
		"since too new": {Filter{Since: t0.Add(2 * time.Hour)}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := s.List(t.Context(), tc.filter)
			require.NoError(t, err)
			assert.Equal(t, tc.want, clustersAndRuns(got))
		})
	}
}

func TestFileStoreStoresUTC(t *testing.T) {
	t.Parallel()
	s := NewFileStore(filepath.Join(t.TempDir(), "audit.jsonl"))
	zone := time.FixedZone("CET", 3600)
	start := time.Now().In(zone) // with a monotonic reading and a zone
	require.NoError(t, s.Append(t.Context(), Record{RunID: "r", Cluster: "c", Start: start, End: start.Add(time.Second)}))

	got, err := s.List(t.Context(), Filter{})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.True(t, got[0].Start.Equal(start), "%v != %v", got[0].Start, start)
	assert.Equal(t, time.UTC, got[0].Start.Location())
	assert.True(t, got[0].End.Equal(start.Add(time.Second)))
}

func TestFileStoreConcurrentAppends(t *testing.T) {
	t.Parallel()
	s := NewFileStore(filepath.Join(t.TempDir(), "audit.jsonl"))
	const n = 50
	// A long reason makes torn writes likelier if the locking were wrong.
	reason := strings.Repeat("x", 64<<10)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- s.Append(t.Context(), Record{
				RunID: "run", Cluster: fmt.Sprintf("c%02d", i), Role: "r", Command: "up", Result: "succeeded",
				Reason: reason, Start: t0.Add(time.Duration(i) * time.Second),
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	f, err := os.Open(s.Path())
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	scanner := bufio.NewScanner(f)
	scanner.Buffer(nil, 1<<20)
	seen := map[string]bool{}
	for scanner.Scan() {
		var r Record
		require.NoError(t, json.Unmarshal(scanner.Bytes(), &r), "line %d", len(seen)+1)
		seen[r.Cluster] = true
	}
	require.NoError(t, scanner.Err())
	assert.Len(t, seen, n, "one line per append")

	got, err := s.List(t.Context(), Filter{})
	require.NoError(t, err)
	require.Len(t, got, n)
	assert.Equal(t, "c49", got[0].Cluster)
	assert.Equal(t, "c00", got[n-1].Cluster)
}

// TestFileStoreConcurrentProcesses runs this test binary as several
// processes appending to one file.
func TestFileStoreConcurrentProcesses(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	const procs, each = 4, 25
	var cmds []*exec.Cmd
	for p := range procs {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "AUDIT_HELPER_FILE="+path, fmt.Sprintf("AUDIT_HELPER_ID=p%d", p),
			fmt.Sprintf("AUDIT_HELPER_COUNT=%d", each))
		require.NoError(t, cmd.Start())
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		require.NoError(t, cmd.Wait())
	}
	got, err := NewFileStore(path).List(t.Context(), Filter{})
	require.NoError(t, err)
	assert.Len(t, got, procs*each)
}

// TestMain turns the test binary into an appending child process when
// TestFileStoreConcurrentProcesses starts it with AUDIT_HELPER_FILE set.
func TestMain(m *testing.M) {
	if path := os.Getenv("AUDIT_HELPER_FILE"); path != "" {
		if err := appendAsChild(path, os.Getenv("AUDIT_HELPER_ID"), os.Getenv("AUDIT_HELPER_COUNT")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// appendAsChild appends count large records of run id to the file.
func appendAsChild(path, id, count string) error {
	n, err := strconv.Atoi(count)
	if err != nil {
		return fmt.Errorf("AUDIT_HELPER_COUNT: %w", err)
	}
	s := NewFileStore(path)
	for i := range n {
		if err := s.Append(context.Background(), Record{RunID: id,
			Cluster: fmt.Sprintf("c%03d", i), Reason: strings.Repeat("y", 32<<10), Start: t0}); err != nil {
			return err
		}
	}
	return nil
}

func TestFileStoreCorruptLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := NewFileStore(filepath.Join(dir, "audit.jsonl"))
	appendAll(t, s, threeRecords()[:1])
	f, err := os.OpenFile(s.Path(), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("{\"runId\": \"x\", \"cluster\": tru\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())

	_, err = s.List(t.Context(), Filter{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "audit.jsonl:2")
	assert.Contains(t, err.Error(), dir)
}

func TestFileStoreLineThatIsNotARecord(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	require.NoError(t, os.WriteFile(path, []byte("\n{\"cluster\":\"a\"}\n"), 0o600))

	_, err := NewFileStore(path).List(t.Context(), Filter{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "audit.jsonl:2: not an audit record: the record has no runId")
}

func TestFileStoreMissingFileListsNothing(t *testing.T) {
	t.Parallel()
	s := NewFileStore(filepath.Join(t.TempDir(), "none", "audit.jsonl"))
	got, err := s.List(t.Context(), Filter{})
	require.NoError(t, err)
	assert.Empty(t, got)
	_, err = os.Stat(filepath.Dir(s.Path()))
	assert.True(t, os.IsNotExist(err), "List creates nothing")
}

func TestFileStoreRejectsRecordWithoutKey(t *testing.T) {
	t.Parallel()
	s := NewFileStore(filepath.Join(t.TempDir(), "audit.jsonl"))
	err := s.Append(t.Context(), Record{RunID: "r"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no cluster")
	assert.Contains(t, err.Error(), s.Path())
	_, statErr := os.Stat(s.Path())
	assert.True(t, os.IsNotExist(statErr), "nothing written")
}
