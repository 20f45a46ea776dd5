package audit

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Record is one cluster's part of one driver run.
type Record struct {
	RunID   string         `json:"runId"` // one id per run, shared by its clusters
	Cluster string         `json:"cluster"`
	Role    string         `json:"role"`
	Wave    int            `json:"wave"`             // the role's wave number
	Command string         `json:"command"`          // preview | up | refresh | destroy
	Result  string         `json:"result"`           // succeeded | failed | cancelled | skipped | not run
	Reason  string         `json:"reason,omitempty"` // why it failed/was skipped; never secrets
	Counts  map[string]int `json:"counts,omitempty"` // create/update/replace/delete
	Start   time.Time      `json:"start"`
	End     time.Time      `json:"end"`
	Actor   Actor          `json:"actor"`
	Commit  string         `json:"commit,omitempty"` // git commit of the repo
	Dirty   bool           `json:"dirty,omitempty"`  // the working tree had uncommitted changes
	// Overrides are the error-level plan findings the run was told to
	// ignore (--allow-check), "CODE subject: message".
	Overrides []string `json:"overrides,omitempty"`
}

// Actor says who ran a command, and from where.
type Actor struct {
	Identity string `json:"identity,omitempty"` // AWS caller identity ARN when available
	User     string `json:"user,omitempty"`     // OS user, or the CI user who triggered the job
	CI       string `json:"ci,omitempty"`       // "github-actions" | "circleci"
	JobURL   string `json:"jobUrl,omitempty"`
}

// Filter selects records for List. The zero Filter selects all of them.
type Filter struct {
	Clusters []string  // empty = all
	Roles    []string  // empty = all
	Since    time.Time // zero = no bound; records with Start >= Since
}

// Store keeps audit records.
type Store interface {
	// Append adds one record. Start and End are stored in UTC.
	Append(ctx context.Context, r Record) error
	// List returns matching records, newest first (Start descending; ties by
	// cluster name ascending, then run id).
	List(ctx context.Context, f Filter) ([]Record, error)
	// String names the store for messages, e.g. "file:///x/audit.jsonl" or
	// "dynamodb://table?region=us-east-2".
	String() string
}

// ErrConflict means a record with the same key (cluster, start and run id)
// already exists: the conditional write failed and nothing was overwritten.
var ErrConflict = errors.New("an audit record with the same key already exists")

// DefaultFile is the name of the FileStore Open uses when given no URL.
const DefaultFile = "audit.jsonl"

// dynamoMaxAttempts bounds the attempts of each DynamoDB request, the first
// included, when Open builds the client.
const dynamoMaxAttempts = 5

const storeForms = "want file://PATH (a JSON Lines file) or dynamodb://TABLE[?region=REGION][&endpoint=http(s)://HOST:PORT]"

var tableNameRe = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

// Open parses a store URL:
//
//	""                        -> FileStore at filepath.Join(defaultDir, "audit.jsonl")
//	"file:///abs/path.jsonl"  -> FileStore at /abs/path.jsonl
//	"file://rel/path.jsonl"   -> FileStore at rel/path.jsonl (relative to the working directory)
//	"dynamodb://TABLE?region=us-east-2" -> DynamoStore on TABLE
//	"dynamodb://TABLE?region=us-east-2&endpoint=http://127.0.0.1:8000" -> the same, at that endpoint
//
// For DynamoDB the region is optional (else the one of the default AWS
// config, which must then name one); the client comes from
// config.LoadDefaultConfig and retries throttling up to 5 attempts. The
// endpoint is optional too: an absolute http:// or https:// URL that
// replaces the region's DynamoDB endpoint, for DynamoDB Local, dynalite,
// LocalStack or a VPC endpoint; requests are still signed for the region.
// Open does not contact AWS. Any other value is an error naming it and the
// allowed forms.
func Open(ctx context.Context, storeURL, defaultDir string) (Store, error) {
	switch {
	case storeURL == "":
		return NewFileStore(filepath.Join(defaultDir, DefaultFile)), nil
	case strings.HasPrefix(storeURL, "file://"):
		path := strings.TrimPrefix(storeURL, "file://")
		if path == "" {
			return nil, badURL(storeURL, "the file path is missing")
		}
		return NewFileStore(path), nil
	case strings.HasPrefix(storeURL, "dynamodb://"):
		table, region, endpoint, err := parseDynamoURL(storeURL)
		if err != nil {
			return nil, err
		}
		var opts []func(*config.LoadOptions) error
		if region != "" {
			opts = append(opts, config.WithRegion(region))
		}
		cfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("audit store %q: loading the AWS config: %w", storeURL, err)
		}
		if cfg.Region == "" {
			return nil, badURL(storeURL, "no AWS region: add ?region=REGION or set AWS_REGION")
		}
		client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
			o.RetryMaxAttempts = dynamoMaxAttempts
			if endpoint != "" {
				o.BaseEndpoint = aws.String(endpoint)
			}
		})
		s := NewDynamoStore(client, table)
		s.region = cfg.Region
		s.endpoint = endpoint
		return s, nil
	default:
		return nil, badURL(storeURL, "unsupported scheme")
	}
}

