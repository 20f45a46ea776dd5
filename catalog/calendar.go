package catalog

import (
	"strings"
	"time"
)

// Calendar is the EKS release calendar: every Kubernetes minor EKS offers or
// has offered, with its support window (data/eks-releases.json).
type Calendar struct {
	Provenance
	Note     string    `json:"note,omitempty"`
	Releases []Release `json:"releases"`
}

// Release is one EKS Kubernetes minor version and its support window. Support
// ends at the start of the day given (UTC).
type Release struct {
	Version       string `json:"version"`
	Released      Date   `json:"released"`
	EndOfStandard Date   `json:"end_of_standard"`
	EndOfExtended Date   `json:"end_of_extended"`
}

// Support tiers of a release on a day.
const (
	NotReleased = "not released"
	Standard    = "standard support"
	Extended    = "extended support"
	Ended       = "no longer offered"
)

// SupportOn is the release's support tier on a day.
func (r Release) SupportOn(day time.Time) string {
	switch {
	case day.Before(r.Released.Time):
		return NotReleased
	case day.Before(r.EndOfStandard.Time):
		return Standard
	case day.Before(r.EndOfExtended.Time):
		return Extended
	}
	return Ended
}

// Offered says whether EKS offers the release on a day (standard or extended).
func (r Release) Offered(day time.Time) bool {
	s := r.SupportOn(day)
	return s == Standard || s == Extended
}

// Releases returns the calendar, oldest first.
func (c *Catalog) Releases() []Release { return append([]Release(nil), c.Calendar.Releases...) }

// Release returns the calendar entry of a minor version.
func (c *Catalog) Release(minor string) (Release, bool) {
	for _, r := range c.Calendar.Releases {
		if r.Version == minor {
			return r, true
		}
	}
	return Release{}, false
}

// Minors lists the calendar's minors, oldest first.
func (c *Catalog) Minors() []string {
	out := make([]string, 0, len(c.Calendar.Releases))
	for _, r := range c.Calendar.Releases {
		out = append(out, r.Version)
	}
	return out
}

// OfferedOn lists the minors EKS offers on a day, oldest first.
func (c *Catalog) OfferedOn(day time.Time) []string {
	var out []string
	for _, r := range c.Calendar.Releases {
		if r.Offered(day) {
			out = append(out, r.Version)
		}
	}
	return out
}

// NewestOn is the newest minor released by a day, or "".
func (c *Catalog) NewestOn(day time.Time) string {
	newest := ""
	for _, r := range c.Calendar.Releases {
		if !day.Before(r.Released.Time) {
			newest = r.Version
		}
	}
	return newest
}

// CalendarSpan describes the calendar for messages: "1.28 to 1.37".
func (c *Catalog) CalendarSpan() string {
	m := c.Minors()
	switch len(m) {
	case 0:
		return "no versions"
	case 1:
		return m[0]
	}
	return m[0] + " to " + m[len(m)-1]
}

// NotInCalendar explains a minor missing from the calendar and what to do.
func (c *Catalog) NotInCalendar(minor string) string {
	var b strings.Builder
	b.WriteString("not in the EKS release calendar (" + DataDir + "/" + FileReleases + ", checked " +
		c.Calendar.Checked.String() + ": " + c.CalendarSpan() + ")")
	if newest := c.Minors(); len(newest) > 0 && CompareMinors(minor, newest[len(newest)-1]) > 0 {
		b.WriteString("; if EKS has released it since, `eksplatform catalog refresh` adds it")
	}
	return b.String()
}
