package automation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// Command runs the Pulumi CLI for the Automation API. Unlike the SDK's
// runner, which kills the CLI ten seconds after its context is cancelled, it
// sends the CLI one interrupt and then waits for it: the engine finishes the
// steps in flight (an EKS update can take many minutes) and records them, so
// the state stays valid.
type Command struct {
	path    string
	version semver.Version

	mu      sync.Mutex
	running map[*os.Process]struct{}
}

var _ auto.PulumiCommand = (*Command)(nil)

// NewCommand checks the CLI at path and reads its version.
func NewCommand(path string) (*Command, error) {
	out, err := exec.Command(path, "version").Output()
	if err != nil {
		return nil, fmt.Errorf("running %s version: %w (run `make setup` to install the Pulumi CLI)", path, err)
	}
	v, err := semver.ParseTolerant(strings.TrimSpace(string(out)))
	if err != nil {
		return nil, fmt.Errorf("%s reports version %q, which is not a version: build it with its version stamped in (make setup)", path, strings.TrimSpace(string(out)))
	}
	if v.Major != 3 {
		return nil, fmt.Errorf("%s is Pulumi %s; eksplatform needs Pulumi 3", path, v)
	}
	return &Command{path: path, version: v}, nil
}

// FindPulumi locates the CLI: $EKSPLATFORM_PULUMI, then bin/pulumi in dir
// or the nearest parent that has one (what `make setup` installs), then PATH.
func FindPulumi(dir string) (string, error) {
	if p := os.Getenv("EKSPLATFORM_PULUMI"); p != "" {
		return p, nil
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	for d := dir; ; d = filepath.Dir(d) {
		local := filepath.Join(d, "bin", "pulumi")
		if st, err := os.Stat(local); err == nil && !st.IsDir() {
			return local, nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	if p, err := exec.LookPath("pulumi"); err == nil {
		return p, nil
	}
	return "", errors.New("no Pulumi CLI: run `make setup` (it installs bin/pulumi), put pulumi on PATH or set EKSPLATFORM_PULUMI")
}

// Version is the CLI's version.
func (c *Command) Version() semver.Version { return c.version }

// Path is the CLI's path.
func (c *Command) Path() string { return c.path }

// Run runs the CLI non-interactively in workdir.
func (c *Command) Run(ctx context.Context, workdir string, stdin io.Reader, additionalOutput, additionalErrorOutput []io.Writer,
	additionalEnv []string, args ...string,
) (string, string, int, error) {
	if i := slices.Index(args, "--"); !slices.Contains(args, "--non-interactive") {
		if i < 0 {
			args = append(args, "--non-interactive")
		} else {
			args = slices.Insert(args, i, "--non-interactive")
		}
	}
	cmd := exec.Command(c.path, args...) //nolint:gosec // the CLI and its arguments come from this program
	cmd.Dir = workdir
	env := append(os.Environ(), additionalEnv...)
	// The CLI's own directory goes first on the PATH the run would have
	// (the last PATH of the environment wins, as it does for exec).
	path := os.Getenv("PATH")
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	env = append(env, "PULUMI_AUTOMATION_API=true", "PULUMI_SKIP_UPDATE_CHECK=true",
		"PATH="+filepath.Dir(c.path)+string(os.PathListSeparator)+path)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	// The CLI writes to files, which this process reads as they grow, not
	// to pipes: a CLI whose driver was killed (kill -9, the OOM killer)
	// would die of SIGPIPE on its next line of output, mid-step, with its
	// lock held and its plugins left running for good. Writing to a file, it
	// finds its inline program gone, lets the steps in flight finish,
	// records them, releases the lock and stops its plugins: the same state
	// as after one Ctrl-C. (Not a parent-death signal: tried with SIGINT,
	// the CLI received it twice, "^C received; cancelling" then
	// "terminating", and stopped mid-step; the kernel may send it per
	// thread.) A refresh or destroy, which runs no program, goes on to its
	// end.
	outFile, err := newOutputFile(io.MultiWriter(append(additionalOutput, &stdout)...))
	if err != nil {
		return "", "", -1, err
	}
	defer outFile.Close()
	errFile, err := newOutputFile(io.MultiWriter(append(additionalErrorOutput, &stderr)...))
	if err != nil {
		return "", "", -1, err
	}
	defer errFile.Close()
	cmd.Stdout, cmd.Stderr = outFile.w, errFile.w
	cmd.Stdin = stdin
	// The CLI runs in a process group of its own: a terminal's Ctrl-C (sent
	// to eksplatform's whole group) reaches only eksplatform, which
	// interrupts the CLI once. A CLI that received it as well would take the
	// forwarded interrupt for a second one and stop mid-step, leaving
	// pending operations in the state.
	ownProcessGroup(cmd)
	if err = cmd.Start(); err != nil {
		return "", "", -1, err
	}
	// Only the CLI has the files' write ends now: their readers see the end
	// of the output once it exits.
	outFile.startCopy()
	errFile.startCopy()
	c.track(cmd.Process, true)
	defer c.track(cmd.Process, false)
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = cmd.Process.Signal(os.Interrupt)
		case <-done:
		}
	}()
	err = cmd.Wait()
	close(done)
	outFile.finish()
	errFile.finish()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		code = -1
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return stdout.String(), stderr.String(), code, err
}

func (c *Command) track(p *os.Process, running bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running == nil {
		c.running = map[*os.Process]struct{}{}
	}
	if running {
		c.running[p] = struct{}{}
	} else {
		delete(c.running, p)
	}
}

// Kill ends every CLI this command is running at once, with its provider
// plugins (its process group): what a second interrupt asks for. The steps
// in flight stay pending in the state; `eksplatform recover` resolves them.
// It returns how many CLIs it killed.
func (c *Command) Kill() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for p := range c.running {
		killProcessGroup(p)
	}
	return len(c.running)
}
