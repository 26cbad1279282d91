// Infobip SMS: POST {base}/sms/2/text/advanced, JSON {messages: [{from, destinations: [{to}], text}]},
// `Authorization: App <api key>`. The base is per account (https://<id>.api.infobip.com).
// Quirk: HTTP 200 can still hold a REJECTED (group 5) status per destination.
// https://www.infobip.com/docs/essentials/api-essentials/response-status-and-error-codes
import { acceptedUnreadable, call, isObject, joinUrl, readJson, refused, refusedByStatus, withoutPlus } from "./http.ts";
import type { FetchFn, SmsFailureReason, SmsSender } from "./sender.ts";

export interface InfobipSenderOptions {
  apiKey: string;
  /** Your account's base URL from the Infobip portal, e.g. https://xxxxx.api.infobip.com */
  apiBase: string;
  /** Sender id; optional (Infobip picks a default sender when omitted). */
  from?: string;
  timeoutMs?: number;
}

const REJECTED_GROUP_ID = 5;

// REJECTED status names: which of them are the number's fault. Others (no credit, sender not
// allowed, system error) are definite refusals a different provider may not share.
const INFOBIP_REJECTIONS: Record<string, SmsFailureReason> = {
  REJECTED_PREFIX_MISSING: "invalid_number",
  REJECTED_DESTINATION: "invalid_number",
  REJECTED_INVALID_DESTINATION: "invalid_number",
  MISSING_TO: "invalid_number",
  REJECTED_NETWORK: "blocked", // destination network not covered by the account
  REJECTED_DND: "unsubscribed", // number on a do-not-disturb list
  REJECTED_FLOODING_FILTER: "rate_limited",
};

// requestError.serviceException.messageId values on non-2xx answers.
const INFOBIP_SERVICE_ERRORS: Record<string, SmsFailureReason> = {
  UNAUTHORIZED: "auth_failed",
  TOO_MANY_REQUESTS: "rate_limited",
};

export function createInfobipSender(options: InfobipSenderOptions, fetchFn: FetchFn = fetch): SmsSender {
  if (!options.apiKey) throw new Error("Infobip needs INFOBIP_API_KEY");
  if (!options.apiBase) throw new Error("Infobip needs INFOBIP_API_BASE (your account's base URL)");
  const url = joinUrl(options.apiBase, "/sms/2/text/advanced");
  const authorization = `App ${options.apiKey}`;
  const timeoutMs = options.timeoutMs ?? 10_000;

  return {
    name: "infobip",
    async send(message) {
      const entry: Record<string, unknown> = { destinations: [{ to: withoutPlus(message.to) }], text: message.body };
      if (options.from) entry.from = options.from;
      if (message.callbackUrls?.infobip) {
        entry.notifyUrl = message.callbackUrls.infobip;
        entry.notifyContentType = "application/json";
      }
      const request = new Request(url, {
        method: "POST",
        headers: { authorization, "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ messages: [entry] }),
      });
      const response = await call("infobip", fetchFn, request, timeoutMs);
      const payload = await readJson(response);
      if (response.ok) {
        const first = isObject(payload) && Array.isArray(payload.messages) ? payload.messages.find(isObject) : undefined;
        const status = first && isObject(first.status) ? first.status : undefined;
        if (status && status.groupId === REJECTED_GROUP_ID) {
          const name = typeof status.name === "string" ? status.name : "";
          throw refused("infobip", INFOBIP_REJECTIONS[name] ?? "unavailable", { status: response.status, code: name || "REJECTED", definite: true });
        }
        const messageId = first?.messageId;
        if (typeof messageId !== "string" || !messageId) throw acceptedUnreadable("infobip", response.status);
        return { messageId, provider: "infobip" };
      }
      const exception =
        isObject(payload) && isObject(payload.requestError) && isObject(payload.requestError.serviceException)
          ? payload.requestError.serviceException
          : undefined;
      const code = exception && typeof exception.messageId === "string" ? exception.messageId : "";
      const reason = INFOBIP_SERVICE_ERRORS[code];
      if (reason) throw refused("infobip", reason, { status: response.status, code });
      throw refusedByStatus("infobip", response.status, code);
    },
  };
}
