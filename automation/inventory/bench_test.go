package inventory

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/eksplatform/eksplatform/automation/audit"
	"github.com/eksplatform/eksplatform/contract"
	"github.com/eksplatform/eksplatform/tests/fleetfile"
)

// BenchmarkInventory builds the inventory of 200 deployed clusters in 5
// roles, reading a JSON Lines trail of 2000 records (an up and a refresh per
// cluster, five times over), and renders each format. It reports the cost
// per cluster of what `eksplatform inventory` adds to reading the state.
func BenchmarkInventory(b *testing.B) {
	var roles []fleetfile.Role
	for i := range 5 {
		roles = append(roles, fleetfile.Role{Name: fmt.Sprintf("r%d", i), Wave: i, Clusters: 40})
	}
	fleet := fleetfile.Load(b, roles...)
	clusters := fleet.Clusters()
	state := fakeState{deployed: map[string]*Deployed{}}
	store := audit.NewFileStore(filepath.Join(b.TempDir(), "audit.jsonl"))
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i, c := range clusters {
		d := deployedProd()
		d.Outputs.ClusterName, d.Outputs.Role, d.Outputs.Kubernetes = c.Name, c.Role, c.EKSVersion
		d.Outputs.Parameters = map[string]string{}
		for _, f := range contract.Facts {
			d.Outputs.Parameters[f.Name] = contract.ParameterName(c.Name, f.Name)
		}
		state.deployed[c.Name] = d
		for round := range 5 {
			at := start.Add(time.Duration(round*len(clusters)+i) * time.Minute)
			for _, cmd := range []string{"up", "refresh"} {
				if err := store.Append(context.Background(), audit.Record{RunID: fmt.Sprintf("r-%d-%s", round, cmd), Cluster: c.Name, Role: c.Role,
					Command: cmd, Result: "succeeded", Start: at, End: at.Add(time.Second), Counts: map[string]int{"same": 300}}); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	in := Inputs{Fleet: fleet, Clusters: clusters, Today: day, State: state, Audit: store}
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Build(context.Background(), in); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(clusters))/1e3, "µs/cluster")
	})
	inv, err := Build(context.Background(), in)
	if err != nil {
		b.Fatal(err)
	}
	for name, render := range map[string]func() error{
		"json":      func() error { _, err := inv.JSON(); return err },
		"markdown":  func() error { _ = inv.Markdown(); return nil },
		"backstage": func() error { _, err := inv.Backstage(BackstageOptions{Owner: "platform-team"}); return err },
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := render(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
