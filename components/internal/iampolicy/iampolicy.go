// Package iampolicy builds the IAM policy documents of the components as
// plain JSON, so that every policy is visible, byte for byte, in synth output
// and in tests, instead of being assembled by a data-source call.
package iampolicy

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement; empty fields are left out.
type Statement struct {
	Sid       string                    `json:"Sid,omitempty"`
	Effect    string                    `json:"Effect"`
	Principal any                       `json:"Principal,omitempty"`
	Action    any                       `json:"Action"`
	Resource  any                       `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// New returns a document with the current policy language version.
func New(statements ...Statement) Document {
	return Document{Version: "2012-10-17", Statement: statements}
}

// JSON renders the document; maps are rendered with sorted keys.
func (d Document) JSON() string {
	b, err := json.Marshal(d)
	if err != nil {
		panic(fmt.Sprintf("iampolicy: %v", err)) // only plain values go in
	}
	return string(b)
}

// ServiceTrust lets an AWS service assume a role.
func ServiceTrust(service string) string {
	return New(Statement{
		Effect:    "Allow",
		Principal: map[string]any{"Service": service},
		Action:    "sts:AssumeRole",
	}).JSON()
}

// IRSATrust lets exactly the named Kubernetes service accounts
// ("namespace/name") assume a role through the cluster's OIDC provider.
func IRSATrust(providerARN, issuerURL pulumi.StringInput, serviceAccounts ...string) pulumi.StringOutput {
	subjects := make([]string, len(serviceAccounts))
	for i, sa := range serviceAccounts {
		ns, name, _ := strings.Cut(sa, "/")
		subjects[i] = "system:serviceaccount:" + ns + ":" + name
	}
	return pulumi.All(providerARN, issuerURL).ApplyT(func(v []any) string {
		host := IssuerHost(v[1].(string))
		var sub any = subjects
		if len(subjects) == 1 {
			sub = subjects[0]
		}
		return New(Statement{
			Effect:    "Allow",
			Principal: map[string]any{"Federated": v[0].(string)},
			Action:    "sts:AssumeRoleWithWebIdentity",
			Condition: map[string]map[string]any{"StringEquals": {
				host + ":aud": "sts.amazonaws.com",
				host + ":sub": sub,
			}},
		}).JSON()
	}).(pulumi.StringOutput)
}

// IssuerHost strips the scheme from an OIDC issuer URL, the form IAM uses in
// provider ARNs and condition keys.
func IssuerHost(issuerURL string) string {
	return strings.TrimSuffix(strings.TrimPrefix(issuerURL, "https://"), "/")
}

// ManagedPolicyARN is the ARN of an AWS managed policy, e.g.
// ManagedPolicyARN("aws", "AmazonEKSWorkerNodePolicy").
func ManagedPolicyARN(partition, name string) string {
	return fmt.Sprintf("arn:%s:iam::aws:policy/%s", partition, name)
}
