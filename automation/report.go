package automation

import (
	"fmt"
	"sort"
	"strings"
)

// GitHubCommentLimit is the size the report stays under: GitHub caps a
// comment at 65 536 characters, and the CI posting it adds a header.
const GitHubCommentLimit = 60000

// MarkdownOptions shape the report.
type MarkdownOptions struct {
	// Limit is the most characters the report may have; 0 means GitHubCommentLimit.
	Limit int
	// Title heads the report; empty uses "eksplatform <operation>".
	Title string
}

var kinds = []string{KindCreate, KindUpdate, KindReplace, KindDelete}

// Markdown renders a report for a pull request: the fleet summary, then the
// warnings (protected resources replaced or deleted, failures), then one
// collapsible block per cluster with its changes. When the whole would be too
// long the per-cluster details are trimmed — never the summary or warnings —
// and the report says what was trimmed.
func Markdown(rep *Report, opts MarkdownOptions) string {
	limit := opts.Limit
	if limit <= 0 {
		limit = GitHubCommentLimit
	}
	title := opts.Title
	if title == "" {
		title = "eksplatform " + string(rep.Operation)
	}
	head := summary(rep, title) + warnings(rep)

	type block struct {
		full, compact string
		changes       int
	}
	var blocks []*block
	for _, w := range rep.Waves {
		for _, c := range w.Clusters {
			if c.Result == nil || len(c.Result.Changes) == 0 {
				continue
			}
			blocks = append(blocks, &block{
				full:    details(w, c, true),
				compact: details(w, c, false),
				changes: len(c.Result.Changes),
			})
		}
	}
	render := func(note string) string {
		var b strings.Builder
		b.WriteString(head)
		if len(blocks) > 0 {
			b.WriteString("\n### Changes by cluster\n\n")
			if note != "" {
				b.WriteString(note + "\n\n")
			}
			for _, bl := range blocks {
				b.WriteString(bl.full)
			}
		}
		return b.String()
	}
	out := render("")
	if len(out) <= limit {
		return out
	}
	// Trim the biggest clusters first, one at a time, until the report fits.
	order := make([]*block, len(blocks))
	copy(order, blocks)
	sort.SliceStable(order, func(i, j int) bool { return len(order[i].full) > len(order[j].full) })
	trimmedClusters, trimmedChanges := 0, 0
	for _, bl := range order {
		bl.full = bl.compact
		trimmedClusters++
		trimmedChanges += bl.changes
		note := fmt.Sprintf("> ✂️ Trimmed to stay under %d characters: the resource lists of %d cluster(s) (%d changes) are not shown. "+
			"The full report is in the run's JSON output (`--json`).", limit, trimmedClusters, trimmedChanges)
		out = render(note)
		if len(out) <= limit {
			return out
		}
	}
	// Even one line per cluster is too much: drop the blocks, keep the summary.
	note := fmt.Sprintf("> ✂️ Trimmed to stay under %d characters: the changes of all %d cluster(s) are not shown. "+
		"The full report is in the run's JSON output (`--json`).", limit, len(blocks))
	blocks = nil
	return head + "\n### Changes by cluster\n\n" + note + "\n"
}

func summary(rep *Report, title string) string {
	var b strings.Builder
	total := map[string]int{}
	clusters, failed := 0, 0
	var rows []string
	for _, w := range rep.Waves {
		for _, c := range w.Clusters {
			clusters++
			var counts map[string]int
			if c.Result != nil {
				counts = c.Result.Counts
			}
			cells := make([]string, len(kinds))
			for i, k := range kinds {
				// A failed or skipped operation's counts are partial: not shown.
				if c.Status != StatusSucceeded {
					cells[i] = "–"
					continue
				}
				cells[i] = fmt.Sprint(counts[k])
				total[k] += counts[k]
			}
			if c.Status == StatusFailed {
				failed++
			}
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |", w.Label, c.Cluster, strings.Join(cells, " | "), statusCell(c.Status)))
		}
	}
	fmt.Fprintf(&b, "## %s\n\n", title)
	fmt.Fprintf(&b, "**%d clusters in %d waves** · %d to create · %d to update · %d to replace · %d to delete", clusters, len(rep.Waves),
		total[KindCreate], total[KindUpdate], total[KindReplace], total[KindDelete])
	if failed > 0 {
		fmt.Fprintf(&b, " · **%d failed**", failed)
	}
	b.WriteString("\n\n| wave | cluster | create | update | replace | delete | status |\n|---|---|---:|---:|---:|---:|---|\n")
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	fmt.Fprintf(&b, "| **total** | %d clusters | **%d** | **%d** | **%d** | **%d** | |\n",
		clusters, total[KindCreate], total[KindUpdate], total[KindReplace], total[KindDelete])
	return b.String()
}

func statusCell(status string) string {
	switch status {
	case StatusSucceeded:
		return "ok"
	case StatusFailed:
		return "**failed**"
	}
	return status
}

func warnings(rep *Report) string {
	var lines []string
	for _, w := range rep.Waves {
		for _, c := range w.Clusters {
			if c.Status == StatusFailed {
				lines = append(lines, fmt.Sprintf("- ❌ **%s** (%s) failed: %s", c.Cluster, w.Label, escape(oneLine(c.Reason, 400))))
			}
			if c.Result == nil {
				continue
			}
			for _, ch := range c.Result.Changes {
				if Dangerous(ch) {
					lines = append(lines, fmt.Sprintf("- ⚠️ **%s** of the %s `%s` in **%s** (%s): `up` refuses it unless `--allow-replace` names this URN",
						ch.Kind, ch.Protected, ch.URN, c.Cluster, w.Label))
				}
			}
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return "\n### Warnings\n\n" + strings.Join(lines, "\n") + "\n"
}

func details(w WaveResult, c ClusterResult, full bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<details><summary>%s · <b>%s</b> — %s</summary>\n\n", w.Label, c.Cluster, countLine(c.Result))
	if !full {
		fmt.Fprintf(&b, "_%d changes not shown (trimmed)._\n\n</details>\n\n", len(c.Result.Changes))
		return b.String()
	}
	b.WriteString("| change | type | resource | properties |\n|---|---|---|---|\n")
	for _, ch := range c.Result.Changes {
		var props []string
		keys := make([]string, 0, len(ch.Diffs))
		for k := range ch.Diffs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			props = append(props, fmt.Sprintf("`%s` %s", k, escape(ch.Diffs[k])))
		}
		fmt.Fprintf(&b, "| %s | `%s` | `%s` | %s |\n", ch.Kind, ch.Type, resourceName(ch.URN), strings.Join(props, "<br>"))
	}
	b.WriteString("\n</details>\n\n")
	return b.String()
}

// resourceName is the last part of a URN, its logical name.
func resourceName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

func escape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}
