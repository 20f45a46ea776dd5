package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoAPI is the part of the DynamoDB client a DynamoStore uses;
// *dynamodb.Client satisfies it.
type DynamoAPI interface {
	PutItem(ctx context.Context, params *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, params *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, params *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

var _ DynamoAPI = (*dynamodb.Client)(nil)

// DynamoStore keeps records in a DynamoDB table laid out as the package
// documentation describes.
type DynamoStore struct {
	api      DynamoAPI
	table    string
	region   string // for String only; set by Open
	endpoint string // for String only; set by Open when the URL names one
}

// NewDynamoStore returns a store writing to table through api.
func NewDynamoStore(api DynamoAPI, table string) *DynamoStore {
	return &DynamoStore{api: api, table: table}
}

// String returns "dynamodb://TABLE", with "?region=REGION" when known and
// "&endpoint=URL" when Open was given one.
func (s *DynamoStore) String() string {
	var params []string
	if s.region != "" {
		params = append(params, "region="+s.region)
	}
	if s.endpoint != "" {
		params = append(params, "endpoint="+s.endpoint)
	}
	if len(params) == 0 {
		return "dynamodb://" + s.table
	}
	return "dynamodb://" + s.table + "?" + strings.Join(params, "&")
}

// Attribute names of the table.
const (
	attrCluster = "cluster" // partition key
	attrRun     = "run"     // sort key: fixed-width start + "#" + run id
	attrRole    = "role"
	attrStart   = "start"
	attrRecord  = "record"
)

// keyTimeLayout formats times of a fixed width, so that in UTC their strings
// sort as the times do.
const keyTimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// maxInOperands is DynamoDB's limit on the operands of IN; with more roles
// than that, roles are filtered client-side only.
const maxInOperands = 100

func keyTime(t time.Time) string { return t.UTC().Format(keyTimeLayout) }

func runKey(r Record) string { return keyTime(r.Start) + "#" + r.RunID }

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// Append puts r as a new item; it never overwrites one. An item with the
// same key gives an error wrapping ErrConflict, unless it holds exactly this
// record (an earlier attempt of the same request stored it), which is no
// error.
func (s *DynamoStore) Append(ctx context.Context, r Record) error {
	r, err := normalize(r)
	if err != nil {
		return fmt.Errorf("DynamoDB table %s: appending an audit record: %w", s.table, err)
	}
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("DynamoDB table %s: encoding the audit record of cluster %s run %s: %w", s.table, r.Cluster, r.RunID, err)
	}
	_, err = s.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{
			attrCluster: str(r.Cluster),
			attrRun:     str(runKey(r)),
			attrRole:    str(r.Role),
			attrStart:   str(keyTime(r.Start)),
			attrRecord:  str(string(body)),
		},
		ConditionExpression:                 aws.String("attribute_not_exists(#c)"),
		ExpressionAttributeNames:            map[string]string{"#c": attrCluster},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var conflict *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return nil
	case errors.As(err, &conflict):
		if old, ok := conflict.Item[attrRecord].(*types.AttributeValueMemberS); ok && old.Value == string(body) {
			return nil
		}
		return fmt.Errorf("DynamoDB table %s: appending the audit record of cluster %s run %s: %w", s.table, r.Cluster, r.RunID, ErrConflict)
	default:
		return fmt.Errorf("DynamoDB table %s: appending the audit record of cluster %s run %s: %w", s.table, r.Cluster, r.RunID, err)
	}
}

// List queries each cluster of f by key when f names clusters, and scans
// the table otherwise; either way it applies f to what comes back and returns
// the records newest first.
func (s *DynamoStore) List(ctx context.Context, f Filter) ([]Record, error) {
	var records []Record
	keep := func(items []map[string]types.AttributeValue) error {
		for _, item := range items {
			r, err := s.decodeItem(item)
			if err != nil {
				return err
			}
			if f.matches(r) {
				records = append(records, r)
			}
		}
		return nil
	}
	if len(f.Clusters) > 0 {
		seen := map[string]bool{}
		for _, cluster := range f.Clusters {
			if seen[cluster] {
				continue
			}
			seen[cluster] = true
			if err := s.query(ctx, cluster, f, keep); err != nil {
				return nil, err
			}
		}
	} else if err := s.scan(ctx, f, keep); err != nil {
		return nil, err
	}
	sortNewestFirst(records)
	return records, nil
}

