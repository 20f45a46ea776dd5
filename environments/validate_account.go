package environments

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/eksplatform/eksplatform/catalog"
)

var trustedPrincipalRe = regexp.MustCompile(`^arn:(aws|aws-us-gov|aws-cn):iam::([0-9]{12}):(root|role/[A-Za-z0-9+=,.@_/-]{1,512}|user/[A-Za-z0-9+=,.@_/-]{1,512})$`)

// validateClusterAdmin checks one cluster_admin: exactly one of the two forms.
func validateClusterAdmin(c *collector, path string, a *ClusterAdminSpec, entries []AccessEntrySpec) {
	switch {
	case len(a.TrustedPrincipals) == 0 && a.RoleARN == "":
		c.add(path, `must set trusted_principals (create a role per cluster) or role_arn (bring one)`)
	case len(a.TrustedPrincipals) > 0 && a.RoleARN != "":
		c.add(path, "sets both trusted_principals and role_arn; choose one: create a role, or bring %s", a.RoleARN)
	}
	seen := map[string]int{}
	for i, p := range a.TrustedPrincipals {
		pp := indexPath(path+".trusted_principals", i)
		switch {
		case strings.Contains(p, "*"):
			c.add(pp, "must name a principal, not a wildcard, got %q: anyone matching it could administer the cluster", p)
		case !trustedPrincipalRe.MatchString(p):
			c.add(pp, "must be an IAM role or user ARN or an account root (arn:aws:iam::123456789012:root), got %q", p)
		}
		if j, dup := seen[p]; dup {
			c.add(pp, "repeats %s", indexPath(path+".trusted_principals", j))
		}
		seen[p] = i
	}
	if a.RoleARN != "" {
		if !roleARNRe.MatchString(a.RoleARN) {
			c.add(path+".role_arn", "must be an IAM role ARN (arn:aws:iam::123456789012:role/Name), got %q", a.RoleARN)
		}
		for i, e := range entries {
			if e.PrincipalARN == a.RoleARN {
				c.add(path+".role_arn", "%s already has an access entry at %s; EKS allows one access entry per principal: remove that entry (cluster_admin gives the role AmazonEKSClusterAdminPolicy)",
					a.RoleARN, indexPath("access_entries", i))
			}
		}
	}
}

// validateAdminAndAccounts checks cluster_admin (role-wide and per cluster)
// and the accounts map of one file.
func validateAdminAndAccounts(c *collector, f *File) {
	if f.ClusterAdmin != nil {
		validateClusterAdmin(c, "cluster_admin", f.ClusterAdmin, f.AccessEntries)
	}
	var missing []string
	for i := range f.Clusters {
		cl := &f.Clusters[i]
		if cl.ClusterAdmin != nil {
			validateClusterAdmin(c, indexPath("clusters", i)+".cluster_admin", cl.ClusterAdmin, f.AccessEntries)
		} else if f.ClusterAdmin == nil {
			missing = append(missing, cl.Name)
		}
	}
	if len(missing) > 0 {
		c.add("cluster_admin", `is required (clusters without one: %s): {"trusted_principals": ["arn:aws:iam::123456789012:role/PlatformAdmin"]} creates a role per cluster that only those principals may assume; {"role_arn": "arn:aws:iam::123456789012:role/Existing"} brings one. Set it here or on each cluster`,
			strings.Join(missing, ", "))
	}

	accounts := map[string]bool{}
	for _, cl := range f.Clusters {
		accounts[cl.AccountID] = true
	}
	for _, id := range sortedKeys(f.Accounts) {
		p := keyPath("accounts", id)
		a := f.Accounts[id]
		switch {
		case !accountPattern.MatchString(id):
			c.add(p, "keys are 12-digit account ids, got %q", id)
			continue
		case !accounts[id]:
			c.add(p, "no cluster of this role is in account %s; declare account settings in a file with a cluster there (accounts: %s)", id, strings.Join(sortedKeys(accounts), ", "))
			continue
		case a == nil:
			c.add(p, `must be an object like {"spot_service_linked_role": "exists"}`)
			continue
		}
		if a.SpotServiceLinkedRole != SpotRoleCreate && a.SpotServiceLinkedRole != SpotRoleExists {
			c.add(p+".spot_service_linked_role", "must be %q or %q, got %q", SpotRoleCreate, SpotRoleExists, a.SpotServiceLinkedRole)
		}
	}

	if fb := f.Operators.FluentBit; !slices.Contains(catalog.LogRetentionDays, *fb.LogRetentionDays) {
		c.add("operators.fluent_bit.log_retention_days", "must be a CloudWatch Logs retention: one of %s, got %d", joinInts(catalog.LogRetentionDays), *fb.LogRetentionDays)
	}
}

