// Command standin is the stand-in for the aws and eks provider plugins that
// the real Pulumi engine runs in the cluster-in-a-box tests (tests/box) and
// `make demo`. One binary, installed twice: as pulumi-resource-aws it
// creates, updates, reads and deletes AWS resources, and as
// pulumi-resource-eks it constructs pulumi-eks's Cluster component. Either
// way it answers from internal/awsanswers, the table the mock engine uses,
// keeps no state of its own (the engine's state is the only store) and
// reports a replacement for the properties AWS cannot change in place.
//
// The version it reports is stamped at build time, per name, with
// -X main.awsVersion=... -X main.eksVersion=... (the versions the program's
// SDKs ask for).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

var (
	awsVersion = "0.0.0"
	eksVersion = "0.0.0"
)

func main() {
	name := strings.TrimPrefix(filepath.Base(os.Args[0]), "pulumi-resource-")
	var err error
	switch name {
	case "aws":
		err = provider.Main("aws", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
			return &awsProvider{version: awsVersion}, nil
		})
	case "eks":
		err = provider.Main("eks", func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
			return &eksProvider{version: eksVersion, host: host}, nil
		})
	default:
		err = fmt.Errorf("installed as %q: this binary is pulumi-resource-aws or pulumi-resource-eks", filepath.Base(os.Args[0]))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "standin:", err)
		os.Exit(1)
	}
}

// TraceEnv names a file the aws stand-in appends one line per Diff call
// to: how to see what the engine compared when a box test fails.
const TraceEnv = "EKSPLATFORM_STANDIN_TRACE"

func trace(format string, args ...any) {
	path := os.Getenv(TraceEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, format+"\n", args...)
}
