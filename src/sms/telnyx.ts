// Telnyx Messaging v2: POST {base}/v2/messages, JSON {from, to, text}, `Authorization: Bearer <key>`.
// Success is {data: {id, ...}}; errors are {errors: [{code, title, detail}]} with string codes.
// https://developers.telnyx.com/docs/messaging/messages/send-message
import { acceptedUnreadable, call, isObject, joinUrl, readJson, refused, refusedByStatus } from "./http.ts";
import type { FetchFn, SmsFailureReason, SmsSender } from "./sender.ts";

export interface TelnyxSenderOptions {
  apiKey: string;
  /** Sending number (E.164) or alphanumeric id; one of `from` and `messagingProfileId` is required. */
  from?: string;
  messagingProfileId?: string;
  /** Default https://api.telnyx.com */
  apiBase?: string;
  timeoutMs?: number;
}

// General API codes (10xxx) and the messaging codes (40xxx) Telnyx can return on the request itself.
// https://developers.telnyx.com/development/api-fundamentals/api-errors
// https://developers.telnyx.com/docs/messaging/messages/error-codes
const TELNYX_ERRORS: Record<string, SmsFailureReason> = {
  "10001": "invalid_number", // Inactive phone number
  "10002": "invalid_number", // Invalid phone number
  "10016": "invalid_number", // Phone number must be in +E.164 format
  "10009": "auth_failed", // Authentication failed
  "10010": "auth_failed", // Authorization failed
  "10011": "rate_limited", // Too many requests
  "40001": "invalid_number", // Not routable (landline)
  "40002": "blocked", // Blocked as spam (temporary)
  "40003": "blocked", // Blocked as spam (permanent)
  "40011": "rate_limited", // Rate limit exceeded upstream
  "40012": "invalid_number", // Invalid destination number
  "40015": "blocked", // Internal spam filter
  "40300": "unsubscribed", // Blocked due to STOP message
};

export function createTelnyxSender(options: TelnyxSenderOptions, fetchFn: FetchFn = fetch): SmsSender {
  if (!options.apiKey) throw new Error("Telnyx needs TELNYX_API_KEY");
  if (!options.from && !options.messagingProfileId) throw new Error("Telnyx needs TELNYX_FROM or TELNYX_MESSAGING_PROFILE_ID");
  const url = joinUrl(options.apiBase ?? "https://api.telnyx.com", "/v2/messages");
  const authorization = `Bearer ${options.apiKey}`;
  const timeoutMs = options.timeoutMs ?? 10_000;

  return {
    name: "telnyx",
    async send(message) {
      const body: Record<string, string> = { to: message.to, text: message.body };
      if (options.from) body.from = options.from;
      if (options.messagingProfileId) body.messaging_profile_id = options.messagingProfileId;
      if (message.callbackUrls?.telnyx) body.webhook_url = message.callbackUrls.telnyx;
      const request = new Request(url, {
        method: "POST",
        headers: { authorization, "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
      });
      const response = await call("telnyx", fetchFn, request, timeoutMs);
      const payload = await readJson(response);
      if (response.ok) {
        const messageId = isObject(payload) && isObject(payload.data) ? payload.data.id : undefined;
        if (typeof messageId !== "string" || !messageId) throw acceptedUnreadable("telnyx", response.status);
        return { messageId, provider: "telnyx" };
      }
      const first = isObject(payload) && Array.isArray(payload.errors) ? payload.errors.find(isObject) : undefined;
      const code = first && (typeof first.code === "string" || typeof first.code === "number") ? String(first.code) : "";
      const reason = TELNYX_ERRORS[code];
      if (reason && response.status < 500) throw refused("telnyx", reason, { status: response.status, code });
      throw refusedByStatus("telnyx", response.status, code);
    },
  };
}
