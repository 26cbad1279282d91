// Reading codes back from fakes of the dev outbox and of the fake Twilio API's record.
package devcode

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestDevOutbox(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/dev/outbox" || r.Header.Get("Authorization") != "Bearer ev_dev_local_only_key" {
			http.NotFound(w, r)
			return
		}
		// Newest first, every number's messages.
		_, _ = io.WriteString(w, `{"messages":[
			{"seq":3,"messageId":"c3","to":"+14155550002","body":"Your code is 999999","createTime":"2026-01-01T00:00:03Z"},
			{"seq":2,"messageId":"c2","to":"+14155550001","body":"Your Acme code is 222222","createTime":"2026-01-01T00:00:02Z"},
			{"seq":1,"messageId":"c1","to":"+14155550001","body":"Your Acme code is 111111","createTime":"2026-01-01T00:00:01Z"}]}`)
	}))
	defer server.Close()
	source := Source{BaseURL: server.URL, APIKey: "ev_dev_local_only_key"}
	bodies, err := source.Messages(context.Background(), "+14155550001")
	if err != nil || len(bodies) != 2 || bodies[0] != "Your Acme code is 111111" {
		t.Fatalf("bodies %q (%v): want the number's two, oldest first", bodies, err)
	}
	if code, err := source.LatestCode(context.Background(), "+14155550001"); code != "222222" || err != nil {
		t.Fatalf("code %q (%v)", code, err)
	}
	if _, err := source.LatestCode(context.Background(), "+14155550009"); err == nil {
		t.Fatal("a code for a number nothing was sent to")
	}
	wrongKey := Source{BaseURL: server.URL, APIKey: "other"}
	if _, err := wrongKey.Messages(context.Background(), "+14155550001"); err == nil {
		t.Fatal("no error for a missing outbox")
	}
}

func TestFakeTwilio(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_messages" || r.URL.Query().Get("to") != "+14155550001" {
			_, _ = io.WriteString(w, `{"messages":[]}`)
			return
		}
		_, _ = io.WriteString(w, `{"messages":[{"to":"+14155550001","body":"Your code is 1234\n\n@example.com #1234"}],"sent":1}`)
	}))
	defer server.Close()
	source := Source{BaseURL: "http://unused.invalid", FakeTwilioURL: server.URL}
	if code, err := source.LatestCode(context.Background(), "+14155550001"); code != "1234" || err != nil {
		t.Fatalf("code %q (%v)", code, err)
	}
}

func TestCodeIn(t *testing.T) {
	for body, want := range map[string]string{"Your code is 123456.": "123456", "Code: 0042 for Acme": "0042", "no digits": "", "123 is too short": ""} {
		if got, _ := CodeIn(body); got != want {
			t.Errorf("%q: %q, want %q", body, got, want)
		}
	}
}
