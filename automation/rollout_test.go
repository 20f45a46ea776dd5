package automation_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/environments"
)

func TestSelectNamesWhatTheFleetDoesNotHave(t *testing.T) {
	t.Parallel()
	fleet := fleetOf(t, role{name: "dev", wave: 0, clusters: 2}, role{name: "prod", wave: 1, clusters: 1})
	all, err := automation.Select(fleet, automation.Selection{})
	require.NoError(t, err)
	assert.Equal(t, []string{"dev-01", "dev-02", "prod-01"}, clusterNames(all))

	got, err := automation.Select(fleet, automation.Selection{Roles: []string{"prod", "dev"}, Clusters: []string{"dev-02", "prod-01"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"dev-02", "prod-01"}, clusterNames(got), "fleet order, both filters")

	for _, tc := range []struct {
		sel        automation.Selection
		kind, want string
	}{
		{automation.Selection{Roles: []string{"stage"}}, "role", `unknown role "stage"; roles: dev, prod`},
		{automation.Selection{Clusters: []string{"dev-9"}}, "cluster", `unknown cluster "dev-9"; clusters: dev-01, dev-02, prod-01`},
		{automation.Selection{Roles: []string{"prod"}, Clusters: []string{"dev-01"}}, "match", "no cluster matches --role [prod] --cluster [dev-01]"},
	} {
		_, err := automation.Select(fleet, tc.sel)
		var se *automation.SelectionError
		require.True(t, errors.As(err, &se), "%v: a typed error", tc.sel)
		assert.Equal(t, tc.kind, se.Kind)
		assert.EqualError(t, err, tc.want)
		_, err = automation.NewRollout(fleet, tc.sel, automation.RolloutOptions{})
		assert.True(t, errors.As(err, &se), "%v: NewRollout refuses it the same way", tc.sel)
		assert.EqualError(t, err, tc.want)
	}
}

func clusterNames(cs []*environments.Cluster) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}
