// Infobip SMS delivery reports (`notifyUrl` on the send). Infobip does not sign them, so the URL
// carries a per-verification token, `t = base64url(HMAC-SHA256(key, "infobip:" + verification id))`:
// only someone who was handed that URL can report on that verification, and on no other.
// https://www.infobip.com/docs/api/channels/sms/sms-messaging/logs-and-status-reports/receive-outbound-sms-message-report
import type { DeliveryStatus } from "../../core/delivery.ts";
import { errorCodeOf, hasUrlToken, isObject, jsonBody, urlToken, type ReceiptVendor } from "./shared.ts";

// status.groupName, refined by status.name where a group holds both intermediate and final states.
function statusOf(status: Record<string, unknown>): DeliveryStatus | null {
  switch (status.groupName) {
    case "PENDING":
      return status.name === "PENDING_ACCEPTED" ? "queued" : "sent";
    case "DELIVERED":
      // DELIVERED_TO_OPERATOR is intermediate: the handset has not confirmed yet.
      return status.name === "DELIVERED_TO_OPERATOR" ? "sent" : "delivered";
    case "UNDELIVERABLE":
    case "EXPIRED":
      return "undelivered";
    case "REJECTED":
      return "failed";
    default:
      return null;
  }
}

export const infobipReceipts: ReceiptVendor = {
  provider: "infobip",
  covers: ["infobip"],
  configured: (secrets) => secrets.callbackTokenKey !== "",
  callbackUrl: async (base, id, secrets) =>
    `${base}/v1/callbacks/infobip?v=${encodeURIComponent(id)}&t=${await urlToken(secrets.callbackTokenKey, "infobip", id)}`,
  verify: (request, secrets) => hasUrlToken(request, secrets.callbackTokenKey, "infobip"),
  parse(request) {
    const body = jsonBody(request);
    if (!isObject(body) || !Array.isArray(body.results)) return null;
    const receipts = body.results.filter(isObject).flatMap((result) => {
      if (typeof result.messageId !== "string" || !isObject(result.status)) return [];
      const error = isObject(result.error) && result.error.id !== 0 ? result.error : null;
      return [{ messageId: result.messageId, status: statusOf(result.status), errorCode: error ? errorCodeOf(error.name ?? error.id) : "" }];
    });
    return receipts.length > 0 ? receipts : null;
  },
};
