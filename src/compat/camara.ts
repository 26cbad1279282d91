// CAMARA One Time Password SMS v1 (camaraproject/OTPValidation, one-time-password-sms 1.1.0):
// `POST /one-time-password-sms/v1/send-code` and `/validate-code`, Bearer API keys, CAMARA's error
// body `{status, code, message}`, and the `x-correlator` header echoed on every answer. A thin
// translator over the verifier: each send gets its own authenticationId, and a later send to the
// number supersedes it (the verifier checks the code of that send only).
import { Hono, type Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../app-env.ts";
import { authenticate } from "../auth.ts";
import { loadConfig } from "../config.ts";
import { invalidArgument, unmappedReason, VerifyError } from "../core/errors.ts";
import { DAY_MS } from "../core/policy.ts";
import { jsonObject, validateCheckRequest, validateCode, validateStartRequest, type JsonFields, type StartRequest } from "../core/requests.ts";
import type { CheckStatus } from "../core/verification.ts";
import { refusalOf } from "../errors.ts";
import { namespaceOf } from "../objects/namespaces.ts";
import type { SidEntry } from "../objects/sid-index.ts";
import { checkBody } from "../rest/validate.ts";
import { afterReset, createVerifier, type VerificationView } from "../verifier.ts";

type CamaraEnv = { Bindings: Env; Variables: AppEnv["Variables"] & { service: string } };
type CamaraContext = Context<CamaraEnv>;

/**
 * The `x-correlator` header schema of CAMARA Commonalities (`XCorrelator` in CAMARA_common.yaml),
 * which the OTP test definitions refer to; it contains spec 1.1.0's narrower `^[a-zA-Z0-9-]{0,55}$`,
 * so a caller of either version is served. Echoed as given once it matches.
 */
export const X_CORRELATOR = /^[a-zA-Z0-9\-_:;./<>{}]{0,256}$/;
/** The spec's `PhoneNumber`: E.164 with its +, nothing else (no spaces or brackets, unlike our own API). */
export const PHONE_NUMBER = /^\+[1-9][0-9]{4,14}$/;
/** The spec's `AuthenticationId.maxLength`; ours are UUIDs, exactly this long. */
export const AUTHENTICATION_ID_MAX_LENGTH = 36;
/** Ours: an RFC 9562 version-8 UUID, lower case (an upper-case spelling is the same id). */
const AUTHENTICATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// ---- The error map ---------------------------------------------------------------------------

export type CamaraOperation = "sendCode" | "validateCode";

export interface CamaraError {
  status: ContentfulStatusCode;
  code: string;
  message: string;
}

const VERIFICATION_EXPIRED = "ONE_TIME_PASSWORD_SMS.VERIFICATION_EXPIRED";
const VERIFICATION_FAILED = "ONE_TIME_PASSWORD_SMS.VERIFICATION_FAILED";
const MAX_OTP_CODES_EXCEEDED = { status: 403, code: "ONE_TIME_PASSWORD_SMS.MAX_OTP_CODES_EXCEEDED" } as const;
const PHONE_NUMBER_NOT_ALLOWED = { status: 403, code: "ONE_TIME_PASSWORD_SMS.PHONE_NUMBER_NOT_ALLOWED" } as const;
const PHONE_NUMBER_BLOCKED = { status: 403, code: "ONE_TIME_PASSWORD_SMS.PHONE_NUMBER_BLOCKED" } as const;

/**
 * Every refusal reason → HTTP status and CAMARA code, in one switch. `details.rule` refines three:
 * which rule refused the number (the deny list is BLOCKED, every other rule NOT_ALLOWED), which
 * limit was reached (this number's own send limits are MAX_OTP_CODES_EXCEEDED, shared ones 429),
 * and for a send the provider refused, why it refused (carried as the refusal's rule).
 */
export function camaraErrorFor(error: VerifyError, operation: CamaraOperation): { status: ContentfulStatusCode; code: string } {
  const rule = error.details.rule;
  switch (error.reason) {
    case "invalid_argument":
    case "body_too_large":
    case "lookups_off":
      return { status: 400, code: "INVALID_ARGUMENT" };
    case "unauthenticated":
      return { status: 401, code: "UNAUTHENTICATED" };
    case "not_found":
      return { status: 404, code: "NOT_FOUND" };
    case "already_approved":
      // The test definitions: an authenticationId already used successfully is no longer valid.
      return { status: 400, code: VERIFICATION_EXPIRED };
    case "verification_failed":
      // Validating a code that was never delivered: that authenticationId is over, send again.
      if (operation === "validateCode") return { status: 400, code: VERIFICATION_EXPIRED };
      // Sending: the provider refused the number itself, or failed for good (retry later).
      if (rule === "blocked" || rule === "unsubscribed") return PHONE_NUMBER_BLOCKED;
      if (rule === "invalid_number") return PHONE_NUMBER_NOT_ALLOWED;
      return { status: 503, code: "UNAVAILABLE" };
    case "rule_refused":
      return rule === "deny_list" ? PHONE_NUMBER_BLOCKED : PHONE_NUMBER_NOT_ALLOWED;
    case "resend_too_soon":
      // "Too many OTPs have been requested for this MSISDN. Try later." (with Retry-After).
      return MAX_OTP_CODES_EXCEEDED;
    case "limit_reached":
      if (rule === "sends_per_10_minutes" || rule === "sends_per_day") return MAX_OTP_CODES_EXCEEDED;
      // Shared limits: a daily budget is a quota; IP, range, country and conversion-guard rates.
      return rule === "budget" || rule === "lookup_budget" ? { status: 429, code: "QUOTA_EXCEEDED" } : { status: 429, code: "TOO_MANY_REQUESTS" };
    case "locked":
      return { status: 429, code: "TOO_MANY_REQUESTS" };
    // No CAMARA route takes an idempotency key; mapped for completeness (Commonalities' 409 codes).
    case "idempotency_key_reused":
      return { status: 409, code: "CONFLICT" };
    case "idempotency_in_progress":
      return { status: 409, code: "ABORTED" };
    case "unavailable":
    case "misconfigured":
      return { status: 503, code: "UNAVAILABLE" };
    default:
      return unmappedReason(error.reason);
  }
}

/** A check's outcome: null when approved, else the CAMARA error it is, in one switch. */
export function camaraCheckError(status: CheckStatus, verification: Pick<VerificationView, "status">): CamaraError | null {
  switch (status) {
    case "approved":
      return null;
    case "invalid":
      // The wrong code that used the last attempt ends the verification: FAILED, as the tests expect.
      return verification.status === "max_attempts_reached"
        ? { status: 400, code: VERIFICATION_FAILED, message: "code: the maximum number of attempts for this authenticationId was exceeded without providing a valid OTP" }
        : { status: 400, code: "ONE_TIME_PASSWORD_SMS.INVALID_OTP", message: "code: the provided OTP is not valid for this authenticationId" };
    case "expired":
    case "canceled":
      // Past its lifetime, superseded by a later send to the number, or canceled through another API.
      return { status: 400, code: VERIFICATION_EXPIRED, message: "authenticationId: is no longer valid (expired, or replaced by a later send-code)" };
    case "max_attempts_reached":
      return { status: 400, code: VERIFICATION_FAILED, message: "authenticationId: the maximum number of attempts was exceeded without providing a valid OTP" };
  }
}

/** Our request fields as CAMARA names them. */
const FIELD: Record<string, string> = { to: "phoneNumber", verificationId: "authenticationId" };

/**
 * The verifier's refusals name our fields (`to: this number is on the deny list`); they reach a
 * CAMARA client under the spec's names. Only at this boundary: a CAMARA body's own unknown `to`
 * property is refused as `to`.
 */
async function inCamaraTerms<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    const field = error instanceof VerifyError ? error.details.field : undefined;
    const renamed = field && Object.hasOwn(FIELD, field) ? FIELD[field] : undefined;
    if (!(error instanceof VerifyError) || !field || !renamed) throw error;
    const message = error.message.startsWith(`${field}: `) ? `${renamed}: ${error.message.slice(field.length + 2)}` : error.message;
    throw new VerifyError(error.reason, message, { ...error.details, field: renamed });
  }
}

