package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
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
)

// fakeDynamo is a DynamoDB of one table speaking the JSON 1.0 protocol. It
// knows only the expressions DynamoStore sends and rejects anything else
// with a ValidationException, so a test fails when the store's requests
// change. It checks that items follow the documented layout and that
// requests are SigV4-signed.
type fakeDynamo struct {
	t        *testing.T
	table    string
	pageSize int // items evaluated per Query or Scan page

	mu       sync.Mutex
	items    map[itemKey]map[string]attr
	calls    map[string]int // by operation
	requests []fakeRequest  // every request that reached an operation
	failPuts []string       // error types for the next PutItem calls
}

// maxFakeCalls fails a test whose store loops instead of hanging it.
const maxFakeCalls = 100

type itemKey struct{ cluster, run string }

// attr is an attribute value; the store writes strings only.
type attr struct {
	S *string `json:"S,omitempty"`
}

func sattr(s string) attr { return attr{S: &s} }

type fakeRequest struct {
	Op   string
	Auth string
	ddbRequest
}

// ddbRequest is the union of the fields of PutItem, Query and Scan the
// store may send; any other field is a ValidationException.
type ddbRequest struct {
	TableName                           string
	Item                                map[string]attr
	ConditionExpression                 *string
	ReturnValuesOnConditionCheckFailure string
	KeyConditionExpression              *string
	FilterExpression                    *string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]attr
	ScanIndexForward                    *bool
	ExclusiveStartKey                   map[string]attr
}

// ddbError is a DynamoDB error response.
type ddbError struct {
	status int
	typ    string
	msg    string
	item   map[string]attr
}

func validation(format string, args ...any) *ddbError {
	return &ddbError{status: http.StatusBadRequest, typ: "ValidationException", msg: fmt.Sprintf(format, args...)}
}

func newFakeDynamo(t *testing.T, table string) *fakeDynamo {
	return &fakeDynamo{
		t: t, table: table, pageSize: 2,
		items: map[itemKey]map[string]attr{},
		calls: map[string]int{},
	}
}

// start serves the fake and returns a store on table through a client
// built as the brief says: static credentials, the fake's endpoint, and the
// standard retryer with 5 attempts and no backoff.
func (f *fakeDynamo) start(table string) (*DynamoStore, *dynamodb.Client) {
	srv := httptest.NewServer(f)
	f.t.Cleanup(srv.Close)
	client := dynamodb.NewFromConfig(aws.Config{
		Region:      "us-east-2",
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		HTTPClient:  srv.Client(),
	}, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 5
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	})
	return NewDynamoStore(client, table), client
}

func (f *fakeDynamo) callCount(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fakeDynamo) requestsOf(op string) []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeRequest
	for _, r := range f.requests {
		if r.Op == op {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeDynamo) itemCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.items)
}

func (f *fakeDynamo) item(cluster, run string) map[string]attr {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.items[itemKey{cluster, run}]
}

func (f *fakeDynamo) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		f.reply(w, nil, &ddbError{status: 500, typ: "InternalServerError", msg: err.Error()})
		return
	}
	out, derr := f.handle(req, body)
	f.reply(w, out, derr)
}

func (f *fakeDynamo) reply(w http.ResponseWriter, out any, derr *ddbError) {
	status := http.StatusOK
	if derr != nil {
		status = derr.status
		body := map[string]any{"__type": "com.amazonaws.dynamodb.v20120810#" + derr.typ, "message": derr.msg}
		if derr.item != nil {
			body["Item"] = derr.item
		}
		out = body
	}
	data, err := json.Marshal(out)
	if err != nil {
		f.t.Errorf("fake DynamoDB: encoding the response: %v", err)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(data)), 10))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func (f *fakeDynamo) handle(req *http.Request, body []byte) (any, *ddbError) {
	if req.Method != http.MethodPost || req.URL.Path != "/" {
		return nil, validation("want POST /, got %s %s", req.Method, req.URL.Path)
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/x-amz-json-1.0" {
		return nil, validation("Content-Type %q", ct)
	}
	auth := req.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKID/") || !strings.Contains(auth, "/us-east-2/dynamodb/aws4_request") {
		return nil, &ddbError{status: http.StatusBadRequest, typ: "MissingAuthenticationTokenException", msg: "request is not SigV4-signed: " + auth}
	}
	op, ok := strings.CutPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	if !ok {
		return nil, validation("X-Amz-Target %q", req.Header.Get("X-Amz-Target"))
	}
	var in ddbRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, validation("%s: unexpected request %s: %v", op, body, err)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if f.calls[op] > maxFakeCalls {
		return nil, validation("more than %d %s calls: is the client looping?", maxFakeCalls, op)
	}
	f.requests = append(f.requests, fakeRequest{Op: op, Auth: auth, ddbRequest: in})
	if in.TableName != f.table {
		return nil, &ddbError{status: http.StatusBadRequest, typ: "ResourceNotFoundException", msg: "Requested resource not found"}
	}
	switch op {
	case "PutItem":
		return f.putItem(in)
	case "Query":
		return f.query(in)
	case "Scan":
		return f.scan(in)
	default:
		return nil, &ddbError{status: http.StatusBadRequest, typ: "UnknownOperationException", msg: op}
	}
}

