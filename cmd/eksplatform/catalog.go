package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/eksplatform/eksplatform/catalog"
	"github.com/eksplatform/eksplatform/catalog/refresh"
	"github.com/eksplatform/eksplatform/environments"
)

func newCatalogCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "The facts eksplatform holds about EKS, its addons, karpenter and the charts: show or refresh them",
		Long: `The catalog (catalog/data/*.json, built into the binary) holds every fact about
the world outside the repository: the EKS release calendar, the managed addons
and their versions per Kubernetes minor, the karpenter release each minor
needs, and the pinned Helm charts with the minors each supports. Each file
says where its facts come from and when they were last checked.

  eksplatform catalog show        what the binary knows, with sources and dates
  eksplatform catalog refresh     rebuild the files from the APIs that publish them`,
		Args: noArgs,
	}
	cmd.AddCommand(newCatalogShowCommand(), newCatalogRefreshCommand(g))
	return cmd
}

func newCatalogShowCommand() *cobra.Command {
	var asJSON bool
	var today string
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print the built-in catalog: each file's source and date, the calendar, the addons, karpenter, the charts",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			day, err := parseToday(today)
			if err != nil {
				return err
			}
			c := catalog.Default()
			if asJSON {
				files, err := c.Marshal()
				if err != nil {
					return err
				}
				doc := map[string]json.RawMessage{}
				for name, b := range files {
					doc[name] = b
				}
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(doc)
			}
			printCatalog(cmd.OutOrStdout(), c, day)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the data files as one JSON document")
	cmd.Flags().StringVar(&today, "today", "", "judge support windows on this day (YYYY-MM-DD; default today, UTC)")
	return cmd
}

// parseToday reads --today; "" is today in UTC.
func parseToday(s string) (time.Time, error) {
	if s == "" {
		return catalog.DateOf(time.Now()).Time, nil
	}
	d, err := catalog.ParseDate(s)
	if err != nil {
		return time.Time{}, usageError{fmt.Errorf("--today must be a date like 2026-11-22, got %q", s)}
	}
	return d.Time, nil
}

func printCatalog(w io.Writer, c *catalog.Catalog, day time.Time) {
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	src := func(name string, p catalog.Provenance) {
		fmt.Fprintf(w, "%s/%s — checked %s\n  source: %s\n", catalog.DataDir, name, p.Checked, p.Source)
	}
	src(catalog.FileReleases, c.Calendar.Provenance)
	fmt.Fprintf(tw, "  minor\treleased\tend of standard\tend of extended\ton %s\n", day.Format(time.DateOnly))
	for _, r := range c.Releases() {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", r.Version, r.Released, r.EndOfStandard, r.EndOfExtended, r.SupportOn(day))
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
	src(catalog.FileAddons, c.Addons.Provenance)
	if len(c.Addons.Estimated) > 0 {
		fmt.Fprintf(w, "  estimated (not published by EKS yet): %s\n", strings.Join(c.Addons.Estimated, ", "))
	}
	for _, a := range c.Addons.Addons {
		var minors []string
		for _, m := range c.Minors() {
			if _, ok := a.Versions[m]; ok {
				minors = append(minors, m)
			}
		}
		span := "no minor"
		if len(minors) > 0 {
			span = minors[0] + "–" + minors[len(minors)-1]
		}
		latest := ""
		if newest := c.NewestOn(day); newest != "" {
			if v, ok := a.Versions[newest]; ok {
				latest = "; latest for " + newest + ": " + v.Latest
			}
		}
		fmt.Fprintf(tw, "  %s\t%s, %s\tversions for %s%s\n", a.Name, a.Kind, a.Install, span, latest)
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
	src(catalog.FileKarpenter, c.Karpenter.Provenance)
	var rows []string
	for _, m := range c.Minors() {
		if v, ok := c.KarpenterMinimum(m); ok {
			rows = append(rows, m+" ≥ "+v)
		}
	}
	fmt.Fprintf(w, "  %s\n\n", strings.Join(rows, ", "))
	src(catalog.FileCharts, c.Charts.Provenance)
	for _, name := range c.ChartNames() {
		ch, _ := c.Chart(name)
		fmt.Fprintf(tw, "  %s\t%s\tapp %s\tKubernetes %s\t%s\n", name, ch.Version, ch.AppVersion, ch.Kubernetes.Range(), ch.Kubernetes.Source)
	}
	_ = tw.Flush()
	for _, name := range c.ChartNames() {
		if ch, _ := c.Chart(name); ch.CRDs == catalog.CRDsFromProgram {
			crds, _ := c.CRDs(ch)
			fmt.Fprintf(w, "  %s: %d CRDs applied by the program (Helm never upgrades crds/), from %s/%s\n", name, len(crds), catalog.DataDir, catalog.CRDsFile(ch))
		}
	}
	for name, image := range c.Charts.Images {
		fmt.Fprintf(w, "  image %s: %s\n", name, image)
	}
}

// catalogSources builds what `catalog refresh` reads: the EKS API in a
// region (through the role when one is given) and the chart repositories.
// Tests replace it.
var catalogSources = func(ctx context.Context, region, roleARN string) (refresh.EKSAPI, refresh.ChartRepos, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return nil, nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if roleARN != "" {
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleARN))
	}
	return eks.NewFromConfig(cfg), &refresh.HTTPRepos{Client: &http.Client{Timeout: 2 * time.Minute}}, nil
}

