// The retry decision and Retry-After parsing as pure functions: the same table as the TypeScript
// client's (clients/typescript/src/retry.ts).
package verify

import (
	"net/http"
	"testing"
	"time"
)

func policy(t *testing.T, p RetryPolicy) RetryPolicy {
	t.Helper()
	p.Random = func() float64 { return 0.999 }
	p, err := p.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func withRetryAfter(e *Error, d time.Duration) *Error {
	e.retryAfter, e.hasRetryAfter = d, true
	return e
}

func TestRetryDelay(t *testing.T) {
	p := policy(t, RetryPolicy{})
	cases := []struct {
		name     string
		err      *Error
		attempts int
		wait     time.Duration
		retry    bool
	}{
		{"network error, first retry", &Error{Code: CodeUnavailable, Reason: ReasonNetworkError}, 1, 249 * time.Millisecond, true},
		{"unavailable, second retry", &Error{Code: CodeUnavailable}, 2, 499 * time.Millisecond, true},
		{"out of attempts", &Error{Code: CodeUnavailable}, 3, 0, false},
		{"deadline_exceeded", &Error{Code: CodeDeadlineExceeded}, 1, 249 * time.Millisecond, true},
		{"unavailable with a short Retry-After", withRetryAfter(&Error{Code: CodeUnavailable}, 3*time.Second), 1, 3 * time.Second, true},
		{"unavailable with a long Retry-After", withRetryAfter(&Error{Code: CodeUnavailable}, 60*time.Second), 1, 0, false},
		{"resource_exhausted within the limit", withRetryAfter(&Error{Code: CodeResourceExhausted}, 5*time.Second), 1, 5 * time.Second, true},
		{"resource_exhausted, Retry-After 0", withRetryAfter(&Error{Code: CodeResourceExhausted}, 0), 1, 0, true},
		{"resource_exhausted beyond the limit", withRetryAfter(&Error{Code: CodeResourceExhausted}, 30*time.Second), 1, 0, false},
		{"resource_exhausted without Retry-After", &Error{Code: CodeResourceExhausted}, 1, 0, false},
		{"idempotency in progress", &Error{Code: CodeAborted, Reason: "idempotency_in_progress"}, 1, 249 * time.Millisecond, true},
		{"other aborted", &Error{Code: CodeAborted}, 1, 0, false},
		{"invalid_argument", &Error{Code: CodeInvalidArgument}, 1, 0, false},
		{"internal", &Error{Code: CodeInternal}, 1, 0, false},
	}
	for _, c := range cases {
		wait, retry := p.delay(c.err, c.attempts)
		if wait != c.wait || retry != c.retry {
			t.Errorf("%s: (%v, %v), want (%v, %v)", c.name, wait, retry, c.wait, c.retry)
		}
	}
}

func TestBackoffIsCapped(t *testing.T) {
	p := policy(t, RetryPolicy{MaxAttempts: 100})
	if wait, _ := p.delay(&Error{Code: CodeUnavailable}, 60); wait != 4995*time.Millisecond {
		t.Fatalf("wait %v, want 0.999 of MaxBackoff (5 s)", wait)
	}
}

func TestNegativeMaxRetryAfterNeverWaits(t *testing.T) {
	p := policy(t, RetryPolicy{MaxRetryAfter: -1})
	if _, retry := p.delay(withRetryAfter(&Error{Code: CodeResourceExhausted}, 0), 1); retry {
		t.Fatal("retried a resource_exhausted")
	}
	if _, retry := p.delay(&Error{Code: CodeUnavailable}, 1); !retry {
		t.Fatal("unavailable without Retry-After is still backed off and retried")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := map[string]struct {
		wait time.Duration
		ok   bool
	}{
		"":     {0, false},
		"30":   {30 * time.Second, true},
		" 7 ":  {7 * time.Second, true},
		"-1":   {0, false},
		"soon": {0, false},
		now.Add(90 * time.Second).Format(http.TimeFormat): {90 * time.Second, true},
		now.Add(-time.Hour).Format(http.TimeFormat):       {0, true},
	}
	for value, want := range cases {
		wait, ok := parseRetryAfter(value, now)
		if wait != want.wait || ok != want.ok {
			t.Errorf("%q: (%v, %v), want (%v, %v)", value, wait, ok, want.wait, want.ok)
		}
	}
}
