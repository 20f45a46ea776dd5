// Package iamref checks IAM policy documents against AWS's own reference
// data: the Service Authorization Reference (every action, the resource
// types it acts on and their ARN formats, every condition key) and the list
// of AWS managed policies, as a dated snapshot (reference.json, extracted by
// tools/iamref/extract.mjs from maintained npm packages that republish
// them). A mock engine accepts any policy; this does not: a misspelled
// action, a condition key no service defines, a resource ARN of a type the
// action does not act on — each is a permission that does nothing on AWS.
package iamref

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

//go:embed reference.json
var referenceJSON []byte

// Service is one service of the reference.
type Service struct {
	Name string `json:"name"`
	// Actions map each action to the resource types it acts on ("listener/app*",
	// a trailing * marking a required one); empty: it supports none, only "*".
	Actions       map[string][]string `json:"actions"`
	ResourceTypes map[string]string   `json:"resourceTypes"`
	ConditionKeys []string            `json:"conditionKeys"`
}

// Reference is the snapshot.
type Reference struct {
	Source              map[string]string  `json:"source"`
	Services            map[string]Service `json:"services"`
	GlobalConditionKeys []string           `json:"globalConditionKeys"`
	ManagedPolicies     []string           `json:"managedPolicies"`
}

var loaded = sync.OnceValues(func() (*Reference, error) {
	var r Reference
	if err := json.Unmarshal(referenceJSON, &r); err != nil {
		return nil, fmt.Errorf("iamref: reference.json: %w", err)
	}
	return &r, nil
})

// Load returns the embedded reference.
func Load() (*Reference, error) { return loaded() }

// servicePrincipals are the AWS service principals the platform's policies
// may name, each checked against the AWS documentation of the service that
// assumes the role or writes to the resource. The Service Authorization
// Reference does not list principals; neither does any maintained package.
var servicePrincipals = []*regexp.Regexp{
	regexp.MustCompile(`^ec2\.amazonaws\.com(\.cn)?$`),                                // EC2 instance roles
	regexp.MustCompile(`^eks\.amazonaws\.com$`),                                       // EKS cluster role
	regexp.MustCompile(`^eks-fargate-pods\.amazonaws\.com$`),                          // Fargate pod execution role
	regexp.MustCompile(`^pods\.eks\.amazonaws\.com$`),                                 // EKS Pod Identity
	regexp.MustCompile(`^events\.amazonaws\.com$`),                                    // EventBridge targets
	regexp.MustCompile(`^sqs\.amazonaws\.com$`),                                       // SQS (karpenter's template)
	regexp.MustCompile(`^vpc-flow-logs\.amazonaws\.com$`),                             // VPC flow logs to CloudWatch
	regexp.MustCompile(`^delivery\.logs\.amazonaws\.com$`),                            // log delivery
	regexp.MustCompile(`^logs\.[a-z]{2}(-gov)?-[a-z]+-[0-9]\.amazonaws\.com(\.cn)?$`), // CloudWatch Logs, per region (KMS key policies)
	regexp.MustCompile(`^backup\.amazonaws\.com$`),                                    // AWS Backup
	regexp.MustCompile(`^spot\.amazonaws\.com$`),                                      // the Spot service-linked role
	regexp.MustCompile(`^elasticfilesystem\.amazonaws\.com$`),                         // EFS
}

// operators are IAM's condition operators, without the ForAllValues: and
// ForAnyValue: set prefixes and the IfExists suffix.
var operators = []string{
	"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
	"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
	"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
	"Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
}

// oidcKey is a condition key of an IAM OIDC provider (IRSA's trust):
// <issuer host>/id/<id>:sub or :aud.
var oidcKey = regexp.MustCompile(`^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/id/[0-9A-Za-z]+:(sub|aud|amr)$`)

// IsPolicyDocument says whether a string is an IAM policy document.
func IsPolicyDocument(s string) bool {
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return false
	}
	var d struct {
		Version   string
		Statement json.RawMessage
	}
	return json.Unmarshal([]byte(s), &d) == nil && d.Version != "" && len(d.Statement) > 0
}

type statement struct {
	Sid       string
	Effect    string
	Principal any
	Action    any
	NotAction any
	Resource  any
	Condition map[string]map[string]any
}

// Check returns every problem of a policy document, each saying which
// statement and what AWS's reference says instead.
func (r *Reference) Check(doc string) []string {
	var d struct {
		Version   string
		Statement []statement
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return []string{"not a policy document: " + err.Error()}
	}
	var out []string
	if d.Version != "2012-10-17" {
		out = append(out, fmt.Sprintf("Version %q: use 2012-10-17", d.Version))
	}
	for i, st := range d.Statement {
		where := fmt.Sprintf("statement %d", i)
		if st.Sid != "" {
			where += " (" + st.Sid + ")"
		}
		for _, p := range r.checkStatement(st) {
			out = append(out, where+": "+p)
		}
	}
	return out
}

