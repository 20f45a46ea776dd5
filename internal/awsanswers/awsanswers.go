// Package awsanswers is the one table of what AWS returns, for the two
// things here that stand in for it: the in-process mock engine
// (internal/mockengine: unit tests, synth) and the stand-in aws and eks
// provider plugins that the real Pulumi engine runs in tests/box. Given a
// resource's type, URN and inputs and the account and region of its
// provider, it gives the id and outputs the cloud would report (ARNs in the
// account's partition, "vpc-" ids, the EKS endpoint and OIDC issuer...),
// answers the data sources the program calls, and says which properties AWS
// replaces a resource for when they change (Replaces).
//
// Its values are shaped like AWS's, not AWS's own: an independent check of
// the program against AWS is the IAM reference data (tests/iamref), not this.
package awsanswers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Account is where an AWS provider points: its region, account and partition.
type Account struct {
	Region    string
	AccountID string
	Partition string
}

// AccountOf reads region and account from an AWS provider's inputs (its
// "region" and first "allowedAccountIds"), as both stand-ins receive them;
// us-east-1 and 000000000000 where they are absent.
func AccountOf(inputs resource.PropertyMap) Account {
	a := Account{Region: "us-east-1", AccountID: "000000000000", Partition: "aws"}
	if v, ok := inputs["region"]; ok && v.IsString() && v.StringValue() != "" {
		a.Region = v.StringValue()
	}
	if ids := stringsOf(inputs["allowedAccountIds"]); len(ids) > 0 {
		a.AccountID = ids[0]
	}
	switch {
	case strings.HasPrefix(a.Region, "us-gov-"):
		a.Partition = "aws-us-gov"
	case strings.HasPrefix(a.Region, "cn-"):
		a.Partition = "aws-cn"
	}
	return a
}

// Resource is a resource the cloud creates: what its provider is told.
type Resource struct {
	URN  string
	Type string
	// Name is the resource's logical name (auto-names start with it).
	Name string
	// ID is the seed on the way into Create and the cloud's id on the way out.
	ID     string
	Inputs resource.PropertyMap
}

// ShortID is a deterministic stand-in for a cloud id.
func ShortID(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:])[:17]
}

// stringsOf reads a string list that the SDK may have sent as a list or, for
// provider inputs, as a JSON-encoded string.
func stringsOf(v resource.PropertyValue) []string {
	switch {
	case v.IsArray():
		var out []string
		for _, x := range v.ArrayValue() {
			if x.IsString() {
				out = append(out, x.StringValue())
			}
		}
		return out
	case v.IsString():
		var out []string
		if json.Unmarshal([]byte(v.StringValue()), &out) == nil {
			return out
		}
	}
	return nil
}
