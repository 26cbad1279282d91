// Mobile Text Alerts compatibility: `POST /v3/verify/sms/send-code` and `/check-code`, JSON in
// MTA's field names, Bearer API keys, statuses PENDING / APPROVED / EXPIRED / INVALID. A repeated
// `X-Request-Id` answers 409 and sends nothing, built on the verifier's idempotency records.
import { Hono, type Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../app-env.ts";
import { authenticate } from "../auth.ts";
import { loadConfig } from "../config.ts";
import { invalidArgument, unmappedReason, VerifyError, type RefusalReason } from "../core/errors.ts";
import { rateLimitFields } from "../core/ratelimit-fields.ts";
import { refusalOf } from "../errors.ts";
import { deliverabilityOf, lookupView } from "../core/lookup.ts";
import type { LineType } from "../core/phone.ts";
import type { Risk } from "../core/policy.ts";
import {
  jsonInt,
  jsonObject,
  jsonRequired,
  jsonString,
  jsonTags,
  parseIdempotencyKey,
  validateCheckRequest,
  validateStartRequest,
  type CheckRequest,
  type JsonFields,
  type StartRequest,
} from "../core/requests.ts";
import type { CheckStatus } from "../core/verification.ts";
import { checkBody } from "../rest/validate.ts";
import { readJson } from "../rest/verifications.ts";
import { createVerifier, type VerificationView } from "../verifier.ts";

type MtaContext = Context<AppEnv>;

/** MTA's documented defaults and bounds, narrower than the native API's. */
export const MTA_DEFAULT_TIMEOUT_SECONDS = 300;
export const MTA_CODE_LENGTH_MIN = 4;
export const MTA_CODE_LENGTH_MAX = 8;
export const MTA_DEFAULT_CODE_LENGTH = 6;

// ---- The error map ---------------------------------------------------------------------------

/** Every refusal reason → HTTP status and MTA error name, in one switch. */
export function mtaErrorFor(reason: RefusalReason): { status: ContentfulStatusCode; error: string } {
  switch (reason) {
    case "invalid_argument":
    case "body_too_large":
    case "already_approved":
    case "verification_failed":
    case "lookups_off":
      return { status: 400, error: "BadRequestError" };
    case "unauthenticated":
      return { status: 401, error: "UnauthorizedError" };
    case "rule_refused":
      return { status: 403, error: "ForbiddenError" };
    case "not_found":
      return { status: 404, error: "NotFoundError" };
    case "idempotency_key_reused":
    case "idempotency_in_progress":
      // A reused X-Request-Id is a duplicate request, whatever the body.
      return { status: 409, error: "ConflictError" };
    case "resend_too_soon":
    case "limit_reached":
    case "locked":
      return { status: 429, error: "TooManyRequestsError" };
    case "unavailable":
    case "misconfigured":
      return { status: 503, error: "ServiceUnavailableError" };
    default:
      return unmappedReason(reason);
  }
}

/**
 * The MTA answer to anything a route throws, and to the refusals a route answers itself; `fields`
 * are MTA body fields of that answer (a failed send's data, a duplicate's reason). An internal
 * error says nothing of itself.
 */
function renderError(c: MtaContext, error: unknown, fields: Record<string, unknown> = {}): Response {
  const refusal = refusalOf(error, c.req.path);
  if (!refusal) return c.json({ success: false, error: "InternalServerError", message: "internal error" }, 500);
  const { status, error: name } = mtaErrorFor(refusal.reason);
  const headers: Record<string, string> = {};
  if (refusal.details.retryAfterSeconds !== undefined) headers["retry-after"] = String(refusal.details.retryAfterSeconds);
  Object.assign(headers, rateLimitFields(refusal.details.rateLimits));
  return c.json({ success: false, error: name, message: refusal.message, reason: refusal.details.rule ?? refusal.reason, ...fields }, status, headers);
}

// ---- Requests --------------------------------------------------------------------------------

function optionalType(body: JsonFields, field: string, type: "boolean" | "number" | "string", also?: "number" | "string"): void {
  const value = body[field];
  if (value === undefined || value === null || typeof value === type || (also && typeof value === also)) return;
  throw invalidArgument(field, `must be a ${type}${also ? ` or ${also}` : ""}`);
}

export interface SendCodeRequest {
  /** The verifier's start request, validated by the native rules. */
  start: StartRequest;
  timeoutSeconds: number;
  bypass: boolean;
}

/**
 * MTA's send-code body. `realtime: true` asks the carrier about the number first (our `lookup`,
 * with the operator's LOOKUP_PROVIDER). `longcodeId`, `poolId`, `senderName` and `gated` choose MTA
 * senders: type-checked and ignored (the operator's provider and rules apply).
 * `bypass` only adds `risk` to the answer; it never lifts a rule the operator enforces.
 */
export function parseSendCode(raw: unknown): SendCodeRequest {
  const body = jsonObject(raw);
  const codeLength = body.codeLength;
  if (codeLength !== undefined && codeLength !== null) {
    if (typeof codeLength !== "number" || !Number.isInteger(codeLength)) throw invalidArgument("codeLength", "must be an integer");
    if (codeLength < MTA_CODE_LENGTH_MIN || codeLength > MTA_CODE_LENGTH_MAX) {
      throw invalidArgument("codeLength", `must be from ${MTA_CODE_LENGTH_MIN} to ${MTA_CODE_LENGTH_MAX}`);
    }
  }
  optionalType(body, "bypass", "boolean");
  optionalType(body, "realtime", "boolean");
  optionalType(body, "gated", "boolean");
  optionalType(body, "longcodeId", "number");
  optionalType(body, "poolId", "number", "string");
  optionalType(body, "senderName", "string");
  const timeoutSeconds = jsonInt(body, "timeoutSeconds") ?? MTA_DEFAULT_TIMEOUT_SECONDS;
  const start = validateStartRequest({
    to: jsonRequired(body, "to"),
    serviceName: jsonString(body, "serviceName"),
    tags: jsonTags(body),
    timeoutSeconds,
    codeLength: codeLength ?? MTA_DEFAULT_CODE_LENGTH,
    externalId: jsonString(body, "externalId"),
    lookup: body.realtime === true,
  });
  return { start, timeoutSeconds, bypass: body.bypass === true };
}

/**
 * MTA's check-code body: the native check's fields under the same names. Other properties are
 * ignored, as MTA's own API and our send-code ignore them (a drop-in takes its clients' bodies
 * as they are); the native check refuses them.
 */
export function parseCheckCode(raw: unknown): CheckRequest {
  const body = jsonObject(raw);
  return validateCheckRequest({ verificationId: jsonString(body, "verificationId"), to: jsonString(body, "to"), code: jsonRequired(body, "code") });
}

// ---- Responses -------------------------------------------------------------------------------

const LINE_TYPE: Partial<Record<LineType, string>> = {
  mobile: "mobile",
  fixed_line: "landline",
  voip: "voip",
  toll_free: "tollfree",
  premium_rate: "premium",
  pager: "pager",
};

/** Our risks in MTA's risk vocabulary; the first that has a counterpart is reported. */
const RISK: Partial<Record<Risk, string>> = {
  invalid_format: "invalid_format",
  deny_list: "deny_list",
  unsubscribed: "unsubscribed",
  deactivated: "deactivated",
  landline: "landline",
  voip: "voip",
  invalid_number: "unknown",
  blocked: "unknown",
};

function mtaRisk(risks: readonly Risk[]): string | null {
  for (const risk of risks) {
    const mapped = RISK[risk];
    if (mapped) return mapped;
  }
  return null;
}

function mtaCheckStatus(status: CheckStatus): string {
  switch (status) {
    case "approved":
      return "APPROVED";
    case "invalid":
      return "INVALID";
    case "expired":
    case "max_attempts_reached":
    case "canceled":
      // MTA's EXPIRED: over, whatever the code; the verification cannot be approved any more.
      return "EXPIRED";
  }
}

/**
 * MTA's reference shows send-code and check-code fields at the top level, its other v3 answers wrap
 * them as `{success, message, data}`: both shapes at once, so either way of reading works.
 */
function envelope(message: string, data: Record<string, unknown>) {
  return { success: true, message, data, ...data };
}

function sendCodeData(v: VerificationView, request: SendCodeRequest): Record<string, unknown> {
  // The carrier's answer where a lookup was made (realtime, LOOKUP_MODE), else the numbering plan.
  const lookup = lookupView(v, v.lookup);
  const known = deliverabilityOf(lookup, null);
  const data: Record<string, unknown> = {
    to: v.to,
    timeoutSeconds: request.timeoutSeconds,
    type: "sms",
    status: "PENDING",
    messageId: v.messageId,
    verificationId: v.id,
    deliverable: v.status !== "failed" && known.deliverable,
    reason: v.failureReason || known.reason,
    carrier: lookup.carrier ?? "",
    lineType: LINE_TYPE[lookup.lineType] ?? "unknown",
  };
  if (request.bypass) {
    data.risk = mtaRisk(v.risks);
    data.risks = v.risks;
  }
  return data;
}

// ---- Routes ----------------------------------------------------------------------------------

export function mtaRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.onError((error, c) => renderError(c, error));

  routes.use("/verify/*", async (c, next) => {
    const config = loadConfig(c.env);
    const principal = await authenticate(c.req.header("authorization"), c.env, config);
    if (!principal) throw new VerifyError("unauthenticated", "missing or invalid API key (Authorization: Bearer <key>)");
    c.set("config", config);
    c.set("verifier", createVerifier({ env: c.env, config, principal, waitUntil: (p) => c.executionCtx.waitUntil(p) }));
    await next();
  });

  routes.post("/verify/sms/send-code", async (c) => {
    const idempotencyKey = parseIdempotencyKey(c.req.header("x-request-id"), "X-Request-Id");
    const body = await readJson(c);
    checkBody("MtaSendCodeRequest", body, parseSendCode);
    const request = parseSendCode(body);
    const { verification, replayed, rateLimits } = await c.var.verifier.start(request.start, { idempotencyKey });
    if (replayed) {
      // MTA's contract: a duplicate X-Request-Id is a 409 and nothing is sent again.
      const duplicate = new VerifyError("idempotency_key_reused", "X-Request-Id: duplicate request; nothing was sent", { field: "X-Request-Id" });
      return renderError(c, duplicate, { reason: "duplicate_request" });
    }
    const data = sendCodeData(verification, request);
    if (verification.status === "failed") {
      // Refused with what a successful send answers, `deliverable: false` and why among it.
      const failed = new VerifyError("verification_failed", `to: the code could not be delivered (${verification.failureReason})`, { field: "to", rateLimits });
      return renderError(c, failed, { data, ...data });
    }
    return c.json(envelope("Verification code sent.", data), 200, rateLimitFields(rateLimits));
  });

  routes.post("/verify/sms/check-code", async (c) => {
    const body = await readJson(c);
    checkBody("MtaCheckCodeRequest", body, parseCheckCode);
    const result = await c.var.verifier.check(parseCheckCode(body));
    const data = { to: result.verification.to, verificationId: result.verification.id, status: mtaCheckStatus(result.status) };
    return c.json(envelope("Verification code checked.", data), 200, rateLimitFields(result.rateLimits));
  });

  routes.all("/verify/*", (c) => {
    throw new VerifyError("not_found", `no route for ${c.req.method} ${c.req.path}`);
  });
  return routes;
}
