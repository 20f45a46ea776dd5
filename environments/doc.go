// Package environments loads the fleet: one <role>.json per cluster role.
//
// Loading is strict decoding (unknown fields and duplicate keys are errors,
// each with its JSON path), then defaults (defaults.go, the one place they
// live), then validation that returns every error at once, each naming the
// file, the path and what is allowed. The result is a Fleet of fully resolved
// clusters; nothing downstream reads the raw files.
package environments
