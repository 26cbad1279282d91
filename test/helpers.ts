// Test helpers: call the Worker as a client would, and read what the fake Twilio API received.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";

export const DEV_KEY = "ev_dev_local_only_key";
const fakeTwilioUrl = (env as unknown as { FAKE_TWILIO_URL: string }).FAKE_TWILIO_URL;

/** A fresh valid US number per call, so parallel tests never share a Durable Object. */
export function uniqueNumber(): string {
  const digits = new Uint32Array(1);
  crypto.getRandomValues(digits);
  return `+1415${2 + (digits[0]! % 8)}${String(digits[0]! % 1_000_000).padStart(6, "0")}`;
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

/**
 * Moves every stored time of the number's object back by `ms`, as if that much time had passed:
 * verification times, send and failed-check times, lock-outs. Tests of expiry, cooldowns and
 * windows use it instead of sleeping.
 */
export async function timeTravel(to: string, ms: number, service = "default"): Promise<void> {
  const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`${service}:${to}`));
  await runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql;
    sql.exec(
      "UPDATE verifications SET created_at = created_at - ?, updated_at = updated_at - ?, expires_at = expires_at - ?, next_channel_at = CASE WHEN next_channel_at > 0 THEN MAX(1, next_channel_at - ?) ELSE 0 END",
      ms,
      ms,
      ms,
      ms,
    );
    const row = sql.exec("SELECT counters FROM number_state WHERE id = 1").toArray()[0];
    if (!row) return;
    const counters = JSON.parse(row.counters as string);
    counters.sendTimes = counters.sendTimes.map((t: number) => t - ms);
    counters.failedCheckTimes = counters.failedCheckTimes.map((t: number) => t - ms);
    counters.lockedUntil = counters.lockedUntil ? counters.lockedUntil - ms : 0;
    counters.lastApprovalAt = counters.lastApprovalAt ? counters.lastApprovalAt - ms : 0;
    sql.exec("UPDATE number_state SET counters = ? WHERE id = 1", JSON.stringify(counters));
  });
}
