// Sinch SMS delivery reports (`callback_url` + `delivery_report` on the batch), signed with the
// service plan's callback HMAC secret (enabled by Sinch on request): `x-sinch-webhook-signature:
// base64(HMAC(secret, "<raw body>.<nonce>.<timestamp>"))` with the nonce, timestamp and algorithm in
// `x-sinch-webhook-signature-{nonce,timestamp,algorithm}`.
// https://developers.sinch.com/docs/sms/api-reference/sms/tag/Webhooks/
import type { DeliveryStatus } from "../../core/delivery.ts";
import { bytesEqual, defaultCallbackUrl, errorCodeOf, freshSeconds, fromBase64, hmac, isObject, jsonBody, type ReceiptVendor } from "./shared.ts";

// Recipient delivery report statuses. "Unknown" maps to nothing.
const STATUS: Record<string, DeliveryStatus> = {
  Queued: "queued",
  Dispatched: "sent",
  Delivered: "delivered",
  Expired: "undelivered",
  Failed: "undelivered",
  Rejected: "failed",
  Aborted: "failed",
  Cancelled: "failed",
  Deleted: "failed",
};

const ALGORITHMS: Record<string, "SHA-256" | "SHA-512"> = { HmacSHA256: "SHA-256", HmacSHA512: "SHA-512" };

export const sinchReceipts: ReceiptVendor = {
  provider: "sinch",
  covers: ["sinch"],
  configured: (secrets) => secrets.sinchCallbackSecret !== "",
  callbackUrl: async (base, id) => defaultCallbackUrl(base, "sinch", id),
  async verify(request, secrets, nowMs) {
    const h = request.headers;
    const given = fromBase64(h.get("x-sinch-webhook-signature") ?? "");
    const nonce = h.get("x-sinch-webhook-signature-nonce");
    const timestamp = h.get("x-sinch-webhook-signature-timestamp");
    const algorithm = ALGORITHMS[h.get("x-sinch-webhook-signature-algorithm") ?? "HmacSHA256"];
    if (!secrets.sinchCallbackSecret || !given || !nonce || !algorithm || !freshSeconds(timestamp, nowMs)) return false;
    return bytesEqual(given, await hmac(algorithm, secrets.sinchCallbackSecret, `${request.body}.${nonce}.${timestamp}`));
  },
  parse(request) {
    const body = jsonBody(request);
    if (!isObject(body) || typeof body.batch_id !== "string" || typeof body.status !== "string") return null;
    const status = STATUS[body.status] ?? null;
    // `code` is Sinch's status code; on a delivered report it is not an error.
    return [{ messageId: body.batch_id, status, errorCode: status === "delivered" ? "" : errorCodeOf(body.code) }];
  },
};
