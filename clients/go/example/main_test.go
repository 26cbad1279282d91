// Runs the example against the Worker that npm run test:go starts; skipped without EDGE_VERIFY_URL.
package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"testing"
	"time"
)

func TestExample(t *testing.T) {
	if os.Getenv("EDGE_VERIFY_URL") == "" {
		t.Skip("EDGE_VERIFY_URL is not set: run through npm run test:go, which starts the Worker")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, nil, &out); err != nil {
		t.Fatalf("%v; printed:\n%s", err, out.String())
	}
	want := regexp.MustCompile(`^started ve_\S+: VERIFICATION_STATUS_PENDING
checked: CHECK_STATUS_APPROVED
refused: resource_exhausted \(resend_too_soon\), retry in [1-9]\d*s
$`)
	if !want.MatchString(out.String()) {
		t.Fatalf("printed:\n%s", out.String())
	}
}
