// Package automation is the driver: it turns the fleet into waves and runs
// preview, up, refresh or destroy on each cluster's stack through the Pulumi
// Automation API, clusters of a wave in parallel, with a health gate and a
// bake time between waves, stopping at the first failed wave.
//
// The driver depends on a small Stack interface (stack.go); PulumiBackend
// (pulumi.go) implements it over auto.Stack, and the tests implement it with
// a recording fake. The program a stack runs is injected, so this package
// never links the cloud providers' SDKs.
package automation
