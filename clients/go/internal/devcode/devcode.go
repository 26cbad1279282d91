// Package devcode reads back the messages a Worker in development "sent", so the example and the
// tests can type the code as a user would: from the dev outbox (GET /v1/dev/outbox, the console
// provider's, as `npm run dev` serves it) or, when FAKE_TWILIO_URL is set, from the fake Twilio
// API's record. Neither exists in production.
package devcode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// Source is where the messages are read.
type Source struct {
	// BaseURL and APIKey reach the Worker's dev outbox.
	BaseURL string
	APIKey  string
	// FakeTwilioURL, when set, is read instead (GET /_messages?to=).
	FakeTwilioURL string
	HTTPClient    *http.Client
}

// FromEnv is the Source scripts/with-worker.mjs and `npm run dev` describe: EDGE_VERIFY_URL
// (default http://127.0.0.1:8787), EDGE_VERIFY_API_KEY (default the dev key) and FAKE_TWILIO_URL.
func FromEnv() Source {
	return Source{
		BaseURL:       envOr("EDGE_VERIFY_URL", "http://127.0.0.1:8787"),
		APIKey:        envOr("EDGE_VERIFY_API_KEY", "ev_dev_local_only_key"),
		FakeTwilioURL: os.Getenv("FAKE_TWILIO_URL"),
	}
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

// Messages returns the bodies of the messages sent to `to`, oldest first.
func (s Source) Messages(ctx context.Context, to string) ([]string, error) {
	var page struct {
		Messages []struct {
			To   string `json:"to"`
			Body string `json:"body"`
		} `json:"messages"`
	}
	var bodies []string
	if s.FakeTwilioURL != "" {
		if err := s.getJSON(ctx, strings.TrimRight(s.FakeTwilioURL, "/")+"/_messages?to="+url.QueryEscape(to), "", &page); err != nil {
			return nil, err
		}
		for _, m := range page.Messages {
			bodies = append(bodies, m.Body)
		}
		return bodies, nil
	}
	if err := s.getJSON(ctx, strings.TrimRight(s.BaseURL, "/")+"/v1/dev/outbox", s.APIKey, &page); err != nil {
		return nil, err
	}
	// The outbox lists every number's messages, newest first.
	for i := len(page.Messages) - 1; i >= 0; i-- {
		if page.Messages[i].To == to {
			bodies = append(bodies, page.Messages[i].Body)
		}
	}
	return bodies, nil
}

// LatestCode is the code in the newest message to `to`.
func (s Source) LatestCode(ctx context.Context, to string) (string, error) {
	bodies, err := s.Messages(ctx, to)
	if err != nil {
		return "", err
	}
	if len(bodies) == 0 {
		return "", fmt.Errorf("devcode: no message was sent to %s", to)
	}
	code, ok := CodeIn(bodies[len(bodies)-1])
	if !ok {
		return "", fmt.Errorf("devcode: no code in the message to %s", to)
	}
	return code, nil
}

var codePattern = regexp.MustCompile(`\b(\d{4,10})\b`)

// CodeIn finds the code (4 to 10 digits) in a message body.
func CodeIn(body string) (string, bool) {
	match := codePattern.FindStringSubmatch(body)
	if match == nil {
		return "", false
	}
	return match[1], true
}

func (s Source) getJSON(ctx context.Context, target, apiKey string, into any) error {
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	if apiKey != "" {
		request.Header.Set("Authorization", "Bearer "+apiKey)
	}
	client := s.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	response, err := client.Do(request)
	if err != nil {
		return err
	}
	defer response.Body.Close()
	if response.StatusCode == http.StatusNotFound && apiKey != "" {
		return errors.New("devcode: no dev outbox here (it exists only with ENVIRONMENT=development and the console provider: npm run dev)")
	}
	if response.StatusCode != http.StatusOK {
		return fmt.Errorf("devcode: GET %s: HTTP %d", target, response.StatusCode)
	}
	return json.NewDecoder(response.Body).Decode(into)
}
