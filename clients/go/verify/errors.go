// Typed errors: every failed call is an *Error carrying the Connect code and message, and the
// server's reason, rule, field and Retry-After (sent as x-verify-* and retry-after headers).

package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Code is a Connect error code as it appears on the wire ("resource_exhausted", ...).
type Code string

// The Connect protocol's sixteen codes; there are no others.
const (
	CodeCanceled           Code = "canceled"
	CodeUnknown            Code = "unknown"
	CodeInvalidArgument    Code = "invalid_argument"
	CodeDeadlineExceeded   Code = "deadline_exceeded"
	CodeNotFound           Code = "not_found"
	CodeAlreadyExists      Code = "already_exists"
	CodePermissionDenied   Code = "permission_denied"
	CodeResourceExhausted  Code = "resource_exhausted"
	CodeFailedPrecondition Code = "failed_precondition"
	CodeAborted            Code = "aborted"
	CodeOutOfRange         Code = "out_of_range"
	CodeUnimplemented      Code = "unimplemented"
	CodeInternal           Code = "internal"
	CodeUnavailable        Code = "unavailable"
	CodeDataLoss           Code = "data_loss"
	CodeUnauthenticated    Code = "unauthenticated"
)

var knownCodes = map[Code]bool{
	CodeCanceled: true, CodeUnknown: true, CodeInvalidArgument: true, CodeDeadlineExceeded: true,
	CodeNotFound: true, CodeAlreadyExists: true, CodePermissionDenied: true, CodeResourceExhausted: true,
	CodeFailedPrecondition: true, CodeAborted: true, CodeOutOfRange: true, CodeUnimplemented: true,
	CodeInternal: true, CodeUnavailable: true, CodeDataLoss: true, CodeUnauthenticated: true,
}

// ReasonNetworkError is the Reason of an error where no (complete) answer arrived: the server may
// have acted, which is why retries reuse the idempotency key.
const ReasonNetworkError = "network_error"

// Error is a refused or failed call.
type Error struct {
	Code    Code
	Message string
	// Reason is the server's stable refusal reason (x-verify-reason): resend_too_soon,
	// limit_reached, locked, rule_refused, idempotency_key_reused, ...; or ReasonNetworkError.
	Reason string
	// Rule names the rule behind a limit (x-verify-rule): resend_cooldown, velocity_ip, ...
	Rule string
	// Field is the request field at fault (x-verify-field), in proto JSON spelling: to, codeLength.
	Field string
	// HTTPStatus is the answer's status; 0 when no answer arrived.
	HTTPStatus int
	// Header holds the answer's headers; nil when no answer arrived.
	Header http.Header
	// Details are the Connect error details as sent (type name, base64 protobuf value).
	Details []ErrorDetail

	retryAfter    time.Duration
	hasRetryAfter bool
	cause         error
}

// ErrorDetail is one entry of a Connect error's "details".
type ErrorDetail struct {
	Type  string          `json:"type"`
	Value string          `json:"value"`
	Debug json.RawMessage `json:"debug,omitempty"`
}

func (e *Error) Error() string {
	text := "edge-verify: " + string(e.Code)
	if e.Reason != "" && e.Reason != string(e.Code) {
		text += " (" + e.Reason + ")"
	}
	if e.Message != "" {
		text += ": " + e.Message
	}
	return text
}

// Unwrap gives the underlying transport or context error, when there is one.
func (e *Error) Unwrap() error { return e.cause }

// RetryAfter is the server's Retry-After, and whether it sent one.
func (e *Error) RetryAfter() (time.Duration, bool) { return e.retryAfter, e.hasRetryAfter }

// CodeOf returns err's Connect code: "" for nil, CodeUnknown for an error that is not an *Error.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeUnknown
}

// errorFromResponse reads a Connect unary error: a JSON {code, message, details} body, or, when
// the body is not one (a proxy's error page), a code inferred from the HTTP status.
func errorFromResponse(status int, header http.Header, body []byte, now time.Time) *Error {
	e := &Error{HTTPStatus: status, Header: header}
	var wire struct {
		Code    string        `json:"code"`
		Message string        `json:"message"`
		Details []ErrorDetail `json:"details"`
	}
	if mediaType(header) == "application/json" && json.Unmarshal(body, &wire) == nil && wire.Code != "" {
		e.Code, e.Message, e.Details = Code(wire.Code), wire.Message, wire.Details
		if !knownCodes[e.Code] {
			e.Code = CodeUnknown
		}
	} else {
		e.Code = codeFromHTTPStatus(status)
		e.Message = fmt.Sprintf("HTTP %d %s without a Connect error body", status, http.StatusText(status))
	}
	e.Reason = header.Get("x-verify-reason")
	e.Rule = header.Get("x-verify-rule")
	e.Field = header.Get("x-verify-field")
	e.retryAfter, e.hasRetryAfter = parseRetryAfter(header.Get("retry-after"), now)
	return e
}

// codeFromHTTPStatus is the Connect specification's mapping for answers without a Connect error
// body (the same as gRPC's HTTP-to-status table).
func codeFromHTTPStatus(status int) Code {
	switch status {
	case http.StatusBadRequest:
		return CodeInternal
	case http.StatusUnauthorized:
		return CodeUnauthenticated
	case http.StatusForbidden:
		return CodePermissionDenied
	case http.StatusNotFound:
		return CodeUnimplemented
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return CodeUnavailable
	default:
		return CodeUnknown
	}
}

// parseRetryAfter reads delay-seconds or an HTTP-date (RFC 9110 section 10.2.3).
func parseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if seconds, err := strconv.ParseUint(value, 10, 31); err == nil {
		return time.Duration(seconds) * time.Second, true
	}
	at, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	wait := at.Sub(now)
	if wait < 0 {
		wait = 0
	}
	// Whole seconds, rounded up, as the header's own unit.
	return (wait + time.Second - 1).Truncate(time.Second), true
}

func mediaType(header http.Header) string {
	t, _, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return t
}
