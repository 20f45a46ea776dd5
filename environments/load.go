package environments

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/eksplatform/eksplatform/catalog"
)

// SchemaFile is the JSON Schema beside the role files; Load skips it.
const SchemaFile = "schema.json"

// Option changes how environment files are loaded.
type Option func(*options)

type options struct{ cat *catalog.Catalog }

// WithCatalog checks the files against a catalog other than the one built
// into the binary (tests; `catalog refresh`, which loads the fleet against
// the catalog it is building).
func WithCatalog(c *catalog.Catalog) Option { return func(o *options) { o.cat = c } }

func optionsOf(opts []Option) options {
	o := options{cat: catalog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Load reads every <role>.json in dir. It returns the fleet, or an Errors
// value with every problem of every file (each naming file, JSON path and
// what is allowed). Nothing is returned half-valid.
func Load(dir string, opts ...Option) (*Fleet, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading environments directory: %w", err)
	}
	var files []string
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".json" || e.Name() == SchemaFile {
			continue
		}
		files = append(files, filepath.Join(dir, e.Name()))
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no environment files (<role>.json) found", dir)
	}
	fleet, err := loadFiles(optionsOf(opts), files)
	if fleet != nil {
		fleet.Dir = dir
		fleet.Warnings = append(skippedFiles(dir, entries), fleet.Warnings...)
	}
	return fleet, err
}

// LoadFiles loads the given environment files as one fleet, against the
// built-in catalog.
func LoadFiles(paths ...string) (*Fleet, error) { return loadFiles(optionsOf(nil), paths) }

func loadFiles(o options, paths []string) (*Fleet, error) {
	var all Errors
	fleet := &Fleet{Catalog: o.cat}
	for _, path := range paths {
		data, err := readBounded(path)
		if err != nil {
			all = append(all, FieldError{File: path, Msg: err.Error()})
			continue
		}
		role, warnings, err := loadFile(o.cat, path, data)
		if err != nil {
			all = append(all, asErrors(err)...)
			continue
		}
		fleet.Roles = append(fleet.Roles, role)
		fleet.Warnings = append(fleet.Warnings, warnings...)
	}
	all = append(all, checkFleet(fleet)...)
	if len(all) > 0 {
		return nil, all.sorted()
	}
	sort.SliceStable(fleet.Roles, func(i, j int) bool {
		a, b := fleet.Roles[i], fleet.Roles[j]
		if a.Wave != b.Wave {
			return a.Wave < b.Wave
		}
		return a.Name < b.Name
	})
	assignAccounts(fleet)
	return fleet, nil
}

// Parse loads one environment file from memory; file names it in errors and
// gives the role its expected name.
func Parse(file string, data []byte, opts ...Option) (*Role, []Warning, error) {
	role, warnings, err := loadFile(optionsOf(opts).cat, file, data)
	if err != nil {
		return nil, nil, asErrors(err).sorted()
	}
	if errs := checkFleet(&Fleet{Roles: []*Role{role}}); len(errs) > 0 {
		return nil, nil, errs
	}
	// Alone, the role owns what its accounts need; Load decides across files.
	assignAccounts(&Fleet{Roles: []*Role{role}})
	return role, warnings, nil
}

func asErrors(err error) Errors {
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var fe FieldError
	if errors.As(err, &fe) {
		return Errors{fe}
	}
	return Errors{{Msg: err.Error()}}
}

func loadFile(cat *catalog.Catalog, path string, data []byte) (*Role, []Warning, error) {
	var f File
	if err := checkDepth(data); err != nil {
		return nil, nil, FieldError{File: path, Msg: err.Error()}
	}
	if err := decodeStrict(path, data, &f); err != nil {
		return nil, nil, err
	}
	applyDefaults(cat, &f)
	c := &collector{file: path, cat: cat}
	stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	validateFile(c, &f, stem)
	if len(c.errs) > 0 {
		return nil, nil, c.errs
	}
	warnings := c.warns
	if f.AdminTeamClaim != "" && f.OIDCIdentityProvider == nil {
		warnings = append(warnings, Warning{File: path, Path: "admin_team_claim",
			Msg: "has no oidc_identity_provider to come through; the claim is not bound to cluster-admin until one is declared"})
	}
	warnings = append(warnings, chartWarnings(cat, path, &f)...)
	return resolve(cat, path, &f), warnings, nil
}

