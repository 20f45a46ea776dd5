package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/automation/audit"
	"github.com/eksplatform/eksplatform/automation/inventory"
)

// The file each format writes under --out.
var inventoryFiles = map[string]string{
	"json":      "inventory.json",
	"markdown":  "inventory.md",
	"backstage": "catalog-info.yaml",
}

type inventoryOptions struct {
	roles    []string
	clusters []string
	format   string
	out      string
	today    string
	offline  bool
	owner    string
	domain   string
	backend  backendOptions
}

func newInventoryCommand(g *globalOptions) *cobra.Command {
	o := &inventoryOptions{}
	cmd := &cobra.Command{
		Use:   "inventory [--role R ...] [--cluster C ...] [--format json|markdown|backstage] [--out DIR]",
		Short: "Every cluster's facts: versions, endpoint, issuer, storage, support window, last rollout, drift, SSM parameters",
		Long: `Inventory is the fleet's single source of truth. Per cluster: role, wave,
account, region, the Kubernetes, addon, node group and karpenter versions
(declared and deployed), endpoint, OIDC issuer, EFS file system, storage
classes, cluster-admin role, the support window of its minor (days left until
the end of the support its role runs on), its last successful rollout and the
drift its last refresh found (from the audit trail), the SSM parameters under
/eksplatform/<cluster>/ where services read its facts, and console links.

Deployed facts come from the backend's state when a stack exists (--backend,
$PULUMI_BACKEND_URL, or ./.pulumi-state when it holds stacks); the history from
the audit trail (--audit, $EKSPLATFORM_AUDIT, or the local state directory's
file). --offline reads neither: the inventory is then what the environment
files declare, which needs no AWS account and no passphrase.

Formats: json (inventory.json), markdown (inventory.md) and backstage
(catalog-info.yaml): Backstage catalog entities, one System per role
(eksplatform-<role>) and one Resource of type kubernetes-cluster per cluster,
with the annotations Backstage's Kubernetes plugin reads to find a cluster
(kubernetes.io/api-server, -certificate-authority, auth-provider aws).
--owner names the owning Group. --out DIR writes the file into DIR instead of
stdout.

Exit code 0, 1 when a stack could not be read (the inventory is written
anyway, with the error in that cluster's entry), 2 on bad usage.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd, g) },
	}
	cmd.Flags().StringSliceVar(&o.roles, "role", nil, "only these roles (repeatable)")
	cmd.Flags().StringSliceVar(&o.clusters, "cluster", nil, "only these clusters (repeatable)")
	cmd.Flags().StringVar(&o.format, "format", "markdown", "json, markdown or backstage")
	cmd.Flags().StringVar(&o.out, "out", "", "write "+inventoryFiles["json"]+", "+inventoryFiles["markdown"]+" or "+inventoryFiles["backstage"]+" into this directory instead of stdout")
	cmd.Flags().StringVar(&o.today, "today", "", "judge support windows as of this date (YYYY-MM-DD; default: today, UTC)")
	cmd.Flags().BoolVar(&o.offline, "offline", false, "read no state and no audit trail: the environment files only")
	cmd.Flags().StringVar(&o.owner, "owner", "platform-team", "backstage: entity reference of the Group that owns the clusters")
	cmd.Flags().StringVar(&o.domain, "domain", "", "backstage: the Domain every role's System belongs to (none by default)")
	addBackendFlags(cmd, &o.backend)
	cmd.Flags().StringVar(&o.backend.audit, "audit", "", auditFlagHelp)
	return cmd
}

func (o *inventoryOptions) run(cmd *cobra.Command, g *globalOptions) error {
	file, ok := inventoryFiles[o.format]
	if !ok {
		return usageError{fmt.Errorf("--format must be json, markdown or backstage, got %q", o.format)}
	}
	if o.offline && (o.backend.backend != "" || o.backend.audit != "") {
		return usageError{errors.New("--offline reads no backend and no audit trail; leave out --backend and --audit, or --offline")}
	}
	if o.format == "backstage" && o.owner == "" {
		return usageError{errors.New("--owner must name the Group that owns the clusters")}
	}
	today, err := parseToday(o.today)
	if err != nil {
		return err
	}
	fleet, err := loadFleet(g.environments, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	selected, err := selectClusters(fleet, o.roles, o.clusters)
	if err != nil {
		return err
	}
	ctx := context.Background()
	in := inventory.Inputs{Fleet: fleet, Clusters: selected, Today: today, Sources: inventory.Sources{Environments: g.environments}}
	want, err := stateWanted(o.offline, &o.backend, "inventory")
	if err != nil {
		return err
	}
	if want {
		backend, url, err := newBackend(&o.backend)
		if err != nil {
			if errors.Is(err, automation.ErrNoPassphrase) {
				return usageError{fmt.Errorf("%w. inventory reads the deployed facts from the state; --offline lists what the environment files declare", err)}
			}
			return err
		}
		in.State = &inventory.BackendState{Backend: backend}
		in.Sources.State = redactURL(url)
	}
	if !o.offline {
		store, err := o.openTrail()
		if err != nil {
			return err
		}
		if store != nil {
			in.Audit = store
			in.Sources.Audit = store.String()
		}
	}
	inv, err := inventory.Build(ctx, in)
	if err != nil {
		return err
	}
	var out []byte
	switch o.format {
	case "json":
		out, err = inv.JSON()
	case "markdown":
		out = []byte(inv.Markdown())
	case "backstage":
		out, err = inv.Backstage(inventory.BackstageOptions{Owner: o.owner, Domain: o.domain})
	}
	if err != nil {
		return err
	}
	if o.out != "" {
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			return err
		}
		path := filepath.Join(o.out, file)
		if err := writeFileAtomic(path, out); err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d clusters)\n", path, len(inv.Clusters))
	} else if _, err := cmd.OutOrStdout().Write(out); err != nil {
		return err
	}
	failed := 0
	for _, c := range inv.Clusters {
		if c.Error != "" {
			failed++
			fmt.Fprintf(cmd.ErrOrStderr(), "error: %s: %s\n", c.Name, c.Error)
		}
	}
	if failed > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "inventory: the state of %d cluster(s) could not be read; their entries are what the environment files declare\n", failed)
		return exitError{1}
	}
	return nil
}

// openTrail opens the audit trail to read: the one named, else the local
// state directory's file when it exists (nil when it does not: no history).
func (o *inventoryOptions) openTrail() (audit.Store, error) {
	r, err := o.backend.config().Resolve()
	if err != nil {
		return nil, err
	}
	url := auditStoreURL(&o.backend)
	if url == "" && !fileExists(filepath.Join(r.StateDir, audit.DefaultFile)) {
		return nil, nil
	}
	store, err := audit.Open(context.Background(), url, r.StateDir)
	if err != nil {
		return nil, usageError{err}
	}
	return store, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
