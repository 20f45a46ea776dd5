package audit

// The tests of this file run the DynamoStore against dynalite, an
// independent implementation of the DynamoDB API (on LevelDB, in memory
// here), that each test starts on loopback. tools/dynalite/install.sh
// (`make setup`) installs it; without it these tests fail, they never skip.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Static fake credentials: dynalite checks that requests are signed, not
// what with.
const (
	dynaliteKeyID  = "AKIDDYNALITE"
	dynaliteSecret = "dynalite-secret"
	dynaliteRegion = "us-east-1"
)

// dynaliteVersion reads the version tools/dynalite/package.json pins, the
// one install.sh installs.
func dynaliteVersion(t *testing.T) string {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "..", "tools", "dynalite", "package.json"))
	require.NoError(t, err)
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	require.NoError(t, json.Unmarshal(body, &pkg))
	v := pkg.Dependencies["dynalite"]
	require.Regexp(t, `^\d+\.\d+\.\d+$`, v, "tools/dynalite/package.json must pin dynalite at an exact version")
	return v
}

// dynaliteCLI returns node and dynalite's cli.js in the cache install.sh
// fills: ${EKSPLATFORM_CACHE:-$HOME/.cache/eksplatform}/dynalite-VERSION.
func dynaliteCLI(t *testing.T) (node, cli string) {
	t.Helper()
	version := dynaliteVersion(t)
	cache := os.Getenv("EKSPLATFORM_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		require.NoError(t, err, "finding the cache of tools/dynalite/install.sh")
		cache = filepath.Join(home, ".cache", "eksplatform")
	}
	cli = filepath.Join(cache, "dynalite-"+version, "node_modules", "dynalite", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("dynalite %s is not installed (%v): run `make setup` (or tools/dynalite/install.sh), which installs it into %s",
			version, err, filepath.Dir(filepath.Dir(filepath.Dir(cli))))
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("dynalite needs node (20 or later) on PATH: %v; install Node.js, then run `make setup`", err)
	}
	return node, cli
}

// startDynalite starts dynalite on a free loopback port, waits until it
// answers, and kills it when the test ends. It returns its endpoint,
// http://127.0.0.1:PORT.
func startDynalite(t *testing.T) string {
	t.Helper()
	node, cli := dynaliteCLI(t)
	var errs []error
	// The port is free when picked but may be taken before dynalite binds
	// it; then dynalite exits and another port is tried.
	for range 3 {
		endpoint, err := tryStartDynalite(t, node, cli)
		if err == nil {
			return endpoint
		}
		errs = append(errs, err)
	}
	t.Fatalf("starting dynalite: %v", errors.Join(errs...))
	return ""
}

func tryStartDynalite(t *testing.T, node, cli string) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return "", err
	}
	// --port 0 would not work: the CLI treats 0 as unset (port 4567).
	// Tables leave the CREATING state after createTableMs (500 by default).
	cmd := exec.Command(node, cli, "--host", "127.0.0.1", "--port", strconv.Itoa(port), "--createTableMs", "10")
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("%s %s: %w", node, cli, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill() // an error only says that it had exited
		<-exited
	}
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	hc := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(20 * time.Second); ; {
		select {
		case <-exited:
			return "", fmt.Errorf("dynalite on port %d exited before it answered: %s", port, out)
		default:
		}
		// dynalite answers any GET with its health line.
		if resp, err := hc.Get(endpoint + "/"); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.HasPrefix(string(body), "healthy: dynamodb") {
				t.Cleanup(stop)
				return endpoint, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return "", fmt.Errorf("dynalite on port %d did not answer within 20s: %s", port, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// adminClient talks to endpoint directly, for what the store does not do:
// creating the table and reading items back.
func adminClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       dynaliteRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(dynaliteKeyID, dynaliteSecret, ""),
		BaseEndpoint: aws.String(endpoint),
	})
}