func (f *fakeDynamo) putItem(in ddbRequest) (any, *ddbError) {
	if aws.ToString(in.ConditionExpression) != "attribute_not_exists(#c)" ||
		!maps.Equal(in.ExpressionAttributeNames, map[string]string{"#c": "cluster"}) || in.ExpressionAttributeValues != nil {
		return nil, validation("unexpected condition %q %v %v", aws.ToString(in.ConditionExpression), in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	}
	if in.ReturnValuesOnConditionCheckFailure != "" && in.ReturnValuesOnConditionCheckFailure != "ALL_OLD" {
		return nil, validation("ReturnValuesOnConditionCheckFailure %q", in.ReturnValuesOnConditionCheckFailure)
	}
	if err := checkLayout(in.Item); err != nil {
		return nil, validation("item does not follow the table layout: %v", err)
	}
	if len(f.failPuts) > 0 {
		typ := f.failPuts[0]
		f.failPuts = f.failPuts[1:]
		return nil, &ddbError{status: http.StatusBadRequest, typ: typ, msg: "injected " + typ}
	}
	key := itemKey{*in.Item["cluster"].S, *in.Item["run"].S}
	if old, ok := f.items[key]; ok {
		derr := &ddbError{status: http.StatusBadRequest, typ: "ConditionalCheckFailedException", msg: "The conditional request failed"}
		if in.ReturnValuesOnConditionCheckFailure == "ALL_OLD" {
			derr.item = old
		}
		return nil, derr
	}
	f.items[key] = in.Item
	return struct{}{}, nil
}

// checkLayout checks an item against the layout of the package doc.
func checkLayout(item map[string]attr) error {
	names := slices.Sorted(maps.Keys(item))
	if !slices.Equal(names, []string{"cluster", "record", "role", "run", "start"}) {
		return fmt.Errorf("attributes %v", names)
	}
	for name, a := range item {
		if a.S == nil {
			return fmt.Errorf("%s is not a string", name)
		}
	}
	var r Record
	if err := json.Unmarshal([]byte(*item["record"].S), &r); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	start := r.Start.UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
	switch {
	case *item["cluster"].S != r.Cluster:
		return fmt.Errorf("cluster %q, record's %q", *item["cluster"].S, r.Cluster)
	case *item["role"].S != r.Role:
		return fmt.Errorf("role %q, record's %q", *item["role"].S, r.Role)
	case *item["start"].S != start:
		return fmt.Errorf("start %q, want %q", *item["start"].S, start)
	case *item["run"].S != start+"#"+r.RunID:
		return fmt.Errorf("run %q, want %q", *item["run"].S, start+"#"+r.RunID)
	}
	return nil
}

func (f *fakeDynamo) query(in ddbRequest) (any, *ddbError) {
	if in.ScanIndexForward == nil || *in.ScanIndexForward {
		return nil, validation("queries must be newest first (ScanIndexForward false)")
	}
	used := map[string]bool{}
	cluster, ok := f.stringValue(in, ":c", used)
	var since *string
	switch kc := aws.ToString(in.KeyConditionExpression); {
	case kc == "#c = :c" && ok && in.ExpressionAttributeNames["#c"] == "cluster":
		used["#c"] = true
	case kc == "#c = :c AND #r >= :since" && ok && in.ExpressionAttributeNames["#c"] == "cluster" && in.ExpressionAttributeNames["#r"] == "run":
		used["#c"], used["#r"] = true, true
		s, ok := f.stringValue(in, ":since", used)
		if !ok {
			return nil, validation("no :since")
		}
		since = &s
	default:
		return nil, validation("unexpected key condition %q with %v", kc, in.ExpressionAttributeNames)
	}
	filter, derr := f.parseFilter(in, used)
	if derr != nil {
		return nil, derr
	}
	if derr := allUsed(in, used); derr != nil {
		return nil, derr
	}
	var keys []itemKey
	for k := range f.items {
		if k.cluster == cluster && (since == nil || k.run >= *since) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b itemKey) int { return strings.Compare(b.run, a.run) })
	if start := in.ExclusiveStartKey; start != nil {
		keys = slices.DeleteFunc(keys, func(k itemKey) bool { return k.run >= *start["run"].S })
	}
	return f.page(keys, filter), nil
}

