// The README's example as a program: start a verification, read the code, check it, and show a
// refusal as a typed error. Reads EDGE_VERIFY_URL and EDGE_VERIFY_API_KEY like the example app;
// against `npm run dev` it reads the code from the dev outbox. `npm run test:go` runs it (main_test.go).
//
//	cd clients/go && GOPROXY=off GOFLAGS=-mod=mod go run ./example [+14155552671]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"time"

	verifyv1 "edge-verify/clients/go/gen/verify/v1"
	"edge-verify/clients/go/internal/devcode"
	"edge-verify/clients/go/verify"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	client, err := verify.New(verify.Options{
		BaseURL: envOr("EDGE_VERIFY_URL", "http://127.0.0.1:8787"),
		APIKey:  envOr("EDGE_VERIFY_API_KEY", "ev_dev_local_only_key"),
	})
	if err != nil {
		return err
	}
	// A fresh number per run (Go 1.19's global math/rand is not seeded).
	random := rand.New(rand.NewSource(time.Now().UnixNano()))
	to := fmt.Sprintf("+1415%d%06d", 2+random.Intn(8), random.Intn(1_000_000))
	if len(args) > 0 {
		to = args[0]
	}

	verification, err := client.Start(ctx, &verifyv1.StartVerificationRequest{To: to, ServiceName: "Acme"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "started %s: %s\n", verification.Id, verification.Status)

	// The code as the user would type it, read back from the development Worker.
	code, err := devcode.FromEnv().LatestCode(ctx, to)
	if err != nil {
		return err
	}
	result, err := client.Check(ctx, &verifyv1.CheckVerificationRequest{VerificationId: verification.Id, Code: code})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "checked: %s\n", result.Status)

	// A new code for an approved number is fine; two within 30 s are not.
	_, err = client.Start(ctx, &verifyv1.StartVerificationRequest{To: to})
	if err == nil {
		_, err = client.Start(ctx, &verifyv1.StartVerificationRequest{To: to})
	}
	var refusal *verify.Error
	if !errors.As(err, &refusal) {
		return fmt.Errorf("expected a refusal, got %v", err)
	}
	retryAfter, _ := refusal.RetryAfter()
	fmt.Fprintf(out, "refused: %s (%s), retry in %s\n", refusal.Code, refusal.Reason, retryAfter)

	if result.Status != verifyv1.CheckStatus_CHECK_STATUS_APPROVED {
		return fmt.Errorf("the code was not approved: %s", result.Status)
	}
	return nil
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}
