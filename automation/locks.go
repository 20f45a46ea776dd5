package automation

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Lock is the lock a Pulumi run holds on a stack of a file:// backend
// (.pulumi/locks/<org>/<project>/<stack>/<id>.json).
type Lock struct {
	Path  string    `json:"path"`
	PID   int       `json:"pid"`
	User  string    `json:"username"`
	Host  string    `json:"hostname"`
	Since time.Time `json:"timestamp"`
}

// Stale says whether the lock's holder is gone: it ran on this host and
// its process no longer exists. A holder on another host cannot be checked.
func (l Lock) Stale() bool {
	host, err := os.Hostname()
	if err != nil || host != l.Host || l.PID <= 0 {
		return false
	}
	return processGone(l.PID)
}

// Describe says who holds the lock, since when, and whether it is stale.
func (l Lock) Describe(now time.Time) string {
	s := fmt.Sprintf("held since %s (%s ago) by %s@%s pid %d (%s)", l.Since.UTC().Format(time.RFC3339),
		now.Sub(l.Since).Round(time.Second), l.User, l.Host, l.PID, l.Path)
	if l.Stale() {
		s += "; that process is gone: the lock is stale"
	}
	return s
}

// FileLocks lists the locks on a stack of a file:// backend; other
// backends have none this can read (nil).
func FileLocks(backendURL, stack string) ([]Lock, error) {
	dir, ok := strings.CutPrefix(backendURL, "file://")
	if !ok {
		return nil, nil
	}
	paths, err := filepath.Glob(filepath.Join(dir, ".pulumi", "locks", "*", ProjectName, stack, "*.json"))
	if err != nil {
		return nil, err
	}
	var locks []Lock
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reading the lock %s: %w", p, err)
		}
		l := Lock{Path: p}
		if err := json.Unmarshal(b, &l); err != nil {
			return nil, fmt.Errorf("the lock %s does not parse: %w", p, err)
		}
		locks = append(locks, l)
	}
	sort.Slice(locks, func(i, j int) bool { return locks[i].Since.Before(locks[j].Since) })
	return locks, nil
}

// ReleaseStaleLocks removes the stack's stale locks (file:// backends) and
// returns them; a lock whose holder may still run is refused.
func ReleaseStaleLocks(backendURL, stack string) ([]Lock, error) {
	if !strings.HasPrefix(backendURL, "file://") {
		return nil, fmt.Errorf("releasing a lock is done here for file:// backends only: on %s remove .pulumi/locks/*/%s/%s/ "+
			"under the backend once its run is known to be dead, or run `pulumi cancel -s %s` on Pulumi Cloud", backendURL, ProjectName, stack, stack)
	}
	locks, err := FileLocks(backendURL, stack)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	for _, l := range locks {
		if !l.Stale() {
			return nil, fmt.Errorf("stack %s: the lock %s; it is not known to be stale (its holder runs, or ran on another host): "+
				"wait for that run, or remove the file once it is known to be dead", stack, l.Describe(now))
		}
	}
	for _, l := range locks {
		for _, p := range []string{l.Path, l.Path + ".attrs"} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("removing the stale lock %s: %w", p, err)
			}
		}
	}
	return locks, nil
}