// checkFleet enforces the rules that span files.
func checkFleet(f *Fleet) Errors {
	var errs Errors
	roles := map[string]*Role{}
	type where struct{ file, path string }
	names := map[string]where{}
	for _, r := range f.Roles {
		if prev, dup := roles[r.Name]; dup {
			errs = append(errs, FieldError{File: r.File, Path: "role", Msg: fmt.Sprintf("%q is already declared by %s; each role has one file", r.Name, prev.File)})
		}
		roles[r.Name] = r
		for i, c := range r.Clusters {
			path := indexPath("clusters", i) + ".name"
			if prev, dup := names[strings.ToLower(c.Name)]; dup {
				errs = append(errs, FieldError{File: r.File, Path: path, Msg: duplicateClusterName(c.Name, describePath(prev.file, prev.path))})
				continue
			}
			names[strings.ToLower(c.Name)] = where{r.File, path}
		}
	}
	errs = append(errs, checkAccounts(f)...)
	return append(errs, checkDeployRoles(f)...)
}

// resolve merges role settings, cluster overrides and defaults into the
// clusters that components consume. It runs only on valid files.
func resolve(cat *catalog.Catalog, path string, f *File) *Role {
	role := &Role{
		Name:            f.Role,
		File:            path,
		Description:     f.Description,
		Wave:            *f.Wave,
		EKSVersion:      f.EKSVersion,
		Ephemeral:       *f.Ephemeral,
		Rollout:         resolveRollout(f.Rollout),
		ExtendedSupport: f.Support == SupportExtended,
		Accounts:        map[string]string{},
	}
	for id, a := range f.Accounts {
		role.Accounts[id] = a.SpotServiceLinkedRole
	}
	ng := f.ManagementNodeGroup
	addons := make([]Addon, 0, len(f.Addons))
	for _, name := range sortedKeys(f.Addons) {
		spec, _ := cat.Addon(name) // validated: every name is in the catalog
		addons = append(addons, Addon{Name: name, Version: f.Addons[name], Spec: spec})
	}
	logTypes := slices.Clone(catalog.ControlPlaneLogTypes)
	if f.ControlPlaneLogging != nil {
		logTypes = slices.DeleteFunc(logTypes, func(t string) bool { return slices.Contains(f.ControlPlaneLogging.Disabled, t) })
	}
	entries := make([]AccessEntry, 0, len(f.AccessEntries))
	for _, e := range f.AccessEntries {
		entries = append(entries, AccessEntry{
			Key:              accessEntryKey(e.PrincipalARN),
			PrincipalARN:     e.PrincipalARN,
			Policy:           e.Policy,
			Namespaces:       slices.Clone(e.Namespaces),
			KubernetesGroups: slices.Clone(e.KubernetesGroups),
		})
	}
	var oidc *OIDCProvider
	if p := f.OIDCIdentityProvider; p != nil {
		oidc = &OIDCProvider{
			Name: p.Name, IssuerURL: p.IssuerURL, ClientID: p.ClientID,
			UsernameClaim: p.UsernameClaim, GroupsClaim: p.GroupsClaim,
			UsernamePrefix: *p.UsernamePrefix, GroupsPrefix: *p.GroupsPrefix,
		}
	}
	layers := resolveLayers(cat, f)
	for _, cs := range f.Clusters {
		endpoint := f.EndpointAccess
		if cs.EndpointAccess != nil {
			endpoint = cs.EndpointAccess
		}
		var cidrs []string
		if endpoint != nil {
			cidrs = slices.Clone(endpoint.PublicCIDRs)
		}
		dep := f.Deployer
		if cs.Deployer != nil {
			dep = cs.Deployer
		}
		deployer := Deployer{Network: dep.Network, IngressSecurityGroupIDs: slices.Clone(dep.IngressSecurityGroupIDs),
			IngressCIDRs: slices.Clone(dep.IngressCIDRs), EgressCIDRs: slices.Clone(dep.EgressCIDRs)}
		for _, e := range deployer.EgressCIDRs {
			if !slices.Contains(cidrs, e) {
				cidrs = append(cidrs, e)
			}
		}
		tags := maps.Clone(f.Tags)
		if tags == nil {
			tags = map[string]string{}
		}
		maps.Copy(tags, cs.Tags)
		group := NodeGroup{
			InstanceTypes:  slices.Clone(ng.InstanceTypes),
			MinSize:        *ng.MinSize,
			DesiredSize:    *ng.DesiredSize,
			MaxSize:        *ng.MaxSize,
			AMIType:        ng.AMIType,
			Architecture:   catalog.AMITypes[ng.AMIType],
			ReleaseVersion: ng.ReleaseVersion,
			DiskSizeGiB:    *ng.DiskSizeGiB,
			CapacityType:   ng.CapacityType,
			Taint:          Taint{Key: ng.Taint.Key, Value: ng.Taint.Value, Effect: ng.Taint.Effect},
			Labels:         maps.Clone(ng.Labels),
			IMDSHopLimit:   *ng.IMDSHopLimit,
		}
		if o := cs.ManagementNodeGroup; o != nil {
			if o.MinSize != nil {
				group.MinSize = *o.MinSize
			}
			if o.DesiredSize != nil {
				group.DesiredSize = *o.DesiredSize
			}
			if o.MaxSize != nil {
				group.MaxSize = *o.MaxSize
			}
		}
		cluster := &Cluster{
			Name:              cs.Name,
			Role:              f.Role,
			File:              path,
			Wave:              *f.Wave,
			EKSVersion:        f.EKSVersion,
			Ephemeral:         *f.Ephemeral,
			AccountID:         cs.AccountID,
			Region:            cs.Region,
			Partition:         catalog.PartitionOf(cs.Region),
			DeployRoleARN:     cs.DeployRoleARN,
			VPC:               resolveVPC(cs.VPC),
			KMSKeyARN:         cs.KMSKeyARN,
			PublicAccessCIDRs: cidrs,
			Deployer:          deployer,
			LogTypes:          slices.Clone(logTypes),
			LogRetentionDays:  *f.ControlPlaneLogging.RetentionDays,
			NodeGroup:         group,
			Addons:            slices.Clone(addons),
			AccessEntries:     slices.Clone(entries),
			AdminTeamClaim:    f.AdminTeamClaim,
			OIDC:              oidc,
			Tags:              tags,
		}
		admin := f.ClusterAdmin
		if cs.ClusterAdmin != nil {
			admin = cs.ClusterAdmin
		}
		cluster.ClusterAdmin = ClusterAdmin{TrustedPrincipals: slices.Clone(admin.TrustedPrincipals), RoleARN: admin.RoleARN}
		layers.applyTo(cluster, f, &cs)
		cluster.Rollout = role.Rollout
		cluster.ExtendedSupport = role.ExtendedSupport
		role.Clusters = append(role.Clusters, cluster)
	}
	return role
}

