// Twilio Verify v2 compatibility: `/v2/Services/{ServiceSid}/Verifications[/{Sid}]` and
// `/VerificationCheck`. Form-encoded PascalCase in, Twilio-shaped snake_case JSON out, Twilio error
// bodies `{code, message, more_info, status}`. A thin translator: decisions stay in the verifier.
import { Hono, type Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../app-env.ts";
import { DEFAULT_SERVICE, type Principal } from "../auth.ts";
import { loadConfig } from "../config.ts";
import { unmappedReason, VerifyError } from "../core/errors.ts";
import { rateLimitFields } from "../core/ratelimit-fields.ts";
import { refusalOf } from "../errors.ts";
import { lookupView } from "../core/lookup.ts";
import type { LineType } from "../core/phone.ts";
import { DAY_MS } from "../core/policy.ts";
import {
  validateCheckRequest,
  validateStartRequest,
  validateVerificationId,
  type StartRequestInit,
  type VerificationId,
} from "../core/requests.ts";
import type { CheckStatus, VerificationStatus } from "../core/verification.ts";
import { checkBody } from "../rest/validate.ts";
import { formFields, readForm, twilioTime } from "./twilio-wire.ts";
import { afterReset, createVerifier, type VerificationView } from "../verifier.ts";
import { attemptSid, twilioSettings, VERIFICATION_SID, verificationSid, type TwilioCompatSettings } from "./sids.ts";
import { namespaceOf } from "../objects/namespaces.ts";
import { twilioCaller, twilioServicePrincipal } from "./twilio-auth.ts";
import { rateLimitsParameter, twilioRateLimitRoutes } from "./twilio-rate-limits.ts";

export type TwilioEnv = {
  Bindings: Env;
  Variables: AppEnv["Variables"] & { twilio: TwilioCompatSettings; principal: Principal; serviceSid: string };
};
type TwilioContext = Context<TwilioEnv>;

// ---- The error map ---------------------------------------------------------------------------

export interface TwilioErrorCode {
  status: ContentfulStatusCode;
  code: number;
}

/**
 * Every refusal reason → Twilio error code and HTTP status, in one switch. `strict` is Twilio-strict
 * mode, where a finished verification is gone (20404) instead of explained.
 */
export function twilioErrorFor(error: VerifyError, strict: boolean): TwilioErrorCode {
  switch (error.reason) {
    case "invalid_argument":
    case "body_too_large":
    case "idempotency_key_reused":
      return { status: 400, code: 60200 };
    case "unauthenticated":
      return { status: 401, code: 20003 };
    case "not_found":
      return { status: 404, code: 20404 };
    case "already_approved":
      // Twilio deletes an approved verification; default mode says why the code no longer works.
      return strict ? { status: 404, code: 20404 } : { status: 400, code: 60200 };
    case "verification_failed":
    case "lookups_off":
      return { status: 400, code: 60200 };
    case "resend_too_soon":
      return { status: 429, code: 60203 };
    case "limit_reached":
      return error.details.rule === "max_check_attempts" ? { status: 429, code: 60202 } : { status: 429, code: 60203 };
    case "locked":
      return { status: 429, code: 60202 };
    case "rule_refused":
      // 60205: "SMS is not supported by landline phone number"; 60605: delivery blocked.
      return error.details.rule === "landline" || error.details.rule === "line_type" ? { status: 400, code: 60205 } : { status: 403, code: 60605 };
    case "idempotency_in_progress":
      return { status: 429, code: 60212 };
    case "unavailable":
    case "misconfigured":
      return { status: 503, code: 20503 };
    default:
      return unmappedReason(error.reason);
  }
}

/** Our camelCase field names as Twilio's parameters. */
const PARAMETER: Record<string, string> = {
  to: "To",
  code: "Code",
  verificationId: "VerificationSid",
  serviceName: "CustomFriendlyName",
  locale: "Locale",
  clientIp: "DeviceIp",
  rateLimits: "RateLimits",
};

function twilioMessage(c: TwilioContext, error: VerifyError, code: number, strict: boolean): string {
  if (error.reason === "misconfigured") return "Service is not configured";
  const field = error.details.field;
  const parameter = field ? (PARAMETER[field] ?? field) : "";
  const detail = field && error.message.startsWith(`${field}: `) ? error.message.slice(field.length + 2) : error.message;
  switch (code) {
    case 60200:
      return parameter ? `Invalid parameter \`${parameter}\`: ${detail}` : `Invalid parameter: ${detail}`;
    case 20404: {
      const resource = `The requested resource ${c.req.path.replace(/^\/v2/, "")} was not found`;
      return strict ? resource : `${resource} (${parameter ? `${parameter}: ` : ""}${detail})`;
    }
    case 20003:
      return "Authenticate";
    default:
      return parameter ? `${parameter}: ${detail}` : detail;
  }
}

/** The Twilio answer to anything a route throws; an internal error says nothing of itself. */
export function renderError(c: TwilioContext, error: unknown): Response {
  const refusal = refusalOf(error, c.req.path);
  if (!refusal) return c.json(twilioError(20500, "Internal server error", 500), 500);
  const strict = c.get("twilio")?.strict ?? false;
  const { status, code } = twilioErrorFor(refusal, strict);
  const headers: Record<string, string> = {};
  if (status === 401) headers["www-authenticate"] = 'Basic realm="edge-verify"';
  if (refusal.details.retryAfterSeconds !== undefined) headers["retry-after"] = String(refusal.details.retryAfterSeconds);
  Object.assign(headers, rateLimitFields(refusal.details.rateLimits));
  return c.json(twilioError(code, twilioMessage(c, refusal, code, strict), status), status, headers);
}

export function twilioError(code: number, message: string, status: number) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

// ---- Authentication --------------------------------------------------------------------------

/**
 * HTTP Basic with a service's API key as the password: that key's principal, or null (the admin
 * token, which is the account's credential, is not a service's key). See ./twilio-auth.ts.
 */
export async function authenticateTwilio(c: Context): Promise<Principal | null> {
  const caller = await twilioCaller(c);
  return caller?.kind === "service" ? caller.principal : null;
}

// ---- Requests --------------------------------------------------------------------------------

export function refused(parameter: string, why: string): VerifyError {
  return new VerifyError("invalid_argument", `${parameter}: ${why}`, { field: parameter });
}

/** Twilio parameters we cannot honour: refused by name rather than silently ignored. */
const UNSUPPORTED_START: Record<string, string> = {
  CustomCode: "caller-chosen codes are not accepted: edge-verify generates every code and stores only its HMAC",
  CustomMessage: "custom message text is not supported; the operator's MESSAGE_TEMPLATE is used",
  SendDigits: "only the sms channel is supported",
  Amount: "PSD2 transaction fields are not supported",
  Payee: "PSD2 transaction fields are not supported",
  ChannelConfiguration: "only the sms channel is supported",
  AppHash: "Android SMS Retriever hashes are not supported yet",
  TemplateSid: "message templates are the operator's MESSAGE_TEMPLATE",
  TemplateCustomSubstitutions: "message templates are the operator's MESSAGE_TEMPLATE",
  Templates: "message templates are the operator's MESSAGE_TEMPLATE",
};

/** Twilio's start parameters as the native request's fields; the native rules apply to them. */
function startRequest(form: URLSearchParams): StartRequestInit {
  for (const [parameter, why] of Object.entries(UNSUPPORTED_START)) {
    if (form.has(parameter)) throw refused(parameter, why);
  }
  const channel = form.get("Channel");
  if (!channel) throw refused("Channel", "is required");
  if (channel !== "sms") throw refused("Channel", `only sms is supported (got ${JSON.stringify(channel.slice(0, 16))})`);
  if (form.get("EnableSnaClientToken") === "true") throw refused("EnableSnaClientToken", "silent network authentication is not supported");
  const risk = form.get("RiskCheck");
  if (risk !== null && risk !== "enable") throw refused("RiskCheck", "the deployment's abuse rules always apply; only enable is accepted");
  return {
    to: form.get("To") ?? undefined,
    locale: form.get("Locale") ?? undefined,
    serviceName: form.get("CustomFriendlyName") || undefined,
    clientIp: form.get("DeviceIp") ?? undefined,
    rateLimits: rateLimitsParameter(form.get("RateLimits")),
  };
}

function cancelStatus(form: URLSearchParams): "canceled" {
  const status = form.get("Status");
  if (!status) throw refused("Status", "is required: canceled");
  if (status === "approved") {
    throw refused("Status", "approved is refused: a verification is approved only by its code (Twilio allows it only with CustomCode, which edge-verify does not accept)");
  }
  if (status !== "canceled") throw refused("Status", "must be canceled");
  return status;
}

function checkRequest(form: URLSearchParams): { sid: string; to: string; code: string | undefined } {
  for (const parameter of ["Amount", "Payee", "SnaClientToken"]) {
    if (form.has(parameter)) throw refused(parameter, "is not supported");
  }
  const sid = form.get("VerificationSid") ?? "";
  const to = form.get("To") ?? "";
  if (!sid && !to) throw refused("To", "give To or VerificationSid");
  return { sid, to, code: form.get("Code") ?? undefined };
}

async function resolveSid(c: TwilioContext, sid: string, field = "verificationId"): Promise<VerificationId> {
  const notFound = new VerifyError("not_found", `${field}: no such verification`, { field });
  if (!VERIFICATION_SID.test(sid)) throw notFound;
  const verificationId = await afterReset<string | null>(() => sidIndex(c, sid).get());
  if (!verificationId) throw notFound;
  return validateVerificationId(verificationId, field);
}

function sidIndex(c: TwilioContext, sid: string) {
  const ns = namespaceOf(c.env, "TWILIO_SIDS");
  return ns.get(ns.idFromName(`${c.var.principal.service}:${sid.toLowerCase()}`));
}

/** Twilio-strict mode: Twilio deletes a verification once it is approved, expired or used up. */
function assertVisible(c: TwilioContext, status: VerificationStatus | CheckStatus): void {
  if (c.var.twilio.strict && (status === "approved" || status === "expired" || status === "max_attempts_reached" || status === "canceled")) {
    throw new VerifyError("not_found", "verificationId: no such verification", { field: "verificationId" });
  }
}

// ---- Responses -------------------------------------------------------------------------------

const CARRIER_TYPE: Partial<Record<LineType, string>> = { mobile: "mobile", fixed_line: "landline", voip: "voip" };

async function verificationJson(c: TwilioContext, v: VerificationView, sid: string) {
  const config = c.var.config;
  // Only the first send time and the latest expiry are stored; the latest send is recovered from
  // the expiry (this endpoint always uses the default lifetime), intermediate ones are not kept.
  const lastSend = Math.min(Math.max(v.expiresAt - config.defaultTimeoutSeconds * 1000, v.createdAt), v.updatedAt);
  const attempts = await Promise.all(
    Array.from({ length: v.sendAttempts }, async (_, i) => ({
      attempt_sid: await attemptSid(v.id, i + 1),
      channel: v.channel,
      time: new Date(i === 0 ? v.createdAt : lastSend).toISOString(),
    })),
  );
  // The carrier's answer where a lookup was made, else the numbering plan's type (no name, no codes).
  const lookup = lookupView(v, v.lookup);
  const type = CARRIER_TYPE[lookup.lineType] ?? (lookup.source === "metadata" ? undefined : "unknown");
  return {
    sid,
    service_sid: c.var.serviceSid,
    account_sid: c.var.twilio.accountSid,
    to: v.to,
    channel: v.channel,
    status: v.status,
    valid: v.status === "approved",
    lookup: {
      carrier: type ? { error_code: null, name: lookup.carrier, mobile_country_code: lookup.mcc, mobile_network_code: lookup.mnc, type } : null,
    },
    amount: null,
    payee: null,
    send_code_attempts: attempts,
    date_created: twilioTime(v.createdAt),
    date_updated: twilioTime(v.updatedAt),
    sna: null,
    url: `${new URL(c.req.url).origin}/v2/Services/${c.var.serviceSid}/Verifications/${sid}`,
  };
}

function checkOutcome(c: TwilioContext, status: CheckStatus, verification: VerificationView): { status: string; valid: boolean } {
  switch (status) {
    case "approved":
      return { status: "approved", valid: true };
    case "invalid":
      // Still pending, or the wrong code that used the last attempt.
      return { status: verification.status, valid: false };
    case "max_attempts_reached":
      // Twilio answers a check on a used-up verification with 429 / 60202 in every mode; the
      // official SDKs throw RestException(429, 60202) on it.
      throw new VerifyError("limit_reached", "Max check attempts reached", { rule: "max_check_attempts" });
    case "expired":
    case "canceled":
      assertVisible(c, status);
      return { status, valid: false };
  }
}

// ---- Routes ----------------------------------------------------------------------------------

export function twilioRoutes(): Hono<TwilioEnv> {
  const routes = new Hono<TwilioEnv>();
  routes.onError((error, c) => renderError(c, error));

  routes.use("/Services/:serviceSid/*", async (c, next) => {
    const config = loadConfig(c.env);
    const settings = await twilioSettings(c.env, config);
    c.set("config", config);
    c.set("twilio", settings);
    // The service's own API key, or the account (admin token) acting for any service.
    const serviceSid = c.req.param("serviceSid");
    const principal = await twilioServicePrincipal(c, serviceSid);
    // Twilio-strict mode: the deployment's TWILIO_STRICT, or the service's own setting.
    if (principal.settings.twilioStrict) c.set("twilio", { ...settings, strict: true });
    c.set("principal", principal);
    c.set("serviceSid", serviceSid);
    c.set("verifier", createVerifier({ env: c.env, config, principal, waitUntil: (p) => c.executionCtx.waitUntil(p) }));
    await next();
  });

  routes.post("/Services/:serviceSid/Verifications", async (c) => {
    const form = await readForm(c);
    checkBody("TwilioStartRequest", formFields(form), () => validateStartRequest(startRequest(form)));
    // A service with lookups on asks the carrier on every start, as Twilio Verify with Lookup enabled.
    const request = validateStartRequest({ ...startRequest(form), lookup: c.var.principal.settings.twilioLookup === true });
    const { verification, rateLimits } = await c.var.verifier.start(request);
    if (verification.status === "failed") {
      // Twilio clients treat a 201 as "code sent": a send that failed for good is an error here.
      throw new VerifyError("verification_failed", `to: the code could not be delivered (${verification.failureReason})`, { field: "to", rateLimits });
    }
    const sid = await verificationSid(verification.id);
    // Written before answering, so a fetch by the returned sid always resolves. A resend of the
    // same verification rewrites the same mapping and extends its lifetime.
    const keepUntil = verification.expiresAt + c.var.config.retentionDays * DAY_MS;
    await afterReset<void>(() => sidIndex(c, sid).put({ verificationId: verification.id, keepUntil }));
    return c.json(await verificationJson(c, verification, sid), 201, rateLimitFields(rateLimits));
  });

  routes.get("/Services/:serviceSid/Verifications/:sid", async (c) => {
    const sid = c.req.param("sid");
    const verification = await c.var.verifier.get(await resolveSid(c, sid, "Sid"));
    assertVisible(c, verification.status);
    return c.json(await verificationJson(c, verification, sid));
  });

  routes.post("/Services/:serviceSid/Verifications/:sid", async (c) => {
    const form = await readForm(c);
    checkBody("TwilioUpdateRequest", formFields(form), () => cancelStatus(form));
    const sid = c.req.param("sid");
    const verificationId = await resolveSid(c, sid, "Sid");
    try {
      const { verification } = await c.var.verifier.cancel(verificationId);
      return c.json(await verificationJson(c, verification, sid));
    } catch (error) {
      // The id comes from our index, so the only invalid argument left is "not pending".
      if (c.var.twilio.strict && error instanceof VerifyError && error.reason === "invalid_argument") {
        throw new VerifyError("not_found", "Sid: no such verification", { field: "Sid" });
      }
      throw error;
    }
  });

  routes.post("/Services/:serviceSid/VerificationCheck", async (c) => {
    const form = await readForm(c);
    checkBody("TwilioCheckRequest", formFields(form), () => {
      const { sid, to, code } = checkRequest(form);
      return validateCheckRequest({ verificationId: sid, to, code });
    });
    const { sid, to, code } = checkRequest(form);
    const verificationId = sid ? await resolveSid(c, sid) : "";
    const result = await c.var.verifier.check(validateCheckRequest({ verificationId, to, code }));
    const outcome = checkOutcome(c, result.status, result.verification);
    const v = result.verification;
    return c.json({
      sid: sid || (await verificationSid(v.id)),
      service_sid: c.var.serviceSid,
      account_sid: c.var.twilio.accountSid,
      to: v.to,
      channel: v.channel,
      status: outcome.status,
      valid: outcome.valid,
      amount: null,
      payee: null,
      date_created: twilioTime(v.createdAt),
      date_updated: twilioTime(v.updatedAt),
      sna_attempts_error_codes: [],
    }, 200, rateLimitFields(result.rateLimits));
  });

  // Service Rate Limits and their Buckets (./twilio-rate-limits.ts), behind the middleware above.
  routes.route("/", twilioRateLimitRoutes());

  routes.all("*", (c) => {
    throw new VerifyError("not_found", `no route for ${c.req.method} ${c.req.path}`);
  });
  return routes;
}
