// The benchmark's floor for a flow: the least a Worker of this architecture must do for one
// verification, and nothing more. Speaks the two REST calls the load process's "rest" flow uses
// (POST /v1/verifications {to, timeoutSeconds?} → 201 {id, status}; POST /v1/verifications/check
// {verificationId, code} → 200 {status}), so bench/load.mjs drives it unchanged.
//
// What it does, because a flow must:
//   - authenticates `Authorization: Bearer <key>`: the key's SHA-256 against the digests of
//     API_KEYS in constant time, every configured key compared (src/auth.ts does the same);
//   - one SQLite-backed Durable Object per number (idFromName(number)), one RPC per call;
//   - a 6-digit code from the CSPRNG by rejection sampling, stored only as
//     HMAC-SHA256(CODE_SECRET, id ‖ 0x00 ‖ code), the key imported once per isolate;
//   - one synchronous KV put (the record) and one alarm at expiry, so an unchecked code does not
//     stay behind; both commit before the provider call (the output gate holds the fetch);
//   - the provider call from the object: Twilio's form POST to
//     {TWILIO_API_BASE}/2010-04-01/Accounts/{sid}/Messages.json with Basic auth, its answer read
//     for a message sid (src/sms/twilio.ts's request);
//   - a check: well-formed code, expiry, at most MAX_ATTEMPTS wrong codes, constant-time MAC
//     comparison (crypto.subtle.timingSafeEqual), single use (the record and its alarm deleted on
//     approval, or once the attempts are spent).
//
// What it leaves out, deliberately: phone parsing beyond an E.164 shape check (no libphonenumber,
// no number type or country), services and per-service settings, idempotency, per-number limits
// and cooldowns, range/country/budget caps and the conversion guard, insights, webhooks, channels
// and fallbacks, templates and locales, GET/cancel, a verification kept after approval (retention),
// logging, Connect, every other provider, failover and retries. A second start on a number replaces
// its pending code (no resend accounting). Every figure of a flow of ours is printed against it.
import { DurableObject } from "cloudflare:workers";

const CODE_LENGTH = 6;
const MAX_ATTEMPTS = 5;
const DEFAULT_TIMEOUT_SECONDS = 600;
const E164 = /^\+[1-9][0-9]{6,14}$/;
const WELL_FORMED_CODE = /^[0-9]{4,10}$/;
const ID_PREFIX = "fl_";
const RECORD = "v";
const encoder = new TextEncoder();

// Per isolate: the key digests and the HMAC key (importKey is not free on the hot path).
let apiKeyDigests = null;
let codeKey = null;

const sha256 = async (text) => new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));

function hex(bytes) {
  let out = "";
  for (const b of bytes) out += (b < 16 ? "0" : "") + b.toString(16);
  return out;
}

/** Digits uniform over 0-9: bytes ≥ 250 are rejected (byte % 10 over 0..255 favours 0-5). */
function newCode() {
  let code = "";
  const bytes = new Uint8Array(CODE_LENGTH * 2);
  while (code.length < CODE_LENGTH) {
    crypto.getRandomValues(bytes);
    for (const b of bytes) {
      if (b >= 250) continue;
      code += String(b % 10);
      if (code.length === CODE_LENGTH) break;
    }
  }
  return code;
}

async function mac(secret, id, code) {
  codeKey ??= crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", await codeKey, encoder.encode(`${id}\u0000${code}`)));
}

export class FloorVerification extends DurableObject {
  /** A new code replaces any pending one; persisted (record + expiry alarm) before the send. */
  async start(to, timeoutSeconds) {
    const tail = new Uint8Array(16);
    crypto.getRandomValues(tail);
    // The id carries its route (the object's id), so a check reaches the object in one hop.
    const id = ID_PREFIX + this.ctx.id.toString() + hex(tail);
    const code = newCode();
    const expiresAt = Date.now() + timeoutSeconds * 1000;
    this.ctx.storage.kv.put(RECORD, { id, mac: await mac(this.env.CODE_SECRET, id, code), expiresAt, attempts: 0 });
    await this.ctx.storage.setAlarm(expiresAt);
    await this.#send(to, `Your verification code is ${code}`);
    return { id, expiresAt };
  }

