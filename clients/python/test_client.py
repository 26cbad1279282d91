"""Tests edge_verify.py against a running worker whose SMS go to the fake Twilio API.

    node scripts/with-worker.mjs /usr/bin/python3 clients/python/test_client.py   (npm run test:python)
    /usr/bin/python3 clients/python/test_client.py <base-url> [<fake-twilio-url>]

Generates the protobuf classes from proto/ with protoc into a temporary directory first, so the
test always runs against the current contract (nothing generated is committed).
"""

import json
import os
import random
import re
import http.server
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BASE_URL = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("EDGE_VERIFY_URL", "")
FAKE_URL = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("FAKE_TWILIO_URL", "")
API_KEY = os.environ.get("EDGE_VERIFY_API_KEY", "ev_dev_local_only_key")


def generate(out: Path) -> None:
    protos = sorted(str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto").rglob("*.proto"))
    subprocess.run(["protoc", "-I", "proto", "-I", "/usr/include", f"--python_out={out}", *protos], cwd=ROOT, check=True)


def unique_number() -> str:
    return f"+1415{random.randint(2, 9)}{random.randint(0, 999_999):06d}"


def messages_to(to: str) -> list:
    with urllib.request.urlopen(f"{FAKE_URL}/_messages?to={urllib.parse.quote(to)}", timeout=5) as response:
        return json.load(response)["messages"]


def latest_code(to: str) -> str:
    messages = messages_to(to)
    assert messages, f"no SMS was sent to {to}"
    return re.search(r"\b(\d{4,10})\b", messages[-1]["body"]).group(1)


def wrong(code: str) -> str:
    return "".join(str((int(d) + 1) % 10) for d in code)


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.client = VerifyClient(BASE_URL, API_KEY, sleep=lambda s: self.fail(f"unexpected retry after {s} s"))

    def test_start_wrong_right_get(self):
        to = unique_number()
        v = self.client.start(to, service_name="Acme", code_length=6, locale="en")
        self.assertTrue(v.id.startswith("ve_"))
        self.assertEqual(v.to, to)
        self.assertEqual(v.status, pb.VERIFICATION_STATUS_PENDING)
        code = latest_code(to)
        self.assertIn("Acme", messages_to(to)[-1]["body"])

        result = self.client.check(wrong(code), verification_id=v.id)
        self.assertEqual(result.status, pb.CHECK_STATUS_INVALID)
        result = self.client.check(code, to=to)
        self.assertEqual(result.status, pb.CHECK_STATUS_APPROVED)
        self.assertEqual(result.verification.id, v.id)
        self.assertEqual(self.client.get(v.id).status, pb.VERIFICATION_STATUS_APPROVED)

    def test_cancel(self):
        to = unique_number()
        v = self.client.start(to)
        self.assertEqual(self.client.cancel(v.id).status, pb.VERIFICATION_STATUS_CANCELED)
        self.assertEqual(self.client.check(latest_code(to), verification_id=v.id).status, pb.CHECK_STATUS_CANCELED)

    def test_cooldown_is_a_typed_error(self):
        to = unique_number()
        self.client.start(to)
        with self.assertRaises(VerifyError) as caught:
            self.client.start(to)  # 30 s cooldown > max_retry_after_seconds (5): not retried
        e = caught.exception
        self.assertEqual((e.code, e.reason, e.rule), ("resource_exhausted", "resend_too_soon", "resend_cooldown"))
        self.assertTrue(0 < e.retry_after_seconds <= 30, e.retry_after_seconds)
        self.assertEqual(len(messages_to(to)), 1)

    def test_idempotency_key_replays(self):
        to = unique_number()
        first = self.client.start(to, idempotency_key="py-order-1")
        self.assertFalse(self.client.last_replayed)
        again = self.client.start(to, idempotency_key="py-order-1")
        self.assertTrue(self.client.last_replayed)
        self.assertEqual(again.id, first.id)
        self.assertEqual(len(messages_to(to)), 1)

    def test_bad_input_and_bad_key(self):
        with self.assertRaises(VerifyError) as caught:
            self.client.start(unique_number(), code_length=3)
        self.assertEqual((caught.exception.code, caught.exception.field), ("invalid_argument", "codeLength"))
        with self.assertRaises(VerifyError) as caught:
            VerifyClient(BASE_URL, "ev_wrong_key_000000000").start(unique_number())
        self.assertEqual(caught.exception.code, "unauthenticated")

    def test_lost_answer_is_retried_with_the_same_key(self):
        # A proxy that forwards the first request to the worker, then drops the connection
        # without answering: the server acted, the client saw a network error.
        seen = []

        class DropFirst(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                seen.append(self.headers["Idempotency-Key"])
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
                req = urllib.request.Request(BASE_URL + self.path, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=10) as upstream:
                    status, answer = upstream.status, upstream.read()
                    replayed = upstream.headers.get("idempotent-replayed")
                if len(seen) == 1:
                    self.close_connection = True
                    return  # no response at all
                self.send_response(status)
                self.send_header("Content-Type", "application/proto")
                if replayed:
                    self.send_header("Idempotent-Replayed", replayed)
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), DropFirst)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        try:
            slept = []
            client = VerifyClient(f"http://127.0.0.1:{proxy.server_port}", API_KEY, sleep=slept.append)
            to = unique_number()
            v = client.start(to)
            self.assertEqual(v.status, pb.VERIFICATION_STATUS_PENDING)
            self.assertEqual(len(seen), 2)
            self.assertEqual(seen[0], seen[1])  # the retry reused the key
            self.assertTrue(client.last_replayed)  # ... so the server replayed its answer
            self.assertEqual(slept, [0.25])
            self.assertEqual(len(messages_to(to)), 1)  # and sent one SMS
        finally:
            proxy.shutdown()
            proxy.server_close()

    def test_network_error_is_retried_then_typed(self):
        slept = []
        with socket.socket() as probe:  # a port nothing listens on: bound, then released
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        client = VerifyClient(f"http://127.0.0.1:{port}", API_KEY, max_attempts=3, sleep=slept.append)
        with self.assertRaises(VerifyError) as caught:
            client.start(unique_number())
        self.assertEqual((caught.exception.code, caught.exception.reason), ("unavailable", "network_error"))
        self.assertEqual(slept, [0.25, 0.5])


if __name__ == "__main__":
    if not BASE_URL or not FAKE_URL:
        sys.exit(__doc__)
    if shutil.which("protoc") is None:
        sys.exit("protoc not found: apt-get install -y protobuf-compiler python3-protobuf")
    with tempfile.TemporaryDirectory(prefix="edge-verify-py-") as out:
        generate(Path(out))
        sys.path[:0] = [out, str(HERE)]
        from edge_verify import VerifyClient, VerifyError, pb  # noqa: E402  (needs the generated code)

        program = unittest.main(argv=[sys.argv[0], "-v"], exit=False)
    sys.exit(0 if program.result.wasSuccessful() else 1)
