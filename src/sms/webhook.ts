// Generic signed webhook for in-house SMS gateways: POST JSON {to, body, messageId, timestamp} to an
// operator URL, signed `X-Edge-Verify-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`
// with `X-Edge-Verify-Timestamp: <unix seconds>`. The gateway answers 2xx (optionally {messageId}),
// or 4xx/5xx (optionally {reason} from our reason set). Format documented in docs/providers.md.
import { call, isObject, readJson, refused, refusedByStatus } from "./http.ts";
import type { FetchFn, SmsFailureReason, SmsSender } from "./sender.ts";

export interface WebhookSenderOptions {
  url: string;
  /** Shared HMAC key; at least 32 characters so it cannot be guessed offline from one signature. */
  secret: string;
  timeoutMs?: number;
  /** Epoch ms; injected so tests can pin the signed timestamp. */
  now?: () => number;
}

export const WEBHOOK_SIGNATURE_HEADER = "x-edge-verify-signature";
export const WEBHOOK_TIMESTAMP_HEADER = "x-edge-verify-timestamp";

const REASONS: readonly SmsFailureReason[] = ["invalid_number", "unsubscribed", "blocked", "rate_limited", "auth_failed", "unavailable"];

function toHex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function importKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

async function signWith(key: CryptoKey, timestampSeconds: string, rawBody: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${timestampSeconds}.${rawBody}`));
  return `v1=${toHex(mac)}`;
}

/** The signature a gateway should compute to check a request (exported for gateway authors' tests). */
export async function signWebhook(secret: string, timestampSeconds: string, rawBody: string): Promise<string> {
  return signWith(await importKey(secret), timestampSeconds, rawBody);
}

export function createWebhookSender(options: WebhookSenderOptions, fetchFn: FetchFn = fetch): SmsSender {
  if (!options.url) throw new Error("The webhook provider needs SMS_WEBHOOK_URL");
  if (!options.secret || options.secret.length < 32) throw new Error("SMS_WEBHOOK_SECRET must be at least 32 characters");
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? Date.now;
  // Imported once per sender (one per Durable Object), not once per message.
  let key: Promise<CryptoKey> | undefined;

  return {
    name: "webhook",
    async send(message) {
      // Our id doubles as an idempotency key: a gateway that sees it twice should send once.
      const ourId = `wh_${crypto.randomUUID()}`;
      const timestamp = String(Math.floor(now() / 1000));
      // The timestamp is inside the signed text so a captured request cannot be replayed later.
      const fields: Record<string, unknown> = { to: message.to, body: message.body, messageId: ourId, timestamp: Number(timestamp) };
      if (message.callbackUrls?.webhook) fields.callbackUrl = message.callbackUrls.webhook;
      const raw = JSON.stringify(fields);
      const request = new Request(options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          [WEBHOOK_TIMESTAMP_HEADER]: timestamp,
          [WEBHOOK_SIGNATURE_HEADER]: await signWith(await (key ??= importKey(options.secret)), timestamp, raw),
        },
        body: raw,
      });
      const response = await call("webhook", fetchFn, request, timeoutMs);
      const payload = await readJson(response);
      if (response.ok) {
        const theirs = isObject(payload) ? payload.messageId : undefined;
        return { messageId: typeof theirs === "string" && theirs ? theirs : ourId, provider: "webhook" };
      }
      const declared = isObject(payload) ? payload.reason : undefined;
      const reason = REASONS.find((known) => known === declared);
      if (reason) throw refused("webhook", reason, { status: response.status, code: reason });
      throw refusedByStatus("webhook", response.status);
    },
  };
}
