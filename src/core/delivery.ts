// Delivery receipts as a pure transition. No I/O. No clock: the receipt's time is passed in.
// A receipt counts only for the verification's latest message, and a final state is never replaced:
// providers retry callbacks and deliver them out of order, so "sent" can arrive after "delivered".

/** Our delivery states, whatever the vendor calls them. */
export type DeliveryStatus = "queued" | "sent" | "delivered" | "undelivered" | "failed";

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ["queued", "sent", "delivered", "undelivered", "failed"];

export interface DeliveryState {
  status: DeliveryStatus;
  /** The vendor's error code ("" when none), e.g. Twilio "30003". Never vendor free text. */
  errorCode: string;
  /** Epoch ms when we recorded the receipt. */
  updatedAt: number;
}

export interface DeliveryReceipt {
  /** Provider names whose messages the receipt's signature vouches for ("twilio", "twilio-whatsapp"). */
  providers: readonly string[];
  messageId: string;
  status: DeliveryStatus;
  errorCode: string;
}

export type DeliveryOutcome =
  | { kind: "applied"; delivery: DeliveryState }
  | { kind: "ignored"; reason: "other_message" | "other_provider" | "already_final" | "out_of_order" | "unchanged" };

// queued < sent < a final state. Final states do not replace one another: the first one wins.
const RANK: Record<DeliveryStatus, number> = { queued: 0, sent: 1, delivered: 2, undelivered: 2, failed: 2 };

export function isFinalDelivery(status: DeliveryStatus): boolean {
  return RANK[status] === 2;
}

/**
 * Applies one receipt to a verification's latest send (`messageId`, `provider`, current `delivery`).
 * A receipt for an older message (a resend replaced it) or from another provider is ignored.
 */
export function applyDelivery(
  current: { messageId: string; provider: string; delivery: DeliveryState | null },
  receipt: DeliveryReceipt,
  now: number,
): DeliveryOutcome {
  if (!current.messageId || receipt.messageId !== current.messageId) return { kind: "ignored", reason: "other_message" };
  // A provider's secret only vouches for that provider's messages.
  if (!receipt.providers.includes(current.provider)) return { kind: "ignored", reason: "other_provider" };
  const delivery = current.delivery;
  if (delivery) {
    if (isFinalDelivery(delivery.status)) return { kind: "ignored", reason: "already_final" };
    if (RANK[receipt.status] < RANK[delivery.status]) return { kind: "ignored", reason: "out_of_order" };
    if (receipt.status === delivery.status && receipt.errorCode === delivery.errorCode) return { kind: "ignored", reason: "unchanged" };
  }
  return { kind: "applied", delivery: { status: receipt.status, errorCode: receipt.errorCode, updatedAt: now } };
}