const operationOf = (path: string): CamaraOperation => (path.endsWith("/validate-code") ? "validateCode" : "sendCode");

/** The one place a CAMARA error body is made. */
function errorResponse(c: CamaraContext, error: CamaraError, headers: Record<string, string> = {}): Response {
  return c.json({ status: error.status, code: error.code, message: error.message }, error.status, headers);
}

/** The CAMARA answer to anything a route throws; an internal error says nothing of itself. */
function renderError(c: CamaraContext, error: unknown): Response {
  const refusal = refusalOf(error, c.req.path);
  if (!refusal) return errorResponse(c, { status: 500, code: "INTERNAL", message: "internal error" });
  const { status, code } = camaraErrorFor(refusal, operationOf(c.req.path));
  const headers: Record<string, string> = {};
  if (status === 401) headers["www-authenticate"] = 'Bearer realm="edge-verify"';
  if (refusal.details.retryAfterSeconds !== undefined) headers["retry-after"] = String(refusal.details.retryAfterSeconds);
  return errorResponse(c, { status, code, message: refusal.message }, headers);
}

// ---- Requests --------------------------------------------------------------------------------

/** A body is required: an absent one is refused as such, not read as `{}`. */
async function readBody(c: CamaraContext): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") throw invalidArgument("body", "is required: a JSON object");
  try {
    return JSON.parse(text);
  } catch {
    throw invalidArgument("body", "is not valid JSON");
  }
}

function closedObject(raw: unknown, fields: readonly string[], what: string): JsonFields {
  const body = jsonObject(raw);
  const unknown = Object.keys(body).find((key) => !fields.includes(key));
  if (unknown !== undefined) throw invalidArgument(unknown.slice(0, 64), `is not a field of ${what} (${fields.join(", ")})`);
  return body;
}

function requiredString(body: JsonFields, field: string, what: string): string {
  const value = body[field];
  if (value === undefined || value === null || value === "") throw invalidArgument(field, `is required: ${what}`);
  if (typeof value !== "string") throw invalidArgument(field, "must be a string");
  return value;
}

/**
 * send-code's body: `phoneNumber` in the spec's E.164 form and `message`, the SMS text with
 * `{{code}}` (at most 160 characters, and the template rules: no link, `{{code}}` once).
 */
export function parseSendCode(raw: unknown): StartRequest {
  const body = closedObject(raw, ["phoneNumber", "message"], "a send-code request");
  const phoneNumber = requiredString(body, "phoneNumber", "E.164 with its +, e.g. +14155552671");
  if (!PHONE_NUMBER.test(phoneNumber)) throw invalidArgument("phoneNumber", "must be E.164: a + and 5 to 15 digits, no spaces, e.g. +14155552671");
  const message = requiredString(body, "message", "the SMS text, with {{code}} where the code goes");
  return validateStartRequest({ to: phoneNumber, message });
}

/** validate-code's body; which verification the id names is the route's question. */
export function parseValidateCode(raw: unknown): { authenticationId: string; code: string } {
  const body = closedObject(raw, ["authenticationId", "code"], "a validate-code request");
  const authenticationId = requiredString(body, "authenticationId", "the id send-code answered");
  if (authenticationId.length > AUTHENTICATION_ID_MAX_LENGTH) throw invalidArgument("authenticationId", `must be at most ${AUTHENTICATION_ID_MAX_LENGTH} characters`);
  const code = body.code;
  if (code !== undefined && code !== null && typeof code !== "string") throw invalidArgument("code", "must be a string");
  return { authenticationId, code: validateCode(code ?? undefined) };
}

// ---- authenticationIds -----------------------------------------------------------------------

/**
 * The authenticationId of a verification's n-th send: a version-8 UUID from SHA-256 over both.
 * Verification ids are too long for the spec's 36 characters (they carry their object's id), so
 * the id is mapped back through an index object; derived rather than random, a send answered
 * twice (a retried start) writes the same mapping. The verification id's 128 random bits make it
 * unguessable; the index is per service, so another service's key finds nothing.
 */
