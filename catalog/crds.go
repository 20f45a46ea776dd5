package catalog

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// CRDsFromProgram marks a chart whose CustomResourceDefinitions sit in its
// crds/ directory, which Helm installs once and never upgrades: the program
// applies them itself (server-side, kept on delete) and installs the chart
// with skipCrds, so a chart bump brings its new CRD versions.
const CRDsFromProgram = "program"

// CRDsDir holds, under DataDir, the CRDs of each such chart version.
const CRDsDir = "crds"

// CRDsFile is the data file of a chart version's CRDs: crds/<chart>-<version>.yaml.
func CRDsFile(ch Chart) string { return CRDsDir + "/" + ch.Chart + "-" + ch.Version + ".yaml" }

// CRD is one CustomResourceDefinition, as plain data.
type CRD struct {
	Name   string
	Object map[string]any
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

// ParseCRDs reads a multi-document YAML file of CustomResourceDefinitions
// (apiextensions.k8s.io/v1), sorted by name; anything else is an error.
func ParseCRDs(file string, data []byte) ([]CRD, error) {
	var out []CRD
	for i, doc := range docSeparator.Split(string(data), -1) {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i+1, err)
		}
		meta, _ := obj["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		if obj["apiVersion"] != "apiextensions.k8s.io/v1" || obj["kind"] != "CustomResourceDefinition" || name == "" {
			return nil, fmt.Errorf("%s: document %d is %v %v %q, not an apiextensions.k8s.io/v1 CustomResourceDefinition with a name", file, i+1, obj["apiVersion"], obj["kind"], name)
		}
		out = append(out, CRD{Name: name, Object: obj})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no CustomResourceDefinition", file)
	}
	slices.SortFunc(out, func(a, b CRD) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(out); i++ {
		if out[i].Name == out[i-1].Name {
			return nil, fmt.Errorf("%s: %s is defined twice", file, out[i].Name)
		}
	}
	return out, nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// CRDs are the CustomResourceDefinitions the program applies for a chart
// version whose CRDs it owns (Chart.CRDs is CRDsFromProgram).
func (c *Catalog) CRDs(ch Chart) ([]CRD, error) {
	file := CRDsFile(ch)
	data, ok := c.crds[file]
	if !ok {
		return nil, fmt.Errorf("%s/%s: missing: %s %s keeps its CRDs in crds/, which Helm never upgrades, so the program applies them from this file; `eksplatform catalog refresh` writes it", DataDir, file, ch.Chart, ch.Version)
	}
	return ParseCRDs(file, data)
}

// HasCRDs says whether the catalog holds the CRDs of a chart version.
func (c *Catalog) HasCRDs(ch Chart) bool { _, ok := c.crds[CRDsFile(ch)]; return ok }

// SetCRDs records a chart version's CRDs (the file's bytes, checked).
func (c *Catalog) SetCRDs(ch Chart, data []byte) error {
	if _, err := ParseCRDs(CRDsFile(ch), data); err != nil {
		return err
	}
	if c.crds == nil {
		c.crds = map[string][]byte{}
	}
	c.crds[CRDsFile(ch)] = bytes.Clone(data)
	return nil
}

// CRDFiles are the CRD data files, by name under DataDir (crds/<chart>-<version>.yaml).
func (c *Catalog) CRDFiles() map[string][]byte {
	out := map[string][]byte{}
	for k, v := range c.crds {
		out[k] = bytes.Clone(v)
	}
	return out
}
