package automation

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Interruptible returns a context cancelled by the first SIGINT or SIGTERM:
// the running operations are interrupted through the engine (each CLI gets
// one interrupt, finishes the steps in flight and records them) and
// awaited. A second signal calls last, which should record the run as
// interrupted, kill the CLIs (Command.Kill) and exit. stop releases the
// signals.
func Interruptible(log io.Writer, last func(os.Signal)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	stopped := make(chan struct{})
	go func() {
		select {
		case s := <-signals:
			fmt.Fprintf(log, "\n%s: interrupting the running operations and waiting for them to finish the steps in flight "+
				"(the state stays valid); signal again to stop now\n", s)
			cancel()
		case <-stopped:
			return
		}
		select {
		case s := <-signals:
			fmt.Fprintf(log, "%s again: stopping now; the steps in flight stay pending in the state: "+
				"`eksplatform status` shows them, `eksplatform recover --cluster C` resolves them\n", s)
			last(s)
		case <-stopped:
		}
	}()
	return ctx, func() { signal.Stop(signals); close(stopped); cancel() }
}
