package environments

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/eksplatform/eksplatform/catalog"
)

var (
	hostedZoneRe    = regexp.MustCompile(`^Z[0-9A-Z]{1,32}$`)
	domainRe        = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	ingressGroupRe  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$`)
	amiAliasRe      = regexp.MustCompile(`^(al2023|bottlerocket)@(latest|v[0-9]+(\.[0-9]+){0,2})$`)
	durationRe      = regexp.MustCompile(`^([0-9]+h)?([0-9]+m)?([0-9]+s)?$`)
	dirPermsRe      = regexp.MustCompile(`^[0-7]{3}$`)
	ssmPathPrefixRe = regexp.MustCompile(`^(/[A-Za-z0-9_.{}-]+)+/$`)
	instanceCatRe   = regexp.MustCompile(`^[a-z]$`)
)

// validateLayers checks the network, storage, karpenter, operator and chart
// settings of a defaulted file.
func validateLayers(c *collector, f *File) {
	if f.DNS != nil {
		validateDNS(c, "dns", f.DNS)
	}
	n := f.Network
	lb := n.LoadBalancerController
	if !dnsLabelRe.MatchString(lb.IngressClass) {
		c.add("network.load_balancer_controller.ingress_class", "must be a Kubernetes name (lowercase letters, digits, '-'), got %q", lb.IngressClass)
	}
	if !ingressGroupRe.MatchString(lb.IngressGroup) {
		c.add("network.load_balancer_controller.ingress_group", "must be lowercase letters, digits, '-' and '.', at most 63 characters, got %q", lb.IngressGroup)
	}
	if lb.Scheme != "internet-facing" && lb.Scheme != "internal" {
		c.add("network.load_balancer_controller.scheme", "must be \"internet-facing\" or \"internal\", got %q", lb.Scheme)
	}
	if p := n.ExternalDNS.Policy; p != "sync" && p != "upsert-only" {
		c.add("network.external_dns.policy", "must be \"sync\" or \"upsert-only\", got %q", p)
	}
	cm := n.CertManager
	if cm.ACMEEmail != "" {
		if _, err := mail.ParseAddress(cm.ACMEEmail); err != nil || strings.ContainsAny(cm.ACMEEmail, "<> ") {
			c.add("network.cert_manager.acme_email", "must be an email address, got %q", cm.ACMEEmail)
		}
		if !*cm.Enabled {
			c.add("network.cert_manager.acme_email", "needs cert_manager enabled: the ClusterIssuer is a cert-manager resource")
		}
	}
	if cm.ACMEServer != "" {
		if u, err := url.Parse(cm.ACMEServer); err != nil || u.Scheme != "https" || u.Host == "" {
			c.add("network.cert_manager.acme_server", "must be an https URL, got %q", cm.ACMEServer)
		}
		if cm.ACMEEmail == "" {
			c.add("network.cert_manager.acme_server", "goes with acme_email, which creates the ClusterIssuer")
		}
	}

	e := f.Storage.EFS
	if _, ok := catalog.EFSTransitions[*e.TransitionToIADays]; !ok {
		c.add("storage.efs.transition_to_ia_days", "must be one of %s, got %d", joinInts(catalog.TransitionDays()), *e.TransitionToIADays)
	}
	if !dirPermsRe.MatchString(e.DirectoryPerms) {
		c.add("storage.efs.directory_perms", "must be three octal digits like \"700\", got %q", e.DirectoryPerms)
	}

	validateKarpenter(c, f.Karpenter)
	validateRollout(c, f.Rollout, len(f.Clusters))

	o := f.Operators
	if !dnsLabelRe.MatchString(o.PlatformNamespace) || strings.HasPrefix(o.PlatformNamespace, "kube-") {
		c.add("operators.platform_namespace", "must be a Kubernetes namespace name not starting with \"kube-\", got %q", o.PlatformNamespace)
	}
	if p := o.ExternalSecrets.SSMPathPrefix; !ssmPathPrefixRe.MatchString(p) {
		c.add("operators.external_secrets.ssm_path_prefix", "must be an SSM path that starts and ends with '/', like \"/eksplatform/{cluster}/\", got %q", p)
	} else if p == "/" {
		c.add("operators.external_secrets.ssm_path_prefix", "must not be \"/\": the store would read every parameter of the account")
	}
	if o.EchoServer.Enabled != nil && *o.EchoServer.Enabled && !*lb.Enabled {
		c.add("operators.echo_server.enabled", "needs network.load_balancer_controller enabled: the echo-server is reached through an ALB")
	}

	validateObservability(c, f)
	validatePolicy(c, f.Policy)

	for _, name := range sortedKeys(f.Charts) {
		p := keyPath("charts", name)
		ch := f.Charts[name]
		if _, ok := c.cat.Chart(name); !ok {
			c.add(p, "%q is not a chart of the platform; charts: %s", name, strings.Join(c.cat.ChartNames(), ", "))
			continue
		}
		if ch == nil || (ch.Repository == "" && ch.Chart == "" && ch.Version == "" && len(ch.AcceptUnsupportedKubernetes) == 0) {
			c.add(p, "must override at least one of repository, chart, version, accept_unsupported_kubernetes")
			continue
		}
		for i, m := range ch.AcceptUnsupportedKubernetes {
			if _, ok := c.cat.Release(m); !ok {
				c.add(indexPath(p+".accept_unsupported_kubernetes", i), "%q is %s", m, c.cat.NotInCalendar(m))
			}
		}
		if ch.Repository != "" && !strings.HasPrefix(ch.Repository, "https://") && !strings.HasPrefix(ch.Repository, "oci://") {
			c.add(p+".repository", "must be an https:// or oci:// URL, got %q", ch.Repository)
		}
		if ch.Version != "" && (strings.ContainsAny(ch.Version, " *^~><=") || ch.Version == "latest") {
			c.add(p+".version", "must be an exact version (charts are pinned), got %q", ch.Version)
		} else if pinned, _ := c.cat.Chart(name); ch.Version != "" && pinned.CRDs == catalog.CRDsFromProgram && !c.cat.HasCRDs(pinned.WithVersion(ch.Version)) {
			c.add(p+".version", "%s %s: the program applies this chart's CRDs (Helm never upgrades crds/), and the catalog has none for %s (%s/%s); the catalog has them for %s", pinned.Chart, ch.Version, ch.Version, catalog.DataDir, catalog.CRDsFile(pinned.WithVersion(ch.Version)), pinned.Version)
		}
	}
}

func validatePolicy(c *collector, p *PolicySpec) {
	if p.Mode != PolicyAudit && p.Mode != PolicyEnforce {
		c.add("policy.mode", "must be %q or %q, got %q", PolicyAudit, PolicyEnforce, p.Mode)
	}
	seen := map[string]bool{}
	for i, id := range p.Disabled {
		path := fmt.Sprintf("policy.disabled[%d]", i)
		switch {
		case !slices.Contains(PolicyIDs, id):
			c.add(path, "%q is not a policy; allowed: %s", id, strings.Join(PolicyIDs, ", "))
		case seen[id]:
			c.add(path, "%q is listed twice", id)
		}
		seen[id] = true
	}
	namespaces := func(path string, list []string) {
		for i, ns := range list {
			if !dnsLabelRe.MatchString(ns) {
				c.add(fmt.Sprintf("%s[%d]", path, i), "must be a Kubernetes namespace name (a DNS label), got %q", ns)
			}
		}
	}
	for _, id := range sortedKeys(p.Exceptions) {
		path := keyPath("policy.exceptions", id)
		if !slices.Contains(PolicyIDs, id) {
			c.add(path, "%q is not a policy; allowed: %s", id, strings.Join(PolicyIDs, ", "))
			continue
		}
		namespaces(path, p.Exceptions[id])
	}
	namespaces("policy.exempt_namespaces", p.ExemptNamespaces)
}

func validateObservability(c *collector, f *File) {
	o := f.Observability
	if _, listed := f.Addons[ContainerInsightsAddon]; listed && !*o.ContainerInsights {
		c.add(keyPath("addons", ContainerInsightsAddon), "is installed by observability.container_insights: set it to true (a version here then pins the addon) or remove this entry")
	}
	p := o.Prometheus
	if r := *p.RetentionDays; r < MinPrometheusRetentionDays || r > MaxPrometheusRetentionDays {
		c.add("observability.prometheus.retention_days", "must be between %d and %d (Amazon Managed Service for Prometheus keeps samples up to three years), got %d",
			MinPrometheusRetentionDays, MaxPrometheusRetentionDays, r)
	}
}

// validateClusterLayers checks what depends on the cluster's resolved DNS.
func validateClusterLayers(c *collector, path string, f *File, cl *ClusterSpec) {
	if lb := f.Network.LoadBalancerController; cl.VPC != nil && cl.VPC.ID != "" && cl.VPC.CIDR == "" && *lb.Enabled && lb.Scheme == "internet-facing" && len(cl.VPC.PublicSubnetIDs) == 0 {
		c.add(path+".vpc.public_subnet_ids", "must list the adopted VPC's public subnets: the internet-facing load balancer (network.load_balancer_controller.scheme) is placed in them by id; "+
			"or set the scheme to \"internal\"")
	}
	dns := f.DNS
	where := "dns"
	if cl.DNS != nil {
		validateDNS(c, path+".dns", cl.DNS)
		dns = cl.DNS
		where = path + ".dns"
	}
	zones, domains := 0, 0
	if dns != nil {
		zones, domains = len(dns.HostedZoneIDs), len(dns.DomainFilters)
	}
	// Only an explicit "enabled": true is an error without DNS; left out,
	// these features switch themselves off where there is no DNS.
	need := func(feature string, on bool, wantZones, wantDomains bool) {
		if !on {
			return
		}
		if (wantZones && zones == 0) || (wantDomains && domains == 0) {
			what := "hosted_zone_ids and domain_filters"
			switch {
			case wantZones && !wantDomains:
				what = "hosted_zone_ids"
			case wantDomains && !wantZones:
				what = "domain_filters"
			}
			c.add(where, "cluster %s: %s needs %s; declare them here or switch %s off", cl.Name, feature, what, feature)
		}
	}
	need("network.external_dns", isTrue(f.Network.ExternalDNS.Enabled), true, true)
	need("network.cert_manager.acme_email (the ClusterIssuer)", f.Network.CertManager.ACMEEmail != "", true, true)
	need("operators.echo_server", isTrue(f.Operators.EchoServer.Enabled), false, true)
}

func validateDNS(c *collector, path string, d *DNSSpec) {
	seen := map[string]bool{}
	for i, z := range d.HostedZoneIDs {
		p := indexPath(path+".hosted_zone_ids", i)
		if !hostedZoneRe.MatchString(z) {
			c.add(p, "must be a Route 53 hosted zone id like \"Z0123456789ABCDEFGHIJ\", got %q", z)
		}
		if seen[z] {
			c.add(p, "%s is listed twice", z)
		}
		seen[z] = true
	}
	for i, d := range d.DomainFilters {
		if !domainRe.MatchString(d) {
			c.add(indexPath(path+".domain_filters", i), "must be a lowercase domain name like \"nonprod.example.com\", got %q", d)
		}
	}
}

func validateKarpenter(c *collector, k *KarpenterSpec) {
	if k.RunOn != KarpenterOnManagement && k.RunOn != KarpenterOnFargate {
		c.add("karpenter.run_on", "must be %q or %q, got %q", KarpenterOnManagement, KarpenterOnFargate, k.RunOn)
	}
	if !amiAliasRe.MatchString(k.AMIAlias) {
		c.add("karpenter.ami_alias", "must be al2023@latest, bottlerocket@latest or a pinned alias like al2023@v20251120, got %q", k.AMIAlias)
	}
	if *k.NodeVolumeSizeGiB < 20 || *k.NodeVolumeSizeGiB > 16384 {
		c.add("karpenter.node_volume_size_gib", "must be between 20 and 16384, got %d", *k.NodeVolumeSizeGiB)
	}
	for _, name := range sortedKeys(k.NodePools) {
		p := keyPath("karpenter.node_pools", name)
		if _, ok := KarpenterNodePools[name]; !ok {
			c.add(p, "%q is not a node pool; the pools are \"arm\" (arm64) and \"amd\" (amd64)", name)
			continue
		}
		np := k.NodePools[name]
		if np == nil {
			c.add(p, "must be an object")
			continue
		}
		if len(np.CapacityTypes) == 0 {
			c.add(p+".capacity_types", "must list at least one of on-demand, spot")
		}
		for i, ct := range np.CapacityTypes {
			if ct != "on-demand" && ct != "spot" {
				c.add(indexPath(p+".capacity_types", i), "must be \"on-demand\" or \"spot\", got %q", ct)
			}
		}
		if len(np.InstanceCategories) == 0 {
			c.add(p+".instance_categories", "must list at least one EC2 instance category such as \"m\"")
		}
		for i, ic := range np.InstanceCategories {
			if !instanceCatRe.MatchString(ic) {
				c.add(indexPath(p+".instance_categories", i), "must be one lowercase letter (c, m, r, ...), got %q", ic)
			}
		}
		if *np.MinInstanceGeneration < 1 || *np.MinInstanceGeneration > 10 {
			c.add(p+".min_instance_generation", "must be between 1 and 10, got %d", *np.MinInstanceGeneration)
		}
		if *np.CPULimit < 1 {
			c.add(p+".cpu_limit", "must be at least 1, got %d", *np.CPULimit)
		}
		if *np.MemoryLimitGiB < 1 {
			c.add(p+".memory_limit_gib", "must be at least 1, got %d", *np.MemoryLimitGiB)
		}
		if np.ConsolidationPolicy != "WhenEmpty" && np.ConsolidationPolicy != "WhenEmptyOrUnderutilized" {
			c.add(p+".consolidation_policy", "must be \"WhenEmptyOrUnderutilized\" or \"WhenEmpty\", got %q", np.ConsolidationPolicy)
		}
		if !validDuration(np.ConsolidateAfter) {
			c.add(p+".consolidate_after", "must be a duration like \"30s\", \"1m\" or \"1h30m\", got %q", np.ConsolidateAfter)
		}
		if np.ExpireAfter != "Never" && !validDuration(np.ExpireAfter) {
			c.add(p+".expire_after", "must be a duration like \"168h\" or \"Never\", got %q", np.ExpireAfter)
		}
	}
}

func validDuration(s string) bool { return s != "" && durationRe.MatchString(s) }

func isTrue(b *bool) bool { return b != nil && *b }

func validateRollout(c *collector, r *RolloutSpec, clusters int) {
	if *r.Canary < 0 || (*r.Canary > 0 && *r.Canary >= clusters) {
		c.add("rollout.canary", "must be 0 (no canary) or fewer than the role's %d cluster(s), got %d", clusters, *r.Canary)
	}
	if *r.Parallel < 1 || *r.Parallel > 64 {
		c.add("rollout.parallel", "must be between 1 and 64, got %d", *r.Parallel)
	}
	if r.Bake != "" {
		if d, err := time.ParseDuration(r.Bake); err != nil || d < 0 || !durationRe.MatchString(r.Bake) {
			c.add("rollout.bake", "must be a duration like \"30m\" or \"0s\", got %q", r.Bake)
		}
	}
	if d, err := time.ParseDuration(r.GateTimeout); err != nil || d <= 0 || !durationRe.MatchString(r.GateTimeout) {
		c.add("rollout.gate_timeout", "must be a positive duration like \"20m\", got %q", r.GateTimeout)
	}
}

// chartWarnings flags acceptances the catalog has made unnecessary: the
// chart's pinned version now supports the minor, so the acceptance can go.
func chartWarnings(cat *catalog.Catalog, file string, f *File) []Warning {
	var out []Warning
	for _, name := range sortedKeys(f.Charts) {
		spec := f.Charts[name]
		ch, ok := cat.Chart(name)
		if spec == nil || !ok {
			continue
		}
		if spec.Version != "" {
			ch = ch.WithVersion(spec.Version)
		}
		for i, m := range spec.AcceptUnsupportedKubernetes {
			if supported, known := ch.Support(m); known && supported {
				out = append(out, Warning{File: file, Path: indexPath(keyPath("charts", name)+".accept_unsupported_kubernetes", i),
					Msg: fmt.Sprintf("%s %s supports Kubernetes %s now (%s); remove the acceptance", name, ch.Version, m, ch.Kubernetes.Source)})
			}
		}
	}
	return out
}