// query reads one cluster's items, newest first, page by page.
func (s *DynamoStore) query(ctx context.Context, cluster string, f Filter, keep func([]map[string]types.AttributeValue) error) error {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("#c = :c"),
		ExpressionAttributeNames:  map[string]string{"#c": attrCluster},
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": str(cluster)},
		ScanIndexForward:          aws.Bool(false),
	}
	if !f.Since.IsZero() {
		in.KeyConditionExpression = aws.String("#c = :c AND #r >= :since")
		in.ExpressionAttributeNames["#r"] = attrRun
		in.ExpressionAttributeValues[":since"] = str(keyTime(f.Since))
	}
	if expr, ok := roleFilter(f.Roles, in.ExpressionAttributeNames, in.ExpressionAttributeValues); ok {
		in.FilterExpression = aws.String(expr)
	}
	for {
		out, err := s.api.Query(ctx, in)
		if err != nil {
			return fmt.Errorf("DynamoDB table %s: querying the audit records of cluster %s: %w", s.table, cluster, err)
		}
		if err := keep(out.Items); err != nil {
			return err
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		if sameKey(out.LastEvaluatedKey, in.ExclusiveStartKey) {
			return fmt.Errorf("DynamoDB table %s: querying the audit records of cluster %s: the next page starts where the last one did", s.table, cluster)
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// scan reads the whole table page by page, filtering by start and role in
// DynamoDB.
func (s *DynamoStore) scan(ctx context.Context, f Filter, keep func([]map[string]types.AttributeValue) error) error {
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	var conds []string
	if !f.Since.IsZero() {
		conds = append(conds, "#s >= :since")
		names["#s"] = attrStart
		values[":since"] = str(keyTime(f.Since))
	}
	if expr, ok := roleFilter(f.Roles, names, values); ok {
		conds = append(conds, expr)
	}
	in := &dynamodb.ScanInput{TableName: aws.String(s.table)}
	if len(conds) > 0 {
		in.FilterExpression = aws.String(strings.Join(conds, " AND "))
		in.ExpressionAttributeNames = names
		in.ExpressionAttributeValues = values
	}
	for {
		out, err := s.api.Scan(ctx, in)
		if err != nil {
			return fmt.Errorf("DynamoDB table %s: scanning the audit records: %w", s.table, err)
		}
		if err := keep(out.Items); err != nil {
			return err
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		if sameKey(out.LastEvaluatedKey, in.ExclusiveStartKey) {
			return fmt.Errorf("DynamoDB table %s: scanning the audit records: the next page starts where the last one did", s.table)
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// sameKey reports whether two keys of string attributes are equal, which
// would make paging loop forever.
func sameKey(a, b map[string]types.AttributeValue) bool {
	if len(a) != len(b) {
		return false
	}
	for name, av := range a {
		as, ok1 := av.(*types.AttributeValueMemberS)
		bs, ok2 := b[name].(*types.AttributeValueMemberS)
		if !ok1 || !ok2 || as.Value != bs.Value {
			return false
		}
	}
	return true
}

// roleFilter returns "#role IN (:r0, :r1, ...)" and adds its names and
// values, or false when roles is empty or too long for IN.
func roleFilter(roles []string, names map[string]string, values map[string]types.AttributeValue) (string, bool) {
	if len(roles) == 0 || len(roles) > maxInOperands {
		return "", false
	}
	placeholders := make([]string, len(roles))
	for i, role := range roles {
		placeholders[i] = fmt.Sprintf(":r%d", i)
		values[placeholders[i]] = str(role)
	}
	names["#role"] = attrRole
	return "#role IN (" + strings.Join(placeholders, ", ") + ")", true
}

// decodeItem turns an item back into its Record.
func (s *DynamoStore) decodeItem(item map[string]types.AttributeValue) (Record, error) {
	cluster, _ := item[attrCluster].(*types.AttributeValueMemberS)
	run, _ := item[attrRun].(*types.AttributeValueMemberS)
	var key string
	if cluster != nil && run != nil {
		key = fmt.Sprintf(" (cluster %s, run %s)", cluster.Value, run.Value)
	}
	body, ok := item[attrRecord].(*types.AttributeValueMemberS)
	if !ok {
		return Record{}, fmt.Errorf("DynamoDB table %s: item%s has no string attribute %q", s.table, key, attrRecord)
	}
	r, err := decodeRecord([]byte(body.Value))
	if err != nil {
		return Record{}, fmt.Errorf("DynamoDB table %s: item%s: %w", s.table, key, err)
	}
	return r, nil
}
