package e2e

import (
	"errors"
	"testing"
)

func dumpCauses(t *testing.T, err error) {
	for i := 0; err != nil && i < 10; i++ {
		t.Logf("CAUSE %d: %T %.3000s", i, err, err.Error())
		if u, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range u.Unwrap() {
				dumpCauses(t, e)
			}
			return
		}
		err = errors.Unwrap(err)
	}
}
