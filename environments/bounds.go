package environments

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Limits on what the loader reads: an environment file is a few kilobytes
// and a few levels deep; anything far beyond is a mistake or an attack, and
// is refused before it is decoded (a deeply nested file would otherwise
// cost the decoder time and memory quadratic in its depth).
const (
	// MaxFileSize is the largest environment file read, in bytes.
	MaxFileSize = 1 << 20
	// MaxDepth is the deepest nesting of objects and arrays accepted.
	MaxDepth = 32
)

// readBounded reads a regular file of at most MaxFileSize bytes. FIFOs,
// devices and sockets (also behind a symlink) are refused: reading them
// would block or never end.
func readBounded(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("is not a regular file (%s); environment files must be plain files", fileKind(st.Mode()))
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("is %d bytes; environment files are at most %d bytes", st.Size(), MaxFileSize)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("grew past %d bytes while being read; environment files are at most %d bytes", MaxFileSize, MaxFileSize)
	}
	return data, nil
}

func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeDevice != 0 || m&os.ModeCharDevice != 0:
		return "a device"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return m.Type().String()
}

// checkDepth refuses data nested deeper than MaxDepth, and more than
// MaxFileSize bytes, without decoding it.
func checkDepth(data []byte) error {
	if len(data) > MaxFileSize {
		return fmt.Errorf("is %d bytes; environment files are at most %d bytes", len(data), MaxFileSize)
	}
	depth, inString, escaped := 0, false, false
	for i, b := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			depth++
			if depth > MaxDepth {
				return fmt.Errorf("nests objects and arrays deeper than %d levels (at byte %d); environment files are a few levels deep", MaxDepth, i)
			}
		case b == '}' || b == ']':
			depth--
		}
	}
	return nil
}

// skippedFiles warns about entries of dir that look like environment files
// but are not read (only <role>.json is): sandbox.JSON, prod.json.bak,
// nonprod.yaml.
func skippedFiles(dir string, entries []os.DirEntry) []Warning {
	var out []Warning
	for _, e := range entries {
		name := e.Name()
		lower := strings.ToLower(name)
		if e.IsDir() || strings.HasPrefix(name, ".") || filepath.Ext(name) == ".json" {
			continue
		}
		if strings.Contains(lower, ".json") || strings.HasSuffix(lower, ".yaml") || strings.HasSuffix(lower, ".yml") {
			out = append(out, Warning{File: filepath.Join(dir, name),
				Msg: "is not read: environment files are <role>.json (lower-case .json); rename it to load its role, or move it out of " + dir})
		}
	}
	return out
}
