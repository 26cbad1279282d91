"""A small edge-verify client speaking the Connect protocol, standard library only.

Binary protobuf over HTTP POST (Content-Type: application/proto, Connect-Protocol-Version: 1);
errors come back as JSON {code, message} with x-verify-reason / x-verify-rule / retry-after
headers. Every call that changes state sends a fresh Idempotency-Key and reuses it on its
retries, so a retried start never sends a second SMS.

Needs the message classes generated from proto/ on sys.path (see README.md):
    protoc -I proto -I /usr/include --python_out=gen proto/verify/v1/verification.proto
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
import uuid
from email.utils import parsedate_to_datetime

from verify.v1 import verification_pb2 as pb

SERVICE = "verify.v1.VerificationService"


class VerifyError(Exception):
    """A refused or failed call: `code` is the Connect code name ("resource_exhausted", ...),
    `reason` the server's stable refusal reason ("resend_too_soon", ...) or "network_error"."""

    def __init__(self, code, message, reason=None, rule=None, retry_after_seconds=None, field=None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.reason = reason
        self.rule = rule
        self.retry_after_seconds = retry_after_seconds
        self.field = field


class VerifyClient:
    """start / check / get / cancel against one deployment.

    Retries network errors and `unavailable` with exponential backoff, and `resource_exhausted`
    only when its Retry-After is at most `max_retry_after_seconds`; every retry reuses the key.
    """

    def __init__(self, base_url, api_key, *, timeout=10.0, max_attempts=3, max_retry_after_seconds=5, sleep=time.sleep):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url: must be an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_retry_after_seconds = max_retry_after_seconds
        self.sleep = sleep
        # Whether the last answer was a replay of an earlier request with the same key.
        self.last_replayed = False

    def start(self, to, *, idempotency_key=None, **fields) -> pb.Verification:
        """fields: locale, code_length, service_name, ... (StartVerificationRequest's names)."""
        request = pb.StartVerificationRequest(to=to, **fields)
        return self._call("StartVerification", request, pb.StartVerificationResponse, idempotency_key).verification

    def check(self, code, *, verification_id="", to="", idempotency_key=None) -> pb.CheckVerificationResponse:
        request = pb.CheckVerificationRequest(code=code, verification_id=verification_id, to=to)
        return self._call("CheckVerification", request, pb.CheckVerificationResponse, idempotency_key)

    def get(self, verification_id) -> pb.Verification:
        request = pb.GetVerificationRequest(verification_id=verification_id)
        return self._call("GetVerification", request, pb.GetVerificationResponse, None, keyed=False).verification

    def cancel(self, verification_id, *, idempotency_key=None) -> pb.Verification:
        request = pb.CancelVerificationRequest(verification_id=verification_id)
        return self._call("CancelVerification", request, pb.CancelVerificationResponse, idempotency_key).verification

    def _call(self, method, request, response_type, idempotency_key, keyed=True):
        headers = {
            "Content-Type": "application/proto",
            "Connect-Protocol-Version": "1",
            "Authorization": f"Bearer {self.api_key}",
        }
        if keyed:
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        body = request.SerializeToString()
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self._post(method, body, headers, response_type)
            except VerifyError as error:
                delay = self._retry_delay(error, attempt)
                if delay is None:
                    raise
                self.sleep(delay)
        raise AssertionError("unreachable")

    def _post(self, method, body, headers, response_type):
        url = f"{self.base_url}/{SERVICE}/{method}"
        req = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                self.last_replayed = response.headers.get("idempotent-replayed") == "true"
                return response_type.FromString(response.read())
        except urllib.error.HTTPError as error:
            raise _connect_error(error) from None
        except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as error:
            # No (complete) answer: the server may have acted, so the retry reuses the key.
            raise VerifyError("unavailable", str(error), reason="network_error") from error

    def _retry_delay(self, error, attempt):
        if attempt >= self.max_attempts:
            return None
        after = error.retry_after_seconds
        if error.code == "resource_exhausted":
            return after if after is not None and after <= self.max_retry_after_seconds else None
        if error.code in ("unavailable", "deadline_exceeded") or error.reason == "idempotency_in_progress":
            if after is not None:
                return after if after <= self.max_retry_after_seconds else None
            return min(5.0, 0.25 * 2 ** (attempt - 1))
        return None


def _connect_error(error: urllib.error.HTTPError) -> VerifyError:
    """A Connect unary error: JSON {code, message} body; our details ride in headers."""
    raw = error.read()
    try:
        body = json.loads(raw)
        code, message = body.get("code", "unknown"), body.get("message", "")
    except ValueError:
        code, message = _HTTP_TO_CODE.get(error.code, "unknown"), raw.decode("utf-8", "replace")
    h = error.headers
    return VerifyError(
        code,
        message,
        reason=h.get("x-verify-reason"),
        rule=h.get("x-verify-rule"),
        retry_after_seconds=_retry_after(h.get("retry-after")),
        field=h.get("x-verify-field"),
    )


def _retry_after(value):
    if not value:
        return None
    if value.strip().isdigit():
        return int(value)
    try:
        return max(0, int(parsedate_to_datetime(value).timestamp() - time.time() + 0.999))
    except (TypeError, ValueError):
        return None


# Connect's HTTP-status fallback for error bodies that are not Connect JSON (a proxy's 502 page).
_HTTP_TO_CODE = {400: "internal", 401: "unauthenticated", 403: "permission_denied", 404: "unimplemented", 429: "unavailable", 502: "unavailable", 503: "unavailable", 504: "unavailable"}
