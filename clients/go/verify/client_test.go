// The client against fake servers (httptest): the Connect wire format, the retry rules and the
// idempotency key across retries, error mapping, timeouts and cancellation. No Worker needed.
package verify_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	verifyv1 "edge-verify/clients/go/gen/verify/v1"
	"edge-verify/clients/go/verify"
)

// seen is one request as the fake received it.
type seen struct {
	path, contentType, protocolVersion, authorization, idempotencyKey, timeoutMs string
	body                                                                         []byte
}

// fake answers the i-th request with answers[i] (the last one repeats) and records every request.
type fake struct {
	mu       sync.Mutex
	requests []seen
	server   *httptest.Server
}

type answer func(w http.ResponseWriter, r *http.Request)

func newFake(t *testing.T, answers ...answer) *fake {
	t.Helper()
	f := &fake{}
	f.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, seen{
			path: r.URL.Path, contentType: r.Header.Get("Content-Type"), protocolVersion: r.Header.Get("Connect-Protocol-Version"),
			authorization: r.Header.Get("Authorization"), idempotencyKey: r.Header.Get("Idempotency-Key"), timeoutMs: r.Header.Get("Connect-Timeout-Ms"),
			body: body,
		})
		i := len(f.requests) - 1
		f.mu.Unlock()
		if i >= len(answers) {
			i = len(answers) - 1
		}
		answers[i](w, r)
	}))
	t.Cleanup(f.server.Close)
	return f
}

func (f *fake) seen() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.requests...)
}