  /** "approved", "invalid" (wrong code, attempts left), or "not_found" (none, used, expired or spent). */
  async check(id, code) {
    // The MAC first: from the record's read to its write nothing is awaited, so concurrent checks
    // of one verification cannot both spend the same attempt.
    const given = await mac(this.env.CODE_SECRET, id, code);
    const record = this.ctx.storage.kv.get(RECORD);
    if (!record || record.id !== id) return "not_found";
    if (record.expiresAt <= Date.now()) {
      this.#forget();
      return "not_found";
    }
    if (crypto.subtle.timingSafeEqual(given, record.mac)) {
      this.#forget(); // single use
      return "approved";
    }
    if (record.attempts + 1 >= MAX_ATTEMPTS) this.#forget();
    else this.ctx.storage.kv.put(RECORD, { ...record, attempts: record.attempts + 1 });
    return "invalid";
  }

  /** Expiry: whatever is left is dead. */
  alarm() {
    this.ctx.storage.kv.delete(RECORD);
  }

  #forget() {
    this.ctx.storage.kv.delete(RECORD);
    this.ctx.storage.deleteAlarm();
  }

  async #send(to, body) {
    const env = this.env;
    const url = `${env.TWILIO_API_BASE.replace(/\/+$/, "")}/2010-04-01/Accounts/${encodeURIComponent(env.TWILIO_ACCOUNT_SID)}/Messages.json`;
    const response = await fetch(url, {
      method: "POST",
      headers: {
        authorization: `Basic ${btoa(`${env.TWILIO_ACCOUNT_SID}:${env.TWILIO_AUTH_TOKEN}`)}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: new URLSearchParams({ To: to, Body: body, From: env.TWILIO_FROM }).toString(),
    });
    const payload = await response.json().catch(() => null);
    if (!response.ok || typeof payload?.sid !== "string") {
      // Not sent: the code must not stay checkable.
      this.#forget();
      throw new Error(`provider answered ${response.status}`);
    }
  }
}

const json = (status, body) => Response.json(body, { status });

async function authorized(request, env) {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "");
  if (!match) return false;
  apiKeyDigests ??= Promise.all(env.API_KEYS.split(",").map((k) => k.trim()).filter(Boolean).map(sha256));
  const candidate = await sha256(match[1]);
  let found = false;
  for (const digest of await apiKeyDigests) if (crypto.subtle.timingSafeEqual(candidate, digest)) found = true;
  return found;
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (request.method !== "POST" || (pathname !== "/v1/verifications" && pathname !== "/v1/verifications/check")) return json(404, { code: "not_found" });
    if (!(await authorized(request, env))) return json(401, { code: "unauthenticated" });
    let body;
    try {
      body = await request.json();
    } catch {
      return json(400, { code: "invalid_argument", message: "body is not JSON" });
    }
    if (pathname === "/v1/verifications") {
      const to = body?.to;
      if (typeof to !== "string" || !E164.test(to)) return json(400, { code: "invalid_argument", message: "to must be an E.164 number" });
      const timeoutSeconds = body.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
      if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 60 || timeoutSeconds > 86_400) return json(400, { code: "invalid_argument", message: "timeoutSeconds out of range" });
      try {
        const started = await env.FLOOR.get(env.FLOOR.idFromName(to)).start(to, timeoutSeconds);
        return json(201, { id: started.id, status: "pending", expiresAt: new Date(started.expiresAt).toISOString() });
      } catch {
        return json(503, { code: "unavailable", message: "the message could not be sent" });
      }
    }
    const { verificationId: id, code } = body ?? {};
    if (typeof code !== "string" || !WELL_FORMED_CODE.test(code)) return json(400, { code: "invalid_argument", message: "code must be 4-10 digits" });
    // "fl_" + the object's id (64 hex) + 32 hex of randomness.
    if (typeof id !== "string" || !/^fl_[0-9a-f]{96}$/.test(id)) return json(404, { code: "not_found" });
    let objectId;
    try {
      objectId = env.FLOOR.idFromString(id.slice(ID_PREFIX.length, ID_PREFIX.length + 64));
    } catch {
      return json(404, { code: "not_found" });
    }
    const status = await env.FLOOR.get(objectId).check(id, code);
    if (status === "not_found") return json(404, { code: "not_found" });
    return json(200, { status });
  },
};
