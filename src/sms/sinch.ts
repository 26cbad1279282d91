// Sinch SMS REST API: POST {base}/xms/v1/{service_plan_id}/batches, JSON {from, to: [..], body},
// `Authorization: Bearer <api token>`. The base is per region (us, eu, au, br, ca) because data
// stays in the account's region. Success is 201 {id, ...}; 400/403 errors are {code, text}.
// https://developers.sinch.com/docs/sms/api-reference/sms/batches
import { acceptedUnreadable, call, isObject, joinUrl, readJson, refused, refusedByStatus } from "./http.ts";
import type { FetchFn, SmsFailureReason, SmsSender } from "./sender.ts";

export const SINCH_REGIONS = ["us", "eu", "au", "br", "ca"] as const;
export type SinchRegion = (typeof SINCH_REGIONS)[number];

export interface SinchSenderOptions {
  servicePlanId: string;
  apiToken: string;
  /** Sender number, short code or alphanumeric id; optional when the plan has a default originator. */
  from?: string;
  /** Used when `apiBase` is not set: https://{region}.sms.api.sinch.com. Default "us". */
  region?: SinchRegion;
  apiBase?: string;
  timeoutMs?: number;
}

// 400 and 403 carry a code. https://developers.sinch.com/docs/sms/api-reference/status-codes
const SINCH_ERRORS: Record<string, SmsFailureReason> = {
  syntax_invalid_parameter_format: "invalid_number", // e.g. a malformed MSISDN; the only per-request field is `to`
  illegal_number_type: "invalid_number", // number type not allowed in the region
  unauthorized: "auth_failed",
  blocked_account: "auth_failed", // the account is blocked: nothing will go out through it
};

export function createSinchSender(options: SinchSenderOptions, fetchFn: FetchFn = fetch): SmsSender {
  if (!options.servicePlanId || !options.apiToken) throw new Error("Sinch needs SINCH_SERVICE_PLAN_ID and SINCH_API_TOKEN");
  const base = options.apiBase ?? `https://${options.region ?? "us"}.sms.api.sinch.com`;
  const url = joinUrl(base, `/xms/v1/${encodeURIComponent(options.servicePlanId)}/batches`);
  const authorization = `Bearer ${options.apiToken}`;
  const timeoutMs = options.timeoutMs ?? 10_000;

  return {
    name: "sinch",
    async send(message) {
      const body: Record<string, unknown> = { to: [message.to], body: message.body };
      if (options.from) body.from = options.from;
      if (message.callbackUrls?.sinch) {
        body.callback_url = message.callbackUrls.sinch;
        // One report per recipient per status change; the default ("none") sends no report at all.
        body.delivery_report = "per_recipient";
      }
      const request = new Request(url, {
        method: "POST",
        headers: { authorization, "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
      });
      const response = await call("sinch", fetchFn, request, timeoutMs);
      const payload = await readJson(response);
      if (response.ok) {
        const messageId = isObject(payload) ? payload.id : undefined;
        if (typeof messageId !== "string" || !messageId) throw acceptedUnreadable("sinch", response.status);
        return { messageId, provider: "sinch" };
      }
      const code = isObject(payload) && typeof payload.code === "string" ? payload.code : "";
      const reason = SINCH_ERRORS[code];
      if (reason) throw refused("sinch", reason, { status: response.status, code });
      // Other syntax_* codes are our request's fault (not the number's): let a router try elsewhere.
      if (response.status === 400 || response.status === 403) throw refused("sinch", "unavailable", { status: response.status, code });
      throw refusedByStatus("sinch", response.status, code);
    },
  };
}
