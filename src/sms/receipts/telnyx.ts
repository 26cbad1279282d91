// Telnyx messaging webhooks (message.sent, message.finalized): JSON signed with the account's
// Ed25519 key, `telnyx-signature-ed25519: base64(sign("<telnyx-timestamp>|<raw body>"))`.
// https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks
import type { DeliveryStatus } from "../../core/delivery.ts";
import { defaultCallbackUrl, errorCodeOf, freshSeconds, fromBase64, isObject, jsonBody, utf8, type ReceiptVendor } from "./shared.ts";

// Per-recipient `to[].status`. delivery_unconfirmed is final at Telnyx but says only "sent".
const STATUS: Record<string, DeliveryStatus> = {
  queued: "queued",
  sending: "sent",
  sent: "sent",
  delivery_unconfirmed: "sent",
  delivered: "delivered",
  delivery_failed: "undelivered",
  sending_failed: "failed",
};

export const telnyxReceipts: ReceiptVendor = {
  provider: "telnyx",
  covers: ["telnyx"],
  configured: (secrets) => secrets.telnyxPublicKey !== "",
  callbackUrl: async (base, id) => defaultCallbackUrl(base, "telnyx", id),
  async verify(request, secrets, nowMs) {
    const key = fromBase64(secrets.telnyxPublicKey);
    const signature = fromBase64(request.headers.get("telnyx-signature-ed25519") ?? "");
    const timestamp = request.headers.get("telnyx-timestamp");
    if (!key || key.length !== 32 || !signature || signature.length !== 64 || !freshSeconds(timestamp, nowMs)) return false;
    const publicKey = await crypto.subtle.importKey("raw", key, { name: "Ed25519" }, false, ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, publicKey, signature, utf8(`${timestamp}|${request.body}`));
  },
  parse(request) {
    const body = jsonBody(request);
    const data = isObject(body) && isObject(body.data) ? body.data : null;
    const payload = data && isObject(data.payload) ? data.payload : null;
    const to = payload && Array.isArray(payload.to) ? payload.to.find(isObject) : undefined;
    if (!payload || typeof payload.id !== "string" || !to || typeof to.status !== "string") return null;
    const firstError = Array.isArray(payload.errors) ? payload.errors.find(isObject) : undefined;
    return [{ messageId: payload.id, status: STATUS[to.status] ?? null, errorCode: errorCodeOf(firstError?.code) }];
  },
};
