package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// FileStore keeps records in a JSON Lines file, one record a line. Appends
// hold an exclusive flock(2) and write each line in one write(2) call, so
// concurrent writers, in one process or many, never interleave lines.
type FileStore struct {
	path string
}

// NewFileStore returns a FileStore writing to path. Nothing is created until
// the first Append.
func NewFileStore(path string) *FileStore {
	return &FileStore{path: path}
}

// Path returns the file the store writes.
func (s *FileStore) Path() string { return s.path }

// String returns "file://" and the path.
func (s *FileStore) String() string { return "file://" + s.path }

// Append writes r as one line at the end of the file, creating the file
// (mode 0600) and its directories (mode 0700) when missing.
func (s *FileStore) Append(ctx context.Context, r Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("appending to audit file %s: %w", s.path, err)
	}
	r, err := normalize(r)
	if err != nil {
		return fmt.Errorf("appending to audit file %s: %w", s.path, err)
	}
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("appending to audit file %s: encoding the record of cluster %s: %w", s.path, r.Cluster, err)
	}
	line = append(line, '\n')
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("appending to audit file %s: creating its directory: %w", s.path, err)
	}
	f, err := os.OpenFile(s.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("appending to audit file: %w", err)
	}
	if err := lock(f, syscall.LOCK_EX); err != nil {
		_ = f.Close()
		return fmt.Errorf("appending to audit file %s: locking it: %w", s.path, err)
	}
	// One write call: with O_APPEND the line lands whole at the end.
	if _, err := f.Write(line); err != nil {
		_ = f.Close()
		return fmt.Errorf("appending to audit file: %w", err)
	}
	// Closing the file releases the lock.
	if err := f.Close(); err != nil {
		return fmt.Errorf("appending to audit file: %w", err)
	}
	return nil
}

// List reads the whole file and returns the records f selects, newest first.
// A missing file holds no records. A line that is not a record is an error
// naming the file and line number.
func (s *FileStore) List(ctx context.Context, f Filter) ([]Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reading audit file %s: %w", s.path, err)
	}
	file, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading audit file: %w", err)
	}
	defer func() { _ = file.Close() }()
	// A shared lock keeps a half-written line of a concurrent Append out.
	if err := lock(file, syscall.LOCK_SH); err != nil {
		return nil, fmt.Errorf("reading audit file %s: locking it: %w", s.path, err)
	}
	var records []Record
	reader := bufio.NewReader(file)
	for n := 1; ; n++ {
		line, err := reader.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("reading audit file %s:%d: %w", s.path, n, err)
		}
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			r, derr := decodeRecord(trimmed)
			if derr != nil {
				return nil, fmt.Errorf("reading audit file %s:%d: %w", s.path, n, derr)
			}
			if f.matches(r) {
				records = append(records, r)
			}
		}
		if err != nil { // io.EOF
			break
		}
	}
	sortNewestFirst(records)
	return records, nil
}

// decodeRecord parses the JSON of one record and checks its key fields.
func decodeRecord(data []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return Record{}, fmt.Errorf("not an audit record: %w", err)
	}
	if err := validate(r); err != nil {
		return Record{}, fmt.Errorf("not an audit record: %w", err)
	}
	return r, nil
}

// lock takes a flock(2) lock on f, retrying when a signal interrupts the wait.
func lock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
