package mockengine

import (
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
)

// fatalTB stops the helper at its first Fatalf, as testing.T does.
type fatalTB struct{ msg string }

func (*fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(f)
}

// irsaSubjects runs IRSASubjects and returns its result or its failure.
func irsaSubjects(trust string) (subjects any, failure string) {
	tb := &fatalTB{}
	defer func() {
		if r := recover(); r != nil {
			failure = tb.msg
		}
	}()
	role := Resource{Name: "r", Inputs: resource.PropertyMap{"assumeRolePolicy": resource.NewStringProperty(trust)}}
	return IRSASubjects(tb, role, "https://oidc.example.com/id/ABC"), ""
}

func TestIRSASubjects(t *testing.T) {
	t.Parallel()
	const good = `{"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
		"Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/ABC"},
		"Condition": {"StringEquals": {"oidc.example.com/id/ABC:aud": "sts.amazonaws.com", "oidc.example.com/id/ABC:sub": "system:serviceaccount:ns:sa"}}}]}`
	got, failure := irsaSubjects(good)
	assert.Empty(t, failure)
	assert.Equal(t, "system:serviceaccount:ns:sa", got)

	for name, tc := range map[string]struct{ trust, want string }{
		"two statements": {`{"Statement": [{}, {}]}`, "r: trust policy has 2 statements, want 1"},
		"a service principal": {`{"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}]}`,
			"r: trust is not an OIDC web-identity trust"},
		"no audience": {`{"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity", "Principal": {"Federated": "x"},
			"Condition": {"StringEquals": {"oidc.example.com/id/ABC:sub": "system:serviceaccount:ns:sa"}}}]}`,
			"r: trust audience is <nil>, want sts.amazonaws.com"},
	} {
		_, failure := irsaSubjects(tc.trust)
		assert.Contains(t, failure, tc.want, name)
	}
}
