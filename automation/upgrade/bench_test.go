package upgrade

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/environments"
)

// BenchmarkPlanExamples plans the example fleet against itself as the base:
// every cluster resolved twice, stepped and checked, then rendered.
func BenchmarkPlanExamples(b *testing.B) {
	fleet, err := environments.Load("../../environments")
	require.NoError(b, err)
	in := Inputs{Fleet: fleet, Base: fleet, Today: today}
	b.ReportAllocs()
	for b.Loop() {
		p, err := Build(b.Context(), in)
		if err != nil {
			b.Fatal(err)
		}
		_ = p.Markdown()
	}
}
