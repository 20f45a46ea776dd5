package environments

import (
	"fmt"
	"sort"
	"strings"

	"github.com/eksplatform/eksplatform/catalog"
)

// FieldError is one problem found in one environment file: the file, the JSON
// path inside it and what is wrong with what is there.
type FieldError struct {
	File string // path of the file as given to Load, e.g. "environments/prod.json"
	Path string // JSON path, e.g. "clusters[1].account_id"; empty for whole-file problems
	Msg  string // what is wrong and what is allowed
}

func (e FieldError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.File, e.Path, e.Msg)
}

// Errors is every problem found while loading a fleet. Load returns all of
// them at once so that one run of `validate` shows everything to fix.
type Errors []FieldError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sorted orders errors by file and then keeps the order in which they were
// found, which follows the order of the fields in the file.
func (es Errors) sorted() Errors {
	out := append(Errors(nil), es...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

// collector gathers errors for one file.
type collector struct {
	file  string
	errs  Errors
	warns []Warning
	// cat holds the facts the file is checked against.
	cat *catalog.Catalog
}

func (c *collector) warn(path, format string, args ...any) {
	c.warns = append(c.warns, Warning{File: c.file, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (c *collector) add(path, format string, args ...any) {
	c.errs = append(c.errs, FieldError{File: c.file, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Warning is a problem that does not stop a load but that a reviewer should
// see, e.g. a claim that has nothing to bind it yet.
type Warning = FieldError

// joinPath builds JSON paths the way the errors print them.
func joinPath(parent, field string) string {
	if parent == "" {
		return field
	}
	return parent + "." + field
}

func indexPath(parent string, i int) string { return fmt.Sprintf("%s[%d]", parent, i) }

// keyPath addresses a map entry; keys that would be ambiguous after a dot are quoted.
func keyPath(parent, key string) string {
	if key == "" || strings.ContainsAny(key, ".[]\" ") {
		return fmt.Sprintf("%s[%q]", parent, key)
	}
	return joinPath(parent, key)
}
