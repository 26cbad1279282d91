// Twilio Programmable Messaging: POST {base}/2010-04-01/Accounts/{sid}/Messages.json, form body,
// HTTP Basic auth (Account SID : Auth Token). Errors come as {code, message, status}. The same
// sender speaks WhatsApp (Messages with "whatsapp:" addresses) and voice (Calls.json with TwiML).
import { call } from "./http.ts";
import { reasonForStatus, SmsSendError, type FetchFn, type SmsFailureReason, type SmsSender } from "./sender.ts";

export interface TwilioSenderOptions {
  accountSid: string;
  authToken: string;
  /** Sender number (E.164) or alphanumeric id; one of `from` and `messagingServiceSid` is required. */
  from?: string;
  messagingServiceSid?: string;
  apiBase?: string;
  timeoutMs?: number;
  /** Where Twilio should post delivery receipts, when a public base URL is configured. */
  statusCallbackUrl?: string;
  /** sms (default); whatsapp: addresses get the "whatsapp:" prefix; call: `body` is TwiML. */
  kind?: "sms" | "whatsapp" | "call";
}

// Twilio error codes that mean "this number, not the service": not retried, not failed over.
const TWILIO_ERRORS: Record<number, SmsFailureReason> = {
  21211: "invalid_number", // Invalid 'To' Phone Number
  21214: "invalid_number", // 'To' phone number cannot be reached
  21614: "invalid_number", // 'To' number is not a valid mobile number
  21408: "blocked", // Permission to send an SMS has not been enabled for the region
  21612: "blocked", // The 'To' phone number is not currently reachable via SMS
  30007: "blocked", // Carrier filtering
  21610: "unsubscribed", // Attempt to send to unsubscribed recipient (STOP)
  20003: "auth_failed", // Authentication error
  20429: "rate_limited", // Too many requests
  14107: "rate_limited", // Message rate limit exceeded
};

export function createTwilioSender(options: TwilioSenderOptions, fetchFn: FetchFn = fetch): SmsSender {
  if (!options.accountSid || !options.authToken) throw new Error("Twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN");
  if (!options.from && !options.messagingServiceSid) throw new Error("Twilio needs TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID");
  const base = (options.apiBase ?? "https://api.twilio.com").replace(/\/+$/, "");
  const kind = options.kind ?? "sms";
  const url = `${base}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/${kind === "call" ? "Calls" : "Messages"}.json`;
  const name = kind === "sms" ? "twilio" : kind === "whatsapp" ? "twilio-whatsapp" : "twilio-voice";
  const address = (number: string) => (kind === "whatsapp" ? `whatsapp:${number}` : number);
  const authorization = `Basic ${btoa(`${options.accountSid}:${options.authToken}`)}`;
  const timeoutMs = options.timeoutMs ?? 10_000;

  return {
    name,
    async send(message) {
      const form = new URLSearchParams({ To: address(message.to) });
      form.set(kind === "call" ? "Twiml" : "Body", message.body);
      if (options.messagingServiceSid && kind !== "call") form.set("MessagingServiceSid", options.messagingServiceSid);
      else form.set("From", address(options.from!));
      // Message receipts (SMS and WhatsApp share the Message resource); a call's status is another resource.
      const statusCallback = kind === "call" ? options.statusCallbackUrl : (message.callbackUrls?.twilio ?? options.statusCallbackUrl);
      if (statusCallback) form.set("StatusCallback", statusCallback);
      const request = new Request(url, {
        method: "POST",
        headers: { authorization, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: form.toString(),
      });
      const response = await call("twilio", fetchFn, request, timeoutMs);
      const payload = (await response.json().catch(() => null)) as { sid?: unknown; code?: unknown; message?: unknown } | null;
      if (response.ok && payload && typeof payload.sid === "string") {
        return { messageId: payload.sid, provider: name };
      }
      if (response.ok) {
        // Accepted but unreadable: the message may be on its way, so the outcome is unknown.
        throw new SmsSendError("unavailable", "Twilio answered without a message sid", { definite: false, provider: name });
      }
      const code = typeof payload?.code === "number" ? payload.code : 0;
      const reason = TWILIO_ERRORS[code] ?? reasonForStatus(response.status);
      throw new SmsSendError(reason, `Twilio refused the message (HTTP ${response.status}, code ${code || "none"})`, {
        // 4xx and 502/503/504 mean "not accepted"; a plain 500 may have been half processed.
        definite: response.status !== 500,
        providerCode: code ? String(code) : String(response.status),
        provider: name,
      });
    },
  };
}