// checkAccounts: the files that set an account agree.
func checkAccounts(f *Fleet) Errors {
	var errs Errors
	type decl struct{ value, file string }
	seen := map[string]decl{}
	for _, r := range f.Roles {
		for _, id := range sortedKeys(r.Accounts) {
			v := r.Accounts[id]
			if prev, ok := seen[id]; ok && prev.value != v {
				errs = append(errs, FieldError{File: r.File, Path: keyPath("accounts", id) + ".spot_service_linked_role",
					Msg: fmt.Sprintf("is %q but %s says %q; an account has one setting", v, prev.file, prev.value)})
				continue
			}
			seen[id] = decl{v, r.File}
		}
	}
	return errs
}

// checkDeployRoles: one pipeline identity lives in one account, and each
// stack's AWS provider accepts only credentials of its cluster's account, so
// a fleet that spans accounts names, for every cluster, the role its stack
// assumes there.
func checkDeployRoles(f *Fleet) Errors {
	accounts := map[string]bool{}
	for _, c := range f.Clusters() {
		accounts[c.AccountID] = true
	}
	if len(accounts) < 2 {
		return nil
	}
	ids := sortedKeys(accounts)
	var errs Errors
	for _, r := range f.Roles {
		for i, c := range r.Clusters {
			if c.DeployRoleARN == "" {
				errs = append(errs, FieldError{File: r.File, Path: indexPath("clusters", i) + ".deploy_role_arn",
					Msg: fmt.Sprintf("is required: the fleet spans accounts %s, and one pipeline identity cannot deploy them all; name the role the stack assumes in %s (e.g. arn:aws:iam::%s:role/PlatformDeploy)",
						strings.Join(ids, ", "), c.AccountID, c.AccountID)})
			}
		}
	}
	return errs
}

// assignAccounts lists the fleet's accounts and picks, for each account
// without the Spot service-linked role, the cluster whose stack creates it:
// the first cluster of the account in wave order, so the role exists before
// any later wave's karpenter asks for Spot capacity. The role is retained
// when that stack is destroyed; a stack created again in an account that
// has the role must say "exists". Roles must already be in rollout order.
func assignAccounts(f *Fleet) {
	f.Accounts = nil
	byID := map[string]*Account{}
	for _, r := range f.Roles {
		for id, v := range r.Accounts {
			if v == SpotRoleExists {
				byID[id] = &Account{ID: id, SpotRoleExists: true, DeclaredIn: r.File}
			}
		}
	}
	owner := map[string]*Cluster{}
	for _, c := range f.Clusters() {
		c.OwnsSpotRole, c.SpotRoleOwner = false, ""
		if _, ok := byID[c.AccountID]; !ok {
			byID[c.AccountID] = &Account{ID: c.AccountID}
		}
		if _, ok := owner[c.AccountID]; !ok {
			owner[c.AccountID] = c
		}
	}
	for id, c := range owner {
		if a := byID[id]; !a.SpotRoleExists {
			a.SpotRoleOwner = c.Name
			c.OwnsSpotRole = true
		}
	}
	for _, c := range f.Clusters() {
		c.SpotRoleOwner = byID[c.AccountID].SpotRoleOwner
	}
	for _, id := range sortedKeys(byID) {
		f.Accounts = append(f.Accounts, byID[id])
	}
}
