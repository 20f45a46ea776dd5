package audit

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const table = "eksplatform-audit"

func newDynamo(t *testing.T) (*fakeDynamo, *DynamoStore) {
	t.Helper()
	fake := newFakeDynamo(t, table)
	store, _ := fake.start(table)
	return fake, store
}

func TestDynamoRoundTrip(t *testing.T) {
	t.Parallel()
	fake, store := newDynamo(t)
	in := threeRecords()
	in[0].Actor = Actor{Identity: "arn:aws:sts::123456789012:assumed-role/ci/gh", User: "octocat", CI: "github-actions",
		JobURL: "https://github.com/o/r/actions/runs/1/attempts/2"}
	in[1].Start = in[1].Start.Add(123456789 * time.Nanosecond)
	appendAll(t, store, in)

	got, err := store.List(t.Context(), Filter{})
	require.NoError(t, err)
	assert.Equal(t, []Record{in[2], in[1], in[0]}, got, "all fields survive, times to the nanosecond")

	assert.Equal(t, 3, fake.callCount("PutItem"))
	assert.Equal(t, 2, fake.callCount("Scan"), "3 items in pages of 2")
	assert.Zero(t, fake.callCount("Query"))
	for _, r := range fake.requestsOf("PutItem") {
		assert.Regexp(t, `^AWS4-HMAC-SHA256 Credential=AKID/\d{8}/us-east-2/dynamodb/aws4_request, SignedHeaders=\S+, Signature=[0-9a-f]{64}$`, r.Auth)
	}

	item := fake.item("prod-a", "2026-11-22T10:15:00.123456789Z#run-1")
	require.NotNil(t, item, "the sort key is the fixed-width start, '#' and the run id")
	assert.Equal(t, "platform", *item["role"].S)
	assert.Equal(t, "2026-11-22T10:15:00.123456789Z", *item["start"].S)
	assert.NotNil(t, fake.item("prod-b", "2026-11-22T10:15:00.000000000Z#run-1"), "zero nanoseconds keep their width")
}