func newCatalogRefreshCommand(g *globalOptions) *cobra.Command {
	var dir, region, roleARN, today string
	var allowMajor, dryRun, asJSON bool
	cmd := &cobra.Command{
		Use:   "refresh",
		Short: "Rebuild the catalog from EKS and the chart repositories; print what changed",
		Long: `Refresh rebuilds the catalog's data files from the sources that publish them:

  eks-releases.json  eks:DescribeClusterVersions (release, end of standard and of extended support)
  addons.json        eks:DescribeAddonVersions for every addon of the table and every minor EKS
                     offers (newest, default, oldest compatible); estimated rows are replaced
  charts.json        each chart's repository: index.yaml over HTTPS, or an OCI registry's tags and
                     chart configs (oci://public.ecr.aws/...). The pin moves to the newest release
                     that is not a prerelease and whose supported range covers every minor from the
                     oldest the fleet runs to the newest EKS offers; a new major is reported, not
                     applied, unless --allow-major; karpenter-crd follows karpenter
  karpenter.json     no API publishes karpenter's compatibility matrix: refresh names missing rows

It needs AWS credentials (any the AWS SDK finds; eks:DescribeClusterVersions and
eks:DescribeAddonVersions) and HTTPS access to the chart repositories. Every call
is made before anything is written: a failed call writes nothing and names the
call. The files are written in canonical form (sorted, stable indentation), so a
second refresh on the same day changes nothing. Review the diff like code, then
run make test: the karpenter CRD checks follow the new pin.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			day, err := parseToday(today)
			if err != nil {
				return err
			}
			current, err := catalog.Load(dir)
			if err != nil {
				return fmt.Errorf("%w (run from the repository root, or give --dir)", err)
			}
			ctx := cmd.Context()
			api, repos, err := catalogSources(ctx, region, roleARN)
			if err != nil {
				return err
			}
			next, rep, err := refresh.Run(ctx, current, refresh.Options{
				EKS: api, Region: region, Charts: repos, Today: day, AllowMajor: allowMajor,
				FleetMinors: func(c *catalog.Catalog) ([]string, error) {
					fleet, err := environments.Load(g.environments, environments.WithCatalog(c))
					if err != nil {
						return nil, err
					}
					var minors []string
					for _, r := range fleet.Roles {
						minors = append(minors, r.EKSVersion)
					}
					return minors, nil
				},
			})
			if err != nil {
				return fmt.Errorf("catalog refresh: %w; nothing was written", err)
			}
			var written []string
			if !dryRun {
				if written, err = next.Write(dir); err != nil {
					return fmt.Errorf("writing %s: %w", dir, err)
				}
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					*refresh.Report
					Written []string `json:"written"`
				}{rep, written})
			}
			printRefresh(cmd.OutOrStdout(), rep, written, dir, dryRun)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", catalog.DataDir, "the catalog's data directory to read and rewrite")
	f.StringVar(&region, "region", "us-east-1", "the region EKS is asked in (versions are the same in every commercial region)")
	f.StringVar(&roleARN, "role-arn", "", "an IAM role to assume for the EKS calls")
	f.StringVar(&today, "today", "", "the day the facts are checked on (YYYY-MM-DD; default today, UTC)")
	f.BoolVar(&allowMajor, "allow-major", false, "move charts to a new major version (otherwise reported only)")
	f.BoolVar(&dryRun, "dry-run", false, "print what would change; write nothing")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func printRefresh(w io.Writer, rep *refresh.Report, written []string, dir string, dryRun bool) {
	fmt.Fprintf(w, "charts must support Kubernetes %s\n", strings.Join(rep.Needed, ", "))
	if len(rep.Changes) == 0 {
		fmt.Fprintln(w, "no fact changed")
	}
	for _, c := range rep.Changes {
		fmt.Fprintf(w, "  %s: %s\n", c.File, c.What)
	}
	if len(rep.Notices) > 0 {
		fmt.Fprintln(w, "not changed by the refresh (needs a person):")
		for _, n := range rep.Notices {
			fmt.Fprintf(w, "  %s: %s\n", n.File, n.What)
		}
	}
	switch {
	case dryRun:
		fmt.Fprintln(w, "dry run: nothing written")
	case len(written) == 0:
		fmt.Fprintf(w, "%s is up to date\n", dir)
	default:
		fmt.Fprintf(w, "wrote %s in %s\n", strings.Join(written, ", "), dir)
	}
}
