// Command demo is `make demo`: the main job of eksplatform without an AWS
// account. It builds (once per version) and starts the cluster in a box
// with every cluster of the example fleet, rolls the fleet out wave by wave
// through the driver on the real Pulumi engine — short bakes, the box's
// health gate after each wave (nodes Ready, platform Deployments
// Available, echo-server endpoints ready) — prints the progress and the
// final table, writes the pull-request report of a version bump, and stops
// the box.
//
// Real: the Pulumi engine and CLI, the program (stacks.Cluster), the
// pulumi-kubernetes provider, kube-apiserver, controller-manager and
// scheduler, Helm's release mechanics, the karpenter-crd chart. Stand-ins:
// AWS (tests/box/standin answers from internal/awsanswers), the contents of
// every other chart, the kubelets (kwok), karpenter's and the load
// balancer controller's effect on the cluster (tests/box/box/sim.go).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/tests/box/harness"
)

func main() {
	out := flag.String("out", "out/demo", "where the reports go")
	bake := flag.Duration("bake", 5*time.Second, "the bake after each wave (the fleet's own are minutes to hours)")
	bump := flag.String("bump", "nonprod=1.37", "the version bump whose pull-request report is written, role=minor")
	keep := flag.Bool("keep", false, "leave the box's directory (logs, state) behind")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: go run ./tests/box/demo [flags]   (make demo)\n\n"+
			"Rolls the example fleet out on the cluster in a box (no AWS account) and writes\n"+
			"the pull-request report of a version bump to -out.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*out, *bake, *bump, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(out string, bake time.Duration, bump string, keep bool) error {
	role, minor, ok := strings.Cut(bump, "=")
	if !ok || role == "" || minor == "" {
		return fmt.Errorf("-bump %q: want role=minor, e.g. nonprod=1.37", bump)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "tools/box/build.sh")); err != nil {
		return fmt.Errorf("run it from the repository root (make demo)")
	}
	dir, err := os.MkdirTemp("", "eksplatform-demo-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintf(os.Stderr, "demo: the box's logs and state stay in %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	// The fleet's clusters, from the files as they are.
	names, err := clusterNames(root)
	if err != nil {
		return err
	}
	step("building the box's parts (once per version; cold, about 50 minutes on 2 cores) and starting %d clusters: %s", len(names), strings.Join(names, ", "))
	h, err := harness.New(ctx, root, dir, names...)
	if err != nil {
		return err
	}
	defer func() { step("stopping the box"); h.Stop() }()
	fleet, err := h.Fleet(filepath.Join(dir, "environments"), nil)
	if err != nil {
		return err
	}

	step("up --all: wave by wave, %s bake, the box's health gate after each wave", bake)
	rep, err := h.Run(ctx, fleet, automation.Selection{}, automation.RunOptions{Op: automation.OpUp}, &bake)
	table(rep)
	if err != nil {
		return fmt.Errorf("up: %w", err)
	}
	nodes := 0
	for _, c := range h.Box.Clusters {
		n, _ := c.NodeNames(ctx, "type=kwok")
		nodes += len(n)
	}
	step("the box holds %d clusters and %d nodes (the management node groups, Fargate, one per karpenter NodePool)", len(h.Box.Clusters), nodes)

	step("preview of the pull request that sets %s's eks_version to %s", role, minor)
	bumped, err := h.Fleet(filepath.Join(dir, "bumped"), func(doc map[string]any) {
		if doc["role"] == role {
			doc["eks_version"] = minor
		}
	})
	if err != nil {
		return err
	}
	prev, err := h.Run(ctx, bumped, automation.Selection{Roles: []string{role}}, automation.RunOptions{Op: automation.OpPreview}, nil)
	table(prev)
	if err != nil {
		return fmt.Errorf("preview: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for name, r := range map[string]*automation.Report{"up.md": rep, "preview-report.md": prev} {
		if err := os.WriteFile(filepath.Join(out, name), []byte(automation.Markdown(r, automation.MarkdownOptions{})), 0o644); err != nil {
			return err
		}
	}
	step("wrote %s (the pull request's report) and %s", filepath.Join(out, "preview-report.md"), filepath.Join(out, "up.md"))
	return nil
}

func step(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "\n==> "+format+"\n", args...)
}

func table(rep *automation.Report) {
	if rep == nil {
		return
	}
	tw := tabwriter.NewWriter(os.Stderr, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nWAVE\tCLUSTER\tSTATUS\tGATE\tDURATION\tCREATE\tUPDATE\tREPLACE\tDELETE")
	for _, w := range rep.Waves {
		for _, c := range w.Clusters {
			var n map[string]int
			if c.Result != nil {
				n = c.Result.Counts
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n", w.Label, c.Cluster, c.Status, w.Gate, c.Duration.Round(time.Second),
				n[automation.KindCreate], n[automation.KindUpdate], n[automation.KindReplace], n[automation.KindDelete])
		}
	}
	_ = tw.Flush()
}

func clusterNames(root string) ([]string, error) {
	fleet, err := environments.Load(filepath.Join(root, "environments"))
	if err != nil {
		return nil, err
	}
	return fleet.ClusterNames(), nil
}