func resolveVPC(v *VPCSpec) VPC {
	out := VPC{
		CIDR:             v.CIDR,
		ID:               v.ID,
		NATGateways:      v.NATGateways,
		PrivateSubnetIDs: slices.Clone(v.PrivateSubnetIDs),
		PublicSubnetIDs:  slices.Clone(v.PublicSubnetIDs),
	}
	if v.FlowLogRetentionDays != nil {
		out.FlowLogRetentionDays = *v.FlowLogRetentionDays
	}
	return out
}

// resolvedLayers are the layer settings shared by every cluster of a role.
type resolvedLayers struct {
	network   Network
	storage   Storage
	karpenter Karpenter
	operators Operators
	// observability is the role's baseline (Container Insights' addon is in the addons).
	observability Observability
	policy        Policy
	charts        map[string]catalog.Chart
	// accepted are the minors the role accepts each chart on outside its
	// supported range.
	accepted map[string][]string
	crds     map[string][]catalog.CRD
	image    string
}

func resolveLayers(cat *catalog.Catalog, f *File) resolvedLayers {
	n := f.Network
	var l resolvedLayers
	l.network = Network{
		LoadBalancerController: LoadBalancerController{
			Enabled:      *n.LoadBalancerController.Enabled,
			IngressClass: n.LoadBalancerController.IngressClass,
			IngressGroup: n.LoadBalancerController.IngressGroup,
			Scheme:       n.LoadBalancerController.Scheme,
		},
		ExternalDNS: ExternalDNS{Policy: n.ExternalDNS.Policy},
		CertManager: CertManager{Enabled: *n.CertManager.Enabled, ACMEEmail: n.CertManager.ACMEEmail, ACMEServer: n.CertManager.ACMEServer},
	}
	e := f.Storage.EFS
	l.storage = Storage{EFS: EFS{Enabled: *e.Enabled, TransitionToIADays: *e.TransitionToIADays, DirectoryPerms: e.DirectoryPerms, Backup: *e.Backup}}
	k := f.Karpenter
	l.karpenter = Karpenter{RunOn: k.RunOn, AMIAlias: k.AMIAlias, NodeVolumeSizeGiB: *k.NodeVolumeSizeGiB}
	for _, name := range []string{"arm", "amd"} {
		p := k.NodePools[name]
		l.karpenter.NodePools = append(l.karpenter.NodePools, NodePool{
			Name:                  name,
			Architecture:          KarpenterNodePools[name],
			CapacityTypes:         slices.Clone(p.CapacityTypes),
			InstanceCategories:    slices.Clone(p.InstanceCategories),
			MinInstanceGeneration: *p.MinInstanceGeneration,
			CPULimit:              *p.CPULimit,
			MemoryLimitGiB:        *p.MemoryLimitGiB,
			ConsolidationPolicy:   p.ConsolidationPolicy,
			ConsolidateAfter:      p.ConsolidateAfter,
			ExpireAfter:           p.ExpireAfter,
		})
	}
	o := f.Operators
	l.operators = Operators{
		PlatformNamespace: o.PlatformNamespace,
		MetricsServer:     *o.MetricsServer.Enabled,
		Reloader:          *o.Reloader.Enabled,
		ExternalSecrets:   ExternalSecrets{Enabled: *o.ExternalSecrets.Enabled, SSMPathPrefix: o.ExternalSecrets.SSMPathPrefix},
		FluentBit:         FluentBit{Enabled: *o.FluentBit.Enabled, RetentionDays: *o.FluentBit.LogRetentionDays},
	}
	ob := f.Observability
	l.observability = Observability{
		ContainerInsights: *ob.ContainerInsights,
		Prometheus:        Prometheus{Enabled: *ob.Prometheus.Enabled, RetentionDays: *ob.Prometheus.RetentionDays},
	}
	pol := f.Policy
	l.policy = Policy{Enabled: *pol.Enabled, Mode: pol.Mode, Disabled: slices.Clone(pol.Disabled),
		ExemptNamespaces: slices.Clone(pol.ExemptNamespaces), Exceptions: map[string][]string{}}
	for id, ns := range pol.Exceptions {
		l.policy.Exceptions[id] = slices.Clone(ns)
	}
	l.charts = cat.DefaultCharts()
	l.accepted = map[string][]string{}
	for name, over := range f.Charts {
		ch := l.charts[name]
		if over.Version != "" {
			ch = ch.WithVersion(over.Version)
		}
		if over.Repository != "" {
			ch.Repository = over.Repository
		}
		if over.Chart != "" {
			ch.Chart = over.Chart
		}
		l.charts[name] = ch
		if len(over.AcceptUnsupportedKubernetes) > 0 {
			l.accepted[name] = slices.Clone(over.AcceptUnsupportedKubernetes)
		}
	}
	l.crds = map[string][]catalog.CRD{}
	for name, ch := range l.charts {
		if ch.CRDs != catalog.CRDsFromProgram {
			continue
		}
		// A missing file is a validation error (charts.<name>.version).
		if crds, err := cat.CRDs(ch); err == nil {
			l.crds[name] = crds
		}
	}
	l.image = cat.Image("echo-server")
	return l
}