func TestDynamoQueryPath(t *testing.T) {
	t.Parallel()
	fake, store := newDynamo(t)
	var records []Record
	for i := range 5 {
		records = append(records, Record{RunID: fmt.Sprintf("r%d", i), Cluster: "a", Role: "platform", Command: "up",
			Result: "succeeded", Start: t0.Add(time.Duration(i) * time.Hour)})
	}
	for i := range 2 {
		records = append(records, Record{RunID: fmt.Sprintf("r%d", i), Cluster: "b", Role: "workload", Command: "up",
			Result: "succeeded", Start: t0.Add(time.Duration(i) * time.Hour)})
	}
	appendAll(t, store, records)

	got, err := store.List(t.Context(), Filter{Clusters: []string{"a"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"r4/a", "r3/a", "r2/a", "r1/a", "r0/a"}, clustersAndRuns(got))
	assert.Equal(t, 3, fake.callCount("Query"), "5 items in pages of 2")

	got, err = store.List(t.Context(), Filter{Clusters: []string{"a"}, Since: t0.Add(2 * time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, []string{"r4/a", "r3/a", "r2/a"}, clustersAndRuns(got))
	assert.Equal(t, 5, fake.callCount("Query"), "3 items in pages of 2")
	queries := fake.requestsOf("Query")
	last := queries[len(queries)-1]
	assert.Equal(t, "#c = :c AND #r >= :since", aws.ToString(last.KeyConditionExpression))
	assert.Equal(t, "2026-11-22T12:15:00.000000000Z", *last.ExpressionAttributeValues[":since"].S)
	assert.NotNil(t, last.ExclusiveStartKey, "the second page starts after the first")

	got, err = store.List(t.Context(), Filter{Clusters: []string{"b", "a", "b"}, Roles: []string{"workload"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"r1/b", "r0/b"}, clustersAndRuns(got))
	queries = fake.requestsOf("Query")
	assert.Equal(t, "#role IN (:r0)", aws.ToString(queries[len(queries)-1].FilterExpression))
	assert.Equal(t, 10, fake.callCount("Query"), "b in 2 pages, a in 3, b once only")
	assert.Zero(t, fake.callCount("Scan"))
}

func TestDynamoScanPathFilters(t *testing.T) {
	t.Parallel()
	fake, store := newDynamo(t)
	roles := []string{"platform", "workload", "system"}
	var records []Record
	for i := range 7 {
		records = append(records, Record{RunID: fmt.Sprintf("r%d", i), Cluster: fmt.Sprintf("c%d", i%3), Role: roles[i%3],
			Command: "refresh", Result: "succeeded", Start: t0.Add(time.Duration(i) * time.Minute)})
	}
	appendAll(t, store, records)

	got, err := store.List(t.Context(), Filter{Roles: []string{"platform", "system"}, Since: t0.Add(2 * time.Minute)})
	require.NoError(t, err)
	assert.Equal(t, []string{"r6/c0", "r5/c2", "r3/c0", "r2/c2"}, clustersAndRuns(got))
	assert.Equal(t, 4, fake.callCount("Scan"), "7 items in pages of 2")
	assert.Zero(t, fake.callCount("Query"))
	for _, scan := range fake.requestsOf("Scan") {
		assert.Equal(t, "#s >= :since AND #role IN (:r0, :r1)", aws.ToString(scan.FilterExpression))
		assert.Equal(t, "2026-11-22T10:17:00.000000000Z", *scan.ExpressionAttributeValues[":since"].S)
	}
}

func TestDynamoThrottlingIsRetried(t *testing.T) {
	t.Parallel()
	fake, store := newDynamo(t)
	fake.failPuts = []string{"ProvisionedThroughputExceededException"}
	rec := threeRecords()[0]

	require.NoError(t, store.Append(t.Context(), rec))
	assert.Equal(t, 2, fake.callCount("PutItem"))
	got, err := store.List(t.Context(), Filter{})
	require.NoError(t, err)
	assert.Equal(t, []Record{rec}, got, "stored exactly once")
}

func TestDynamoThrottlingGivesUp(t *testing.T) {
	t.Parallel()
	fake, store := newDynamo(t)
	for range 5 {
		fake.failPuts = append(fake.failPuts, "ThrottlingException")
	}
	err := store.Append(t.Context(), threeRecords()[0])
	require.Error(t, err)
	assert.Equal(t, 5, fake.callCount("PutItem"), "5 attempts")
	assert.Contains(t, err.Error(), "DynamoDB table eksplatform-audit: appending the audit record of cluster prod-b run run-1")
	assert.Contains(t, err.Error(), "ThrottlingException")
	assert.Zero(t, fake.itemCount())
}

func TestDynamoConflict(t *testing.T) {
	t.Parallel()
	fake, store := newDynamo(t)
	rec := threeRecords()[1]
	require.NoError(t, store.Append(t.Context(), rec))

	other := rec
	other.Result = "succeeded"
	err := store.Append(t.Context(), other)
	require.ErrorIs(t, err, ErrConflict)
	assert.Contains(t, err.Error(), "cluster prod-a run run-1")
	assert.Contains(t, err.Error(), table)
	assert.Equal(t, 2, fake.callCount("PutItem"), "a conflict is not retried")

	// A retry of a write that had succeeded finds its own record: no error.
	require.NoError(t, store.Append(t.Context(), rec))

	got, err := store.List(t.Context(), Filter{})
	require.NoError(t, err)
	assert.Equal(t, []Record{rec}, got, "the first record stays")
}

func TestDynamoMissingTable(t *testing.T) {
	t.Parallel()
	fake := newFakeDynamo(t, table)
	store, _ := fake.start("no-such-table")

	err := store.Append(t.Context(), threeRecords()[0])
	require.Error(t, err)
	var notFound *types.ResourceNotFoundException
	require.ErrorAs(t, err, &notFound)
	assert.Contains(t, err.Error(), "DynamoDB table no-such-table: appending the audit record of cluster prod-b run run-1")
	assert.NotErrorIs(t, err, ErrConflict)
	assert.Equal(t, 1, fake.callCount("PutItem"), "not retried")

	_, err = store.List(t.Context(), Filter{})
	require.ErrorAs(t, err, &notFound)
	assert.Contains(t, err.Error(), "DynamoDB table no-such-table: scanning the audit records")

	_, err = store.List(t.Context(), Filter{Clusters: []string{"prod-a"}})
	require.ErrorAs(t, err, &notFound)
	assert.Contains(t, err.Error(), "DynamoDB table no-such-table: querying the audit records of cluster prod-a")
}

func TestDynamoUndecodableItem(t *testing.T) {
	t.Parallel()
	fake, store := newDynamo(t)
	fake.items[itemKey{"a", "x#r"}] = map[string]attr{"cluster": sattr("a"), "run": sattr("x#r"), "record": sattr("{")}

	_, err := store.List(t.Context(), Filter{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "DynamoDB table eksplatform-audit: item (cluster a, run x#r): not an audit record")
}

// The fake must refuse expressions it does not know, or a changed
// expression in the store would go unnoticed.
func TestFakeDynamoRejectsUnknownExpressions(t *testing.T) {
	t.Parallel()
	fake := newFakeDynamo(t, table)
	_, client := fake.start(table)
	ctx := t.Context()

	_, err := client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("#c = :c AND begins_with(#r, :p)"),
		ExpressionAttributeNames:  map[string]string{"#c": "cluster", "#r": "run"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": str("a"), ":p": str("2026")},
		ScanIndexForward:          aws.Bool(false),
	})
	assertValidation(t, err, "unexpected key condition")

	_, err = client.Scan(ctx, &dynamodb.ScanInput{
		TableName:                 aws.String(table),
		FilterExpression:          aws.String("#s > :since"),
		ExpressionAttributeNames:  map[string]string{"#s": "start"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":since": str("2026")},
	})
	assertValidation(t, err, "unexpected filter")

	_, err = client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(table),
		Item:      map[string]types.AttributeValue{"cluster": str("a"), "run": str("b")},
	})
	assertValidation(t, err, "unexpected condition")
	assert.Zero(t, fake.itemCount())
}

func assertValidation(t *testing.T, err error, msg string) {
	t.Helper()
	var apiErr interface{ ErrorCode() string }
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, "ValidationException", apiErr.ErrorCode())
	assert.Contains(t, err.Error(), msg)
}

// stuckAPI returns the same page over and over (and fails after 10
// calls, so that a store without the guard fails the test instead of
// hanging it).
type stuckAPI struct {
	DynamoAPI
	calls int
}

func (s *stuckAPI) page() (map[string]types.AttributeValue, error) {
	s.calls++
	if s.calls > 10 {
		return nil, errors.New("stuckAPI: the store keeps asking for the same page")
	}
	return map[string]types.AttributeValue{"cluster": str("a"), "run": str("x#r")}, nil
}

func (s *stuckAPI) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	key, err := s.page()
	return &dynamodb.QueryOutput{LastEvaluatedKey: key}, err
}

func (s *stuckAPI) Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	key, err := s.page()
	return &dynamodb.ScanOutput{LastEvaluatedKey: key}, err
}

func TestDynamoPagingThatDoesNotAdvance(t *testing.T) {
	t.Parallel()
	api := &stuckAPI{}
	store := NewDynamoStore(api, table)

	_, err := store.List(t.Context(), Filter{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "DynamoDB table eksplatform-audit: scanning the audit records: the next page starts where the last one did")
	assert.Equal(t, 2, api.calls)

	_, err = store.List(t.Context(), Filter{Clusters: []string{"a"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "querying the audit records of cluster a: the next page starts where the last one did")
	assert.Equal(t, 4, api.calls)
}
