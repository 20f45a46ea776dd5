package iamref

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func doc(statements string) string {
	return `{"Version":"2012-10-17","Statement":[` + statements + `]}`
}

// TestCheckFindsWhatAWSWouldIgnore: each rule fires on a policy that is
// wrong in that way only, and a correct one passes.
func TestCheckFindsWhatAWSWouldIgnore(t *testing.T) {
	t.Parallel()
	r, err := Load()
	require.NoError(t, err)
	require.NotEmpty(t, r.Source["serviceAuthorizationReference"])
	const lb = `arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer/app/*/*`
	const listener = `arn:aws:elasticloadbalancing:us-east-2:123456789012:listener/app/*/*/*`
	cases := []struct {
		name, doc string
		want      []string
	}{
		{"a sound identity policy", doc(`{"Effect":"Allow","Action":["elasticloadbalancing:ModifyListenerAttributes"],"Resource":"` + listener + `",
			"Condition":{"StringEquals":{"aws:ResourceTag/elbv2.k8s.aws/cluster":"c"}}}`), nil},
		{"an action scoped to resources it does not act on", doc(`{"Effect":"Allow","Action":"elasticloadbalancing:ModifyListenerAttributes","Resource":"` + lb + `"}`),
			[]string{"statement 0: elasticloadbalancing:ModifyListenerAttributes acts on listener/app*, listener/gwy*, listener/net*, none of which the statement's resources are: it is never granted",
				`statement 0: resource "` + lb + `" is of no type the statement's actions act on`}},
		{"an action with no resource type on an ARN", doc(`{"Effect":"Allow","Action":"elasticloadbalancing:SetWebAcl","Resource":"` + lb + `"}`),
			[]string{`statement 0: elasticloadbalancing:SetWebAcl supports no resource type: only Resource "*" grants it`,
				`statement 0: resource "` + lb + `" is of no type the statement's actions act on`}},
		{"a misspelled action", doc(`{"Sid":"X","Effect":"Allow","Action":"ec2:DescribeInstance","Resource":"*"}`),
			[]string{`statement 0 (X): action "ec2:DescribeInstance" does not exist in Amazon EC2`}},
		{"a wildcard that matches nothing", doc(`{"Effect":"Allow","Action":"kms:Frobnicate*","Resource":"*"}`),
			[]string{`statement 0: action "kms:Frobnicate*" does not exist in AWS Key Management Service`}},
		{"a condition key no service defines", doc(`{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"StringEquals":{"ec2:CreatedAction":"RunInstances","aws:RequestedRegions":"x"}}}`),
			[]string{`statement 0: condition key "aws:RequestedRegions" is not a global condition key`, `statement 0: condition key "ec2:CreatedAction" is not defined by Amazon EC2`}},
		{"a condition key of another service", doc(`{"Effect":"Allow","Action":"sqs:ReceiveMessage","Resource":"*","Condition":{"StringEquals":{"ec2:Region":"us-east-1"}}}`),
			[]string{`statement 0: condition key "ec2:Region" is Amazon EC2's, but the statement grants no ec2 action`}},
		{"an operator IAM does not have", doc(`{"Effect":"Allow","Action":"ec2:DescribeImages","Resource":"*","Condition":{"StringMatches":{"aws:RequestedRegion":"x"}}}`),
			[]string{`statement 0: condition operator "StringMatches" is not an IAM operator`}},
		{"set operators and IfExists are operators", doc(`{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]},"StringEqualsIfExists":{"aws:RequestTag/x":"y"}}}`), nil},
		{"a service principal that does not exist", doc(`{"Effect":"Allow","Principal":{"Service":"flowlogs.amazonaws.com"},"Action":"sts:AssumeRole"}`),
			[]string{`statement 0: service principal "flowlogs.amazonaws.com" is not one AWS documents for the platform's services`}},
		{"IRSA's trust", doc(`{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-2.amazonaws.com/id/ABC"},
			"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.us-east-2.amazonaws.com/id/ABC:sub":"system:serviceaccount:a:b","oidc.eks.us-east-2.amazonaws.com/id/ABC:aud":"sts.amazonaws.com"}}}`), nil},
		{"a KMS key policy with encryption context", doc(`{"Effect":"Allow","Principal":{"Service":"logs.us-east-2.amazonaws.com"},"Action":["kms:Encrypt*","kms:Decrypt*"],"Resource":"*",
			"Condition":{"ArnLike":{"kms:EncryptionContext:aws:logs:arn":"arn:aws:logs:us-east-2:123456789012:log-group:/aws/eks/c/*"}}}`), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, r.Check(tc.doc))
		})
	}
	assert.Empty(t, r.CheckManagedPolicyARN("arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"))
	assert.Equal(t, "arn:aws:iam::aws:policy/AmazonEBSCSIDriverPolicy is not an AWS managed policy",
		r.CheckManagedPolicyARN("arn:aws:iam::aws:policy/AmazonEBSCSIDriverPolicy"), "the path matters")
	assert.True(t, IsPolicyDocument(doc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`)))
	assert.False(t, IsPolicyDocument(`{"apiVersion":"v1"}`))
}

func TestIntersects(t *testing.T) {
	t.Parallel()
	stream := templateGlob("arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}")
	assert.True(t, intersects("arn:aws:logs:us-east-2:123456789012:log-group:/aws/vpc/c/flow-logs:*", stream), "a group's :* names its streams")
	assert.False(t, intersects("arn:aws:logs:us-east-2:123456789012:log-group:/aws/vpc/c/flow-logs", stream), "the group itself is not a stream")
	listener := templateGlob("arn:${Partition}:elasticloadbalancing:${Region}:${Account}:listener/app/${LoadBalancerName}/${LoadBalancerId}/${ListenerId}")
	assert.True(t, intersects("arn:aws:elasticloadbalancing:us-east-2:123456789012:listener/app/*/*/*", listener))
	assert.False(t, intersects("arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer/app/*/*", listener), "an account field holds no colon")
	assert.True(t, intersects("*", listener))
}
