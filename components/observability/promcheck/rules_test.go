// Package promcheck parses the observability component's alert rules with
// Prometheus's own rule-file parser (model/rulefmt: the YAML structure, every
// expr through the PromQL parser, every label and annotation template), in a
// module of its own so that the platform's go.mod never carries Prometheus.
// Run it with: cd components/observability/promcheck && go test ./...
package promcheck

import (
	"log/slog"
	"os"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

func TestAlertRulesParseWithPrometheus(t *testing.T) {
	data, err := os.ReadFile("../data/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	groups, errs := parse(data)
	for _, e := range errs {
		t.Error(e)
	}
	if groups == nil || len(groups.Groups) == 0 {
		t.Fatal("no rule groups")
	}
	n := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" {
				t.Errorf("group %s: a rule that is not an alert", g.Name)
			}
			if r.Labels["severity"] == "" {
				t.Errorf("%s: no severity label", r.Alert)
			}
		}
	}
	if n < 3 {
		t.Errorf("%d rules; the fleet has at least three", n)
	}
}

// TestTheParserRefusesABadRule proves the check can fail.
func TestTheParserRefusesABadRule(t *testing.T) {
	bad := []byte("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum by (zone (x)\n")
	if _, errs := parse(bad); len(errs) == 0 {
		t.Fatal("a PromQL syntax error parsed")
	}
}

// parse is rulefmt.Parse with unknown fields refused and the classic
// (non-UTF-8) metric and label names Amazon Managed Service for Prometheus
// documents.
func parse(data []byte) (*rulefmt.RuleGroups, []error) {
	return rulefmt.Parse(data, false, model.LegacyValidation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
}