func (r *Reference) checkStatement(st statement) []string {
	var out []string
	if st.Effect != "Allow" && st.Effect != "Deny" {
		out = append(out, fmt.Sprintf("Effect %q is neither Allow nor Deny", st.Effect))
	}
	if st.NotAction != nil {
		out = append(out, "NotAction is not used by this platform's policies; grant actions by name")
	}
	out = append(out, checkPrincipal(st.Principal)...)

	// Every action pattern names actions the reference knows.
	type act struct{ service, name string }
	type grant struct {
		pattern string
		acts    []act
	}
	var grants []grant
	services := map[string]bool{}
	for _, pattern := range strs(st.Action) {
		if pattern == "*" {
			if st.Effect == "Allow" {
				out = append(out, `Action "*" grants every action of every service`)
			}
			continue
		}
		service, name, ok := strings.Cut(pattern, ":")
		svc, known := r.Services[strings.ToLower(service)]
		if !ok || !known {
			out = append(out, fmt.Sprintf("action %q: service %q is not in the reference (add it to tools/iamref/extract.mjs if it is real)", pattern, service))
			continue
		}
		services[strings.ToLower(service)] = true
		g := grant{pattern: pattern}
		re := globRegexp(name)
		for a := range svc.Actions {
			if re.MatchString(a) {
				g.acts = append(g.acts, act{strings.ToLower(service), a})
			}
		}
		if len(g.acts) == 0 {
			out = append(out, fmt.Sprintf("action %q does not exist in %s", pattern, svc.Name))
			continue
		}
		grants = append(grants, g)
	}

	// Resources: an action with no resource types takes only "*"; every
	// action has a resource of a type it acts on, and every resource is of
	// a type one of the actions acts on. A wildcard pattern (sqs:*) needs
	// only some of the actions it names to apply.
	resources := strs(st.Resource)
	if len(resources) > 0 && !slices.Contains(resources, "*") {
		used := make([]bool, len(resources))
		for _, g := range grants {
			granted, noTypes := false, 0
			var types []string
			for _, a := range g.acts {
				t := r.Services[a.service].Actions[a.name]
				if len(t) == 0 {
					noTypes++
					continue
				}
				types = append(types, t...)
				for i, res := range resources {
					if r.matchesAny(a.service, t, res) {
						used[i], granted = true, true
					}
				}
			}
			wildcard := strings.ContainsAny(g.pattern, "*?")
			switch {
			case noTypes == len(g.acts):
				out = append(out, fmt.Sprintf("%s supports no resource type: only Resource \"*\" grants it", g.pattern))
			case !granted && !wildcard:
				out = append(out, fmt.Sprintf("%s acts on %s, none of which the statement's resources are: it is never granted", g.pattern, strings.Join(types, ", ")))
			case !granted:
				out = append(out, fmt.Sprintf("%s: none of the actions it names acts on the statement's resources", g.pattern))
			}
		}
		for i, res := range resources {
			if !used[i] && len(grants) > 0 {
				out = append(out, fmt.Sprintf("resource %q is of no type the statement's actions act on", res))
			}
		}
	}

	// Conditions: IAM operators, keys that exist for these services.
	for op, keys := range st.Condition {
		base := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(op, "ForAllValues:"), "ForAnyValue:"), "IfExists")
		if !slices.Contains(operators, base) {
			out = append(out, fmt.Sprintf("condition operator %q is not an IAM operator", op))
		}
		for key := range keys {
			if p := r.checkConditionKey(key, services); p != "" {
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (r *Reference) checkConditionKey(key string, services map[string]bool) string {
	if oidcKey.MatchString(key) {
		if services["sts"] {
			return ""
		}
		return fmt.Sprintf("condition key %q belongs to an OIDC provider's trust (sts:AssumeRoleWithWebIdentity)", key)
	}
	prefix, _, _ := strings.Cut(key, ":")
	if strings.EqualFold(prefix, "aws") {
		for _, g := range r.GlobalConditionKeys {
			if keyRegexp(g).MatchString(key) {
				return ""
			}
		}
		return fmt.Sprintf("condition key %q is not a global condition key", key)
	}
	svc, ok := r.Services[strings.ToLower(prefix)]
	if !ok {
		return fmt.Sprintf("condition key %q: service %q is not in the reference", key, prefix)
	}
	if !services[strings.ToLower(prefix)] {
		return fmt.Sprintf("condition key %q is %s's, but the statement grants no %s action", key, svc.Name, prefix)
	}
	for _, k := range svc.ConditionKeys {
		if keyRegexp(k).MatchString(key) {
			return ""
		}
	}
	return fmt.Sprintf("condition key %q is not defined by %s", key, svc.Name)
}

// matchesAny says whether a resource ARN (which may hold wildcards) can
// name a resource of one of the types: whether some ARN matches both the
// policy's pattern and the type's format.
func (r *Reference) matchesAny(service string, types []string, res string) bool {
	for _, t := range types {
		format, ok := r.Services[service].ResourceTypes[strings.TrimSuffix(t, "*")]
		if ok && intersects(res, templateGlob(format)) {
			return true
		}
	}
	return false
}

var (
	arnField       = regexp.MustCompile(`\$\{(Partition|Region|Account)\}`)
	anyPlaceholder = regexp.MustCompile(`\$\{[^}]*\}`)
)

// templateGlob turns an ARN format into a pattern: the partition, region
// and account placeholders become # (one ARN field: any text without a
// colon), the others * (any text).
func templateGlob(format string) string {
	return anyPlaceholder.ReplaceAllString(arnField.ReplaceAllString(format, "#"), "*")
}

// intersects decides whether a policy's resource pattern a (* any text, ?
// one character, as IAM matches them) and a resource type's pattern b (*
// any text, # any text without a colon) match a common ARN.
func intersects(a, b string) bool {
	memo := map[[2]int]bool{}
	seen := map[[2]int]bool{}
	var match func(i, j int) bool
	match = func(i, j int) bool {
		k := [2]int{i, j}
		if seen[k] {
			return memo[k]
		}
		seen[k] = true
		var ok bool
		switch {
		case i == len(a) && j == len(b):
			ok = true
		case i < len(a) && a[i] == '*':
			ok = match(i+1, j) || (j < len(b) && match(i, j+1))
		case j < len(b) && b[j] == '*':
			ok = match(i, j+1) || (i < len(a) && match(i+1, j))
		case j < len(b) && b[j] == '#':
			ok = match(i, j+1) || (i < len(a) && a[i] != ':' && match(i+1, j))
		case i < len(a) && j < len(b) && (a[i] == b[j] || a[i] == '?'):
			ok = match(i+1, j+1)
		}
		memo[k] = ok
		return ok
	}
	return match(0, 0)
}

func checkPrincipal(p any) []string {
	if p == nil || p == "*" {
		return nil
	}
	m, ok := p.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("Principal %v is neither \"*\" nor an object", p)}
	}
	var out []string
	for kind, v := range m {
		for _, s := range strs(v) {
			switch kind {
			case "Service":
				if !slices.ContainsFunc(servicePrincipals, func(re *regexp.Regexp) bool { return re.MatchString(s) }) {
					out = append(out, fmt.Sprintf("service principal %q is not one AWS documents for the platform's services", s))
				}
			case "AWS":
				if s != "*" && !awsPrincipal.MatchString(s) {
					out = append(out, fmt.Sprintf("AWS principal %q is not an account, role or user ARN", s))
				}
			case "Federated":
				if !federatedPrincipal.MatchString(s) {
					out = append(out, fmt.Sprintf("federated principal %q is not an IAM identity provider ARN", s))
				}
			default:
				out = append(out, fmt.Sprintf("principal type %q is not Service, AWS or Federated", kind))
			}
		}
	}
	return out
}

