package boxtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/tests/box/harness"
)

// BenchmarkPreviewRealProgram previews N copies of the sandbox cluster on
// the real engine and the stand-ins, in parallel (first previews: every
// resource to create; no box is needed for that). It reports the wall time
// of the run, the efficiency Σ(single)/(wall × cores) with single the
// N = 1 time, and the peak resident memory of the engine's processes (CLI,
// plugins) per concurrent stack, sampled from /proc every 100 ms.
//
//	go test -run '^$' -bench PreviewRealProgram -benchtime 1x -timeout 60m ./tests/box
func BenchmarkPreviewRealProgram(b *testing.B) {
	ctx := context.Background()
	root, err := filepath.Abs("../..")
	require.NoError(b, err)
	h, err := harness.New(ctx, root, b.TempDir())
	require.NoError(b, err)
	defer h.Stop()
	h.Log = io.Discard
	var single time.Duration
	for _, n := range []int{1, 5, 20} {
		fleet, err := h.Fleet(b.TempDir(), func(doc map[string]any) {
			if doc["role"] != "sandbox" {
				return
			}
			first := doc["clusters"].([]any)[0].(map[string]any)
			var clusters []any
			for i := range n {
				c := map[string]any{}
				for k, v := range first {
					c[k] = v
				}
				c["name"] = fmt.Sprintf("sbx-b%02d-aws-us-east-1", i+1)
				c["vpc"] = map[string]any{"cidr": fmt.Sprintf("10.%d.0.0/16", 100+i), "nat_gateways": "single"}
				clusters = append(clusters, c)
			}
			doc["clusters"] = clusters
		})
		require.NoError(b, err)
		b.Run(fmt.Sprintf("stacks=%d", n), func(b *testing.B) {
			for range b.N {
				stop := make(chan struct{})
				peak := make(chan int64)
				go func() { peak <- samplePeakRSS(stop) }()
				start := time.Now()
				rep, err := h.Run(ctx, fleet, automation.Selection{Roles: []string{"sandbox"}}, automation.RunOptions{Op: automation.OpPreview, Parallel: n}, nil)
				wall := time.Since(start)
				close(stop)
				rss := <-peak
				require.NoError(b, err)
				require.Len(b, rep.Waves[0].Clusters, n)
				if n == 1 {
					single = wall
				}
				b.ReportMetric(wall.Seconds(), "wall-s")
				b.ReportMetric(float64(n)*single.Seconds()/(wall.Seconds()*float64(runtime.NumCPU())), "efficiency")
				b.ReportMetric(float64(rss)/float64(n)/(1<<20), "peak-MB/stack")
			}
		})
	}
}

// samplePeakRSS is the peak of the summed RSS of this process's
// descendants (the Pulumi CLIs and their plugins) until stop closes.
func samplePeakRSS(stop <-chan struct{}) int64 {
	var peak int64
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return peak
		case <-t.C:
		}
		if v := descendantsRSS(os.Getpid()); v > peak {
			peak = v
		}
	}
}

func descendantsRSS(root int) int64 {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	rss := map[int]int64{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ... ; fields after the last ')'.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) < 22 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		pages, _ := strconv.ParseInt(f[21], 10, 64)
		parent[pid], rss[pid] = ppid, pages*int64(os.Getpagesize())
	}
	var total int64
	for pid, r := range rss {
		for p := parent[pid]; p != 0; p = parent[p] {
			if p == root {
				total += r
				break
			}
		}
	}
	return total
}
