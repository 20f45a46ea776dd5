package automation

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Objects keeps small documents by key beside the state: the wave records
// of rollouts that run as one CI job per wave. Keys are slash-separated
// paths.
type Objects interface {
	// Put stores body at key, replacing what was there. A reader sees either
	// the old document or the new one, never part of one.
	Put(ctx context.Context, key string, body []byte) error
	// Get returns the document at key, or an error wrapping ErrNoObject.
	Get(ctx context.Context, key string) ([]byte, error)
	// String names the store for messages.
	String() string
}

// ErrNoObject means nothing is stored at a key.
var ErrNoObject = errors.New("no such object")

// ObjectsDir is the folder, beside Pulumi's own .pulumi, that holds
// eksplatform's documents in a DIY backend.
const ObjectsDir = ".eksplatform"

// FileObjects keeps documents as files under Dir.
type FileObjects struct{ Dir string }

func (f FileObjects) path(key string) (string, error) {
	clean := path.Clean("/" + key)[1:]
	if clean == "" || clean != key {
		return "", fmt.Errorf("object key %q is not a clean relative path", key)
	}
	return filepath.Join(f.Dir, filepath.FromSlash(key)), nil
}

// Put writes key's file through a temporary file and a rename.
func (f FileObjects) Put(_ context.Context, key string, body []byte) error {
	p, err := f.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	if _, err := tmp.Write(body); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// Get reads key's file.
func (f FileObjects) Get(_ context.Context, key string) ([]byte, error) {
	p, err := f.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", p, ErrNoObject)
	}
	return b, err
}

func (f FileObjects) String() string { return "file://" + f.Dir }

// ObjectsFor opens the document store of a backend URL: the folder
// .eksplatform beside .pulumi in a file:// or s3:// backend. Pulumi Cloud
// keeps no documents of ours, so a run that needs them there is told to
// name an S3 or file location. It does not contact AWS.
func ObjectsFor(ctx context.Context, backendURL string) (Objects, error) {
	switch {
	case strings.HasPrefix(backendURL, "file://"):
		dir := strings.TrimPrefix(backendURL, "file://")
		if dir == "" {
			return nil, fmt.Errorf("backend %q: the directory is missing", backendURL)
		}
		return FileObjects{Dir: filepath.Join(dir, ObjectsDir)}, nil
	case strings.HasPrefix(backendURL, "s3://"):
		return OpenS3Objects(ctx, backendURL, ObjectsDir)
	default:
		u, _ := url.Parse(backendURL)
		scheme := backendURL
		if u != nil && u.Scheme != "" {
			scheme = u.Scheme + "://"
		}
		return nil, fmt.Errorf("the wave records live beside the state in a file:// or s3:// backend, and %s is neither: "+
			"pass --wave-records s3://BUCKET/PREFIX?region=REGION (or file://DIR) to keep them there", scheme)
	}
}
