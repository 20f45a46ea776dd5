// Package catalog owns every fact eksplatform holds about the world outside
// the repository, and the version logic over those facts: the EKS release
// calendar, the EKS managed addons (what they need and which versions EKS
// offers per Kubernetes minor), the karpenter releases that support each
// minor, the pinned Helm charts with the Kubernetes minors each supports,
// and the AWS reference values the loader checks against.
//
// The facts are data files under data/, embedded at build time. Each file
// records where its facts come from and the day they were last checked;
// `eksplatform catalog refresh` rebuilds them from the APIs that publish
// them (catalog/refresh) and writes them back in the canonical form Marshal
// produces. This package imports no Pulumi and no AWS SDK: environments,
// components and automation/upgrade all read the same facts from here.
package catalog

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
)

// The data files, by name; `catalog refresh` writes exactly these.
const (
	FileReleases  = "eks-releases.json"
	FileAddons    = "addons.json"
	FileKarpenter = "karpenter.json"
	FileCharts    = "charts.json"
)

// Files lists the data files in the order they are read and written.
var Files = []string{FileReleases, FileAddons, FileKarpenter, FileCharts}

// DataDir is where the data files live in the repository, relative to its
// root: where `catalog refresh` writes by default.
const DataDir = "catalog/data"

// Provenance says where a file's facts come from and when they were last
// checked against that source.
type Provenance struct {
	Source  string `json:"source"`
	Checked Date   `json:"checked"`
}

// Catalog is the whole set of facts. Build one with Default (the embedded
// files), Load (a directory) or Parse; treat it as read-only once built.
type Catalog struct {
	Calendar  Calendar
	Addons    AddonTable
	Karpenter KarpenterSupport
	Charts    ChartTable
	// crds are the CRD files of the charts whose CRDs the program applies,
	// by name under DataDir (crds/<chart>-<version>.yaml).
	crds map[string][]byte
}

//go:embed data/eks-releases.json
var releasesJSON []byte

//go:embed data/addons.json
var addonsJSON []byte

//go:embed data/karpenter.json
var karpenterJSON []byte

//go:embed data/charts.json
var chartsJSON []byte

//go:embed data/crds/*.yaml
var crdFiles embed.FS

// Embedded returns the data files built into the binary, by file name.
func Embedded() map[string][]byte {
	out := map[string][]byte{
		FileReleases:  bytes.Clone(releasesJSON),
		FileAddons:    bytes.Clone(addonsJSON),
		FileKarpenter: bytes.Clone(karpenterJSON),
		FileCharts:    bytes.Clone(chartsJSON),
	}
	entries, _ := fs.ReadDir(crdFiles, "data/"+CRDsDir)
	for _, e := range entries {
		b, _ := fs.ReadFile(crdFiles, "data/"+CRDsDir+"/"+e.Name())
		out[CRDsDir+"/"+e.Name()] = b
	}
	return out
}

var defaultCatalog = sync.OnceValue(func() *Catalog {
	c, err := Parse(Embedded())
	if err != nil {
		// The embedded files are checked by the package's tests; a binary
		// built from files that do not parse must not run at all.
		panic("catalog: the embedded data files are invalid: " + err.Error())
	}
	return c
})

// Default is the catalog built into the binary.
func Default() *Catalog { return defaultCatalog() }

// Load reads the data files of a directory (catalog/data).
func Load(dir string) (*Catalog, error) {
	files := map[string][]byte{}
	for _, name := range Files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		files[name] = b
	}
	crdPaths, _ := filepath.Glob(filepath.Join(dir, CRDsDir, "*.yaml"))
	for _, path := range crdPaths {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		files[CRDsDir+"/"+filepath.Base(path)] = b
	}
	return Parse(files)
}