// createAuditTable creates name with the layout of the package doc
// (doc.go): partition key "cluster" (S), sort key "run" (S), on demand.
func createAuditTable(t *testing.T, admin *dynamodb.Client, name string) {
	t.Helper()
	_, err := admin.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("cluster"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("run"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("cluster"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("run"), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	require.NoError(t, err)
	waiter := dynamodb.NewTableExistsWaiter(admin, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond
	})
	require.NoError(t, waiter.Wait(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 10*time.Second))
}

// openDynalite opens the store as the CLI does, through Open with the
// endpoint parameter, with static credentials from the environment and no
// shared config or credentials file of the machine.
func openDynalite(t *testing.T, endpoint, table string) *DynamoStore {
	t.Helper()
	isolateAWS(t) // AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE: paths that do not exist
	t.Setenv("AWS_ACCESS_KEY_ID", dynaliteKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", dynaliteSecret)
	storeURL := "dynamodb://" + table + "?region=" + dynaliteRegion + "&endpoint=" + endpoint
	s, err := Open(t.Context(), storeURL, t.TempDir())
	require.NoError(t, err)
	require.Equal(t, storeURL, s.String())
	ds, ok := s.(*DynamoStore)
	require.True(t, ok, "%T", s)
	creds, err := ds.api.(*dynamodb.Client).Options().Credentials.Retrieve(t.Context())
	require.NoError(t, err)
	require.Equal(t, dynaliteKeyID, creds.AccessKeyID, "the credentials come from the environment, not a file of the machine")
	return ds
}

// withShortBackoff returns a store on a client with the options Open gave
// s's (retryer, attempts, endpoint, credentials), except that the delay
// between attempts is at most 1ms instead of up to 20s.
func withShortBackoff(t *testing.T, s *DynamoStore) *DynamoStore {
	t.Helper()
	opts := s.api.(*dynamodb.Client).Options()
	require.Equal(t, dynamoMaxAttempts, opts.RetryMaxAttempts)
	opts.Retryer = retry.AddWithMaxBackoffDelay(opts.Retryer, time.Millisecond)
	client := dynamodb.New(opts)
	require.Equal(t, dynamoMaxAttempts, client.Options().Retryer.MaxAttempts())
	fast := NewDynamoStore(client, s.table)
	fast.region, fast.endpoint = s.region, s.endpoint
	return fast
}

// dynamoProxy stands in front of dynalite: it records each request and
// answers the next few with ProvisionedThroughputExceededException as
// DynamoDB does, forwarding the rest. dynalite never throttles by itself:
// it has no notion of provisioned capacity to exceed (its CLI has no flag
// for it, and its source raises no ProvisionedThroughputExceededException,
// ThrottlingException or RequestLimitExceeded), so this is how the tests
// get throttled.
type dynamoProxy struct {
	t        *testing.T
	url      string
	forward  http.Handler
	mu       sync.Mutex
	throttle int // how many of the next requests get throttled
	requests []proxiedRequest
}

type proxiedRequest struct {
	Op                string // PutItem, Query, Scan...
	Cluster           string // the :c of a Query
	Throttled         bool
	ExclusiveStartKey string // its JSON, "" on a first page
	Auth              string
}

func newDynamoProxy(t *testing.T, dynalite string) *dynamoProxy {
	target, err := url.Parse(dynalite)
	require.NoError(t, err)
	p := &dynamoProxy{t: t, forward: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

// throttleNext makes the next n requests fail and forgets earlier requests.
func (p *dynamoProxy) throttleNext(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.throttle = n
	p.requests = nil
}

// seen returns the requests of op since the last throttleNext.
func (p *dynamoProxy) seen(op string) (all []proxiedRequest, throttled int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.requests {
		if r.Op == op {
			all = append(all, r)
			if r.Throttled {
				throttled++
			}
		}
	}
	return all, throttled
}

func (p *dynamoProxy) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	var in struct {
		ExclusiveStartKey         json.RawMessage
		ExpressionAttributeValues map[string]struct{ S string }
	}
	_ = json.Unmarshal(body, &in)
	r := proxiedRequest{
		Op:                strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_20120810."),
		Cluster:           in.ExpressionAttributeValues[":c"].S,
		ExclusiveStartKey: string(in.ExclusiveStartKey),
		Auth:              req.Header.Get("Authorization"),
	}
	p.mu.Lock()
	if p.throttle > 0 {
		p.throttle--
		r.Throttled = true
	}
	p.requests = append(p.requests, r)
	n := len(p.requests)
	p.mu.Unlock()
	if !r.Throttled {
		p.forward.ServeHTTP(w, req)
		return
	}
	// DynamoDB's wire format for the error (the JSON 1.0 protocol).
	out := []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",` +
		`"message":"The level of configured provisioned throughput for the table was exceeded. ` +
		`Consider increasing your provisioning level with the UpdateTable API."}`)
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("x-amzn-ErrorType", "ProvisionedThroughputExceededException")
	h.Set("x-amzn-RequestId", fmt.Sprintf("THROTTLED%04d", n))
	h.Set("x-amz-crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(out)), 10))
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(out)
}

// utc is r as List returns it: times in UTC.
func utc(r Record) Record {
	r.Start, r.End = r.Start.UTC(), r.End.UTC()
	return r
}

func TestDynaliteConditionalWrite(t *testing.T) {
	endpoint := startDynalite(t)
	admin := adminClient(endpoint)
	createAuditTable(t, admin, "audit-conditional")
	store := openDynalite(t, endpoint, "audit-conditional")
	ctx := t.Context()

	rec := threeRecords()[1] // prod-a run-1
	rec.Start = rec.Start.Add(123456789 * time.Nanosecond).In(time.FixedZone("UTC+2", 2*3600))
	require.NoError(t, store.Append(ctx, rec))

	// The item follows the layout of the package doc.
	out, err := admin.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String("audit-conditional"),
		Key: map[string]types.AttributeValue{
			"cluster": str("prod-a"), "run": str("2026-11-22T10:15:00.123456789Z#run-1"),
		},
		ConsistentRead: aws.Bool(true),
	})
	require.NoError(t, err)
	require.NotNil(t, out.Item, "the sort key is the fixed-width start in UTC, '#' and the run id")
	assert.ElementsMatch(t, []string{"cluster", "run", "role", "start", "record"}, slices.Collect(maps.Keys(out.Item)))
	assert.Equal(t, str("platform"), out.Item["role"])
	assert.Equal(t, str("2026-11-22T10:15:00.123456789Z"), out.Item["start"])
	stored, err := decodeRecord([]byte(out.Item["record"].(*types.AttributeValueMemberS).Value))
	require.NoError(t, err)
	assert.Equal(t, utc(rec), stored)

	// The same record again, as a retry of a write that had succeeded would
	// send it. DynamoDB returns the stored item with the failed condition
	// (ReturnValuesOnConditionCheckFailure=ALL_OLD) and Append sees its own
	// record: no error (TestDynamoConflict checks that on the fake).
	// dynalite 4.0.0 does not implement ReturnValuesOnConditionCheckFailure:
	// its ConditionalCheckFailedException carries no item, so Append cannot
	// tell its own record from another one and reports a conflict. When this
	// assertion fails, dynalite has learnt it: expect NoError here.
	err = store.Append(ctx, rec)
	require.ErrorIs(t, err, ErrConflict, "dynalite returns no item with a failed condition")
	_, err = admin.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String("audit-conditional"),
		Item:                                out.Item,
		ConditionExpression:                 aws.String("attribute_not_exists(#c)"),
		ExpressionAttributeNames:            map[string]string{"#c": "cluster"},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	require.ErrorAs(t, err, &failed)
	assert.Nil(t, failed.Item, "dynalite ignores ReturnValuesOnConditionCheckFailure")

	// Another record with the same key is refused and changes nothing.
	other := rec
	other.Result, other.Reason = "succeeded", ""
	err = store.Append(ctx, other)
	require.ErrorIs(t, err, ErrConflict)
	assert.Contains(t, err.Error(), "DynamoDB table audit-conditional: appending the audit record of cluster prod-a run run-1")
	var cond *types.ConditionalCheckFailedException
	assert.False(t, errors.As(err, &cond), "the conflict is ErrConflict, not the SDK's error")

	got, err := store.List(ctx, Filter{Clusters: []string{"prod-a"}})
	require.NoError(t, err)
	assert.Equal(t, []Record{utc(rec)}, got, "the first record stays")

	// The same cluster and start with another run id is another key.
	next := rec
	next.RunID = "run-1b"
	require.NoError(t, store.Append(ctx, next))
	got, err = store.List(ctx, Filter{})
	require.NoError(t, err)
	assert.Equal(t, []Record{utc(rec), utc(next)}, got, "same start: by run id")
}

// TestDynaliteListPaginates stores more than DynamoDB returns in one page
// (1 MB of items read, before any filter) and checks that both the Query
// and the Scan path of List read every page.
func TestDynaliteListPaginates(t *testing.T) {
	endpoint := startDynalite(t)
	createAuditTable(t, adminClient(endpoint), "audit-pages")
	proxy := newDynamoProxy(t, endpoint)
	store := openDynalite(t, proxy.url, "audit-pages")
	ctx := t.Context()

	// 24 records of about 100 kB on cluster "big": 2.4 MB, so at least 3
	// pages of at most about 1 MB each. 3 small ones on "small"; the first
	// starts at the same time as one of "big" (ties: by cluster name).
	reason := strings.Repeat("x", 100_000)
	var big, small []Record
	for i := range 24 {
		big = append(big, Record{RunID: fmt.Sprintf("run-%02d", i), Cluster: "big", Role: "platform", Command: "up",
			Result: "failed", Reason: reason, Start: t0.Add(time.Duration(i) * time.Minute), End: t0.Add(time.Duration(i)*time.Minute + time.Second)})
	}
	for i := range 3 {
		small = append(small, Record{RunID: fmt.Sprintf("small-%d", i), Cluster: "small", Role: "workload", Command: "preview",
			Result: "succeeded", Start: t0.Add(time.Duration(5+10*i) * time.Minute)})
	}
	appendAll(t, store, big)
	appendAll(t, store, small)

	newestFirst := func(records ...Record) []string {
		var out []string
		for _, r := range records {
			out = append(out, r.RunID+"/"+r.Cluster)
		}
		return out
	}
	var bigDesc []Record
	for i := len(big) - 1; i >= 0; i-- {
		bigDesc = append(bigDesc, big[i])
	}
	// Written order: minutes 0..23 on big, 5, 15, 25 on small. Newest
	// first, with big before small at minutes 5 and 15.
	var allDesc []Record
	allDesc = append(allDesc, small[2])
	for i := 23; i >= 0; i-- {
		allDesc = append(allDesc, big[i])
		if i == 15 {
			allDesc = append(allDesc, small[1])
		}
		if i == 5 {
			allDesc = append(allDesc, small[0])
		}
	}

	// checkPages asserts that reqs, the requests of one Query or Scan, read
	// at least minPages pages, each after the last.
	checkPages := func(t *testing.T, reqs []proxiedRequest, minPages int) {
		t.Helper()
		require.GreaterOrEqual(t, len(reqs), minPages, "pages")
		assert.Empty(t, reqs[0].ExclusiveStartKey, "the first page starts at the start")
		starts := map[string]bool{}
		for _, r := range reqs[1:] {
			assert.NotEmpty(t, r.ExclusiveStartKey, "each next page starts after the last")
			assert.False(t, starts[r.ExclusiveStartKey], "no page is read twice")
			starts[r.ExclusiveStartKey] = true
		}
		assert.Regexp(t, `^AWS4-HMAC-SHA256 Credential=`+dynaliteKeyID+`/\d{8}/us-east-1/dynamodb/aws4_request, `, reqs[0].Auth)
	}

	t.Run("query", func(t *testing.T) {
		proxy.throttleNext(0)
		got, err := store.List(ctx, Filter{Clusters: []string{"big"}})
		require.NoError(t, err)
		assert.Equal(t, newestFirst(bigDesc...), clustersAndRuns(got))
		assert.Equal(t, reason, got[0].Reason, "whole records come back")
		reqs, _ := proxy.seen("Query")
		checkPages(t, reqs, 3)
		reqs, _ = proxy.seen("Scan")
		assert.Empty(t, reqs, "clusters named: no scan")
	})
	t.Run("query since", func(t *testing.T) {
		proxy.throttleNext(0)
		got, err := store.List(ctx, Filter{Clusters: []string{"big", "small"}, Since: t0.Add(9 * time.Minute)})
		require.NoError(t, err)
		// 15 records of big (1.5 MB: 2 pages or more) and 2 of small.
		want := slices.DeleteFunc(slices.Clone(allDesc), func(r Record) bool { return r.Start.Before(t0.Add(9 * time.Minute)) })
		require.Len(t, want, 17)
		assert.Equal(t, newestFirst(want...), clustersAndRuns(got))
		reqs, _ := proxy.seen("Query")
		byCluster := map[string][]proxiedRequest{}
		for _, r := range reqs {
			byCluster[r.Cluster] = append(byCluster[r.Cluster], r)
		}
		assert.Len(t, byCluster, 2)
		checkPages(t, byCluster["big"], 2)
		checkPages(t, byCluster["small"], 1)
		assert.Len(t, byCluster["small"], 1, "one page of small records")
	})
	t.Run("scan", func(t *testing.T) {
		proxy.throttleNext(0)
		got, err := store.List(ctx, Filter{})
		require.NoError(t, err)
		assert.Len(t, got, 27)
		assert.Equal(t, newestFirst(allDesc...), clustersAndRuns(got))
		reqs, _ := proxy.seen("Scan")
		checkPages(t, reqs, 3)
	})
	t.Run("scan filtered to the small records", func(t *testing.T) {
		// The 1 MB counts the items read, not those the filter keeps: pages
		// of big items come back empty but not last.
		proxy.throttleNext(0)
		got, err := store.List(ctx, Filter{Roles: []string{"workload"}})
		require.NoError(t, err)
		assert.Equal(t, newestFirst(small[2], small[1], small[0]), clustersAndRuns(got))
		reqs, _ := proxy.seen("Scan")
		checkPages(t, reqs, 3)
	})
}

// TestDynaliteFilter compares what List returns from dynalite with the
// documented semantics of Filter applied in Go to what was written.
func TestDynaliteFilter(t *testing.T) {
	endpoint := startDynalite(t)
	createAuditTable(t, adminClient(endpoint), "audit-filter")
	store := openDynalite(t, endpoint, "audit-filter")
	ctx := t.Context()

	since := t0.Add(3*time.Hour + 500*time.Millisecond)
	roles := []string{"platform", "workload", "edge"}
	var written []Record
	for i := range 36 {
		r := Record{RunID: fmt.Sprintf("run-%02d", i/3), Cluster: fmt.Sprintf("c%d", i%3+1), Role: roles[(i/3+i)%3],
			Command: "up", Result: "succeeded", Start: t0.Add(time.Duration(i) * 17 * time.Minute)}
		r.End = r.Start.Add(time.Minute)
		written = append(written, r)
	}
	// On the bound of Since, 1ns before it, and in another time zone.
	written = append(written,
		Record{RunID: "edge-on", Cluster: "c1", Role: "workload", Command: "up", Result: "succeeded", Start: since},
		Record{RunID: "edge-before", Cluster: "c1", Role: "workload", Command: "up", Result: "succeeded", Start: since.Add(-time.Nanosecond)},
		Record{RunID: "zoned", Cluster: "c2", Role: "edge", Command: "destroy", Result: "failed",
			Start: since.Add(time.Nanosecond).In(time.FixedZone("UTC-7", -7*3600))},
	)
	appendAll(t, store, written)

	manyRoles := []string{"workload"}
	for i := range maxInOperands {
		manyRoles = append(manyRoles, fmt.Sprintf("role-%d", i))
	}
	for name, tc := range map[string]struct {
		f    Filter
		none bool // the filter matches nothing
	}{
		"since":                          {f: Filter{Since: since}},
		"since in another zone":          {f: Filter{Since: since.In(time.FixedZone("UTC+9", 9*3600))}},
		"one role":                       {f: Filter{Roles: []string{"workload"}}},
		"two roles since":                {f: Filter{Roles: []string{"platform", "edge"}, Since: since}},
		"clusters since":                 {f: Filter{Clusters: []string{"c1", "c3"}, Since: since}},
		"cluster and role":               {f: Filter{Clusters: []string{"c2"}, Roles: []string{"edge"}}},
		"more roles than IN takes":       {f: Filter{Clusters: []string{"c1"}, Roles: manyRoles, Since: since}},
		"more roles than IN takes scan":  {f: Filter{Roles: manyRoles}},
		"a cluster twice and one absent": {f: Filter{Clusters: []string{"c1", "c1", "c9"}, Since: since}},
		"an unknown role":                {f: Filter{Roles: []string{"nope"}}, none: true},
		"since after everything":         {f: Filter{Since: t0.Add(48 * time.Hour)}, none: true},
	} {
		t.Run(name, func(t *testing.T) {
			want := documentedList(written, tc.f)
			if tc.none {
				require.Empty(t, want)
			} else {
				require.NotEmpty(t, want, "the case selects something")
				require.Less(t, len(want), len(written), "the case leaves something out")
			}
			got, err := store.List(ctx, tc.f)
			require.NoError(t, err)
			assert.Equal(t, clustersAndRuns(want), clustersAndRuns(got))
			assert.Equal(t, want, got)
		})
	}
}

// documentedList applies f as the Filter and Store docs say: clusters and
// roles when given, Start >= Since, newest first (Start descending, then
// cluster, then run id), times in UTC.
func documentedList(written []Record, f Filter) []Record {
	out := []Record{}
	for _, r := range written {
		switch {
		case len(f.Clusters) > 0 && !slices.Contains(f.Clusters, r.Cluster),
			len(f.Roles) > 0 && !slices.Contains(f.Roles, r.Role),
			!f.Since.IsZero() && r.Start.Before(f.Since):
			continue
		}
		out = append(out, utc(r))
	}
	slices.SortFunc(out, func(a, b Record) int {
		return cmp.Or(b.Start.Compare(a.Start), strings.Compare(a.Cluster, b.Cluster), strings.Compare(a.RunID, b.RunID))
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

func TestDynaliteThrottling(t *testing.T) {
	endpoint := startDynalite(t)
	createAuditTable(t, adminClient(endpoint), "audit-throttled")
	proxy := newDynamoProxy(t, endpoint)
	opened := openDynalite(t, proxy.url, "audit-throttled")
	// The same client with at most 1ms between attempts, for the cases
	// with several retries: up to 20s each with the SDK's backoff.
	fast := withShortBackoff(t, opened)
	direct := openDynalite(t, endpoint, "audit-throttled") // bypasses the proxy
	ctx := t.Context()

	record := func(n int) Record {
		return Record{RunID: fmt.Sprintf("run-%d", n), Cluster: "prod", Role: "platform", Command: "up", Result: "succeeded",
			Start: t0.Add(time.Duration(n) * time.Minute)}
	}
	stored := func(t *testing.T) []string {
		t.Helper()
		got, err := direct.List(ctx, Filter{})
		require.NoError(t, err)
		return clustersAndRuns(got)
	}
	var want []string // what the table holds, newest first

	t.Run("1 throttled, the backoff of Open", func(t *testing.T) {
		proxy.throttleNext(1)
		require.NoError(t, opened.Append(ctx, record(1)))
		reqs, throttled := proxy.seen("PutItem")
		assert.Len(t, reqs, 2)
		assert.Equal(t, 1, throttled)
		want = append([]string{"run-1/prod"}, want...)
		assert.Equal(t, want, stored(t))
	})
	for _, n := range []int{2, 4} {
		t.Run(fmt.Sprintf("%d throttled, then stored", n), func(t *testing.T) {
			proxy.throttleNext(n)
			require.NoError(t, fast.Append(ctx, record(n)))
			reqs, throttled := proxy.seen("PutItem")
			assert.Len(t, reqs, n+1, "%d throttled attempts and the one that went through", n)
			assert.Equal(t, n, throttled)
			want = append([]string{fmt.Sprintf("run-%d/prod", n)}, want...)
			assert.Equal(t, want, stored(t), "stored once")
		})
	}
	for _, n := range []int{5, 7} {
		t.Run(fmt.Sprintf("%d throttled: gives up after 5 attempts", n), func(t *testing.T) {
			proxy.throttleNext(n)
			err := fast.Append(ctx, record(10+n))
			require.Error(t, err)
			var pte *types.ProvisionedThroughputExceededException
			require.ErrorAs(t, err, &pte)
			assert.NotErrorIs(t, err, ErrConflict)
			msg := err.Error()
			assert.Contains(t, msg, fmt.Sprintf("DynamoDB table audit-throttled: appending the audit record of cluster prod run run-%d", 10+n))
			assert.Contains(t, msg, "exceeded maximum number of attempts, 5")
			assert.Contains(t, msg, "ProvisionedThroughputExceededException")
			assert.Contains(t, msg, "provisioned throughput for the table was exceeded")
			reqs, throttled := proxy.seen("PutItem")
			assert.Len(t, reqs, dynamoMaxAttempts, "no sixth attempt")
			assert.Equal(t, dynamoMaxAttempts, throttled)
			assert.Equal(t, want, stored(t), "nothing stored")
		})
	}
	t.Run("4 throttled queries, then the records", func(t *testing.T) {
		proxy.throttleNext(4)
		got, err := fast.List(ctx, Filter{Clusters: []string{"prod"}})
		require.NoError(t, err)
		assert.Equal(t, want, clustersAndRuns(got))
		reqs, throttled := proxy.seen("Query")
		assert.Len(t, reqs, 5)
		assert.Equal(t, 4, throttled)
	})
	t.Run("5 throttled scans: gives up", func(t *testing.T) {
		proxy.throttleNext(5)
		got, err := fast.List(ctx, Filter{})
		require.Error(t, err)
		assert.Nil(t, got)
		var pte *types.ProvisionedThroughputExceededException
		require.ErrorAs(t, err, &pte)
		assert.Contains(t, err.Error(), "DynamoDB table audit-throttled: scanning the audit records")
		assert.Contains(t, err.Error(), "exceeded maximum number of attempts, 5")
		reqs, throttled := proxy.seen("Scan")
		assert.Len(t, reqs, 5)
		assert.Equal(t, 5, throttled)
	})
}
