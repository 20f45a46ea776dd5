//go:build ignore

// gen writes schema-embed.json (the schema with its top-level "version" set
// to $VERSION, compact) and terraform-mapping-embed.json (compact) from the
// files in the provider module's cmd/pulumi-resource-kubernetes directory,
// given as the first argument.
package main

import (
	"encoding/json"
	"log"
	"os"
	"path/filepath"
)

func compact(src, dst string, edit func(map[string]any)) {
	b, err := os.ReadFile(src)
	if err != nil {
		log.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		log.Fatalf("%s: %v", src, err)
	}
	if edit != nil {
		edit(v)
	}
	out, err := json.Marshal(v)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(dst, out, 0o644); err != nil {
		log.Fatal(err)
	}
}

func main() {
	version := os.Getenv("VERSION")
	if len(os.Args) != 2 || version == "" {
		log.Fatal("usage: VERSION=x.y.z go run gen.go PROVIDER_CMD_DIR")
	}
	dir := os.Args[1]
	compact(filepath.Join(dir, "schema.json"), "schema-embed.json", func(m map[string]any) { m["version"] = version })
	compact(filepath.Join(dir, "terraform-mapping.json"), "terraform-mapping-embed.json", nil)
}