// Parse builds a catalog from the contents of the data files, by file name.
// Unknown fields are errors; every problem of every file is reported.
func Parse(files map[string][]byte) (*Catalog, error) {
	c := &Catalog{}
	var errs []error
	targets := map[string]any{FileReleases: &c.Calendar, FileAddons: &c.Addons, FileKarpenter: &c.Karpenter, FileCharts: &c.Charts}
	for _, name := range Files {
		data, ok := files[name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: missing", name))
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(targets[name]); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	for name, data := range files {
		if !strings.HasPrefix(name, CRDsDir+"/") {
			continue
		}
		if _, err := ParseCRDs(name, data); err != nil {
			errs = append(errs, err)
			continue
		}
		if c.crds == nil {
			c.crds = map[string][]byte{}
		}
		c.crds[name] = bytes.Clone(data)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, p := range c.problems() {
		errs = append(errs, errors.New(p))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// problems are the inconsistencies of a decoded catalog, each naming its
// file and entry.
func (c *Catalog) problems() []string {
	var out []string
	add := func(file, format string, args ...any) { out = append(out, file+": "+fmt.Sprintf(format, args...)) }
	for name, p := range map[string]Provenance{FileReleases: c.Calendar.Provenance, FileAddons: c.Addons.Provenance,
		FileKarpenter: c.Karpenter.Provenance, FileCharts: c.Charts.Provenance} {
		if p.Source == "" || p.Checked.IsZero() {
			add(name, "source and checked are required: say where the facts come from and when they were last checked")
		}
	}
	seen := map[string]bool{}
	for i, r := range c.Calendar.Releases {
		if _, _, ok := ParseMinor(r.Version); !ok {
			add(FileReleases, "releases[%d].version: %q is not a Kubernetes minor like \"1.36\"", i, r.Version)
		}
		if seen[r.Version] {
			add(FileReleases, "releases[%d]: %s is listed twice", i, r.Version)
		}
		seen[r.Version] = true
		if r.Released.IsZero() || r.EndOfStandard.IsZero() || r.EndOfExtended.IsZero() ||
			!r.Released.Before(r.EndOfStandard.Time) || !r.EndOfStandard.Before(r.EndOfExtended.Time) {
			add(FileReleases, "%s: needs released < end_of_standard < end_of_extended", r.Version)
		}
		if i > 0 && CompareMinors(c.Calendar.Releases[i-1].Version, r.Version) >= 0 {
			add(FileReleases, "releases must be ordered oldest first: %s after %s", r.Version, c.Calendar.Releases[i-1].Version)
		}
	}
	names := map[string]bool{}
	for i, a := range c.Addons.Addons {
		where := fmt.Sprintf("addons[%d] (%s)", i, a.Name)
		if a.Name == "" || names[a.Name] {
			add(FileAddons, "%s: names must be unique and set", where)
		}
		names[a.Name] = true
		if a.Kind != AddonBase && a.Kind != AddonOptional {
			add(FileAddons, "%s.kind: %q; allowed: %s, %s", where, a.Kind, AddonBase, AddonOptional)
		}
		if a.Install != BeforeNodes && a.Install != AfterNodes {
			add(FileAddons, "%s.install: %q; allowed: %s, %s", where, a.Install, BeforeNodes, AfterNodes)
		}
		if a.IRSA != nil && (len(a.IRSA.ServiceAccounts) == 0 || a.IRSA.ManagedPolicy == "") {
			add(FileAddons, "%s.irsa: needs service_accounts and managed_policy", where)
		}
		for _, minor := range sortedKeys(a.Versions) {
			v := a.Versions[minor]
			if _, _, ok := ParseMinor(minor); !ok {
				add(FileAddons, "%s.versions: %q is not a Kubernetes minor", where, minor)
			}
			if v.Latest == "" || v.Default == "" || v.Min == "" ||
				CompareVersions(v.Min, v.Default) > 0 || CompareVersions(v.Default, v.Latest) > 0 {
				add(FileAddons, "%s.versions[%s]: needs min <= default <= latest, got %s, %s, %s", where, minor, v.Min, v.Default, v.Latest)
			}
		}
	}
	for _, minor := range c.Addons.Estimated {
		if _, _, ok := ParseMinor(minor); !ok {
			add(FileAddons, "estimated: %q is not a Kubernetes minor", minor)
		}
	}
	for _, minor := range sortedKeys(c.Karpenter.Minimum) {
		if _, _, ok := ParseMinor(minor); !ok {
			add(FileKarpenter, "minimum_karpenter: %q is not a Kubernetes minor", minor)
		}
	}
	for _, name := range sortedKeys(c.Charts.Charts) {
		ch := c.Charts.Charts[name]
		if ch.Repository == "" || ch.Chart == "" || ch.Version == "" {
			add(FileCharts, "charts.%s: repository, chart and version are required", name)
		}
		if !strings.HasPrefix(ch.Repository, "https://") && !strings.HasPrefix(ch.Repository, "oci://") {
			add(FileCharts, "charts.%s.repository: %q must be an https:// or oci:// repository", name, ch.Repository)
		}
		k := ch.Kubernetes
		if k.For != "" {
			if _, _, ok := ParseMinor(k.Min); !ok {
				add(FileCharts, "charts.%s.kubernetes.min: %q is not a Kubernetes minor", name, k.Min)
			}
			if _, _, ok := ParseMinor(k.Max); !ok {
				add(FileCharts, "charts.%s.kubernetes.max: %q is not a Kubernetes minor", name, k.Max)
			}
			if CompareMinors(k.Min, k.Max) > 0 {
				add(FileCharts, "charts.%s.kubernetes: min %s is after max %s", name, k.Min, k.Max)
			}
			if k.Source == "" {
				add(FileCharts, "charts.%s.kubernetes.source: say where the supported range comes from", name)
			}
		}
		if m := ch.Matrix; m != nil {
			if m.Source == "" {
				add(FileCharts, "charts.%s.matrix.source: say where the support matrix comes from", name)
			}
			for _, line := range sortedKeys(m.Lines) {
				if r := m.Lines[line]; CompareMinors(r.Min, r.Max) > 0 {
					add(FileCharts, "charts.%s.matrix.lines[%s]: min %s is after max %s", name, line, r.Min, r.Max)
				}
			}
		}
		switch ch.CRDs {
		case "":
		case CRDsFromProgram:
			if !c.HasCRDs(ch) {
				add(FileCharts, "charts.%s.crds: the program applies the CRDs of %s %s from %s/%s, which is missing (`eksplatform catalog refresh` writes it)", name, ch.Chart, ch.Version, DataDir, CRDsFile(ch))
			}
		default:
			add(FileCharts, "charts.%s.crds: %q is not allowed; \"%s\" (the program applies the chart's crds/) or leave it out (the chart installs its own)", name, ch.CRDs, CRDsFromProgram)
		}
	}
	sort.Strings(out)
	return out
}

// Marshal writes the catalog back as its data files, in the canonical form:
// fixed field order, sorted map keys, two-space indentation, a final
// newline. The same catalog always gives the same bytes.
func (c *Catalog) Marshal() (map[string][]byte, error) {
	out := map[string][]byte{}
	for name, v := range map[string]any{FileReleases: c.Calendar, FileAddons: c.Addons, FileKarpenter: c.Karpenter, FileCharts: c.Charts} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = buf.Bytes()
	}
	return out, nil
}

// Write writes the data files into dir, each through a temporary file and a
// rename, and returns the names of the files whose bytes changed. Nothing is
// written when the catalog does not marshal.
func (c *Catalog) Write(dir string) ([]string, error) {
	files, err := c.Marshal()
	if err != nil {
		return nil, err
	}
	names := slices.Clone(Files)
	for name, data := range c.crds {
		files[name] = data
		names = append(names, name)
	}
	slices.Sort(names[len(Files):])
	if len(c.crds) > 0 {
		if err := os.MkdirAll(filepath.Join(dir, CRDsDir), 0o755); err != nil {
			return nil, err
		}
	}
	var changed []string
	for _, name := range names {
		path := filepath.Join(dir, name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, files[name]) {
			continue
		}
		tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(name)+".*")
		if err != nil {
			return changed, err
		}
		_, werr := tmp.Write(files[name])
		cerr := tmp.Close()
		if err := errors.Join(werr, cerr); err != nil {
			_ = os.Remove(tmp.Name())
			return changed, err
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			_ = os.Remove(tmp.Name())
			return changed, err
		}
		changed = append(changed, name)
	}
	return changed, nil
}

// Clone is a deep copy, for building a changed catalog without touching this one.
func (c *Catalog) Clone() *Catalog {
	files, err := c.Marshal()
	if err != nil {
		panic(err) // plain data only
	}
	for name, data := range c.crds {
		files[name] = data
	}
	out, err := Parse(files)
	if err != nil {
		panic(err) // it parsed before
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := CompareMinors(a, b); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return keys
}
