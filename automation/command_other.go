//go:build !unix

package automation

import (
	"os"
	"os/exec"
)

func ownProcessGroup(*exec.Cmd) {}

func killProcessGroup(p *os.Process) { _ = p.Kill() }

// processGone cannot tell here: a lock is never called stale.
func processGone(int) bool { return false }
