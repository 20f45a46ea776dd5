// Command pulumi-resource-kubernetes is the real pulumi-kubernetes provider,
// built for the cluster-in-a-box tests (tests/box). Upstream's main embeds two
// files that its module zip lacks; gen.go makes them from the zip's own
// schema.json and terraform-mapping.json, as upstream's generate.go does.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var schema []byte

//go:embed terraform-mapping-embed.json
var mapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, schema, mapping)
}
