// Test helpers: call the Worker as a client would, and read what the fake Twilio API received.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { forgetCachedKeys, registryOf } from "../src/auth.ts";
import { VerifyError } from "../src/core/errors.ts";

export const DEV_KEY = "ev_dev_local_only_key";
const fakeTwilioUrl = (env as unknown as { FAKE_TWILIO_URL: string }).FAKE_TWILIO_URL;

/**
 * A fresh valid US number per call, so parallel tests never share a Durable Object or a message
 * list at the fake provider (which every test file shares). Area code, exchange and line are drawn
 * independently from 16 million numbers: the older draw from one 32-bit value reached only a million
 * (its exchange digit was a function of the line), and a full run's few thousand draws collided in
 * about one run in fifty, failing tests that count the messages a number received.
 */
const AREA_CODES = ["415", "212", "312", "213", "617", "206", "303", "512", "404", "646", "702", "305", "503", "615", "214", "602", "919", "720", "971", "510"];
export function uniqueNumber(): string {
  const r = new Uint32Array(3);
  crypto.getRandomValues(r);
  const exchange = 200 + (r[1]! % 800);
  const line = String(r[2]! % 10_000).padStart(4, "0");
  return `+1${AREA_CODES[r[0]! % AREA_CODES.length]}${exchange}${line}`;
}

export async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${DEV_KEY}`, ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  return exports.default.fetch(new Request(`http://edge-verify.test${path}`, init));
}

export async function json<T = any>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

export interface FakeMessage {
  sid: string;
  channel: "sms" | "whatsapp" | "call";
  to: string;
  from: string;
  body: string;
}

export async function messagesTo(to: string): Promise<FakeMessage[]> {
  const response = await fetch(`${fakeTwilioUrl}/_messages?to=${encodeURIComponent(to)}`);
  return ((await response.json()) as { messages: FakeMessage[] }).messages;
}

/** The code in the latest message to `to`, read as a user would read it off the SMS. */
export async function latestCode(to: string): Promise<string> {
  const messages = await messagesTo(to);
  const last = messages.at(-1);
  if (!last) throw new Error(`no SMS was sent to ${to}`);
  if (last.channel === "call") {
    // TwiML says each digit in its own <Say>, the whole code twice: take the first reading.
    const digits = [...last.body.matchAll(/<Say[^>]*>(\d)<\/Say>/g)].map((m) => m[1]).join("");
    return digits.slice(0, digits.length / 2);
  }
  const match = /\b(\d{4,10})\b/.exec(last.body);
  if (!match) throw new Error(`no code in message: ${last.body}`);
  return match[1]!;
}

/** Makes the fake Twilio answer the next `times` sends to `to` with `status` and `body` (or, on success, message `sid`). */
export async function fakeTwilioBehaviour(to: string, behaviour: { status?: number; body?: unknown; delayMs?: number; times?: number; sid?: string }): Promise<void> {
  await fetch(`${fakeTwilioUrl}/_behaviour`, { method: "POST", body: JSON.stringify({ to, ...behaviour }) });
}

/** A wrong code of the same length that differs from `code` in every digit. */
export function wrongCode(code: string): string {
  return [...code].map((d) => String((Number(d) + 1) % 10)).join("");
}

/** Every key the number's object holds in its KV, with its value (see src/objects/phone-verification/storage.ts). */
export function storedEntries(state: DurableObjectState): [string, any][] {
  return [...state.storage.kv.list()];
}

/** The object's own SQL tables (the runtime's _cf_ tables aside): none for a number's object. */
export function userTables(state: DurableObjectState): string[] {
  return state.storage.sql
    .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'")
    .toArray()
    .map((row) => row.name as string);
}

/**
 * Moves every stored time of the number's object back by `ms`, as if that much time had passed:
 * verification times, send and failed-check times, lock-outs, idempotency records (with
 * `idempotency: true`). Tests of expiry, cooldowns and windows use it instead of sleeping.
 */
/**
 * Waits until the number's object has written the send's outcome it held in memory (it does so in
 * a step of its own right after the call answered, a timer turn later): until then, storage
 * rewritten behind its back would be overwritten by that write.
 */
export async function settled(to: string, service = "default"): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 25));
  const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`${service}:${to}`));
  await runInDurableObject(stub, () => undefined);
}

