// The Connect protocol's unary calls over net/http, by hand (connect-go is not in Debian): POST
// /<package>.<Service>/<Method> with the message as application/proto or application/json, and
// Connect-Protocol-Version: 1; a 200 carries the answer in the same codec, anything else a JSON
// error (errors.go).

package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Codec is the wire format of request and answer messages.
type Codec int

const (
	// CodecProto is binary protobuf (application/proto): smaller and faster; the default.
	CodecProto Codec = iota
	// CodecJSON is proto JSON (application/json): readable in logs and proxies.
	CodecJSON
)

func (c Codec) contentType() string {
	if c == CodecJSON {
		return "application/json"
	}
	return "application/proto"
}

func (c Codec) marshal(m proto.Message) ([]byte, error) {
	if c == CodecJSON {
		return protojson.Marshal(m)
	}
	return proto.Marshal(m)
}

func (c Codec) unmarshal(data []byte, m proto.Message) error {
	if c == CodecJSON {
		// The server may add fields before this client knows them.
		return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(data, m)
	}
	return proto.Unmarshal(data, m)
}

// maxAnswerBytes bounds what one answer may take in memory; a verification is a few hundred bytes.
const maxAnswerBytes = 4 << 20

// attempt is one HTTP exchange. It returns the answer's headers (nil when none arrived) and an
// *Error for anything but a decoded 200. `timeout` > 0 bounds this attempt alone and is sent as
// Connect-Timeout-Ms so the server can give up too.
func (c *Client) attempt(ctx context.Context, path string, header http.Header, body []byte, timeout time.Duration, answer proto.Message) (http.Header, *Error) {
	attemptCtx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		attemptCtx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	request, err := http.NewRequestWithContext(attemptCtx, http.MethodPost, c.baseURL+path, bytes.NewReader(body))
	if err != nil {
		return nil, &Error{Code: CodeInternal, Message: err.Error(), cause: err}
	}
	request.Header = header.Clone()
	request.Header.Set("Content-Type", c.codec.contentType())
	request.Header.Set("Connect-Protocol-Version", "1")
	if timeout > 0 {
		request.Header.Set("Connect-Timeout-Ms", strconv.FormatInt(timeout.Milliseconds(), 10))
	}
	response, err := c.httpClient.Do(request)
	if err != nil {
		return nil, transportError(ctx, attemptCtx, timeout, err)
	}
	defer response.Body.Close()
	data, err := io.ReadAll(io.LimitReader(response.Body, maxAnswerBytes+1))
	if err != nil {
		// A cut-off answer is no answer: the server may have acted all the same.
		return response.Header, transportError(ctx, attemptCtx, timeout, err)
	}
	if len(data) > maxAnswerBytes {
		return response.Header, &Error{Code: CodeInternal, Message: fmt.Sprintf("answer larger than %d bytes", maxAnswerBytes), HTTPStatus: response.StatusCode, Header: response.Header}
	}
	if response.StatusCode != http.StatusOK {
		return response.Header, errorFromResponse(response.StatusCode, response.Header, data, c.now())
	}
	if got := mediaType(response.Header); got != c.codec.contentType() {
		return response.Header, &Error{Code: CodeInternal, Message: fmt.Sprintf("answer has Content-Type %q, want %q", got, c.codec.contentType()), HTTPStatus: response.StatusCode, Header: response.Header}
	}
	if err := c.codec.unmarshal(data, answer); err != nil {
		return response.Header, &Error{Code: CodeInternal, Message: "cannot decode the answer: " + err.Error(), HTTPStatus: response.StatusCode, Header: response.Header, cause: err}
	}
	return response.Header, nil
}

// transportError names a failure without an answer. The caller's own context ending is canceled
// or deadline_exceeded (and ends the call); this attempt's timeout is deadline_exceeded (retried);
// anything else (refused, reset, DNS) is unavailable with reason network_error (retried).
func transportError(callCtx, attemptCtx context.Context, timeout time.Duration, err error) *Error {
	switch {
	case errors.Is(callCtx.Err(), context.Canceled):
		return &Error{Code: CodeCanceled, Message: "canceled by the caller", cause: err}
	case callCtx.Err() != nil:
		return &Error{Code: CodeDeadlineExceeded, Message: "the caller's deadline passed", cause: err}
	case attemptCtx.Err() != nil:
		return &Error{Code: CodeDeadlineExceeded, Message: fmt.Sprintf("no answer within %s", timeout), cause: err}
	default:
		return &Error{Code: CodeUnavailable, Message: "network error: " + err.Error(), Reason: ReasonNetworkError, cause: err}
	}
}
