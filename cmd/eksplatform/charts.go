package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/eksplatform/eksplatform/catalog/chartcheck"
	"github.com/eksplatform/eksplatform/environments"
	"github.com/eksplatform/eksplatform/stacks"
)

func newChartsCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "charts",
		Short: "Check the Helm releases the fleet declares against the charts themselves",
		Args:  noArgs,
	}
	cmd.AddCommand(newChartsCheckCommand(g))
	return cmd
}

type chartsCheckOptions struct {
	roles, clusters []string
	paths           []string
	timeout         time.Duration
}

func newChartsCheckCommand(g *globalOptions) *cobra.Command {
	o := &chartsCheckOptions{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Fetch each pinned chart and check the values every cluster gives it",
		Long: `Check synthesizes each selected cluster under the mock engine (no AWS account),
takes every Helm release it declares, fetches the pinned chart from its
repository (index.yaml, or the OCI registry) and, with Helm's own SDK:

  - finds each value the program sets in the chart's values.yaml,
    values.schema.json or templates (a chart silently ignores the others);
  - renders the chart for the cluster's Kubernetes minor, as Helm would
    install it (kubeVersion, required values, schema);
  - checks that the management-group toleration, the node selector, the
    service account and its IRSA annotation land in the rendered pods.

It needs the chart repositories (HTTPS), not AWS. Run it before merging a
chart bump or an eks_version bump: the mock engine takes any values.

--chart NAME=PATH checks NAME against a local chart (a directory or .tgz):
a mirror, or the chart's source at the release tag. A source whose Chart.yaml
carries another version (release tools stamp it) is checked as the pinned one,
and the output says so.

Exit status: 0 every release passes, 1 a problem or a chart that could not be
fetched, 2 bad usage.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			local, err := parseChartPaths(o.paths)
			if err != nil {
				return err
			}
			selected, err := loadSelected(g.environments, cmd.ErrOrStderr(), o.roles, o.clusters)
			if err != nil {
				return err
			}
			fetcher := &chartcheck.Local{Paths: local, Next: &chartcheck.Repositories{Client: &http.Client{Timeout: o.timeout}}}
			ctx, cancel := context.WithTimeout(cmd.Context(), 10*o.timeout)
			defer cancel()
			return checkCharts(ctx, selected, fetcher, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringSliceVar(&o.roles, "role", nil, "only clusters of these roles (repeatable)")
	cmd.Flags().StringSliceVar(&o.clusters, "cluster", nil, "only these clusters (repeatable)")
	cmd.Flags().StringArrayVar(&o.paths, "chart", nil, "NAME=PATH: check chart NAME against a local directory or .tgz (repeatable)")
	cmd.Flags().DurationVar(&o.timeout, "timeout", time.Minute, "timeout of each download")
	return cmd
}

func parseChartPaths(flags []string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range flags {
		name, path, ok := strings.Cut(f, "=")
		if !ok || name == "" || path == "" {
			return nil, usageError{fmt.Errorf("--chart wants NAME=PATH (a chart directory or .tgz), got %q", f)}
		}
		if _, err := os.Stat(path); err != nil {
			return nil, usageError{fmt.Errorf("--chart %s: %w", name, err)}
		}
		out[name] = path
	}
	return out, nil
}

// clusterReleases synthesizes clusters and returns each one's Helm releases.
func clusterReleases(clusters []*environments.Cluster) ([][]chartcheck.Release, error) {
	out := make([][]chartcheck.Release, len(clusters))
	err := stacks.SynthEach(clusters, func(i int, doc *stacks.SynthDocument) error {
		c := clusters[i]
		for _, r := range doc.Resources {
			if r.Type != chartcheck.ReleaseType {
				continue
			}
			rel, err := chartcheck.FromInputs(c.Name, c.EKSVersion, r.Inputs)
			if err != nil {
				return fmt.Errorf("%s: %w", r.URN, err)
			}
			rel.CRDs = c.ChartCRDs[rel.Chart.Chart]
			out[i] = append(out[i], rel)
		}
		return nil
	})
	return out, err
}

// checkCharts prints one line per release and every problem; any problem or
// fetch failure is exit status 1.
func checkCharts(ctx context.Context, clusters []*environments.Cluster, f chartcheck.Fetcher, w io.Writer) error {
	perCluster, err := clusterReleases(clusters)
	if err != nil {
		return err
	}
	releases, problems, failed := 0, 0, 0
	for _, rels := range perCluster {
		for _, rel := range rels {
			releases++
			found, err := chartcheck.Check(ctx, f, []chartcheck.Release{rel})
			switch {
			case err != nil:
				failed++
				fmt.Fprintf(w, "FAIL %s\n     %s\n", rel, strings.TrimPrefix(err.Error(), rel.String()+": "))
			case len(found) > 0:
				problems += len(found)
				fmt.Fprintf(w, "FAIL %s\n", rel)
				for _, p := range found {
					fmt.Fprintf(w, "     %s\n", strings.TrimPrefix(p, rel.String()+": "))
				}
			default:
				fmt.Fprintf(w, "ok   %s\n", rel)
			}
		}
	}
	if l, ok := f.(*chartcheck.Local); ok {
		for _, s := range l.Stamped {
			fmt.Fprintf(w, "note %s\n", s)
		}
	}
	fmt.Fprintf(w, "%d releases of %d clusters: %d problems, %d charts not fetched\n", releases, len(clusters), problems, failed)
	if problems > 0 || failed > 0 {
		return exitError{1}
	}
	return nil
}