export async function timeTravel(to: string, ms: number, service = "default", options: { idempotency?: boolean } = {}): Promise<void> {
  await settled(to, service);
  const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`${service}:${to}`));
  await runInDurableObject(stub, (_instance, state) => {
    const kv = state.storage.kv;
    // Listed before writing: a put replaces the row, and a live cursor would meet it again.
    for (const [key, value] of [...kv.list<any>({ prefix: "v:" })]) {
      kv.put(key, {
        ...value,
        createdAt: value.createdAt - ms,
        updatedAt: value.updatedAt - ms,
        expiresAt: value.expiresAt - ms,
        nextChannelAt: value.nextChannelAt > 0 ? Math.max(1, value.nextChannelAt - ms) : 0,
      });
    }
    if (options.idempotency) for (const [key, value] of [...kv.list<any>({ prefix: "i:" })]) kv.put(key, { ...value, expiresAt: value.expiresAt - ms });
    const stored = kv.get<any>("state");
    if (!stored) return;
    const counters = stored.counters;
    kv.put("state", {
      ...stored,
      counters: {
        ...counters,
        sendTimes: counters.sendTimes.map((t: number) => t - ms),
        failedCheckTimes: counters.failedCheckTimes.map((t: number) => t - ms),
        lockedUntil: counters.lockedUntil ? counters.lockedUntil - ms : 0,
        lastApprovalAt: counters.lastApprovalAt ? counters.lastApprovalAt - ms : 0,
      },
      ...(stored.guardCountedAt ? { guardCountedAt: stored.guardCountedAt - ms } : {}),
    });
  });
}

/**
 * Moves the service's replaced webhook keys' end of signing back by `ms` in the service registry,
 * as if that much time had passed (the registry's own clock is not ours to set), and forgets this
 * isolate's cached services so the next delivery reads the result.
 */
export async function timeTravelWebhookKeys(serviceId: string, ms: number): Promise<void> {
  await runInDurableObject(registryOf(env), (_instance, state) => {
    const row = state.storage.sql.exec("SELECT webhook_replaced_keys FROM services WHERE id = ?", serviceId).one();
    const moved = (JSON.parse(row.webhook_replaced_keys as string) as { until: number }[]).map((k) => ({ ...k, until: k.until - ms }));
    state.storage.sql.exec("UPDATE services SET webhook_replaced_keys = ? WHERE id = ?", JSON.stringify(moved), serviceId);
  });
  forgetCachedKeys();
}

/** The signatures of a `webhook-signature` header, by scheme: `{ v1: [...], v1a: [...] }`. */
export function signaturesOf(header: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const entry of header.split(" ")) {
    const [scheme, signature] = entry.split(",");
    (out[scheme!] ??= []).push(signature!);
  }
  return out;
}

/**
 * A v1a receiver, written from the Standard Webhooks specification with WebCrypto alone (none of
 * src/): true when one of the header's `v1a,` signatures is the Ed25519 signature by `whpk_…`'s
 * key of `${webhook-id}.${webhook-timestamp}.${body}`. It holds no secret.
 */
export async function v1aVerifies(publicKey: string, headers: { get(name: string): string | null }, body: string): Promise<boolean> {
  const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", bytes(publicKey.replace(/^whpk_/, "")), { name: "Ed25519" }, false, ["verify"]);
  const content = new TextEncoder().encode(`${headers.get("webhook-id")}.${headers.get("webhook-timestamp")}.${body}`);
  for (const signature of signaturesOf(headers.get("webhook-signature") ?? "").v1a ?? []) {
    if (await crypto.subtle.verify({ name: "Ed25519" }, key, bytes(signature), content)) return true;
  }
  return false;
}

/** The message a validation refuses with, or "accepted": for tables of what a rule refuses. */
export function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof VerifyError) return error.message;
    throw error;
  }
  return "accepted";
}

/**
 * `binding`'s namespace, whose next `method` call fails as a call does when its object is reset
 * under it (abortAllDurableObjects, a deploy): once, then every call goes through. For an env given
 * to `createApp().fetch`, so a test can place a reset exactly on one object call.
 */
export function resetOnce<K extends "IDEMPOTENCY_KEYS" | "TWILIO_SIDS" | "SERVICE_REGISTRY">(binding: K, method: string): Env[K] {
  const namespace = env[binding];
  let armed = true;
  return new Proxy(namespace, {
    get(target, prop) {
      if (prop !== "get") {
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (id: DurableObjectId) => {
        const stub = target.get(id) as unknown as Record<string, (...args: unknown[]) => unknown>;
        // A stub's members are RPC calls (even `bind`): forward calls, never bind them.
        return new Proxy(stub, {
          get(s, p) {
            if (typeof p === "symbol" || p === "then") return Reflect.get(s, p);
            if (p !== method || !armed) return (...args: unknown[]) => s[p]!(...args);
            armed = false;
            return async () => {
              throw Object.assign(new Error("Application called abortAllDurableObjects()."), { retryable: true });
            };
          },
        });
      };
    },
  });
}
