//go:build unix

package automation

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTheCLIWritesToFilesThatAreCopiedAndLeaveNothing: the CLI's output
// reaches the run's writers and its return values in full, in order, while
// it runs and after it exits; it is written to files, not pipes (a pipe to
// a killed driver kills the CLI with SIGPIPE), which are gone from the
// temporary directory even while the CLI runs.
func TestTheCLIWritesToFilesThatAreCopiedAndLeaveNothing(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	c := &Command{path: "/bin/sh"}
	script := `if test -p /proc/self/fd/1 || test -p /proc/self/fd/2; then echo "a pipe" >&2; exit 3; fi
ls "$TMPDIR" | wc -l
for i in 1 2 3; do echo "out $i"; echo "err $i" >&2; sleep 0.05; done
head -c 100000 /dev/zero | tr '\0' x`
	var streamed, streamedErr bytes.Buffer
	out, errOut, code, err := c.Run(context.Background(), tmp, nil, []io.Writer{&streamed}, []io.Writer{&streamedErr}, nil, "-c", script)
	require.NoError(t, err, errOut)
	assert.Equal(t, 0, code)
	want := "0\nout 1\nout 2\nout 3\n" + string(bytes.Repeat([]byte("x"), 100000))
	assert.Equal(t, want, out, "stdout in full: the CLI saw no file of its output in TMPDIR (the first line)")
	assert.Equal(t, "err 1\nerr 2\nerr 3\n", errOut)
	assert.Equal(t, want, streamed.String(), "the additional writer has it all")
	assert.Equal(t, "err 1\nerr 2\nerr 3\n", streamedErr.String())
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, left, "nothing is left in the temporary directory")
}