// parseDynamoURL splits dynamodb://TABLE[?region=REGION][&endpoint=URL].
func parseDynamoURL(storeURL string) (table, region, endpoint string, err error) {
	rest := strings.TrimPrefix(storeURL, "dynamodb://")
	table, rawQuery, _ := strings.Cut(rest, "?")
	if table == "" {
		return "", "", "", badURL(storeURL, "the DynamoDB table name is missing")
	}
	if !tableNameRe.MatchString(table) {
		return "", "", "", badURL(storeURL, fmt.Sprintf("DynamoDB table name %q must be 3 to 255 of a-z, A-Z, 0-9, '_', '-' and '.'", table))
	}
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", "", "", badURL(storeURL, "bad query: "+err.Error())
	}
	for key, values := range query {
		if key != "region" && key != "endpoint" {
			return "", "", "", badURL(storeURL, fmt.Sprintf("unknown parameter %q (allowed: region, endpoint)", key))
		}
		if len(values) != 1 || values[0] == "" {
			return "", "", "", badURL(storeURL, key+" must be given once, not empty")
		}
		if key == "region" {
			region = values[0]
			continue
		}
		if problem := checkEndpoint(values[0]); problem != "" {
			return "", "", "", badURL(storeURL, fmt.Sprintf("endpoint %q %s", values[0], problem))
		}
		endpoint = values[0]
	}
	return table, region, endpoint, nil
}

// checkEndpoint says what is wrong with the endpoint parameter, or "": it
// must be an absolute http or https URL with a host and nothing after the
// path. It carries no user info, so that String never shows a password.
func checkEndpoint(endpoint string) string {
	const want = "must be an absolute http:// or https:// URL such as http://127.0.0.1:8000"
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return want + ": " + err.Error()
	case u.Scheme != "http" && u.Scheme != "https":
		return want
	case u.Host == "" || u.Hostname() == "":
		return want + ", with a host"
	case u.User != nil:
		return want + ", without a user or password"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return want + ", without a query or fragment"
	}
	return ""
}

func badURL(storeURL, problem string) error {
	return fmt.Errorf("audit store %q: %s; %s", storeURL, problem, storeForms)
}

// matches reports whether r passes f.
func (f Filter) matches(r Record) bool {
	if len(f.Clusters) > 0 && !slices.Contains(f.Clusters, r.Cluster) {
		return false
	}
	if len(f.Roles) > 0 && !slices.Contains(f.Roles, r.Role) {
		return false
	}
	return f.Since.IsZero() || !r.Start.Before(f.Since)
}

// sortNewestFirst orders records by Start descending, then cluster and run
// id ascending.
func sortNewestFirst(records []Record) {
	slices.SortStableFunc(records, func(a, b Record) int {
		if c := b.Start.Compare(a.Start); c != 0 {
			return c
		}
		if c := strings.Compare(a.Cluster, b.Cluster); c != 0 {
			return c
		}
		return strings.Compare(a.RunID, b.RunID)
	})
}

// normalize checks the fields a record is keyed by and puts its times in UTC.
func normalize(r Record) (Record, error) {
	if err := validate(r); err != nil {
		return r, err
	}
	r.Start = r.Start.UTC()
	r.End = r.End.UTC()
	return r, nil
}

func validate(r Record) error {
	switch {
	case r.RunID == "":
		return errors.New("the record has no runId")
	case r.Cluster == "":
		return errors.New("the record has no cluster")
	}
	return nil
}
