package automation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3API is the part of the S3 client S3Objects uses; *s3.Client has it.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var _ S3API = (*s3.Client)(nil)

// S3Objects keeps documents in a bucket under a prefix.
type S3Objects struct {
	API    S3API
	Bucket string
	Prefix string // without a trailing slash; may be empty
}

// S3URL is an s3:// URL split the way Pulumi's DIY backend reads it
// (gocloud.dev's s3blob): bucket, key prefix and the client parameters.
type S3URL struct {
	Bucket, Prefix string
	Region         string
	Endpoint       string
	Profile        string
	PathStyle      bool
	DisableHTTPS   bool
}

// s3Params are the URL parameters eksplatform applies, as gocloud.dev names
// them (s3ForcePathStyle is its older name of use_path_style); awssdk picks
// the SDK in gocloud.dev and means nothing here.
var s3Params = []string{"region", "endpoint", "profile", "use_path_style", "s3ForcePathStyle", "disable_https", "awssdk"}

// ParseS3URL reads s3://BUCKET[/PREFIX][?region=R&endpoint=URL&use_path_style=true&disable_https=true&profile=P].
func ParseS3URL(raw string) (S3URL, error) {
	bad := func(problem string) error {
		return fmt.Errorf("S3 URL %q: %s; want s3://BUCKET[/PREFIX][?region=REGION&endpoint=URL&use_path_style=true&profile=NAME]", raw, problem)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" {
		return S3URL{}, bad("not an s3:// URL")
	}
	if u.Host == "" {
		return S3URL{}, bad("the bucket is missing")
	}
	out := S3URL{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}
	for key, values := range u.Query() {
		v := values[len(values)-1]
		switch key {
		case "region":
			out.Region = v
		case "endpoint":
			e, err := url.Parse(v)
			if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
				return S3URL{}, bad(fmt.Sprintf("endpoint must be an http:// or https:// URL, got %q", v))
			}
			out.Endpoint = v
		case "profile":
			out.Profile = v
		case "use_path_style", "s3ForcePathStyle", "disable_https":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return S3URL{}, bad(fmt.Sprintf("%s must be true or false, got %q", key, v))
			}
			if key == "disable_https" {
				out.DisableHTTPS = b
			} else {
				out.PathStyle = b
			}
		case "awssdk":
		default:
			return S3URL{}, bad(fmt.Sprintf("unknown parameter %q (eksplatform applies %s)", key, strings.Join(s3Params, ", ")))
		}
	}
	return out, nil
}

// OpenS3Objects opens the documents under sub (a folder below the URL's
// prefix) of an s3:// URL, with the AWS SDK's default credentials. It does
// not contact AWS.
func OpenS3Objects(ctx context.Context, raw, sub string) (*S3Objects, error) {
	u, err := ParseS3URL(raw)
	if err != nil {
		return nil, err
	}
	var opts []func(*config.LoadOptions) error
	if u.Region != "" {
		opts = append(opts, config.WithRegion(u.Region))
	}
	if u.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(u.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("S3 URL %q: loading the AWS config: %w", raw, err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("S3 URL %q: no AWS region: add ?region=REGION or set AWS_REGION", raw)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = u.PathStyle
		if u.Endpoint != "" {
			o.BaseEndpoint = aws.String(u.Endpoint)
		}
		o.EndpointOptions.DisableHTTPS = u.DisableHTTPS
	})
	return &S3Objects{API: client, Bucket: u.Bucket, Prefix: path.Join(u.Prefix, sub)}, nil
}

func (s *S3Objects) key(k string) string { return path.Join(s.Prefix, k) }

// Put writes one object; S3 replaces an object atomically.
func (s *S3Objects) Put(ctx context.Context, key string, body []byte) error {
	_, err := s.API.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.Bucket), Key: aws.String(s.key(key)),
		Body: bytes.NewReader(body), ContentType: aws.String("application/json"),
	})
	if err != nil {
		return fmt.Errorf("writing s3://%s/%s: %w", s.Bucket, s.key(key), err)
	}
	return nil
}

// Get reads one object.
func (s *S3Objects) Get(ctx context.Context, key string) ([]byte, error) {
	out, err := s.API.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.key(key))})
	var missing *types.NoSuchKey
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("s3://%s/%s: %w", s.Bucket, s.key(key), ErrNoObject)
	}
	if err != nil {
		return nil, fmt.Errorf("reading s3://%s/%s: %w", s.Bucket, s.key(key), err)
	}
	defer out.Body.Close() //nolint:errcheck // read-only
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("reading s3://%s/%s: %w", s.Bucket, s.key(key), err)
	}
	return b, nil
}

func (s *S3Objects) String() string { return "s3://" + path.Join(s.Bucket, s.Prefix) }
