package automation

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// GitHubBodyLimit is the most characters GitHub accepts in an issue or pull
// request comment body (its API answers 422 "body is too long" above it).
const GitHubBodyLimit = 65536

// CommentMarker heads every pull request comment eksplatform posts, so the
// CI step finds its own comment and edits it instead of adding another.
const CommentMarker = "<!-- eksplatform-preview -->"

// CommentPart is one file a CI job wrote for the comment, with the standard
// error of the command that should have written it.
type CommentPart struct {
	// Name says what the part is ("preview report", "plan").
	Name string
	// Body is the file's content; empty when the command wrote none.
	Body string
	// Stderr is what the command printed on standard error: when Body is
	// empty, it is why (an environment file that does not load, missing
	// credentials), and the comment shows it instead.
	Stderr string
}

// PullRequestComment joins the parts of a pull request comment — the preview
// report first (its summary leads), then the plan — under CommentMarker and
// within limit bytes (0 means a margin under GitHubBodyLimit; bytes, because
// GitHub counts characters and a character is at least one byte). The first
// part is cut only when it alone does not fit; later parts are cut to the
// room left, at a line boundary, with a note that says where the whole is.
// A part whose command wrote nothing shows that command's standard error, so
// the comment says why; the same error printed by both commands is shown once.
func PullRequestComment(parts []CommentPart, limit int) string {
	if limit <= 0 {
		limit = GitHubBodyLimit - 536
	}
	const cutNote = "\n\n… cut here to fit a GitHub comment; the whole %s is in the run's artifacts.\n"
	var b strings.Builder
	b.WriteString(CommentMarker + "\n")
	shown := map[string]bool{}
	for i, p := range parts {
		text := p.Body
		if strings.TrimSpace(text) == "" {
			errs := strings.TrimSpace(p.Stderr)
			switch {
			case errs == "":
				text = fmt.Sprintf("### eksplatform wrote no %s\n\nThe command printed nothing on standard error: see the job's log.\n", p.Name)
			case shown[errs]:
				text = fmt.Sprintf("### eksplatform wrote no %s\n\nSame errors as above.\n", p.Name)
			default:
				shown[errs] = true
				if len(errs) > limit/3 {
					errs = cutAtLine(errs, limit/3) + "… (cut: the whole output is in the job's log)"
				}
				fence := codeFence(errs)
				text = fmt.Sprintf("### eksplatform wrote no %s\n\n%s\n%s\n%s\n", p.Name, fence, errs, fence)
			}
		}
		sep := ""
		if i > 0 {
			sep = "\n---\n\n"
		}
		note := fmt.Sprintf(cutNote, p.Name)
		room := limit - b.Len() - len(sep)
		if room <= len(note) {
			break
		}
		b.WriteString(sep)
		if len(text) <= room {
			b.WriteString(text)
			continue
		}
		b.WriteString(cutAtLine(text, room-len(note)))
		b.WriteString(note)
	}
	return b.String()
}

// codeFence returns a backtick fence longer than any run of backticks in s,
// so an error message that holds one cannot end the block early.
func codeFence(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// cutAtLine returns the longest prefix of s of at most n bytes that ends at a
// line break, or at a rune boundary when the first line alone is longer.
func cutAtLine(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	s = s[:n]
	if i := strings.LastIndexByte(s, '\n'); i > 0 {
		return s[:i+1]
	}
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