func (f *fakeDynamo) scan(in ddbRequest) (any, *ddbError) {
	if in.KeyConditionExpression != nil || in.ScanIndexForward != nil || in.ConditionExpression != nil {
		return nil, validation("unexpected Scan parameters")
	}
	used := map[string]bool{}
	filter, derr := f.parseFilter(in, used)
	if derr != nil {
		return nil, derr
	}
	if derr := allUsed(in, used); derr != nil {
		return nil, derr
	}
	keys := slices.Collect(maps.Keys(f.items))
	cmp := func(a, b itemKey) int {
		if c := strings.Compare(a.cluster, b.cluster); c != 0 {
			return c
		}
		return strings.Compare(a.run, b.run)
	}
	slices.SortFunc(keys, cmp)
	if start := in.ExclusiveStartKey; start != nil {
		after := itemKey{*start["cluster"].S, *start["run"].S}
		keys = slices.DeleteFunc(keys, func(k itemKey) bool { return cmp(k, after) <= 0 })
	}
	return f.page(keys, filter), nil
}

type pageOut struct {
	Items            []map[string]attr `json:"Items"`
	Count            int               `json:"Count"`
	ScannedCount     int               `json:"ScannedCount"`
	LastEvaluatedKey map[string]attr   `json:"LastEvaluatedKey,omitempty"`
}

// page evaluates at most pageSize items, as DynamoDB does with a Limit:
// the filter applies after the page is cut, and a full page has a
// LastEvaluatedKey even when nothing follows.
func (f *fakeDynamo) page(keys []itemKey, filter func(map[string]attr) bool) pageOut {
	out := pageOut{Items: []map[string]attr{}}
	if len(keys) >= f.pageSize {
		keys = keys[:f.pageSize]
		last := keys[len(keys)-1]
		out.LastEvaluatedKey = map[string]attr{"cluster": sattr(last.cluster), "run": sattr(last.run)}
	}
	for _, k := range keys {
		out.ScannedCount++
		if item := f.items[k]; filter(item) {
			out.Items = append(out.Items, item)
			out.Count++
		}
	}
	return out
}

var (
	sinceCondRe = regexp.MustCompile(`^#s >= :since$`)
	roleCondRe  = regexp.MustCompile(`^#role IN \((:r\d+(?:, :r\d+)*)\)$`)
)

// parseFilter understands the filters the store sends: "#s >= :since" and
// "#role IN (:r0, ...)", joined by " AND ".
func (f *fakeDynamo) parseFilter(in ddbRequest, used map[string]bool) (func(map[string]attr) bool, *ddbError) {
	conds := []func(map[string]attr) bool{}
	if in.FilterExpression != nil {
		for part := range strings.SplitSeq(*in.FilterExpression, " AND ") {
			switch {
			case sinceCondRe.MatchString(part) && in.ExpressionAttributeNames["#s"] == "start":
				used["#s"] = true
				since, ok := f.stringValue(in, ":since", used)
				if !ok {
					return nil, validation("no :since")
				}
				conds = append(conds, func(item map[string]attr) bool { return *item["start"].S >= since })
			case roleCondRe.MatchString(part) && in.ExpressionAttributeNames["#role"] == "role":
				used["#role"] = true
				var roles []string
				for p := range strings.SplitSeq(roleCondRe.FindStringSubmatch(part)[1], ", ") {
					role, ok := f.stringValue(in, p, used)
					if !ok {
						return nil, validation("no %s", p)
					}
					roles = append(roles, role)
				}
				conds = append(conds, func(item map[string]attr) bool { return slices.Contains(roles, *item["role"].S) })
			default:
				return nil, validation("unexpected filter %q with %v", part, in.ExpressionAttributeNames)
			}
		}
	}
	return func(item map[string]attr) bool {
		for _, c := range conds {
			if !c(item) {
				return false
			}
		}
		return true
	}, nil
}

func (f *fakeDynamo) stringValue(in ddbRequest, name string, used map[string]bool) (string, bool) {
	v, ok := in.ExpressionAttributeValues[name]
	if !ok || v.S == nil {
		return "", false
	}
	used[name] = true
	return *v.S, true
}

// allUsed fails as DynamoDB does when names or values go unused.
func allUsed(in ddbRequest, used map[string]bool) *ddbError {
	for name := range in.ExpressionAttributeNames {
		if !used[name] {
			return validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", name)
		}
	}
	for name := range in.ExpressionAttributeValues {
		if !used[name] {
			return validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", name)
		}
	}
	return nil
}
