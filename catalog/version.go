package catalog

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseMinor splits a Kubernetes minor "1.33" into 1 and 33. Leading zeros
// ("1.033") and anything after the minor ("1.33.2") are refused.
func ParseMinor(v string) (major, minor int, ok bool) {
	a, b, found := strings.Cut(v, ".")
	if !found || a == "" || b == "" || strings.HasPrefix(b, "0") && b != "0" {
		return 0, 0, false
	}
	ma, err1 := strconv.Atoi(a)
	mi, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || ma < 0 || mi < 0 {
		return 0, 0, false
	}
	return ma, mi, true
}

// CompareMinors orders Kubernetes minors numerically ("1.9" < "1.10"); a
// minor that does not parse sorts first.
func CompareMinors(a, b string) int {
	am, ai, aok := ParseMinor(a)
	bm, bi, bok := ParseMinor(b)
	switch {
	case !aok || !bok:
		return compareBool(aok, bok)
	case am != bm:
		return compareInt(am, bm)
	}
	return compareInt(ai, bi)
}

// NextMinor is the minor after v ("1.36" → "1.37"), or "" when v is not a minor.
func NextMinor(v string) string {
	ma, mi, ok := ParseMinor(v)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d.%d", ma, mi+1)
}

// MinorsBetween lists the minors from a to b, both included, oldest first;
// nil when either does not parse, their majors differ or a > b.
func MinorsBetween(a, b string) []string {
	am, ai, ok1 := ParseMinor(a)
	bm, bi, ok2 := ParseMinor(b)
	if !ok1 || !ok2 || am != bm || ai > bi {
		return nil
	}
	out := make([]string, 0, bi-ai+1)
	for m := ai; m <= bi; m++ {
		out = append(out, fmt.Sprintf("%d.%d", am, m))
	}
	return out
}

// CompareVersions orders versions like "v1.12.4-eksbuild.1", "1.14.1" or
// "1.34": numeric parts first, then the eksbuild number. Missing parts are 0.
func CompareVersions(a, b string) int {
	pa, pb := versionParts(a), versionParts(b)
	for i := range max(len(pa), len(pb)) {
		var x, y int
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if x != y {
			return compareInt(x, y)
		}
	}
	return 0
}

func versionParts(v string) []int {
	v = strings.TrimPrefix(v, "v")
	core, build, _ := strings.Cut(v, "-")
	var out []int
	for _, p := range strings.Split(core, ".") {
		n, _ := strconv.Atoi(p)
		out = append(out, n)
	}
	for len(out) < 3 {
		out = append(out, 0)
	}
	if _, num, ok := strings.Cut(build, "eksbuild."); ok {
		n, _ := strconv.Atoi(num)
		out = append(out, n)
	}
	return out
}

// MinorOf is the "major.minor" of a version ("v1.19.2" → "1.19"), or "".
func MinorOf(v string) string {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 {
		return ""
	}
	minor, _, _ := strings.Cut(parts[1], "-")
	m := parts[0] + "." + minor
	if _, _, ok := ParseMinor(m); !ok {
		return ""
	}
	return m
}

// MajorOf is the major number of a version ("v1.19.2" → 1), or -1.
func MajorOf(v string) int {
	a, _, _ := strings.Cut(strings.TrimPrefix(v, "v"), ".")
	n, err := strconv.Atoi(a)
	if err != nil {
		return -1
	}
	return n
}

func compareInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// Date is a calendar day in UTC, written "2006-01-02".
type Date struct{ time.Time }

// DateOf is the UTC day of t.
func DateOf(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// ParseDate reads "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, err
	}
	return Date{t}, nil
}

// String is "2006-01-02" ("" for the zero date).
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(time.DateOnly)
}

// UnmarshalJSON reads "2006-01-02".
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	t, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = t
	return nil
}

// MarshalJSON writes "2006-01-02".
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }
