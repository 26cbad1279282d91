// Receipts from an in-house gateway (the `webhook` provider), signed the way we sign our requests to
// it: `X-Edge-Verify-Signature: v1=<hex HMAC-SHA256(SMS_WEBHOOK_SECRET, "<timestamp>.<raw body>")>`
// with `X-Edge-Verify-Timestamp`; body {messageId, status, errorCode?} with our status words.
import { DELIVERY_STATUSES } from "../../core/delivery.ts";
import { WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from "../webhook.ts";
import { bytesEqual, defaultCallbackUrl, errorCodeOf, freshSeconds, fromHex, hmac, isObject, jsonBody, type ReceiptVendor } from "./shared.ts";

export const webhookReceipts: ReceiptVendor = {
  provider: "webhook",
  covers: ["webhook"],
  configured: (secrets) => secrets.webhookSecret !== "",
  callbackUrl: async (base, id) => defaultCallbackUrl(base, "webhook", id),
  async verify(request, secrets, nowMs) {
    const timestamp = request.headers.get(WEBHOOK_TIMESTAMP_HEADER);
    const signature = /^v1=([0-9a-f]{64})$/.exec(request.headers.get(WEBHOOK_SIGNATURE_HEADER) ?? "");
    const given = signature ? fromHex(signature[1]!) : null;
    if (!secrets.webhookSecret || !given || !freshSeconds(timestamp, nowMs)) return false;
    return bytesEqual(given, await hmac("SHA-256", secrets.webhookSecret, `${timestamp}.${request.body}`));
  },
  parse(request) {
    const body = jsonBody(request);
    if (!isObject(body) || typeof body.messageId !== "string" || !body.messageId) return null;
    const status = DELIVERY_STATUSES.find((known) => known === body.status);
    if (!status) return null;
    return [{ messageId: body.messageId, status, errorCode: errorCodeOf(body.errorCode) }];
  },
};
