// Package eksgate is the driver's health gate for real clusters: it asks the
// EKS API, through aws-sdk-go-v2, whether a cluster is ACTIVE at its target
// version with every node group ACTIVE and free of health issues and every
// addon ACTIVE, and optionally calls the cluster's echo-server.
package eksgate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/eksplatform/eksplatform/automation"
	"github.com/eksplatform/eksplatform/contract"
	"github.com/eksplatform/eksplatform/environments"
)

// API is the part of the EKS client the gate uses; *eks.Client satisfies it.
type API interface {
	DescribeCluster(ctx context.Context, in *eks.DescribeClusterInput, optFns ...func(*eks.Options)) (*eks.DescribeClusterOutput, error)
	ListNodegroups(ctx context.Context, in *eks.ListNodegroupsInput, optFns ...func(*eks.Options)) (*eks.ListNodegroupsOutput, error)
	DescribeNodegroup(ctx context.Context, in *eks.DescribeNodegroupInput, optFns ...func(*eks.Options)) (*eks.DescribeNodegroupOutput, error)
	ListAddons(ctx context.Context, in *eks.ListAddonsInput, optFns ...func(*eks.Options)) (*eks.ListAddonsOutput, error)
	DescribeAddon(ctx context.Context, in *eks.DescribeAddonInput, optFns ...func(*eks.Options)) (*eks.DescribeAddonOutput, error)
}

// Gate is the EKS health gate.
type Gate struct {
	// Client returns the EKS API for a cluster's account and region.
	Client func(ctx context.Context, c *environments.Cluster) (API, error)
	// HTTP calls the echo-server.
	HTTP *http.Client
	// Interval is the wait between checks. Default 15 s.
	Interval time.Duration
	// DefaultTimeout applies when the wave sets none. Default 20 min.
	DefaultTimeout time.Duration
	// Log, when set, receives the cause of each failed check.
	Log io.Writer
}

var _ automation.HealthGate = (*Gate)(nil)

// New returns a gate that uses the ambient AWS credentials, assuming the
// cluster's deploy role when it has one.
func New() *Gate {
	return &Gate{Client: DefaultClient, HTTP: &http.Client{Timeout: 10 * time.Second}}
}

// DefaultClient builds an EKS client for the cluster's region from the
// default credential chain, through the cluster's deploy role if any.
func DefaultClient(ctx context.Context, c *environments.Cluster) (API, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(c.Region))
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration for %s: %w", c.Name, err)
	}
	if c.DeployRoleARN != "" {
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), c.DeployRoleARN))
	}
	return eks.NewFromConfig(cfg), nil
}

// Check polls until the cluster is healthy or the timeout passes.
func (g *Gate) Check(ctx context.Context, c *environments.Cluster, outputs map[string]any, opts automation.GateOptions) error {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = g.DefaultTimeout
	}
	if timeout <= 0 {
		timeout = 20 * time.Minute
	}
	interval := g.Interval
	if interval <= 0 {
		interval = 15 * time.Second
	}
	api, err := g.Client(ctx, c)
	if err != nil {
		return err
	}
	deadline, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last []string
	for attempt := 1; ; attempt++ {
		problems, fatal := g.probe(deadline, api, c, outputs, opts)
		if len(problems) == 0 {
			return nil
		}
		if fatal != nil {
			return fmt.Errorf("%s: the health gate cannot check the cluster, and no retry will fix it: %s. "+
				"Give the run credentials that may call eks:DescribeCluster, ListNodegroups, DescribeNodegroup, ListAddons and DescribeAddon "+
				"in the cluster's account (deploy_role_arn), or --skip-health-gate", c.Name, reason(fatal))
		}
		if g.Log != nil && deadline.Err() == nil {
			fmt.Fprintf(g.Log, "health gate %s: check %d: %s; checking again in %s\n", c.Name, attempt, strings.Join(problems, "; "), interval)
		}
		// A round the deadline cut short only says "deadline exceeded";
		// the previous complete round says what is wrong.
		if deadline.Err() == nil || last == nil {
			last = problems
		}
		select {
		case <-deadline.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%s not healthy after %s (%d checks): %s", c.Name, timeout, attempt, strings.Join(last, "; "))
		case <-time.After(interval):
		}
	}
}

