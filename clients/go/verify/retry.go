// When to retry a call, and after how long: the TypeScript client's rules (clients/typescript/src/retry.ts).
// Every retry reuses the call's idempotency key, so a retried start never sends a second code.

package verify

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/binary"
	"errors"
	"math/rand"
	"sync"
	"time"
)

// RetryPolicy says which failures are retried and how long to wait. A zero field takes its default.
type RetryPolicy struct {
	// MaxAttempts per call, the first included; 1 never retries. Default 3.
	MaxAttempts int
	// InitialBackoff is the first backoff for network errors, unavailable, deadline_exceeded and
	// "same key still running"; it doubles per retry, with full jitter. Default 250 ms.
	InitialBackoff time.Duration
	// MaxBackoff caps one backoff. Default 5 s.
	MaxBackoff time.Duration
	// MaxRetryAfter is the longest Retry-After worth waiting for inside the call. A refusal asking
	// for longer (a 30 s resend cooldown, an hourly limit) is returned at once for your UI to
	// show. Default 5 s; negative: never wait for a Retry-After.
	MaxRetryAfter time.Duration
	// Sleep waits d or until ctx is done (then returns ctx.Err()). Default: a timer. Tests inject a fake.
	Sleep func(ctx context.Context, d time.Duration) error
	// Random is the jitter source in [0, 1). Default: math/rand seeded per process.
	Random func() float64
}

const (
	defaultMaxAttempts    = 3
	defaultInitialBackoff = 250 * time.Millisecond
	defaultMaxBackoff     = 5 * time.Second
	defaultMaxRetryAfter  = 5 * time.Second
)

// withDefaults fills zero fields and rejects a policy that cannot work.
func (p RetryPolicy) withDefaults() (RetryPolicy, error) {
	if p.MaxAttempts < 0 || p.InitialBackoff < 0 || p.MaxBackoff < 0 {
		return p, errors.New("verify: Retry: MaxAttempts, InitialBackoff and MaxBackoff must not be negative")
	}
	if p.MaxAttempts == 0 {
		p.MaxAttempts = defaultMaxAttempts
	}
	if p.InitialBackoff == 0 {
		p.InitialBackoff = defaultInitialBackoff
	}
	if p.MaxBackoff == 0 {
		p.MaxBackoff = defaultMaxBackoff
	}
	if p.MaxBackoff < p.InitialBackoff {
		return p, errors.New("verify: Retry: need InitialBackoff <= MaxBackoff")
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = defaultMaxRetryAfter
	}
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	if p.Random == nil {
		p.Random = jitter
	}
	return p, nil
}

// delay is how long to wait before attempt attempts+1, or false to give up and return err.
// Retried: no answer at all (network_error, which arrives as unavailable), unavailable,
// deadline_exceeded, the server's "same key still running" (aborted / idempotency_in_progress),
// and resource_exhausted with a Retry-After within MaxRetryAfter. Everything else is an answer.
func (p RetryPolicy) delay(err *Error, attempts int) (time.Duration, bool) {
	if attempts >= p.MaxAttempts {
		return 0, false
	}
	after, hasAfter := err.RetryAfter()
	withinLimit := hasAfter && p.MaxRetryAfter >= 0 && after <= p.MaxRetryAfter
	switch err.Code {
	case CodeResourceExhausted:
		if withinLimit {
			return after, true
		}
		return 0, false
	case CodeUnavailable, CodeDeadlineExceeded:
		if !hasAfter {
			return p.backoff(attempts), true
		}
		if withinLimit {
			return after, true
		}
		return 0, false
	case CodeAborted:
		if err.Reason == "idempotency_in_progress" {
			return p.backoff(attempts), true
		}
		return 0, false
	default:
		return 0, false
	}
}

// backoff is full jitter: uniform in [0, min(MaxBackoff, InitialBackoff * 2^(attempts-1))).
func (p RetryPolicy) backoff(attempts int) time.Duration {
	ceiling := p.InitialBackoff
	for i := 1; i < attempts && ceiling < p.MaxBackoff; i++ {
		ceiling *= 2
	}
	if ceiling > p.MaxBackoff {
		ceiling = p.MaxBackoff
	}
	return time.Duration(p.Random() * float64(ceiling)).Truncate(time.Millisecond)
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Go 1.19's global math/rand starts from the same seed in every process, which would give every
// client the same "random" backoffs; this source is seeded per process.
var (
	jitterMu     sync.Mutex
	jitterSource = rand.New(rand.NewSource(processSeed()))
)

func jitter() float64 {
	jitterMu.Lock()
	defer jitterMu.Unlock()
	return jitterSource.Float64()
}

func processSeed() int64 {
	var b [8]byte
	if _, err := cryptorand.Read(b[:]); err != nil {
		return time.Now().UnixNano()
	}
	return int64(binary.LittleEndian.Uint64(b[:]))
}
