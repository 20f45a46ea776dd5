package automation

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSelectNamesWhatTheFleetDoesNotHave(t *testing.T) {
	t.Parallel()
	fleet := fleetOf(t, role{name: "dev", wave: 0, clusters: 2}, role{name: "prod", wave: 1, clusters: 1})
	all, err := Select(fleet, Selection{})
	require.NoError(t, err)
	assert.Equal(t, "dev-01, dev-02, prod-01", clusterNames(all))

	got, err := Select(fleet, Selection{Roles: []string{"prod", "dev"}, Clusters: []string{"dev-02", "prod-01"}})
	require.NoError(t, err)
	assert.Equal(t, "dev-02, prod-01", clusterNames(got), "fleet order, both filters")

	for _, tc := range []struct {
		sel        Selection
		kind, want string
	}{
		{Selection{Roles: []string{"stage"}}, "role", `unknown role "stage"; roles: dev, prod`},
		{Selection{Clusters: []string{"dev-9"}}, "cluster", `unknown cluster "dev-9"; clusters: dev-01, dev-02, prod-01`},
		{Selection{Roles: []string{"prod"}, Clusters: []string{"dev-01"}}, "match", "no cluster matches --role [prod] --cluster [dev-01]"},
	} {
		_, err := Select(fleet, tc.sel)
		var se *SelectionError
		require.True(t, errors.As(err, &se), "%v: a typed error", tc.sel)
		assert.Equal(t, tc.kind, se.Kind)
		assert.EqualError(t, err, tc.want)
		_, err = NewRollout(fleet, tc.sel, RolloutOptions{})
		assert.True(t, errors.As(err, &se), "%v: NewRollout refuses it the same way", tc.sel)
		assert.EqualError(t, err, tc.want)
	}
}
