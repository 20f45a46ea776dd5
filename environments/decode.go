package environments

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
)

// The decoder below exists because encoding/json's DisallowUnknownFields stops at
// the first unknown field and does not say where it is. Environment files are
// edited by hand in pull requests, so a typo like "eks_verison" must be reported
// with its path, together with every other problem of the file, and duplicate
// keys (which encoding/json silently collapses to the last one) are errors too.

type nodeKind int

const (
	kindNull nodeKind = iota
	kindObject
	kindArray
	kindString
	kindNumber
	kindBool
)

func (k nodeKind) String() string {
	return [...]string{"null", "object", "array", "string", "number", "boolean"}[k]
}

type member struct {
	key string
	val *node
}

// node is a JSON value that keeps the order of object members.
type node struct {
	kind    nodeKind
	members []member
	items   []*node
	str     string
	num     json.Number
	boolean bool
}

func (n *node) describe() string {
	switch n.kind {
	case kindString:
		return fmt.Sprintf("string %q", n.str)
	case kindNumber:
		return "number " + n.num.String()
	case kindBool:
		return fmt.Sprintf("boolean %t", n.boolean)
	default:
		return n.kind.String()
	}
}

// parseTree reads one JSON document. Syntax errors name the line and column.
func parseTree(file string, data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var dups []FieldError
	root, err := parseValue(dec, file, "", &dups)
	if err != nil {
		return nil, syntaxError(file, data, dec, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		line, col := lineCol(data, dec.InputOffset())
		return nil, FieldError{File: fmt.Sprintf("%s:%d:%d", file, line, col), Msg: "invalid JSON: unexpected data after the top-level object"}
	}
	if len(dups) > 0 {
		return nil, Errors(dups)
	}
	return root, nil
}

func syntaxError(file string, data []byte, dec *json.Decoder, err error) error {
	offset := dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		offset = se.Offset
	}
	msg := err.Error()
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "unexpected end of file"
		offset = int64(len(data))
	}
	line, col := lineCol(data, offset)
	return FieldError{File: fmt.Sprintf("%s:%d:%d", file, line, col), Msg: "invalid JSON: " + strings.TrimPrefix(msg, "json: ")}
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, offset int64) (int, int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

func parseValue(dec *json.Decoder, file, path string, dups *[]FieldError) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: kindObject}
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key must be a string")
				}
				p := keyPath(path, key)
				if path == "" {
					p = key
				}
				if seen[key] {
					*dups = append(*dups, FieldError{File: file, Path: p, Msg: "duplicate key: each key may appear once in an object"})
				}
				seen[key] = true
				v, err := parseValue(dec, file, p, dups)
				if err != nil {
					return nil, err
				}
				n.members = append(n.members, member{key: key, val: v})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		case '[':
			n := &node{kind: kindArray}
			for i := 0; dec.More(); i++ {
				v, err := parseValue(dec, file, indexPath(path, i), dups)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		}
		return nil, fmt.Errorf("unexpected %q", t)
	case string:
		return &node{kind: kindString, str: t}, nil
	case json.Number:
		return &node{kind: kindNumber, num: t}, nil
	case bool:
		return &node{kind: kindBool, boolean: t}, nil
	case nil:
		return &node{kind: kindNull}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// checkShape compares a parsed document with the Go type it decodes into and
// reports unknown fields and wrong JSON types, each with its path.
func checkShape(c *collector, n *node, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.kind == kindNull {
		return // absent; required fields are the validator's business
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.kind != kindObject {
			c.add(path, "must be an object, got %s", n.describe())
			return
		}
		fields := jsonFields(t)
		for _, m := range n.members {
			p := joinPath(path, m.key)
			f, ok := fields[m.key]
			if !ok {
				c.add(p, "unknown field%s", suggest(m.key, fields))
				continue
			}
			checkShape(c, m.val, f.Type, p)
		}
	case reflect.Slice:
		if n.kind != kindArray {
			c.add(path, "must be an array, got %s", n.describe())
			return
		}
		for i, item := range n.items {
			checkShape(c, item, t.Elem(), indexPath(path, i))
		}
	case reflect.Map:
		if n.kind != kindObject {
			c.add(path, "must be an object, got %s", n.describe())
			return
		}
		for _, m := range n.members {
			checkShape(c, m.val, t.Elem(), keyPath(path, m.key))
		}
	case reflect.String:
		if n.kind != kindString {
			c.add(path, "must be a string, got %s", n.describe())
		}
	case reflect.Bool:
		if n.kind != kindBool {
			c.add(path, "must be true or false, got %s", n.describe())
		}
	case reflect.Int, reflect.Int64:
		if n.kind != kindNumber {
			c.add(path, "must be a whole number, got %s", n.describe())
			return
		}
		if _, err := n.num.Int64(); err != nil {
			c.add(path, "must be a whole number, got %s", n.num)
		}
	default:
		panic(fmt.Sprintf("environments: checkShape does not know %s", t))
	}
}

// jsonFields maps the JSON names of a struct's fields to the fields.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[name] = f
	}
	return out
}

// suggest names the closest known field, or lists them all.
func suggest(key string, fields map[string]reflect.StructField) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	best, bestDist := "", 1<<30
	for _, name := range names {
		if d := editDistance(strings.ToLower(key), name); d < bestDist {
			best, bestDist = name, d
		}
	}
	if bestDist <= 2 || (bestDist <= 3 && len(key) > 8) {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return "; allowed: " + strings.Join(names, ", ")
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// decodeStrict parses data into v, reporting every shape problem with its path.
func decodeStrict(file string, data []byte, v any) error {
	tree, err := parseTree(file, data)
	if err != nil {
		return err
	}
	c := &collector{file: file}
	if tree.kind != kindObject {
		c.add("", "must be a JSON object, got %s", tree.describe())
		return c.errs
	}
	checkShape(c, tree, reflect.TypeOf(v).Elem(), "")
	if len(c.errs) > 0 {
		return c.errs
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		// checkShape mirrors encoding/json's rules; reaching this is a bug in it.
		return FieldError{File: file, Msg: "cannot decode: " + err.Error()}
	}
	return nil
}
