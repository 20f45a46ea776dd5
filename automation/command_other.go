//go:build !unix

package automation

import (
	"os"
	"os/exec"
)

func ownProcessGroup(*exec.Cmd) {}

func killProcessGroup(p *os.Process) { _ = p.Kill() }

// KillTree kills pid only: there is no /proc here to find what runs below
// it.
func KillTree(pid int) int {
	if p, err := os.FindProcess(pid); err == nil && p.Kill() == nil {
		return 1
	}
	return 0
}

// processGone cannot tell here: a lock is never called stale.
func processGone(int) bool { return false }
