package iampolicy

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestServiceTrust(t *testing.T) {
	t.Parallel()
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		ServiceTrust("ec2.amazonaws.com"))
}

func TestIssuerHostAndManagedPolicy(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "oidc.eks.us-east-2.amazonaws.com/id/ABC", IssuerHost("https://oidc.eks.us-east-2.amazonaws.com/id/ABC/"))
	assert.Equal(t, "arn:aws-us-gov:iam::aws:policy/AmazonEKS_CNI_Policy", ManagedPolicyARN("aws-us-gov", "AmazonEKS_CNI_Policy"))
}

func TestDocumentLeavesOutEmptyFields(t *testing.T) {
	t.Parallel()
	doc := New(Statement{Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: "arn:aws:s3:::b/*"})
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::b/*"}]}`, doc.JSON())
}
