// Twilio StatusCallback: form POST signed `X-Twilio-Signature: base64(HMAC-SHA1(auth token,
// URL + each POST parameter name and value, sorted by name))`.
// https://www.twilio.com/docs/usage/webhooks/webhooks-security
import type { DeliveryStatus } from "../../core/delivery.ts";
import { bytesEqual, defaultCallbackUrl, errorCodeOf, formParams, fromBase64, hmac, type ReceiptVendor } from "./shared.ts";

// MessageStatus values of the Message resource.
const STATUS: Record<string, DeliveryStatus> = {
  accepted: "queued",
  scheduled: "queued",
  queued: "queued",
  sending: "sent",
  sent: "sent",
  delivered: "delivered",
  read: "delivered",
  undelivered: "undelivered",
  failed: "failed",
  canceled: "failed",
};

export const twilioReceipts: ReceiptVendor = {
  provider: "twilio",
  // WhatsApp messages are Message resources too: same signature, same statuses.
  covers: ["twilio", "twilio-whatsapp"],
  configured: (secrets) => secrets.twilioAuthToken !== "",
  callbackUrl: async (base, id) => defaultCallbackUrl(base, "twilio", id),
  async verify(request, secrets) {
    const given = fromBase64(request.headers.get("x-twilio-signature") ?? "");
    if (!given || !secrets.twilioAuthToken) return false;
    const params = request.method === "GET" ? [] : formParams(request);
    const sorted = [...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const signed = request.url + sorted.map(([name, value]) => name + value).join("");
    return bytesEqual(given, await hmac("SHA-1", secrets.twilioAuthToken, signed));
  },
  parse(request) {
    const params = new Map(formParams(request));
    const messageId = params.get("MessageSid") ?? params.get("SmsSid");
    const status = params.get("MessageStatus") ?? params.get("SmsStatus");
    if (!messageId || !status) return null;
    return [{ messageId, status: STATUS[status] ?? null, errorCode: errorCodeOf(params.get("ErrorCode")) }];
  },
};
