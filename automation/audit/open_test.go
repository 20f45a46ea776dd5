package audit

import (
	"net/url"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// isolateAWS keeps the default AWS config of the tests from the machine's:
// no profile, no region, no shared files, no instance metadata.
func isolateAWS(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for key, value := range map[string]string{
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_PROFILE":                 "",
		"AWS_DEFAULT_PROFILE":         "",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ACCESS_KEY_ID":           "",
		"AWS_SECRET_ACCESS_KEY":       "",
		"AWS_SESSION_TOKEN":           "",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_DYNAMODB":   "",
		"AWS_ENDPOINT_URL_STS":        "",
	} {
		t.Setenv(key, value)
	}
}

func TestOpenFile(t *testing.T) {
	isolateAWS(t)
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		url, path, str string
	}{
		"default":  {"", filepath.Join(dir, "audit.jsonl"), "file://" + filepath.Join(dir, "audit.jsonl")},
		"absolute": {"file:///var/lib/eksplatform/audit.jsonl", "/var/lib/eksplatform/audit.jsonl", "file:///var/lib/eksplatform/audit.jsonl"},
		"relative": {"file://out/audit.jsonl", "out/audit.jsonl", "file://out/audit.jsonl"},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := Open(t.Context(), tc.url, dir)
			require.NoError(t, err)
			fs, ok := s.(*FileStore)
			require.True(t, ok, "%T", s)
			assert.Equal(t, tc.path, fs.Path())
			assert.Equal(t, tc.str, s.String())
		})
	}
}

func TestOpenDynamo(t *testing.T) {
	isolateAWS(t)
	s, err := Open(t.Context(), "dynamodb://eksplatform-audit?region=eu-west-1", "unused")
	require.NoError(t, err)
	ds, ok := s.(*DynamoStore)
	require.True(t, ok, "%T", s)
	assert.Equal(t, "dynamodb://eksplatform-audit?region=eu-west-1", s.String())
	assert.Equal(t, "eksplatform-audit", ds.table)
	client, ok := ds.api.(*dynamodb.Client)
	require.True(t, ok, "%T", ds.api)
	assert.Equal(t, "eu-west-1", client.Options().Region)
	assert.Equal(t, 5, client.Options().RetryMaxAttempts)
	assert.Nil(t, client.Options().BaseEndpoint, "no endpoint parameter: the region's endpoint")
}

func TestOpenDynamoEndpoint(t *testing.T) {
	isolateAWS(t)
	for name, tc := range map[string]struct{ url, endpoint, str string }{
		"dynalite on loopback": {
			"dynamodb://eksplatform-audit?region=us-east-1&endpoint=http://127.0.0.1:4567",
			"http://127.0.0.1:4567", "dynamodb://eksplatform-audit?region=us-east-1&endpoint=http://127.0.0.1:4567",
		},
		"endpoint first": {
			"dynamodb://eksplatform-audit?endpoint=http://localhost:8000&region=us-east-1",
			"http://localhost:8000", "dynamodb://eksplatform-audit?region=us-east-1&endpoint=http://localhost:8000",
		},
		"VPC endpoint over https, no port": {
			"dynamodb://audit?region=eu-west-1&endpoint=https://vpce-0123-abcd.dynamodb.eu-west-1.vpce.amazonaws.com",
			"https://vpce-0123-abcd.dynamodb.eu-west-1.vpce.amazonaws.com",
			"dynamodb://audit?region=eu-west-1&endpoint=https://vpce-0123-abcd.dynamodb.eu-west-1.vpce.amazonaws.com",
		},
		"IPv6 and a path, query-escaped": {
			"dynamodb://audit?region=us-east-1&endpoint=" + url.QueryEscape("http://[::1]:4566/dynamodb"),
			"http://[::1]:4566/dynamodb", "dynamodb://audit?region=us-east-1&endpoint=http://[::1]:4566/dynamodb",
		},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := Open(t.Context(), tc.url, "unused")
			require.NoError(t, err)
			ds, ok := s.(*DynamoStore)
			require.True(t, ok, "%T", s)
			assert.Equal(t, tc.str, s.String())
			client, ok := ds.api.(*dynamodb.Client)
			require.True(t, ok, "%T", ds.api)
			assert.Equal(t, tc.endpoint, aws.ToString(client.Options().BaseEndpoint))
			assert.Equal(t, 5, client.Options().RetryMaxAttempts, "the endpoint changes nothing of the retries")
		})
	}
}

func TestOpenDynamoEndpointDefaultRegion(t *testing.T) {
	isolateAWS(t)
	t.Setenv("AWS_REGION", "ap-south-1")
	s, err := Open(t.Context(), "dynamodb://audit?endpoint=http://127.0.0.1:8000", "")
	require.NoError(t, err)
	assert.Equal(t, "dynamodb://audit?region=ap-south-1&endpoint=http://127.0.0.1:8000", s.String())
}

