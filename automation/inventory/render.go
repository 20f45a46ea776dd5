package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// JSON is the inventory as indented JSON.
func (inv *Inventory) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(inv, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Markdown is the inventory as a page: a table of the fleet, then one
// section per cluster with its facts and parameters.
func (inv *Inventory) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Fleet inventory, %s\n\n", inv.Date)
	fmt.Fprintf(&b, "From the environment files in `%s`", inv.Sources.Environments)
	if inv.Sources.State != "" {
		fmt.Fprintf(&b, ", the state in `%s`", inv.Sources.State)
	} else {
		b.WriteString(" only (no state was read: versions are the declared ones)")
	}
	if inv.Sources.Audit != "" {
		fmt.Fprintf(&b, " and the audit trail in `%s`", inv.Sources.Audit)
	}
	b.WriteString(".\n\n")
	b.WriteString("| Cluster | Role | Wave | Account | Region | Kubernetes | Support | Days left | Last rollout | Drift |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range inv.Clusters {
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", c.Name, c.Role, c.Wave, c.AccountID, c.Region,
			versionCell(c.Kubernetes), c.Support.Tier, daysCell(c.Support), rolloutCell(c.LastRollout), c.Drift.Status)
	}
	for _, c := range inv.Clusters {
		fmt.Fprintf(&b, "\n## %s\n\n", c.Name)
		if c.Error != "" {
			fmt.Fprintf(&b, "> The stack could not be read: %s. What follows is what the environment files declare.\n\n", c.Error)
		} else if !c.Deployed {
			b.WriteString("Not deployed: what follows is what the environment files declare.\n\n")
		}
		row := func(k, v string) {
			if v == "" {
				v = "-"
			}
			fmt.Fprintf(&b, "| %s | %s |\n", k, v)
		}
		b.WriteString("| Fact | Value |\n|---|---|\n")
		row("Role (wave)", fmt.Sprintf("%s (%d), `%s`", c.Role, c.Wave, c.File))
		row("Account / region", c.AccountID+" / "+c.Region)
		row("Kubernetes", versionCell(c.Kubernetes))
		row("Support", supportCell(c.Support))
		row("Management node group release", versionCell(c.NodeGroupRelease))
		row("Karpenter", versionCell(c.Karpenter))
		for _, name := range slices.Sorted(maps.Keys(c.Addons)) {
			row("Addon "+name, versionCell(c.Addons[name]))
		}
		row("Endpoint", c.Endpoint)
		row("OIDC issuer", c.OIDCIssuerURL)
		row("EFS file system", c.EFSFileSystemID)
		row("Storage classes", strings.Join(c.StorageClasses, ", "))
		row("Cluster-admin role", c.ClusterAdminRoleARN)
		row("Policy guardrails (Gatekeeper)", c.Policy)
		row("Container Insights", onOff(c.Observability.ContainerInsights, c.Observability.ContainerInsightsURL))
		row("Managed Prometheus", onOff(c.Observability.Prometheus, strings.TrimSpace(c.Observability.PrometheusWorkspaceID+" "+c.Observability.PrometheusEndpoint)))
		row("Last update of the stack", timeCell(c.LastUpdate))
		row("Last successful rollout", rolloutCell(c.LastRollout))
		row("Drift", driftCell(c.Drift))
		fmt.Fprintf(&b, "\nSSM parameters under `%s`:\n\n", c.Parameters.Prefix)
		for _, f := range slices.Sorted(maps.Keys(c.Parameters.Names)) {
			fmt.Fprintf(&b, "- %s: `%s`\n", f, c.Parameters.Names[f])
		}
		b.WriteString("\n")
		for i, l := range c.Links {
			if i > 0 {
				b.WriteString(" · ")
			}
			fmt.Fprintf(&b, "[%s](%s)", l.Title, l.URL)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func versionCell(v Versions) string {
	switch {
	case v.Deployed == "" && v.Declared == "":
		return "-"
	case v.Deployed == "":
		return v.Declared + " (declared)"
	case v.Declared == "" || v.Declared == v.Deployed:
		return v.Deployed
	}
	return v.Deployed + " → " + v.Declared + " declared"
}

func onOff(on bool, detail string) string {
	switch {
	case !on:
		return "off"
	case detail == "":
		return "on"
	}
	return "on: " + detail
}

func daysCell(s Support) string {
	if s.DaysLeft == nil {
		return "-"
	}
	return strconv.Itoa(*s.DaysLeft)
}

func supportCell(s Support) string {
	if s.DaysLeft == nil {
		return s.Minor + ": not in the EKS calendar"
	}
	return fmt.Sprintf("%s: %s; standard ends %s, extended ends %s; %d days left until %s", s.Minor, s.Tier,
		s.EndOfStandard, s.EndOfExtended, *s.DaysLeft, s.Until)
}

func rolloutCell(r *Rollout) string {
	if r == nil {
		return "none recorded"
	}
	s := r.End.Format("2006-01-02 15:04Z") + " (" + r.RunID
	if r.Commit != "" {
		s += ", " + shortCommit(r.Commit)
	}
	return s + ")"
}

func driftCell(d Drift) string {
	if d.Refreshed == nil {
		return d.Status
	}
	s := d.Status + ", refreshed " + d.Refreshed.Format("2006-01-02 15:04Z")
	if len(d.Changes) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(d.Changes)) {
			parts = append(parts, fmt.Sprintf("%d %s", d.Changes[k], k))
		}
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format("2006-01-02 15:04Z")
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// Backstage entities.

// BackstageOptions are what the catalog needs that the fleet does not say.
type BackstageOptions struct {
	// Owner is the entity reference of the team that owns the clusters
	// (a Group, "platform-team" or "group:default/platform-team").
	Owner string
	// Domain, when set, is the Domain every role's System belongs to.
	Domain string
}

// Annotations and labels the entities carry. The kubernetes.io ones are
// those Backstage's Kubernetes plugin reads (its catalog cluster locator
// picks up Resources of type kubernetes-cluster that have the API server,
// its CA and an auth provider).
const (
	AnnotationAPIServer   = "kubernetes.io/api-server"
	AnnotationAPIServerCA = "kubernetes.io/api-server-certificate-authority"
	AnnotationAuth        = "kubernetes.io/auth-provider"
	AnnotationAWSID       = "kubernetes.io/x-k8s-aws-id"
	labelPrefix           = "eksplatform.io/"
	// SystemPrefix names each role's System.
	SystemPrefix = "eksplatform-"
)

type entity struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   entityMetadata `json:"metadata"`
	Spec       map[string]any `json:"spec"`
}

type entityMetadata struct {
	Name        string            `json:"name"`
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Links       []Link            `json:"links,omitempty"`
}

// Entities are the inventory as Backstage catalog entities: one System per
// role, then one Resource of type kubernetes-cluster per cluster, part of its
// role's System.
func (inv *Inventory) Entities(o BackstageOptions) ([]map[string]any, error) {
	if o.Owner == "" {
		return nil, fmt.Errorf("backstage: an owner is required (the Group that owns the clusters)")
	}
	var out []entity
	for _, r := range inv.Roles {
		spec := map[string]any{"owner": o.Owner}
		if o.Domain != "" {
			spec["domain"] = o.Domain
		}
		desc := r.Description
		if desc == "" {
			desc = "EKS clusters of role " + r.Name
		}
		out = append(out, entity{APIVersion: "backstage.io/v1alpha1", Kind: "System", Spec: spec, Metadata: entityMetadata{
			Name: SystemPrefix + r.Name, Title: r.Name + " clusters", Description: desc,
			Labels:      map[string]string{labelPrefix + "role": r.Name, labelPrefix + "wave": strconv.Itoa(r.Wave)},
			Annotations: map[string]string{labelPrefix + "environment-file": r.File},
			Tags:        []string{"eks", "eksplatform"},
		}})
	}
	for _, c := range inv.Clusters {
		ann := map[string]string{
			AnnotationAuth:                   "aws",
			AnnotationAWSID:                  c.Name,
			labelPrefix + "kubernetes":       c.Kubernetes.Current(),
			labelPrefix + "support-tier":     c.Support.Tier,
			labelPrefix + "deployed":         strconv.FormatBool(c.Deployed),
			labelPrefix + "drift":            c.Drift.Status,
			labelPrefix + "policy":           c.Policy,
			labelPrefix + "parameters":       c.Parameters.Prefix,
			labelPrefix + "environment-file": c.File,
		}
		if c.Support.DaysLeft != nil {
			ann[labelPrefix+"support-days-left"] = strconv.Itoa(*c.Support.DaysLeft)
			ann[labelPrefix+"support-until"] = c.Support.Until
		}
		if c.Endpoint != "" {
			ann[AnnotationAPIServer] = c.Endpoint
		}
		if c.certificateAuthority != "" {
			ann[AnnotationAPIServerCA] = c.certificateAuthority
		}
		if c.LastRollout != nil {
			ann[labelPrefix+"last-rollout"] = c.LastRollout.End.Format("2006-01-02T15:04:05Z")
		}
		if id := c.Observability.PrometheusWorkspaceID; id != "" {
			ann[labelPrefix+"prometheus-workspace"] = id
		}
		if c.EFSFileSystemID != "" {
			ann[labelPrefix+"efs-file-system"] = c.EFSFileSystemID
		}
		tags := []string{"eks", "kubernetes-" + strings.ReplaceAll(c.Kubernetes.Current(), ".", "-"), c.Role}
		out = append(out, entity{APIVersion: "backstage.io/v1alpha1", Kind: "Resource",
			Spec: map[string]any{"type": "kubernetes-cluster", "owner": o.Owner, "system": SystemPrefix + c.Role},
			Metadata: entityMetadata{
				Name: c.Name, Title: c.Name,
				Description: fmt.Sprintf("EKS cluster of role %s (wave %d) in account %s, %s", c.Role, c.Wave, c.AccountID, c.Region),
				Labels: map[string]string{labelPrefix + "role": c.Role, labelPrefix + "wave": strconv.Itoa(c.Wave),
					labelPrefix + "account": c.AccountID, labelPrefix + "region": c.Region},
				Annotations: ann, Tags: tags, Links: c.Links,
			}})
	}
	docs := make([]map[string]any, len(out))
	for i, e := range out {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &docs[i]); err != nil {
			return nil, err
		}
	}
	return docs, nil
}

// Backstage is Entities as a multi-document YAML file (catalog-info.yaml).
func (inv *Inventory) Backstage(o BackstageOptions) ([]byte, error) {
	docs, err := inv.Entities(o)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Backstage catalog entities of the EKS fleet, written by `eksplatform inventory --format backstage` on %s.\n", inv.Date)
	b.WriteString("# Generated: edit the environment files, not this file.\n")
	for _, d := range docs {
		y, err := yaml.Marshal(d)
		if err != nil {
			return nil, err
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return b.Bytes(), nil
}
