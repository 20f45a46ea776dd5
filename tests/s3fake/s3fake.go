// Package s3fake serves an S3 implementation nobody here wrote (gofakes3,
// in memory) on loopback for tests: the shared state of teams whose CI
// jobs run on other machines.
package s3fake

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"
)

// Bucket is the one bucket a Server holds.
const Bucket = "fleet-state"

// Server is a running S3 endpoint.
type Server struct {
	mem *s3mem.Backend
	// URL is the s3:// backend URL of Bucket under Prefix, with the
	// endpoint and path-style addressing the SDKs need to reach it.
	URL    string
	Prefix string
	// Env is what every process that talks to it gets: static keys, a
	// region, and no shared AWS config or instance metadata of this machine.
	Env map[string]string

	mu       sync.Mutex
	requests map[string]int
}

// Start serves a new in-memory S3 until the test ends.
func Start(t testing.TB, prefix string) *Server {
	t.Helper()
	s := &Server{mem: s3mem.New(), requests: map[string]int{}, Prefix: prefix}
	require.NoError(t, s.mem.CreateBucket(Bucket))
	handler := gofakes3.New(s.mem, gofakes3.WithoutVersioning()).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests[r.Method]++
		s.mu.Unlock()
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	s.Env = map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIATESTS3FAKE", "AWS_SECRET_ACCESS_KEY": "s3fake-secret", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true",
	}
	s.URL = "s3://" + Bucket + "/" + prefix + "?region=us-east-1&use_path_style=true&endpoint=" + srv.URL
	return s
}

// Keys lists the bucket's keys under Prefix/sub, in order.
func (s *Server) Keys(t testing.TB, sub string) []string {
	t.Helper()
	p := gofakes3.NewFolderPrefix(s.Prefix + "/" + sub)
	p.HasDelimiter = false
	list, err := s.mem.ListBucket(Bucket, &p, gofakes3.ListBucketPage{})
	require.NoError(t, err)
	var out []string
	for _, o := range list.Contents {
		out = append(out, strings.TrimPrefix(o.Key, s.Prefix+"/"))
	}
	return out
}

// Object returns the object at Prefix/key.
func (s *Server) Object(t testing.TB, key string) string {
	t.Helper()
	o, err := s.mem.GetObject(Bucket, s.Prefix+"/"+key, nil)
	require.NoError(t, err)
	defer o.Contents.Close()
	b, err := io.ReadAll(o.Contents)
	require.NoError(t, err)
	return string(b)
}

// Requests counts the requests of an HTTP method served so far.
func (s *Server) Requests(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[method]
}

// Checkpoints keeps the stack files of Pulumi's DIY backend among keys,
// not their .bak copies.
func Checkpoints(keys []string) []string {
	var out []string
	for _, k := range keys {
		if strings.HasSuffix(k, ".json") {
			out = append(out, k)
		}
	}
	return out
}
