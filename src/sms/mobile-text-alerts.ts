// Mobile Text Alerts API v3: POST {base}/v3/send, JSON {subscribers: [number], message},
// `Authorization: Bearer <api key>`. Answers are {success, message, data}; errors use the HTTP
// status (400/401/403/429/500). https://developers.mobile-text-alerts.com/getting-started/send-a-message
import { acceptedUnreadable, call, clientReference, isObject, joinUrl, readJson, refused, refusedByStatus } from "./http.ts";
import type { FetchFn, SmsSender } from "./sender.ts";

export interface MobileTextAlertsSenderOptions {
  apiKey: string;
  /** Default https://api.mobile-text-alerts.com */
  apiBase?: string;
  timeoutMs?: number;
}

export function createMobileTextAlertsSender(options: MobileTextAlertsSenderOptions, fetchFn: FetchFn = fetch): SmsSender {
  if (!options.apiKey) throw new Error("Mobile Text Alerts needs MTA_API_KEY");
  const url = joinUrl(options.apiBase ?? "https://api.mobile-text-alerts.com", "/v3/send");
  const authorization = `Bearer ${options.apiKey}`;
  const timeoutMs = options.timeoutMs ?? 10_000;

  return {
    name: "mobile-text-alerts",
    async send(message) {
      const request = new Request(url, {
        method: "POST",
        headers: { authorization, "content-type": "application/json", accept: "application/json" },
        // Messages go from the account's default number; E.164 is the recommended subscriber format.
        body: JSON.stringify({ subscribers: [message.to], message: message.body }),
      });
      const response = await call("mobile-text-alerts", fetchFn, request, timeoutMs);
      const payload = await readJson(response);
      if (response.ok) {
        if (!isObject(payload) || payload.success !== true) throw acceptedUnreadable("mobile-text-alerts", response.status);
        const id = isObject(payload.data) ? payload.data.messageId : undefined;
        // An explicit success without an id still means the vendor took the message; a local
        // reference keeps the verification recordable (the vendor's delivery webhooks carry theirs).
        const messageId = typeof id === "string" || typeof id === "number" ? String(id) : `mta-${clientReference()}`;
        return { messageId, provider: "mobile-text-alerts" };
      }
      // 400 BadRequestError: the recipient is the only per-request field we send.
      if (response.status === 400) throw refused("mobile-text-alerts", "invalid_number", { status: 400 });
      throw refusedByStatus("mobile-text-alerts", response.status);
    },
  };
}
