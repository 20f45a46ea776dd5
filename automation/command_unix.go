//go:build unix

package automation

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// processGone says whether no process has the pid on this host.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// killProcessGroup kills the CLI's process group and every process below
// the CLI: the engine starts its plugins in process groups of their own,
// so the group alone would leave them running.
func killProcessGroup(p *os.Process) {
	below := descendants(p.Pid)
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	for _, pid := range below {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// KillTree kills pid and every process below it at once (not their process
// groups), as a machine that goes away ends them: the box's test of a run
// killed whole (eksplatform, its CLIs, their plugins) uses it. It returns
// how many processes it signalled.
func KillTree(pid int) int {
	tree := append([]int{pid}, descendants(pid)...)
	for _, p := range tree {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	return len(tree)
}

// descendants lists the processes below pid, read from /proc (empty where
// there is no /proc).
func descendants(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	children := map[int][]int{}
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) < 2 {
			continue
		}
		child, err1 := strconv.Atoi(strings.Fields(s[:i])[0])
		parent, err2 := strconv.Atoi(fields[1])
		if err1 == nil && err2 == nil {
			children[parent] = append(children[parent], child)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		for _, c := range children[next] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}
