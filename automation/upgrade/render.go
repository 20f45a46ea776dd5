package upgrade

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// JSON renders the plan for tools.
func (p *Plan) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func sourceLine(c Current) string {
	switch c.Source {
	case SourceState:
		return "from the backend's state"
	case SourceBase:
		return "from the base environment files"
	}
	return "new cluster"
}

func countFindings(fs []Finding) (errors, warnings int) {
	for _, f := range fs {
		if f.Severity == Error {
			errors++
		} else {
			warnings++
		}
	}
	return errors, warnings
}

// Text renders the plan for a terminal.
func (p *Plan) Text() string {
	var b strings.Builder
	errs, warns := countFindings(p.Findings)
	fmt.Fprintf(&b, "Rollout plan for %s: %d cluster(s) in %d wave(s); %d error(s), %d warning(s)\n\n", p.Date, len(p.Clusters), len(p.Waves), errs, warns)
	b.WriteString("Waves\n")
	for _, w := range p.Waves {
		fmt.Fprintf(&b, "  %s — %s: %s; %d at a time, bake %s, gate %s%s\n", w.Label, strings.Join(w.Roles, ", "),
			strings.Join(w.Clusters, ", "), w.Parallel, w.Bake, w.GateTimeout, map[bool]string{true: " + echo check", false: ""}[w.EchoCheck])
	}
	if len(p.Accounts) > 0 {
		b.WriteString("\nAccounts\n")
		for _, a := range p.Accounts {
			fmt.Fprintf(&b, "  %s: %s; Spot service-linked role %s\n", a.ID, strings.Join(a.Clusters, ", "), a.SpotServiceLinkedRole)
		}
	}
	for _, c := range p.Clusters {
		fmt.Fprintf(&b, "\n%s (%s, %s)\n", c.Cluster, c.Role, c.Wave)
		fmt.Fprintf(&b, "  current (%s): %s\n", sourceLine(c.Current), versionsLine(p.AddonOrder, c.Current.Versions))
		fmt.Fprintf(&b, "  desired: %s\n", versionsLine(p.AddonOrder, c.Desired))
		if len(c.Steps) == 0 {
			b.WriteString("  steps: none, the cluster is up to date\n")
		} else if c.Refused {
			b.WriteString("  refused: a check below failed; these steps must not run\n")
		}
		for i, s := range c.Steps {
			fmt.Fprintf(&b, "  %d. %s%s\n", i+1, s.Title, fromTo(s))
		}
	}
	if len(p.Findings) > 0 {
		b.WriteString("\nChecks\n")
		for _, f := range sortedFindings(p.Findings) {
			fmt.Fprintf(&b, "  %s %s %s: %s\n      fix: %s\n", strings.ToUpper(f.Severity), f.Code, f.Subject, f.Message, f.Fix)
		}
	} else {
		b.WriteString("\nChecks: all passed\n")
	}
	return b.String()
}

func fromTo(s Step) string {
	if s.Kind == "control-plane" || s.Kind == "create" || s.From == "" && s.To == "" {
		return ""
	}
	return fmt.Sprintf(": %s → %s", s.From, s.To)
}

func versionsLine(order []string, v Versions) string {
	if v.Kubernetes == "" {
		return "nothing yet"
	}
	parts := []string{"Kubernetes " + v.Kubernetes}
	if v.NodeRelease != "" {
		parts = append(parts, "nodes "+v.NodeRelease)
	}
	if v.Karpenter != "" {
		parts = append(parts, "karpenter "+v.Karpenter)
	}
	var addons []string
	for _, a := range order {
		if ver, ok := v.Addons[a]; ok {
			addons = append(addons, a+" "+ver)
		}
	}
	if len(addons) > 0 {
		parts = append(parts, "addons "+strings.Join(addons, ", "))
	}
	return strings.Join(parts, "; ")
}

func sortedFindings(fs []Finding) []Finding {
	out := append([]Finding(nil), fs...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Severity != out[j].Severity {
			return out[i].Severity == Error
		}
		return out[i].Code < out[j].Code
	})
	return out
}

// Markdown renders the plan for a pull request: waves, checks, then a
// playbook per cluster with what to watch and how to roll back each step.
func (p *Plan) Markdown() string {
	var b strings.Builder
	errs, warns := countFindings(p.Findings)
	b.WriteString("## eksplatform plan\n\n")
	verdict := "✅ every check passed"
	if errs > 0 {
		verdict = fmt.Sprintf("❌ %d check(s) failed: `up` must not run until they are fixed", errs)
	} else if warns > 0 {
		verdict = fmt.Sprintf("⚠️ %d warning(s)", warns)
	}
	fmt.Fprintf(&b, "**%d cluster(s) in %d wave(s)** as of %s · %s\n\n", len(p.Clusters), len(p.Waves), p.Date, verdict)
	b.WriteString("| wave | roles | clusters | parallel | bake | gate |\n|---|---|---|---:|---|---|\n")
	for _, w := range p.Waves {
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %s |\n", w.Label, strings.Join(w.Roles, ", "), strings.Join(w.Clusters, ", "), w.Parallel, w.Bake, w.GateTimeout)
	}
	if len(p.Findings) > 0 {
		b.WriteString("\n### Checks\n\n| | code | subject | finding | fix |\n|---|---|---|---|---|\n")
		for _, f := range sortedFindings(p.Findings) {
			icon := "⚠️"
			if f.Severity == Error {
				icon = "❌"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", icon, f.Code, f.Subject, md(f.Message), md(f.Fix))
		}
	}
	if len(p.Accounts) > 0 {
		b.WriteString("\n### Accounts\n\n| account | clusters | Spot service-linked role |\n|---|---|---|\n")
		for _, a := range p.Accounts {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", a.ID, strings.Join(a.Clusters, ", "), a.SpotServiceLinkedRole)
		}
	}
	b.WriteString("\n### Versions\n\n| cluster | source | Kubernetes | nodes | karpenter |\n|---|---|---|---|---|\n")
	for _, c := range p.Clusters {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", c.Cluster, sourceLine(c.Current),
			change(c.Current.Kubernetes, c.Desired.Kubernetes), change(c.Current.NodeRelease, c.Desired.NodeRelease), change(c.Current.Karpenter, c.Desired.Karpenter))
	}
	b.WriteString("\n### Playbooks\n")
	for _, c := range p.Clusters {
		fmt.Fprintf(&b, "\n<details><summary><b>%s</b> (%s) — %d step(s)</summary>\n\n", c.Cluster, c.Wave, len(c.Steps))
		if len(c.Steps) == 0 {
			b.WriteString("Nothing to do: the cluster runs what the environment files ask for.\n")
		} else if c.Refused {
			b.WriteString("⛔ **Refused**: a check of this cluster failed (see Checks); these steps must not run.\n\n")
		}
		for i, s := range c.Steps {
			fmt.Fprintf(&b, "%d. **%s**%s  \n   watch: %s  \n   rollback: %s\n", i+1, md(s.Title), md(fromTo(s)), md(s.Watch), md(s.Rollback))
		}
		b.WriteString("\n</details>\n")
	}
	return b.String()
}

func change(from, to string) string {
	if from == "" || from == to {
		return to
	}
	return from + " → **" + to + "**"
}

func md(s string) string { return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s) }
