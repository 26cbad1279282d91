// Package verify is a client for edge-verify's VerificationService: start, check, get and cancel
// over the Connect protocol (binary protobuf or JSON on net/http), with the generated messages of
// edge-verify/clients/go/gen/verify/v1 in and out, a fresh Idempotency-Key per logical call that
// every retry of it reuses, and typed errors (*Error).
package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	verifyv1 "edge-verify/clients/go/gen/verify/v1"
)

// ServiceName is the fully-qualified name the methods are served under: /<ServiceName>/<Method>.
const ServiceName = "verify.v1.VerificationService"

// Options configure a Client. BaseURL and APIKey are required.
type Options struct {
	// BaseURL is where the Worker is served, e.g. https://verify.example.com.
	BaseURL string
	// APIKey is one of the deployment's API_KEYS. Keep it on your server.
	APIKey string
	// HTTPClient sends the requests; default http.DefaultClient.
	HTTPClient *http.Client
	// Codec is the wire format; default CodecProto.
	Codec Codec
	// Retry is the retry policy; its zero value is the default (3 attempts). MaxAttempts 1 never retries.
	Retry RetryPolicy
	// AttemptTimeout bounds each attempt (sent as Connect-Timeout-Ms); one that runs out is
	// deadline_exceeded and retried. Default none: the call's context is the only bound.
	AttemptTimeout time.Duration
}

// Client calls one deployment. It is safe for concurrent use.
type Client struct {
	baseURL        string
	authorization  string
	httpClient     *http.Client
	codec          Codec
	retry          RetryPolicy
	attemptTimeout time.Duration
	now            func() time.Time
}

// New checks the options and returns a Client.
func New(options Options) (*Client, error) {
	base, err := url.Parse(options.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, errors.New("verify: BaseURL: must be an http(s) URL")
	}
	if options.APIKey == "" {
		return nil, errors.New("verify: APIKey: required")
	}
	if options.Codec != CodecProto && options.Codec != CodecJSON {
		return nil, errors.New("verify: Codec: must be CodecProto or CodecJSON")
	}
	if options.AttemptTimeout < 0 {
		return nil, errors.New("verify: AttemptTimeout: must not be negative")
	}
	retry, err := options.Retry.withDefaults()
	if err != nil {
		return nil, err
	}
	httpClient := options.HTTPClient
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &Client{
		baseURL:        strings.TrimRight(options.BaseURL, "/"),
		authorization:  "Bearer " + options.APIKey,
		httpClient:     httpClient,
		codec:          options.Codec,
		retry:          retry,
		attemptTimeout: options.AttemptTimeout,
		now:            time.Now,
	}, nil
}

// CallOption adjusts one call.
type CallOption func(*callOptions)

type callOptions struct {
	idempotencyKey string
	responseHeader *http.Header
}

// WithIdempotencyKey sets the call's Idempotency-Key (1-255 printable ASCII characters), e.g. one
// derived from your own request id; default a random 128-bit key. Get sends none.
func WithIdempotencyKey(key string) CallOption {
	return func(o *callOptions) { o.idempotencyKey = key }
}

// WithResponseHeader stores the last attempt's answer headers in *header (nil when no answer
// arrived): Idempotent-Replayed is "true" when the server replayed an earlier call with the key.
func WithResponseHeader(header *http.Header) CallOption {
	return func(o *callOptions) { o.responseHeader = header }
}

// Start sends a code to request.To; a pending verification for the number gets a new code.
func (c *Client) Start(ctx context.Context, request *verifyv1.StartVerificationRequest, options ...CallOption) (*verifyv1.Verification, error) {
	if request == nil {
		request = &verifyv1.StartVerificationRequest{}
	}
	answer := &verifyv1.StartVerificationResponse{}
	if err := c.call(ctx, "StartVerification", true, request, answer, options); err != nil {
		return nil, err
	}
	return verificationOf(answer.GetVerification())
}

// Check checks a code, by verification id, by number (its latest pending verification), or both.
// Wrong, expired or exhausted codes are answers (Status), not errors.
func (c *Client) Check(ctx context.Context, request *verifyv1.CheckVerificationRequest, options ...CallOption) (*verifyv1.CheckVerificationResponse, error) {
	if request == nil {
		request = &verifyv1.CheckVerificationRequest{}
	}
	answer := &verifyv1.CheckVerificationResponse{}
	if err := c.call(ctx, "CheckVerification", true, request, answer, options); err != nil {
		return nil, err
	}
	if _, err := verificationOf(answer.GetVerification()); err != nil {
		return nil, err
	}
	return answer, nil
}

// Get returns a verification by id. A read: it carries no idempotency key, and is retried like the others.
func (c *Client) Get(ctx context.Context, verificationID string, options ...CallOption) (*verifyv1.Verification, error) {
	answer := &verifyv1.GetVerificationResponse{}
	if err := c.call(ctx, "GetVerification", false, &verifyv1.GetVerificationRequest{VerificationId: verificationID}, answer, options); err != nil {
		return nil, err
	}
	return verificationOf(answer.GetVerification())
}

// Cancel cancels a pending verification; its code stops working.
func (c *Client) Cancel(ctx context.Context, verificationID string, options ...CallOption) (*verifyv1.Verification, error) {
	answer := &verifyv1.CancelVerificationResponse{}
	if err := c.call(ctx, "CancelVerification", true, &verifyv1.CancelVerificationRequest{VerificationId: verificationID}, answer, options); err != nil {
		return nil, err
	}
	return verificationOf(answer.GetVerification())
}

func verificationOf(v *verifyv1.Verification) (*verifyv1.Verification, error) {
	if v == nil {
		return nil, &Error{Code: CodeInternal, Message: "answer without a verification"}
	}
	return v, nil
}

// call runs one logical call: the same body and headers (the same key) on every attempt, waiting
// between attempts as the policy says.
func (c *Client) call(ctx context.Context, method string, keyed bool, request, answer proto.Message, options []CallOption) error {
	var o callOptions
	for _, option := range options {
		option(&o)
	}
	header := http.Header{}
	header.Set("Authorization", c.authorization)
	if keyed {
		key := o.idempotencyKey
		if key == "" {
			var err error
			if key, err = randomKey(); err != nil {
				return &Error{Code: CodeInternal, Message: "no randomness for an idempotency key: " + err.Error(), cause: err}
			}
		}
		header.Set("Idempotency-Key", key)
	}
	body, err := c.codec.marshal(request)
	if err != nil {
		// Proto3 strings must be UTF-8; nothing was sent.
		return &Error{Code: CodeInvalidArgument, Message: "cannot encode the request: " + err.Error(), cause: err}
	}
	for attempts := 1; ; attempts++ {
		proto.Reset(answer)
		answerHeader, failure := c.attempt(ctx, "/"+ServiceName+"/"+method, header, body, c.attemptTimeout, answer)
		if o.responseHeader != nil {
			*o.responseHeader = answerHeader
		}
		if failure == nil {
			return nil
		}
		if ctx.Err() != nil {
			return failure
		}
		wait, retry := c.retry.delay(failure, attempts)
		if !retry {
			return failure
		}
		if err := c.retry.Sleep(ctx, wait); err != nil {
			code := CodeDeadlineExceeded
			if errors.Is(err, context.Canceled) {
				code = CodeCanceled
			}
			return &Error{Code: code, Message: fmt.Sprintf("gave up waiting to retry after: %v", failure), cause: err}
		}
	}
}

// randomKey is 128 random bits as hex.
func randomKey() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}