var (
	awsPrincipal       = regexp.MustCompile(`^(arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:(root|role/.+|user/.+)|[0-9]{12})$`)
	federatedPrincipal = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:(oidc-provider|saml-provider)/.+$`)
	managedPolicyARN   = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::aws:policy/(.+)$`)
)

// CheckManagedPolicyARN says whether an AWS managed policy ARN exists.
func (r *Reference) CheckManagedPolicyARN(arn string) string {
	m := managedPolicyARN.FindStringSubmatch(arn)
	if m == nil {
		return ""
	}
	if slices.Contains(r.ManagedPolicies, m[2]) {
		return ""
	}
	return fmt.Sprintf("%s is not an AWS managed policy", arn)
}

// IsManagedPolicyARN says whether a string is an AWS managed policy ARN.
func IsManagedPolicyARN(s string) bool { return managedPolicyARN.MatchString(s) }

var regexpCache sync.Map

func cached(key string, build func() string) *regexp.Regexp {
	if re, ok := regexpCache.Load(key); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile(build())
	regexpCache.Store(key, re)
	return re
}

// globRegexp matches action names: * and ? wildcards, case-insensitive.
func globRegexp(glob string) *regexp.Regexp {
	return cached("g"+glob, func() string {
		q := regexp.QuoteMeta(glob)
		q = strings.ReplaceAll(strings.ReplaceAll(q, `\*`, ".*"), `\?`, ".")
		return "(?i)^" + q + "$"
	})
}

var placeholder = regexp.MustCompile(`\\\$\\\{[^}]*\\\}|tag-key`)

// keyRegexp matches condition keys: ${TagKey}-style placeholders match any
// text; names compare case-insensitively.
func keyRegexp(key string) *regexp.Regexp {
	return cached("k"+key, func() string {
		return "(?i)^" + placeholder.ReplaceAllString(regexp.QuoteMeta(key), ".+") + "$"
	})
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
