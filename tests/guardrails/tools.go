//go:build tools

// This file only pins, in go.mod, the karpenter modules whose CRDs the
// schema tests read from the module cache (see crdschema_test.go). It is
// never compiled: importing these packages would pull controller-runtime
// and client-go into the test binary for two YAML files.
package guardrails

import (
	_ "github.com/aws/karpenter-provider-aws/pkg/apis"
	_ "sigs.k8s.io/karpenter/pkg/apis"
)
