// Webhook events, delivered at least once: an event is written to the number's Durable Object (KV)
// in the same synchronous step as the state change that caused it, and the object's alarm posts it,
// signed per Standard Webhooks, retrying with exponential backoff for 24 hours under one stable id.
// Payloads carry the verification as the REST API shows it: never a code.
import { cachedService, registryOf } from "../../auth.ts";
import { loadConfig } from "../../config.ts";
import { toBase64Url } from "../../core/ids.ts";
import type { WebhookEvent } from "../../core/service.ts";
import { importPrivateKey, openPrivateKey, signedContent, signersAt, signV1, signV1a, type WebhookSigner } from "../../core/webhook-signing.ts";
import { log } from "../../log.ts";
import { webhookKeysOf, type ServiceRecord } from "../service-registry.ts";
import type { NumberStore, OutboxEvent } from "./storage.ts";

/** Seconds to wait after attempt n (1-based); the last value repeats until 24 h have passed. */
const BACKOFF_SECONDS = [5, 30, 120, 300, 900, 1800, 3600, 7200, 14_400];
export const WEBHOOK_GIVE_UP_MS = 24 * 3_600_000;
const DELIVERY_TIMEOUT_MS = 10_000;
const BATCH = 25;
/** Longer than every delivery of a batch can take; an object that dies mid-batch retries after it. */
const CLAIM_MS = BATCH * DELIVERY_TIMEOUT_MS + 30_000;

/** Writes an event for delivery (synchronously, next to the state change that caused it). */
export function enqueueEvent(store: NumberStore, event: { type: WebhookEvent; serviceId: string; data: unknown; now: number }): string {
  const idBytes = new Uint8Array(16);
  crypto.getRandomValues(idBytes);
  const id = `msg_${toBase64Url(idBytes)}`;
  const payload = JSON.stringify({ type: event.type, timestamp: new Date(event.now).toISOString(), data: event.data });
  store.saveOutboxEvent({ id, type: event.type, serviceId: event.serviceId, payload, createdAt: event.now, attempts: 0, nextAttemptAt: event.now });
  return id;
}

/** Opened signing keys by sealed form: opening derives, decrypts and imports, once per key per isolate. */
const openedKeys = new Map<string, Promise<CryptoKey>>();
const OPENED_KEYS_MAX = 200;

function openedKey(env: Env, serviceId: string, sealedKey: string): Promise<CryptoKey> {
  let key = openedKeys.get(sealedKey);
  if (!key) {
    key = openPrivateKey(sealedKey, { secret: loadConfig(env).codeSecret, serviceId }).then((privateKey) => importPrivateKey(privateKey));
    // A key that did not open is not kept: the next delivery tries again.
    key.catch(() => openedKeys.delete(sealedKey));
    if (openedKeys.size >= OPENED_KEYS_MAX) openedKeys.delete(openedKeys.keys().next().value!);
    openedKeys.set(sealedKey, key);
  }
  return key;
}

/**
 * The `webhook-signature` header: one signature per key signing at `now` (space-separated, as the
 * specification allows for rotation), or null when none could be made. A key that does not open
 * (CODE_SECRET changed since it was sealed) is skipped and logged, never echoed.
 */
async function signatureHeader(env: Env, service: ServiceRecord, event: OutboxEvent, timestampSeconds: number, now: number): Promise<string | null> {
  const content = signedContent(event.id, timestampSeconds, event.payload);
  const sign = (signer: WebhookSigner) =>
    signer.signing === "v1" ? signV1(signer.secret, content) : openedKey(env, service.id, signer.sealedKey).then((key) => signV1a(key, content));
  const signatures: string[] = [];
  for (const signer of signersAt(webhookKeysOf(service), service.settings.webhookSigning ?? "v1", now)) {
    try {
      signatures.push(await sign(signer));
    } catch (caught) {
      log("error", "webhook.signing_failed", { serviceId: service.id, signing: signer.signing, error: caught instanceof Error ? caught.name : "error" });
    }
  }
  return signatures.length ? signatures.join(" ") : null;
}

/** No key could sign (each failure is logged): the attempt fails as an unanswered one does, and is retried. */
class SigningError extends Error {
  override name = "SigningError";
}

/**
 * Posts the due events. The URL, subscription, scheme and signing keys are read from the service
 * at delivery time, so a rotated key or changed URL applies to retries too; the id stays.
 */
export async function deliverDueEvents(store: NumberStore, env: Env, ctx: DurableObjectState, fetchFn: typeof fetch = fetch): Promise<void> {
  const now = Date.now();
  const due = store
    .outbox()
    .filter((event) => event.nextAttemptAt <= now)
    .sort((a, b) => a.createdAt - b.createdAt)
    .slice(0, BATCH);
  // Claim the batch before the first await: an alarm retried or run alongside this one must not
  // post the same events again while these requests are in flight.
  for (const event of due) store.saveOutboxEvent({ ...event, nextAttemptAt: now + CLAIM_MS });
  for (const event of due) {
    const service = await cachedService(env, event.serviceId);
    const url = service?.settings.webhookUrl;
    if (!service || !url || !(service.settings.webhookEvents ?? []).includes(event.type)) {
      store.deleteOutboxEvent(event.id);
      continue;
    }
    const attempt = event.attempts + 1;
    let statusCode = 0;
    let error = "";
    try {
      const sentAt = Date.now();
      const timestampSeconds = Math.floor(sentAt / 1000);
      const signature = await signatureHeader(env, service, event, timestampSeconds, sentAt);
      if (signature === null) throw new SigningError();
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), DELIVERY_TIMEOUT_MS);
      try {
        const response = await fetchFn(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "webhook-id": event.id,
            "webhook-timestamp": String(timestampSeconds),
            "webhook-signature": signature,
            "user-agent": "edge-verify-webhooks/1",
          },
          body: event.payload,
          signal: controller.signal,
        });
        statusCode = response.status;
        await response.body?.cancel();
      } finally {
        clearTimeout(timer);
      }
    } catch (caught) {
      error = caught instanceof Error ? caught.name : "error";
    }
    const delivered = statusCode >= 200 && statusCode < 300;
    const after = Date.now();
    // The number was erased while the post was in flight (erase does not wait for webhooks): the
    // event went with everything else, and writing its retry back would bring the number's data
    // (the payload names it) back after the erasure.
    if (!store.hasOutboxEvent(event.id)) continue;
    if (delivered || after - event.createdAt >= WEBHOOK_GIVE_UP_MS) {
      store.deleteOutboxEvent(event.id);
      if (!delivered) log("warn", "webhook.given_up", { eventId: event.id, type: event.type, attempts: attempt });
    } else {
      const wait = BACKOFF_SECONDS[Math.min(attempt - 1, BACKOFF_SECONDS.length - 1)]! * 1000;
      store.saveOutboxEvent({ ...event, attempts: attempt, nextAttemptAt: after + wait });
    }
    ctx.waitUntil(
      registryOf(env)
        .recordWebhookAttempt({ serviceId: event.serviceId, eventId: event.id, eventType: event.type, url, attempt, statusCode, error, at: after })
        .catch(() => undefined),
    );
  }
}
