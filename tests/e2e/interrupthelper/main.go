// Command interrupthelper runs `up` of the fleet under the directory named
// by its argument, wired as the CLI wires a run: the interrupt handler, the
// audit trail, the kill on a second signal. The interrupt tests start it in
// a process group of its own and signal that group as a terminal would.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/automation/audit"
	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/tests/e2e/slowfleet"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: interrupthelper DIR")
		os.Exit(2)
	}
	os.Exit(run(slowfleet.Dirs{Root: os.Args[1]}))
}

func run(h slowfleet.Dirs) int {
	fleet, err := environments.Load(h.Envs())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	path, err := automation.FindPulumi("../..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cmd, err := automation.NewCommand(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	backend, err := slowfleet.Backend(h, cmd, 6)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	zero := time.Duration(0)
	plan, err := automation.NewRollout(fleet, automation.Selection{}, automation.RolloutOptions{Bake: &zero})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	trail := &audit.Trail{Store: audit.NewFileStore(h.Audit()), Base: audit.Record{RunID: audit.NewRunID(time.Now()), Command: "up"}}
	d := &automation.Driver{Backend: backend, Log: os.Stderr, Audit: trail}
	ctx, stop := automation.Interruptible(os.Stderr, func(os.Signal) {
		d.Abandon("killed by a second interrupt")
		backend.Kill()
		os.Exit(130)
	})
	defer stop()
	rep, err := d.Run(ctx, plan, automation.RunOptions{Op: automation.OpUp})
	fmt.Printf("outcome %s\n", rep.Outcome)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	return 0
}
