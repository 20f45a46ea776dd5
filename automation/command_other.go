//go:build !unix

package automation

import (
	"os"
	"os/exec"
)

func ownProcessGroup(*exec.Cmd) {}

func killProcessGroup(p *os.Process) { _ = p.Kill() }