// connectError answers a Connect unary error with our x-verify-* headers.
func connectError(status int, code, message string, headers map[string]string) answer {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"code":"`+code+`","message":"`+message+`"}`)
	}
}

var pending = &verifyv1.Verification{Id: "ve_fake", To: "+14155552671", Status: verifyv1.VerificationStatus_VERIFICATION_STATUS_PENDING}

// ok answers m in the request's codec.
func ok(m proto.Message) answer {
	return func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Header.Get("Content-Type") == "application/json" {
			body, _ = protojson.Marshal(m)
		} else {
			body, _ = proto.Marshal(m)
		}
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		_, _ = w.Write(body)
	}
}

var started = ok(&verifyv1.StartVerificationResponse{Verification: pending})

// sleeps records the waits of a client instead of waiting.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func newClient(t *testing.T, baseURL string, s *sleeps, options ...func(*verify.Options)) *verify.Client {
	t.Helper()
	o := verify.Options{BaseURL: baseURL, APIKey: "ev_test_key", Retry: verify.RetryPolicy{Sleep: s.sleep, Random: func() float64 { return 0.5 }}}
	for _, option := range options {
		option(&o)
	}
	client, err := verify.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func asError(t *testing.T, err error) *verify.Error {
	t.Helper()
	var e *verify.Error
	if !errors.As(err, &e) {
		t.Fatalf("want a *verify.Error, got %T: %v", err, err)
	}
	return e
}

func TestSpeaksConnectUnary(t *testing.T) {
	f := newFake(t, started)
	client := newClient(t, f.server.URL+"/", &sleeps{})
	v, err := client.Start(context.Background(), &verifyv1.StartVerificationRequest{To: "+14155552671", CodeLength: 8})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(v, pending) {
		t.Fatalf("verification %v, want %v", v, pending)
	}
	r := f.seen()[0]
	if r.path != "/verify.v1.VerificationService/StartVerification" || r.contentType != "application/proto" || r.protocolVersion != "1" || r.authorization != "Bearer ev_test_key" {
		t.Fatalf("request %+v", r)
	}
	if r.timeoutMs != "" {
		t.Fatalf("Connect-Timeout-Ms %q without an AttemptTimeout", r.timeoutMs)
	}
	var sent verifyv1.StartVerificationRequest
	if err := proto.Unmarshal(r.body, &sent); err != nil || sent.To != "+14155552671" || sent.CodeLength != 8 {
		t.Fatalf("body %v (%v)", &sent, err)
	}
}

func TestJSONCodec(t *testing.T) {
	// The answer has a field this client does not know yet: ignored, not an error.
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = io.WriteString(w, `{"status":"CHECK_STATUS_APPROVED","verification":{"id":"ve_1","status":"VERIFICATION_STATUS_APPROVED","addedLater":1}}`)
	})
	client := newClient(t, f.server.URL, &sleeps{}, func(o *verify.Options) { o.Codec = verify.CodecJSON })
	result, err := client.Check(context.Background(), &verifyv1.CheckVerificationRequest{VerificationId: "ve_1", Code: "123456"})
	if err != nil {
		t.Fatal(err)
	}
	if result.Status != verifyv1.CheckStatus_CHECK_STATUS_APPROVED || result.Verification.Id != "ve_1" {
		t.Fatalf("result %v", result)
	}
	r := f.seen()[0]
	if r.contentType != "application/json" || r.path != "/verify.v1.VerificationService/CheckVerification" {
		t.Fatalf("request %+v", r)
	}
	if got := string(r.body); !strings.Contains(got, `"verificationId":"ve_1"`) || !strings.Contains(got, `"code":"123456"`) {
		t.Fatalf("body %s: want proto JSON names", got)
	}
}

func TestRetriesUnavailableWithTheSameKey(t *testing.T) {
	down := connectError(503, "unavailable", "provider down", nil)
	f := newFake(t, down, down, started)
	s := &sleeps{}
	client := newClient(t, f.server.URL, s)
	if _, err := client.Start(context.Background(), &verifyv1.StartVerificationRequest{To: "+14155552671"}); err != nil {
		t.Fatal(err)
	}
	requests := f.seen()
	if len(requests) != 3 {
		t.Fatalf("%d attempts, want 3", len(requests))
	}
	key := requests[0].idempotencyKey
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(key) {
		t.Fatalf("key %q: want 128 random bits as hex", key)
	}
	for _, r := range requests[1:] {
		if r.idempotencyKey != key {
			t.Fatalf("retry sent key %q, first attempt %q", r.idempotencyKey, key)
		}
	}
	// Full jitter at 0.5 of 250 ms, then of 500 ms.
	if want := []time.Duration{125 * time.Millisecond, 250 * time.Millisecond}; !equalDurations(s.waits, want) {
		t.Fatalf("waits %v, want %v", s.waits, want)
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	f := newFake(t, connectError(503, "unavailable", "provider down", map[string]string{"x-verify-reason": "unavailable"}))
	s := &sleeps{}
	client := newClient(t, f.server.URL, s, func(o *verify.Options) { o.Retry.MaxAttempts = 2 })
	_, err := client.Cancel(context.Background(), "ve_1")
	e := asError(t, err)
	if e.Code != verify.CodeUnavailable || e.Message != "provider down" || e.HTTPStatus != 503 || e.Reason != "unavailable" {
		t.Fatalf("error %+v", e)
	}
	if n := len(f.seen()); n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}
	if verify.CodeOf(err) != verify.CodeUnavailable || verify.CodeOf(nil) != "" || verify.CodeOf(io.EOF) != verify.CodeUnknown {
		t.Fatal("CodeOf")
	}
}

func TestKeysPerLogicalCall(t *testing.T) {
	f := newFake(t, started)
	client := newClient(t, f.server.URL, &sleeps{})
	ctx := context.Background()
	req := &verifyv1.StartVerificationRequest{To: "+14155552671"}
	_, _ = client.Start(ctx, req)
	_, _ = client.Start(ctx, req)
	_, _ = client.Start(ctx, req, verify.WithIdempotencyKey("order-42"))
	requests := f.seen()
	if requests[0].idempotencyKey == requests[1].idempotencyKey {
		t.Fatal("two logical calls shared a key")
	}
	if requests[2].idempotencyKey != "order-42" {
		t.Fatalf("key %q, want the caller's", requests[2].idempotencyKey)
	}

	g := newFake(t, ok(&verifyv1.GetVerificationResponse{Verification: pending}))
	reader := newClient(t, g.server.URL, &sleeps{})
	if _, err := reader.Get(ctx, "ve_fake", verify.WithIdempotencyKey("ignored")); err != nil {
		t.Fatal(err)
	}
	if r := g.seen()[0]; r.idempotencyKey != "" || r.path != "/verify.v1.VerificationService/GetVerification" {
		t.Fatalf("get sent %+v: a read carries no key", r)
	}
}

func TestAnswersAreNotRetried(t *testing.T) {
	cases := []struct {
		name   string
		answer answer
		code   verify.Code
	}{
		{"invalid_argument", connectError(400, "invalid_argument", "codeLength: must be from 4 to 10", map[string]string{"x-verify-reason": "invalid_argument", "x-verify-field": "codeLength"}), verify.CodeInvalidArgument},
		{"unauthenticated", connectError(401, "unauthenticated", "bad key", nil), verify.CodeUnauthenticated},
		{"permission_denied", connectError(403, "permission_denied", "refused", map[string]string{"x-verify-reason": "rule_refused", "x-verify-rule": "deny_list"}), verify.CodePermissionDenied},
		{"failed_precondition", connectError(400, "failed_precondition", "approved", map[string]string{"x-verify-reason": "already_approved"}), verify.CodeFailedPrecondition},
		{"not_found", connectError(404, "not_found", "no such verification", nil), verify.CodeNotFound},
		{"aborted without in-progress", connectError(409, "aborted", "other", nil), verify.CodeAborted},
		{"a code from the future", connectError(500, "brand_new_code", "?", nil), verify.CodeUnknown},
		{"resource_exhausted without Retry-After", connectError(429, "resource_exhausted", "limit", nil), verify.CodeResourceExhausted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t, c.answer, started)
			s := &sleeps{}
			_, err := newClient(t, f.server.URL, s).Start(context.Background(), &verifyv1.StartVerificationRequest{To: "+14155552671"})
			if e := asError(t, err); e.Code != c.code {
				t.Fatalf("code %q, want %q", e.Code, c.code)
			}
			if n := len(f.seen()); n != 1 || len(s.waits) != 0 {
				t.Fatalf("%d attempts and waits %v: want one attempt", n, s.waits)
			}
		})
	}
}

func TestInvalidArgumentCarriesField(t *testing.T) {
	f := newFake(t, connectError(400, "invalid_argument", "codeLength: must be from 4 to 10", map[string]string{"x-verify-reason": "invalid_argument", "x-verify-field": "codeLength"}))
	_, err := newClient(t, f.server.URL, &sleeps{}).Start(context.Background(), &verifyv1.StartVerificationRequest{To: "+14155552671", CodeLength: 3})
	e := asError(t, err)
	if e.Code != verify.CodeInvalidArgument || e.Field != "codeLength" || e.Reason != "invalid_argument" || e.HTTPStatus != 400 || e.Message != "codeLength: must be from 4 to 10" {
		t.Fatalf("error %+v", e)
	}
	if got := e.Error(); got != "edge-verify: invalid_argument: codeLength: must be from 4 to 10" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestResourceExhaustedWaitsOnlyForAShortRetryAfter(t *testing.T) {
	short := connectError(429, "resource_exhausted", "busy", map[string]string{"retry-after": "2", "x-verify-reason": "limit_reached"})
	f := newFake(t, short, started)
	s := &sleeps{}
	if _, err := newClient(t, f.server.URL, s).Start(context.Background(), &verifyv1.StartVerificationRequest{To: "+14155552671"}); err != nil {
		t.Fatal(err)
	}
	if !equalDurations(s.waits, []time.Duration{2 * time.Second}) || len(f.seen()) != 2 || f.seen()[0].idempotencyKey != f.seen()[1].idempotencyKey {
		t.Fatalf("waits %v, %d attempts: want one retry after 2 s with the same key", s.waits, len(f.seen()))
	}

	cooldown := connectError(429, "resource_exhausted", "wait", map[string]string{"retry-after": "30", "x-verify-reason": "resend_too_soon", "x-verify-rule": "resend_cooldown"})
	g := newFake(t, cooldown, started)
	s = &sleeps{}
	_, err := newClient(t, g.server.URL, s).Start(context.Background(), &verifyv1.StartVerificationRequest{To: "+14155552671"})
	e := asError(t, err)
	after, has := e.RetryAfter()
	if e.Code != verify.CodeResourceExhausted || e.Reason != "resend_too_soon" || e.Rule != "resend_cooldown" || !has || after != 30*time.Second {
		t.Fatalf("error %+v (retry after %v %v)", e, after, has)
	}
	if got := e.Error(); got != "edge-verify: resource_exhausted (resend_too_soon): wait" {
		t.Fatalf("Error() = %q", got)
	}
	if len(g.seen()) != 1 || len(s.waits) != 0 {
		t.Fatal("a 30 s cooldown was waited for inside the call")
	}
}

func TestInProgressIsRetried(t *testing.T) {
	f := newFake(t, connectError(409, "aborted", "same key still running", map[string]string{"x-verify-reason": "idempotency_in_progress"}), started)
	s := &sleeps{}
	if _, err := newClient(t, f.server.URL, s).Start(context.Background(), &verifyv1.StartVerificationRequest{To: "+14155552671"}); err != nil {
		t.Fatal(err)
	}
	if len(f.seen()) != 2 || f.seen()[0].idempotencyKey != f.seen()[1].idempotencyKey {
		t.Fatal("want one retry with the same key")
	}
}

func TestNonConnectAnswersMapFromHTTPStatus(t *testing.T) {
	page := func(status int) answer {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, "<h1>proxy error</h1>")
		}
	}
	// A gateway's 502 page is unavailable, so retried.
	f := newFake(t, page(502), started)
	if _, err := newClient(t, f.server.URL, &sleeps{}).Start(context.Background(), &verifyv1.StartVerificationRequest{To: "+1"}); err != nil || len(f.seen()) != 2 {
		t.Fatalf("502 page: err %v after %d attempts, want success after 2", err, len(f.seen()))
	}
	for status, want := range map[int]verify.Code{400: verify.CodeInternal, 401: verify.CodeUnauthenticated, 403: verify.CodePermissionDenied, 404: verify.CodeUnimplemented, 429: verify.CodeUnavailable, 418: verify.CodeUnknown} {
		g := newFake(t, page(status))
		_, err := newClient(t, g.server.URL, &sleeps{}, func(o *verify.Options) { o.Retry.MaxAttempts = 1 }).Get(context.Background(), "ve_1")
		if e := asError(t, err); e.Code != want || e.HTTPStatus != status {
			t.Errorf("HTTP %d page: code %q, want %q", status, e.Code, want)
		}
	}
}

func TestUnexpectedSuccessAnswers(t *testing.T) {
	wrongType := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "hello")
	}
	empty := ok(&verifyv1.StartVerificationResponse{})
	for name, a := range map[string]answer{"wrong Content-Type": wrongType, "no verification": empty} {
		f := newFake(t, a)
		_, err := newClient(t, f.server.URL, &sleeps{}).Start(context.Background(), &verifyv1.StartVerificationRequest{To: "+1"})
		if e := asError(t, err); e.Code != verify.CodeInternal || len(f.seen()) != 1 {
			t.Errorf("%s: %v after %d attempts, want internal, not retried", name, err, len(f.seen()))
		}
	}
}

func TestNetworkErrorIsRetriedThenTyped(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	listener.Close() // nothing listens there now
	s := &sleeps{}
	_, err = newClient(t, "http://"+address, s).Start(context.Background(), &verifyv1.StartVerificationRequest{To: "+1"})
	e := asError(t, err)
	if e.Code != verify.CodeUnavailable || e.Reason != verify.ReasonNetworkError || e.HTTPStatus != 0 || e.Header != nil || errors.Unwrap(e) == nil {
		t.Fatalf("error %+v", e)
	}
	if want := []time.Duration{125 * time.Millisecond, 250 * time.Millisecond}; !equalDurations(s.waits, want) {
		t.Fatalf("waits %v, want %v", s.waits, want)
	}
}

func TestAttemptTimeoutIsSentAndRetried(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	f := newFake(t, slow, started)
	s := &sleeps{}
	client := newClient(t, f.server.URL, s, func(o *verify.Options) { o.AttemptTimeout = 100 * time.Millisecond })
	if _, err := client.Start(context.Background(), &verifyv1.StartVerificationRequest{To: "+1"}); err != nil {
		t.Fatal(err)
	}
	requests := f.seen()
	if len(requests) != 2 || requests[0].timeoutMs != "100" || requests[0].idempotencyKey != requests[1].idempotencyKey {
		t.Fatalf("requests %+v: want a timed-out attempt (Connect-Timeout-Ms 100) retried with its key", requests)
	}

	// With one attempt, the timeout is the answer.
	g := newFake(t, slow)
	one := newClient(t, g.server.URL, s, func(o *verify.Options) { o.AttemptTimeout = 50 * time.Millisecond; o.Retry.MaxAttempts = 1 })
	_, err := one.Start(context.Background(), &verifyv1.StartVerificationRequest{To: "+1"})
	if e := asError(t, err); e.Code != verify.CodeDeadlineExceeded {
		t.Fatalf("code %q, want deadline_exceeded", e.Code)
	}
}

func TestCallerCancelStopsRetrying(t *testing.T) {
	f := newFake(t, connectError(503, "unavailable", "down", nil))
	ctx, cancel := context.WithCancel(context.Background())
	client := newClient(t, f.server.URL, &sleeps{}, func(o *verify.Options) {
		o.Retry.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	})
	_, err := client.Start(ctx, &verifyv1.StartVerificationRequest{To: "+1"})
	if e := asError(t, err); e.Code != verify.CodeCanceled || !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want canceled", err)
	}
	if n := len(f.seen()); n != 1 {
		t.Fatalf("%d attempts after the caller canceled", n)
	}

	// A caller's deadline that passes during an attempt ends the call at once.
	g := newFake(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	short, stop := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer stop()
	_, err = newClient(t, g.server.URL, &sleeps{}).Start(short, &verifyv1.StartVerificationRequest{To: "+1"})
	if e := asError(t, err); e.Code != verify.CodeDeadlineExceeded || len(g.seen()) != 1 {
		t.Fatalf("error %v after %d attempts, want deadline_exceeded after 1", err, len(g.seen()))
	}
}

func TestResponseHeaderShowsReplays(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Idempotent-Replayed", "true")
		started(w, r)
	})
	var header http.Header
	if _, err := newClient(t, f.server.URL, &sleeps{}).Start(context.Background(), &verifyv1.StartVerificationRequest{To: "+1"}, verify.WithResponseHeader(&header)); err != nil {
		t.Fatal(err)
	}
	if header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("header %v", header)
	}
}

func TestBadInputIsRefusedBeforeSending(t *testing.T) {
	f := newFake(t, started)
	_, err := newClient(t, f.server.URL, &sleeps{}).Start(context.Background(), &verifyv1.StartVerificationRequest{To: "+1\xff"})
	if e := asError(t, err); e.Code != verify.CodeInvalidArgument || len(f.seen()) != 0 {
		t.Fatalf("error %v after %d requests: want invalid_argument and nothing sent", err, len(f.seen()))
	}
}

func TestOptionsAreChecked(t *testing.T) {
	for name, o := range map[string]verify.Options{
		"no URL":           {APIKey: "k"},
		"not http":         {BaseURL: "ftp://x", APIKey: "k"},
		"no key":           {BaseURL: "http://x"},
		"negative timeout": {BaseURL: "http://x", APIKey: "k", AttemptTimeout: -1},
		"backoffs":         {BaseURL: "http://x", APIKey: "k", Retry: verify.RetryPolicy{InitialBackoff: time.Second, MaxBackoff: time.Millisecond}},
		"attempts":         {BaseURL: "http://x", APIKey: "k", Retry: verify.RetryPolicy{MaxAttempts: -1}},
		"codec":            {BaseURL: "http://x", APIKey: "k", Codec: 7},
	} {
		if _, err := verify.New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
