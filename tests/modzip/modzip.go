// Package modzip reads the files of a Go module version through the module
// cache, for the tests that check the program against upstream files at
// their pinned versions (guardrails, the box's karpenter-crd chart).
package modzip

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
)

// FS is the content of module@version, downloaded (and verified against the
// checksum database) if needed. It runs outside any module, so nothing is
// added to a go.mod. The zip is read directly: a module may ask for a newer
// Go than the one here, which stops `go mod download` from unpacking it but
// not from fetching and verifying it.
func FS(ctx context.Context, module, version string) (fs.FS, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = os.TempDir()
	out, _ := cmd.Output()
	var dl struct{ Zip, Sum, Error string }
	if err := json.Unmarshal(out, &dl); err != nil {
		return nil, fmt.Errorf("go mod download %s@%s: %s", module, version, out)
	}
	if dl.Zip == "" || dl.Sum == "" {
		return nil, fmt.Errorf("go mod download %s@%s: %s", module, version, dl.Error)
	}
	zr, err := zip.OpenReader(dl.Zip)
	if err != nil {
		return nil, err
	}
	return fs.Sub(zr, module+"@"+version)
}