// applyTo copies the role's layer settings into one cluster, with the
// cluster's own DNS and name filled in.
func (l resolvedLayers) applyTo(c *Cluster, f *File, cs *ClusterSpec) {
	dns := f.DNS
	if cs.DNS != nil {
		dns = cs.DNS
	}
	if dns != nil {
		c.DNS = DNS{HostedZoneIDs: slices.Clone(dns.HostedZoneIDs), DomainFilters: slices.Clone(dns.DomainFilters)}
	}
	c.Network = l.network
	c.Network.ExternalDNS.Enabled = clusterDefaultsOn(f.Network.ExternalDNS.Enabled,
		len(c.DNS.HostedZoneIDs) > 0 && len(c.DNS.DomainFilters) > 0)
	c.Storage = l.storage
	c.Karpenter = l.karpenter
	c.Karpenter.NodePools = slices.Clone(l.karpenter.NodePools)
	c.Operators = l.operators
	c.Operators.EchoServer = clusterDefaultsOn(f.Operators.EchoServer.Enabled,
		len(c.DNS.DomainFilters) > 0 && c.Network.LoadBalancerController.Enabled)
	c.Operators.ExternalSecrets.SSMPathPrefix = strings.ReplaceAll(l.operators.ExternalSecrets.SSMPathPrefix, "{cluster}", c.Name)
	if c.Operators.FluentBit.Enabled {
		c.Operators.FluentBit.LogGroup = PodLogGroup(c.Name)
	}
	c.Observability = l.observability
	c.Policy = l.policy
	c.Policy.Disabled = slices.Clone(l.policy.Disabled)
	c.Policy.ExemptNamespaces = slices.Clone(l.policy.ExemptNamespaces)
	c.Policy.Exceptions = make(map[string][]string, len(l.policy.Exceptions))
	for id, ns := range l.policy.Exceptions {
		c.Policy.Exceptions[id] = slices.Clone(ns)
	}
	c.Charts = maps.Clone(l.charts)
	c.ChartsAcceptedOn = maps.Clone(l.accepted)
	c.ChartCRDs = maps.Clone(l.crds)
	c.EchoServerImage = l.image
}

func resolveRollout(r *RolloutSpec) Rollout {
	out := Rollout{Canary: *r.Canary, Parallel: *r.Parallel, EchoCheck: *r.EchoCheck}
	out.GateTimeout, _ = time.ParseDuration(r.GateTimeout)
	if r.Bake != "" {
		out.Bake, _ = time.ParseDuration(r.Bake)
		out.BakeSet = true
	}
	return out
}