// probe runs one round of checks and returns what is not healthy.
func (g *Gate) probe(ctx context.Context, api API, c *environments.Cluster, outputs map[string]any, opts automation.GateOptions) (problems []string, fatal error) {
	reason := func(err error) string {
		if fatal == nil && unrecoverable(err) {
			fatal = err
		}
		return reason(err)
	}
	name := aws.String(c.Name)
	cl, err := api.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: name})
	if err != nil {
		return []string{"describing the cluster: " + reason(err)}, fatal
	}
	if s := cl.Cluster.Status; s != types.ClusterStatusActive {
		problems = append(problems, fmt.Sprintf("cluster is %s", s))
	}
	if v := aws.ToString(cl.Cluster.Version); v != c.EKSVersion {
		problems = append(problems, fmt.Sprintf("control plane runs %s, want %s", v, c.EKSVersion))
	}

	groups, err := listAll(func(token *string) ([]string, *string, error) {
		out, err := api.ListNodegroups(ctx, &eks.ListNodegroupsInput{ClusterName: name, NextToken: token})
		if err != nil {
			return nil, nil, err
		}
		return out.Nodegroups, out.NextToken, nil
	})
	if err != nil {
		problems = append(problems, "listing node groups: "+reason(err))
	}
	for _, ng := range groups {
		out, err := api.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: name, NodegroupName: aws.String(ng)})
		if err != nil {
			problems = append(problems, fmt.Sprintf("node group %s: %s", ng, reason(err)))
			continue
		}
		n := out.Nodegroup
		if n.Status != types.NodegroupStatusActive {
			problems = append(problems, fmt.Sprintf("node group %s is %s", ng, n.Status))
		}
		if n.Health != nil {
			for _, issue := range n.Health.Issues {
				problems = append(problems, fmt.Sprintf("node group %s: %s: %s", ng, issue.Code, aws.ToString(issue.Message)))
			}
		}
	}

	addons, err := listAll(func(token *string) ([]string, *string, error) {
		out, err := api.ListAddons(ctx, &eks.ListAddonsInput{ClusterName: name, NextToken: token})
		if err != nil {
			return nil, nil, err
		}
		return out.Addons, out.NextToken, nil
	})
	if err != nil {
		problems = append(problems, "listing addons: "+reason(err))
	}
	slices.Sort(addons)
	for _, a := range addons {
		out, err := api.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: name, AddonName: aws.String(a)})
		if err != nil {
			problems = append(problems, fmt.Sprintf("addon %s: %s", a, reason(err)))
			continue
		}
		ad := out.Addon
		if ad.Status == types.AddonStatusActive {
			continue
		}
		msg := fmt.Sprintf("addon %s is %s", a, ad.Status)
		if ad.Health != nil {
			var issues []string
			for _, issue := range ad.Health.Issues {
				issues = append(issues, fmt.Sprintf("%s: %s", issue.Code, aws.ToString(issue.Message)))
			}
			if len(issues) > 0 {
				msg += " (" + strings.Join(issues, ", ") + ")"
			}
		}
		problems = append(problems, msg)
	}

	if opts.EchoCheck {
		o, err := contract.Read(outputs)
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case o.EchoServerURL != "":
			if p := g.echo(ctx, o.EchoServerURL); p != "" {
				problems = append(problems, p)
			}
		}
	}
	return problems, fatal
}

// unrecoverable says whether an API error is one no retry can fix: the
// credentials are missing, invalid or expired, or access is denied.
func unrecoverable(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch code := api.ErrorCode(); {
		case strings.HasPrefix(code, "AccessDenied"), code == "UnauthorizedOperation", code == "UnrecognizedClientException",
			code == "InvalidClientTokenId", code == "ExpiredToken", code == "ExpiredTokenException", code == "InvalidSignatureException":
			return true
		}
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "failed to retrieve credentials") || strings.Contains(msg, "failed to refresh cached credentials") ||
		strings.Contains(msg, "no EC2 IMDS role found") || strings.Contains(msg, "get identity: get credentials")
}

func (g *Gate) echo(ctx context.Context, url string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Sprintf("echo-server %s: %v", url, err)
	}
	client := g.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Sprintf("echo-server %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("echo-server %s answered %s", url, resp.Status)
	}
	return ""
}

func listAll(page func(token *string) ([]string, *string, error)) ([]string, error) {
	var out []string
	var token *string
	for range 100 {
		items, next, err := page(token)
		if err != nil {
			return out, err
		}
		out = append(out, items...)
		if aws.ToString(next) == "" {
			return out, nil
		}
		token = next
	}
	return out, errors.New("more than 100 pages")
}

// reason shortens an SDK error to what a reader needs: the API's error code
// and message.
func reason(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode() + ": " + api.ErrorMessage()
	}
	return err.Error()
}
