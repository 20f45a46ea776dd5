package automation

import (
	"errors"
	"io"
	"os"
	"time"
)

// outputFile is where a CLI writes its stdout or stderr: an unlinked
// temporary file (nothing is left behind, however the processes end) whose
// content is copied to a writer as it grows.
type outputFile struct {
	w, r *os.File
	to   io.Writer
	stop chan struct{}
	done chan struct{}
}

// outputPoll is how often a copy looks for more output.
const outputPoll = 20 * time.Millisecond

func newOutputFile(to io.Writer) (*outputFile, error) {
	w, err := os.CreateTemp("", "eksplatform-pulumi-*.log")
	if err != nil {
		return nil, err
	}
	r, err := os.Open(w.Name())
	if err == nil {
		err = os.Remove(w.Name())
	}
	if err != nil {
		_ = w.Close()
		if r != nil {
			_ = r.Close()
		}
		_ = os.Remove(w.Name())
		return nil, err
	}
	return &outputFile{w: w, r: r, to: to, stop: make(chan struct{}), done: make(chan struct{})}, nil
}

// startCopy copies what the CLI writes until finish; the CLI, started,
// holds its own copy of the write end.
func (f *outputFile) startCopy() {
	_ = f.w.Close()
	go func() {
		defer close(f.done)
		buf := make([]byte, 32*1024)
		for {
			n, err := f.r.Read(buf)
			if n > 0 {
				_, _ = f.to.Write(buf[:n])
			}
			if err == nil {
				continue
			}
			if !errors.Is(err, io.EOF) {
				return
			}
			select {
			case <-f.stop:
				// The CLI has exited: what it wrote is all there; read it.
				_, _ = io.CopyBuffer(f.to, f.r, buf)
				return
			case <-time.After(outputPoll):
			}
		}
	}()
}

// finish copies the rest once the CLI has exited.
func (f *outputFile) finish() {
	close(f.stop)
	<-f.done
}

// Close releases the file (its content goes with it).
func (f *outputFile) Close() error {
	_ = f.w.Close()
	return f.r.Close()
}
