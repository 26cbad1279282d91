// The client against the real Worker (wrangler dev on loopback, started by scripts/with-worker.mjs:
// npm run test:go), in both codecs. Codes are read back from the dev outbox (or the fake Twilio
// API when FAKE_TWILIO_URL is set). Skipped when EDGE_VERIFY_URL is not set.
package verify_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	verifyv1 "edge-verify/clients/go/gen/verify/v1"
	"edge-verify/clients/go/internal/devcode"
	"edge-verify/clients/go/verify"
)

var codecs = map[string]verify.Codec{"proto": verify.CodecProto, "json": verify.CodecJSON}

func worker(t *testing.T) (string, string, devcode.Source) {
	t.Helper()
	base := os.Getenv("EDGE_VERIFY_URL")
	if base == "" {
		t.Skip("EDGE_VERIFY_URL is not set: run through npm run test:go, which starts the Worker")
	}
	source := devcode.FromEnv()
	return base, source.APIKey, source
}

func workerClient(t *testing.T, base, apiKey string, codec verify.Codec) *verify.Client {
	t.Helper()
	client, err := verify.New(verify.Options{
		BaseURL: base, APIKey: apiKey, Codec: codec,
		Retry: verify.RetryPolicy{Sleep: func(ctx context.Context, d time.Duration) error {
			t.Errorf("unexpected retry after %v", d)
			return nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// uniqueNumber is a fresh valid US number, so tests never share a number's limits.
func uniqueNumber(t *testing.T) string {
	t.Helper()
	n, err := rand.Int(rand.Reader, big.NewInt(8_000_000))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("+1415%07d", 2_000_000+n.Int64())
}

// wrong turns a code into another code of the same length.
func wrong(code string) string {
	var b strings.Builder
	for _, d := range code {
		b.WriteByte(byte('0' + (d-'0'+1)%10))
	}
	return b.String()
}

func TestWorkerStartWrongRightGet(t *testing.T) {
	base, key, source := worker(t)
	for name, codec := range codecs {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			client := workerClient(t, base, key, codec)
			to := uniqueNumber(t)
			v, err := client.Start(ctx, &verifyv1.StartVerificationRequest{To: to, ServiceName: "Acme", CodeLength: 6, Locale: "en"})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(v.Id, "ve_") || v.To != to || v.Status != verifyv1.VerificationStatus_VERIFICATION_STATUS_PENDING || v.CreateTime == nil {
				t.Fatalf("started %v", v)
			}
			code, err := source.LatestCode(ctx, to)
			if err != nil {
				t.Fatal(err)
			}
			if len(code) != 6 {
				t.Fatalf("code of %d digits, asked for 6", len(code))
			}

			result, err := client.Check(ctx, &verifyv1.CheckVerificationRequest{VerificationId: v.Id, Code: wrong(code)})
			if err != nil {
				t.Fatal(err)
			}
			if result.Status != verifyv1.CheckStatus_CHECK_STATUS_INVALID || result.Verification.CheckAttempts != 1 {
				t.Fatalf("wrong code: %v", result)
			}
			result, err = client.Check(ctx, &verifyv1.CheckVerificationRequest{To: to, Code: code})
			if err != nil {
				t.Fatal(err)
			}
			if result.Status != verifyv1.CheckStatus_CHECK_STATUS_APPROVED || result.Verification.Id != v.Id {
				t.Fatalf("right code: %v", result)
			}
			got, err := client.Get(ctx, v.Id)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != verifyv1.VerificationStatus_VERIFICATION_STATUS_APPROVED {
				t.Fatalf("get: %v", got)
			}
		})
	}
}

func TestWorkerCancel(t *testing.T) {
	base, key, source := worker(t)
	ctx := context.Background()
	client := workerClient(t, base, key, verify.CodecProto)
	to := uniqueNumber(t)
	v, err := client.Start(ctx, &verifyv1.StartVerificationRequest{To: to})
	if err != nil {
		t.Fatal(err)
	}
	canceled, err := client.Cancel(ctx, v.Id)
	if err != nil || canceled.Status != verifyv1.VerificationStatus_VERIFICATION_STATUS_CANCELED {
		t.Fatalf("cancel: %v, %v", canceled, err)
	}
	code, err := source.LatestCode(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	result, err := client.Check(ctx, &verifyv1.CheckVerificationRequest{VerificationId: v.Id, Code: code})
	if err != nil || result.Status != verifyv1.CheckStatus_CHECK_STATUS_CANCELED {
		t.Fatalf("check after cancel: %v, %v", result, err)
	}
}

func TestWorkerInvalidArgument(t *testing.T) {
	base, key, source := worker(t)
	for name, codec := range codecs {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			to := uniqueNumber(t)
			_, err := workerClient(t, base, key, codec).Start(ctx, &verifyv1.StartVerificationRequest{To: to, CodeLength: 3})
			e := asError(t, err)
			if e.Code != verify.CodeInvalidArgument || e.HTTPStatus != http.StatusBadRequest || e.Field != "codeLength" || e.Reason != "invalid_argument" || e.Message != "codeLength: must be from 4 to 10" {
				t.Fatalf("error %+v", e)
			}
			if bodies, err := source.Messages(ctx, to); err != nil || len(bodies) != 0 {
				t.Fatalf("bad input sent %d messages (%v)", len(bodies), err)
			}

			_, err = workerClient(t, base, key, codec).Start(ctx, &verifyv1.StartVerificationRequest{To: "not a number"})
			if e := asError(t, err); e.Code != verify.CodeInvalidArgument || e.Field != "to" {
				t.Fatalf("bad number: %+v", e)
			}
			_, err = workerClient(t, base, "ev_wrong_key_000000000", codec).Start(ctx, &verifyv1.StartVerificationRequest{To: to})
			if e := asError(t, err); e.Code != verify.CodeUnauthenticated || e.HTTPStatus != http.StatusUnauthorized {
				t.Fatalf("bad key: %+v", e)
			}
		})
	}
}

func TestWorkerCooldownIsATypedError(t *testing.T) {
	base, key, source := worker(t)
	ctx := context.Background()
	client := workerClient(t, base, key, verify.CodecJSON)
	to := uniqueNumber(t)
	if _, err := client.Start(ctx, &verifyv1.StartVerificationRequest{To: to}); err != nil {
		t.Fatal(err)
	}
	// The 30 s resend cooldown is beyond MaxRetryAfter (5 s): returned at once, not waited for.
	_, err := client.Start(ctx, &verifyv1.StartVerificationRequest{To: to})
	e := asError(t, err)
	after, has := e.RetryAfter()
	if e.Code != verify.CodeResourceExhausted || e.Reason != "resend_too_soon" || e.Rule != "resend_cooldown" || !has || after <= 0 || after > 30*time.Second {
		t.Fatalf("error %+v, retry after %v", e, after)
	}
	if bodies, _ := source.Messages(ctx, to); len(bodies) != 1 {
		t.Fatalf("%d messages, want 1", len(bodies))
	}
}

func TestWorkerReplaysTheSameKey(t *testing.T) {
	base, key, source := worker(t)
	ctx := context.Background()
	client := workerClient(t, base, key, verify.CodecProto)
	to := uniqueNumber(t)
	idempotencyKey := "go-order-" + to
	var header http.Header
	first, err := client.Start(ctx, &verifyv1.StartVerificationRequest{To: to}, verify.WithIdempotencyKey(idempotencyKey), verify.WithResponseHeader(&header))
	if err != nil {
		t.Fatal(err)
	}
	if header.Get("Idempotent-Replayed") != "" {
		t.Fatal("a first call marked replayed")
	}
	again, err := client.Start(ctx, &verifyv1.StartVerificationRequest{To: to}, verify.WithIdempotencyKey(idempotencyKey), verify.WithResponseHeader(&header))
	if err != nil {
		t.Fatal(err)
	}
	if header.Get("Idempotent-Replayed") != "true" || again.Id != first.Id {
		t.Fatalf("second call: id %s (first %s), replayed %q", again.Id, first.Id, header.Get("Idempotent-Replayed"))
	}
	if bodies, _ := source.Messages(ctx, to); len(bodies) != 1 {
		t.Fatalf("%d messages, want 1", len(bodies))
	}
}

// An answer lost after the Worker acted: a proxy forwards the first request, then drops the
// connection without answering. The retry reuses the key, is replayed, and no second SMS goes out.
func TestWorkerLostAnswerIsRetriedWithTheSameKey(t *testing.T) {
	base, key, source := worker(t)
	target, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	var keys []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		first := len(keys) == 1
		mu.Unlock()
		if !first {
			forward.ServeHTTP(w, r)
			return
		}
		recorder := httptest.NewRecorder()
		forward.ServeHTTP(recorder, r) // the Worker acts...
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close() // ...and its answer never arrives
		}
	}))
	defer proxy.Close()

	s := &sleeps{}
	client, err := verify.New(verify.Options{BaseURL: proxy.URL, APIKey: key, Retry: verify.RetryPolicy{Sleep: s.sleep, Random: func() float64 { return 0.5 }}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	to := uniqueNumber(t)
	var header http.Header
	v, err := client.Start(ctx, &verifyv1.StartVerificationRequest{To: to}, verify.WithResponseHeader(&header))
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != verifyv1.VerificationStatus_VERIFICATION_STATUS_PENDING || header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("verification %v, replayed %q: want the first call's answer, replayed", v, header.Get("Idempotent-Replayed"))
	}
	if len(keys) != 2 || keys[0] == "" || keys[0] != keys[1] {
		t.Fatalf("keys %q: want the first attempt's key on the retry", keys)
	}
	if !equalDurations(s.waits, []time.Duration{125 * time.Millisecond}) {
		t.Fatalf("waits %v", s.waits)
	}
	if bodies, _ := source.Messages(ctx, to); len(bodies) != 1 {
		t.Fatalf("%d messages, want 1", len(bodies))
	}
}
