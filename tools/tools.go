//go:build tools

// Package tools pins the Pulumi CLI that `make setup` builds into bin/pulumi.
// It lives in its own module so that the CLI's large dependency graph never
// leaks into the program's go.mod.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
