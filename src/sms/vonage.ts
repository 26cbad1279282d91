// Vonage (Nexmo) SMS API: POST {base}/sms/json, form body with api_key/api_secret in it.
// Quirk: it answers HTTP 200 even for refused messages; each part carries its own `status`
// ("0" = accepted). https://developer.vonage.com/en/messaging/sms/guides/troubleshooting-sms
import { acceptedUnreadable, call, isObject, joinUrl, readJson, refused, refusedByStatus, withoutPlus } from "./http.ts";
import type { FetchFn, SmsFailureReason, SmsSender } from "./sender.ts";

export interface VonageSenderOptions {
  apiKey: string;
  apiSecret: string;
  /** Sender id: a Vonage number or an alphanumeric id where the destination allows one. */
  from: string;
  /** Default https://rest.nexmo.com */
  apiBase?: string;
  timeoutMs?: number;
}

// Per-message status codes from the SMS API error table. Codes not listed are a definite refusal
// for a reason that is ours or the account's (bad sender id, no credit): `unavailable`, so a
// router can try another provider.
const VONAGE_STATUS: Record<string, SmsFailureReason> = {
  "1": "rate_limited", // Throttled
  "3": "invalid_number", // Invalid parameters (the only caller-supplied one is `to`)
  "4": "auth_failed", // Invalid credentials
  "6": "invalid_number", // Invalid message: unrecognised number prefix
  "7": "blocked", // Number barred
  "8": "auth_failed", // Partner account barred (suspended)
  "10": "rate_limited", // Too many existing binds
  "14": "auth_failed", // Invalid signature
  "22": "invalid_number", // Invalid network code
  "29": "blocked", // Non-whitelisted destination (trial account)
  "32": "auth_failed", // Signature and API secret disallowed
  "33": "invalid_number", // Number de-activated
};

export function createVonageSender(options: VonageSenderOptions, fetchFn: FetchFn = fetch): SmsSender {
  if (!options.apiKey || !options.apiSecret) throw new Error("Vonage needs VONAGE_API_KEY and VONAGE_API_SECRET");
  if (!options.from) throw new Error("Vonage needs VONAGE_FROM");
  const url = joinUrl(options.apiBase ?? "https://rest.nexmo.com", "/sms/json");
  const timeoutMs = options.timeoutMs ?? 10_000;

  return {
    name: "vonage",
    async send(message) {
      const form = new URLSearchParams({
        api_key: options.apiKey,
        api_secret: options.apiSecret,
        from: options.from,
        // Vonage wants E.164 digits without the leading "+".
        to: withoutPlus(message.to),
        text: message.body,
      });
      // Non-ASCII text sent as `text` is mangled to "?"; `unicode` switches the part to UCS-2.
      if (/[^\x00-\x7f]/.test(message.body)) form.set("type", "unicode");
      const callback = message.callbackUrls?.vonage;
      if (callback && message.reference) {
        // The reference rides in `client-ref` (echoed in the DLR and covered by its signature)
        // rather than in the URL: a signed DLR's `sig` covers Vonage's parameters only.
        form.set("status-report-req", "1");
        form.set("callback", callback);
        form.set("client-ref", message.reference);
      }
      const request = new Request(url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: form.toString(),
      });
      const response = await call("vonage", fetchFn, request, timeoutMs);
      const payload = await readJson(response);
      if (!response.ok) throw refusedByStatus("vonage", response.status);

      const parts = isObject(payload) && Array.isArray(payload.messages) ? payload.messages.filter(isObject) : [];
      // A long text is split into parts, each with a status; one refused part means the code may
      // not arrive whole, so the first refusal decides.
      const failed = parts.find((part) => String(part.status) !== "0");
      if (failed) {
        const status = String(failed.status);
        const reason = VONAGE_STATUS[status] ?? "unavailable";
        // Status 5 is Vonage's own internal error: whether the part went out is unknown.
        throw refused("vonage", reason, { status: response.status, code: status, definite: status !== "5" });
      }
      const messageId = parts[0]?.["message-id"];
      if (typeof messageId !== "string" || !messageId) throw acceptedUnreadable("vonage", response.status);
      return { messageId, provider: "vonage" };
    },
  };
}