export async function authenticationIdOf(verificationId: string, sendAttempt: number): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`edge-verify/camara-authentication-id/${verificationId}\0${sendAttempt}`));
  const bytes = new Uint8Array(digest).slice(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8 (RFC 9562: custom)
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The index object of an authenticationId, in the caller's service (TwilioSidIndex, another name space). */
function authenticationIndex(c: CamaraContext, authenticationId: string) {
  const namespace = namespaceOf(c.env, "TWILIO_SIDS");
  return namespace.get(namespace.idFromName(`camara:${c.var.service}:${authenticationId}`));
}

// ---- Routes ----------------------------------------------------------------------------------

export function camaraRoutes(): Hono<CamaraEnv> {
  const routes = new Hono<CamaraEnv>();
  routes.onError((error, c) => renderError(c, error));

  // x-correlator first: every answer, errors and 401s included, echoes a valid one; an invalid
  // one is refused (400) and not echoed.
  routes.use("*", async (c, next) => {
    const correlator = c.req.header("x-correlator");
    if (correlator !== undefined && !X_CORRELATOR.test(correlator)) throw invalidArgument("x-correlator", "must be at most 256 of the characters a-z A-Z 0-9 - _ : ; . / < > { }");
    await next();
    if (correlator) c.res.headers.set("x-correlator", correlator);
  });

  routes.use("*", async (c, next) => {
    const config = loadConfig(c.env);
    const principal = await authenticate(c.req.header("authorization"), c.env, config);
    if (!principal) throw new VerifyError("unauthenticated", "missing, invalid or revoked API key (Authorization: Bearer <key>)");
    c.set("service", principal.service);
    c.set("config", config);
    c.set("verifier", createVerifier({ env: c.env, config, principal, waitUntil: (p) => c.executionCtx.waitUntil(p) }));
    await next();
  });

  routes.post("/send-code", async (c) => {
    const body = await readBody(c);
    checkBody("CamaraSendCodeRequest", body, parseSendCode);
    const { verification } = await inCamaraTerms(c.var.verifier.start(parseSendCode(body)));
    if (verification.status === "failed") {
      // The provider's reason decides the CAMARA code (camaraErrorFor); nothing is owed for it.
      throw new VerifyError("verification_failed", `phoneNumber: the code could not be delivered (${verification.failureReason})`, { field: "phoneNumber", rule: verification.failureReason });
    }
    const authenticationId = await authenticationIdOf(verification.id, verification.sendAttempts);
    // Written before answering, so validate-code always finds an id send-code gave.
    const keepUntil = verification.expiresAt + c.var.config.retentionDays * DAY_MS;
    await afterReset<void>(() => authenticationIndex(c, authenticationId).put({ verificationId: verification.id, keepUntil, sendAttempt: verification.sendAttempts }));
    return c.json({ authenticationId });
  });

  routes.post("/validate-code", async (c) => {
    const body = await readBody(c);
    checkBody("CamaraValidateCodeRequest", body, parseValidateCode);
    const { authenticationId, code } = parseValidateCode(body);
    const id = authenticationId.toLowerCase();
    // A malformed id is answered as an unknown one: same answer, no hint.
    const entry = AUTHENTICATION_ID.test(id) ? await afterReset<SidEntry | null>(() => authenticationIndex(c, id).entry()) : null;
    if (!entry) throw new VerifyError("not_found", "authenticationId: no such authenticationId", { field: "authenticationId" });
    const request = validateCheckRequest({ verificationId: entry.verificationId, code, sendAttempt: entry.sendAttempt ?? undefined });
    const result = await inCamaraTerms(c.var.verifier.check(request));
    const refused = camaraCheckError(result.status, result.verification);
    return refused ? errorResponse(c, refused) : c.body(null, 204);
  });

  routes.all("*", (c) => {
    throw new VerifyError("not_found", `no route for ${c.req.method} ${c.req.path}`);
  });
  return routes;
}
