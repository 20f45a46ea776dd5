// Package audit records what every driver run did to every cluster: one
// Record per cluster per run (preview, up, refresh or destroy), with who ran
// it, from which commit, and what came of it.
//
// Records go to a Store. Open picks one from a URL:
//
//   - "" or file://PATH: a FileStore, a JSON Lines file (one record a line)
//     appended to under an exclusive flock(2), so runs on one machine never
//     interleave their lines. The default is audit.jsonl in the directory the
//     CLI names.
//   - dynamodb://TABLE[?region=REGION][&endpoint=URL]: a DynamoStore, a
//     DynamoDB table a team shares. The region defaults to the one of the
//     default AWS config (AWS_REGION, the profile). The endpoint, an absolute
//     http:// or https:// URL, replaces the region's DynamoDB endpoint: for
//     DynamoDB Local, dynalite, LocalStack or a VPC endpoint (the package's
//     tests run against dynalite this way). The client retries throttling
//     (ThrottlingException, ProvisionedThroughputExceededException,
//     RequestLimitExceeded) and transient errors with the SDK's standard
//     retryer, at most 5 attempts per request.
//
// # DynamoDB table
//
// The table is a prerequisite; this package never creates it. It needs:
//
//   - partition key "cluster", type S: the cluster name;
//   - sort key "run", type S: the record's Start in UTC, formatted with the
//     fixed-width layout "2006-01-02T15:04:05.000000000Z07:00" so that the
//     strings sort chronologically, then "#", then the RunID.
//
// Each item also carries "role" (S), "start" (S, Start in the same layout)
// and "record" (S, the JSON of the whole Record, which is what List decodes),
// so items describe themselves. Appending writes with the condition
// attribute_not_exists(cluster): a record is never overwritten, and a second
// record with the same key fails with ErrConflict. Listing one or more
// clusters queries them by key, newest first; listing all clusters scans the
// table. The writer needs dynamodb:PutItem, the reader dynamodb:Query and
// dynamodb:Scan on the table. For example:
//
//	aws dynamodb create-table --table-name eksplatform-audit \
//	  --attribute-definitions AttributeName=cluster,AttributeType=S AttributeName=run,AttributeType=S \
//	  --key-schema AttributeName=cluster,KeyType=HASH AttributeName=run,KeyType=RANGE \
//	  --billing-mode PAY_PER_REQUEST
//
// Records hold no secrets: Reason is a short explanation, and the Actor is an
// ARN, a user name and a CI job URL.
package audit
