// Fake in-house gateway for the signed webhook provider: checks the HMAC-SHA256 signature over
// "<timestamp>.<raw body>" independently of the sender's code, and the timestamp's freshness.
import { createFake, isE164, json, parseJson, LEAK_MARKER, type FakeApi, type RecordedRequest } from "./kit.ts";

export const WEBHOOK = { secret: "fake-webhook-secret-0123456789abcdefghij", path: "/send" };
const MAX_SKEW_SECONDS = 300;

async function hmacHex(secret: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(text)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function validSignature(r: RecordedRequest, nowMs: () => number): Promise<boolean> {
  const timestamp = r.headers.get("x-edge-verify-timestamp") ?? "";
  const signature = r.headers.get("x-edge-verify-signature") ?? "";
  if (!/^\d+$/.test(timestamp) || Math.abs(nowMs() / 1000 - Number(timestamp)) > MAX_SKEW_SECONDS) return false;
  return signature === `v1=${await hmacHex(WEBHOOK.secret, `${timestamp}.${r.text}`)}`;
}

export function fakeWebhookGateway(baseUrl: string, options: { nowMs?: () => number } = {}): FakeApi {
  const nowMs = options.nowMs ?? Date.now;
  const declare = (status: number, reason: string) => json(status, { reason, detail: `${reason} ${LEAK_MARKER}` });
  return createFake(baseUrl, {
    path: WEBHOOK.path,
    authorized: (r) => validSignature(r, nowMs),
    decode: (r) => {
      if (r.headers.get("content-type") !== "application/json") return null;
      const body = parseJson(r.text);
      if (!body || !isE164(body.to) || typeof body.body !== "string" || typeof body.messageId !== "string" || typeof body.timestamp !== "number") return null;
      return { to: body.to, body: body.body, messageId: body.messageId };
    },
    newMessageId: () => crypto.randomUUID(),
    accepted: (m) => json(202, { messageId: m.messageId }),
    unauthorized: () => declare(401, "auth_failed"),
    malformed: () => json(400, { detail: `malformed ${LEAK_MARKER}` }),
    failure: (kind) => {
      switch (kind) {
        case "invalid_number":
          return declare(422, "invalid_number");
        case "auth_failed":
          return declare(401, "auth_failed");
        case "rate_limited":
          return declare(429, "rate_limited");
        case "server_error":
          return json(502, { detail: `upstream SMSC down ${LEAK_MARKER}` });
      }
    },
  });
}