func TestOpenDynamoEndpointErrors(t *testing.T) {
	isolateAWS(t)
	const forms = "; want file://PATH (a JSON Lines file) or dynamodb://TABLE[?region=REGION][&endpoint=http(s)://HOST:PORT]"
	const want = "must be an absolute http:// or https:// URL such as http://127.0.0.1:8000"
	for value, problem := range map[string]string{
		"dynamodb://audit?region=us-east-1&endpoint=":                               `endpoint must be given once, not empty`,
		"dynamodb://audit?region=us-east-1&endpoint=http://a:1&endpoint=http://b:2": `endpoint must be given once, not empty`,
		"dynamodb://audit?region=us-east-1&endpoint=127.0.0.1:8000":                 `endpoint "127.0.0.1:8000" ` + want + `: parse "127.0.0.1:8000": first path segment in URL cannot contain colon`,
		"dynamodb://audit?region=us-east-1&endpoint=localhost:8000":                 `endpoint "localhost:8000" ` + want,
		"dynamodb://audit?region=us-east-1&endpoint=ftp://127.0.0.1:21":             `endpoint "ftp://127.0.0.1:21" ` + want,
		"dynamodb://audit?region=us-east-1&endpoint=/relative/path":                 `endpoint "/relative/path" ` + want,
		"dynamodb://audit?region=us-east-1&endpoint=http://":                        `endpoint "http://" ` + want + ", with a host",
		"dynamodb://audit?region=us-east-1&endpoint=http://:8000":                   `endpoint "http://:8000" ` + want + ", with a host",
		"dynamodb://audit?region=us-east-1&endpoint=https://user:pw@db.example.com": `endpoint "https://user:pw@db.example.com" ` + want + ", without a user or password",
		"dynamodb://audit?region=us-east-1&endpoint=http://127.0.0.1:8000%3Fa%3Db":  `endpoint "http://127.0.0.1:8000?a=b" ` + want + ", without a query or fragment",
		"dynamodb://audit?region=us-east-1&endpoint=http://127.0.0.1:8000%23frag":   `endpoint "http://127.0.0.1:8000#frag" ` + want + ", without a query or fragment",
		"dynamodb://audit?region=us-east-1&endpoint=http://127.0.0.1:80%zz":         `bad query: invalid URL escape "%zz"`,
		"dynamodb://audit?region=us-east-1&Endpoint=http://127.0.0.1:8000":          `unknown parameter "Endpoint" (allowed: region, endpoint)`,
		"dynamodb://audit?endpoint=http://127.0.0.1:8000":                           `no AWS region: add ?region=REGION or set AWS_REGION`,
	} {
		t.Run(value, func(t *testing.T) {
			s, err := Open(t.Context(), value, t.TempDir())
			assert.Nil(t, s)
			assert.EqualError(t, err, `audit store "`+value+`": `+problem+forms)
		})
	}
}

func TestOpenDynamoDefaultRegion(t *testing.T) {
	isolateAWS(t)
	t.Setenv("AWS_REGION", "us-east-2")
	s, err := Open(t.Context(), "dynamodb://My_Table.v1", "")
	require.NoError(t, err)
	assert.Equal(t, "dynamodb://My_Table.v1?region=us-east-2", s.String())
}

func TestOpenErrors(t *testing.T) {
	isolateAWS(t)
	const forms = "; want file://PATH (a JSON Lines file) or dynamodb://TABLE[?region=REGION][&endpoint=http(s)://HOST:PORT]"
	for value, want := range map[string]string{
		"s3://x":      `audit store "s3://x": unsupported scheme` + forms,
		"/tmp/a.json": `audit store "/tmp/a.json": unsupported scheme` + forms,
		"file://":     `audit store "file://": the file path is missing` + forms,
		"dynamodb://": `audit store "dynamodb://": the DynamoDB table name is missing` + forms,
		"dynamodb://a": `audit store "dynamodb://a": DynamoDB table name "a" must be 3 to 255 of a-z, A-Z, 0-9, '_', '-' and '.'` +
			forms,
		"dynamodb://tab/le": `audit store "dynamodb://tab/le": DynamoDB table name "tab/le" must be 3 to 255 of a-z, A-Z, 0-9, '_', '-' and '.'` +
			forms,
		"dynamodb://table?regoin=eu-west-1": `audit store "dynamodb://table?regoin=eu-west-1": unknown parameter "regoin" (allowed: region, endpoint)` + forms,
		"dynamodb://table?region=":          `audit store "dynamodb://table?region=": region must be given once, not empty` + forms,
		"dynamodb://table": `audit store "dynamodb://table": no AWS region: add ?region=REGION or set AWS_REGION` +
			forms,
	} {
		t.Run(value, func(t *testing.T) {
			s, err := Open(t.Context(), value, t.TempDir())
			assert.Nil(t, s)
			assert.EqualError(t, err, want)
		})
	}
}
