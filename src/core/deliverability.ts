// Deliverability memory as pure functions: which provider answers and receipts mean "this number
// cannot receive", a per-number count of them over 30 days, and when that puts the number on the
// service's deny list. No I/O. No clock: `now` (epoch ms) is passed in. The number's object keeps
// the state (src/objects/phone-verification/).
import type { DeliveryStatus } from "./delivery.ts";

/** Why a number was deny-listed from delivery reports; also the deny list entry's reason. */
export type DeliverabilityReason = "unsubscribed" | "deactivated" | "undeliverable";

/** Provider codes that mean the number, not the service, is the problem. */
type CodeTable = Readonly<Record<string, DeliverabilityReason>>;

// Twilio: one error-code namespace for API answers and StatusCallback ErrorCode.
// https://www.twilio.com/docs/api/errors
const TWILIO: CodeTable = {
  "21610": "unsubscribed", // Attempt to send to unsubscribed recipient (STOP)
  "21614": "undeliverable", // 'To' number is not a valid mobile number
  "21612": "undeliverable", // 'To' number is not currently reachable via SMS
  "30003": "undeliverable", // Unreachable destination handset
  "30005": "deactivated", // Unknown destination handset (the number no longer exists)
  "30006": "undeliverable", // Landline or unreachable carrier
};

// Twilio codes that are about us or the content, never the number: a receipt carrying one does
// not count, even though its status is `undelivered` or `failed`.
const TWILIO_NOT_THE_NUMBER = new Set(["30001", "30002", "30007", "30032", "30034", "21408"]);

// Telnyx: general and messaging codes, on the request and in message.finalized errors.
// https://developers.telnyx.com/docs/messaging/messages/error-codes
const TELNYX: CodeTable = {
  "40300": "unsubscribed", // Blocked due to STOP message
  "10001": "deactivated", // Inactive phone number
  "40001": "undeliverable", // Not routable (landline)
  "40012": "undeliverable", // Invalid destination number
};

// Vonage SMS API send `status` (answer to the POST).
const VONAGE_SEND: CodeTable = {
  "33": "deactivated", // Number de-activated
  "7": "undeliverable", // Number barred (Vonage's own block list for the destination)
};

// Vonage delivery receipt `err-code` (a different namespace from the send status).
// https://developer.vonage.com/en/messaging/sms/guides/delivery-receipts
const VONAGE_RECEIPT: CodeTable = {
  "3": "deactivated", // Absent subscriber, permanent
  "4": "unsubscribed", // Call barred by user
  "9": "deactivated", // Illegal number
  "11": "undeliverable", // Unroutable
  "12": "undeliverable", // Destination unreachable
};

// Plivo message ErrorCode. The docs' table is terse; only the two that clearly name the destination are mapped.
// https://www.plivo.com/docs/messaging/troubleshooting/error-codes
const PLIVO: CodeTable = {
  "50": "deactivated", // Invalid destination number
  "70": "deactivated", // Destination permanently unavailable
};

const SEND_CODES: Readonly<Record<string, CodeTable>> = { twilio: TWILIO, telnyx: TELNYX, vonage: VONAGE_SEND, plivo: PLIVO };
const RECEIPT_CODES: Readonly<Record<string, CodeTable>> = { twilio: TWILIO, telnyx: TELNYX, vonage: VONAGE_RECEIPT, plivo: PLIVO };

/** Strips our channel suffixes: "twilio-whatsapp" reports Twilio's codes. */
function vendorOf(provider: string): string {
  return provider.split("-")[0] ?? provider;
}

/**
 * A provider's refusal to send (SmsSendError: provider, providerCode, reason). The vendor's code
 * decides where we know it; otherwise only the generic `unsubscribed` reason counts, so providers
 * we have no table for (webhook, MTA, ...) still record STOPs. Rate limits, auth and outages never count.
 */
export function classifySendFailure(failure: { provider: string; providerCode: string; reason: string }): DeliverabilityReason | null {
  const known = SEND_CODES[vendorOf(failure.provider)]?.[failure.providerCode];
  if (known) return known;
  return failure.reason === "unsubscribed" ? "unsubscribed" : null;
}

/**
 * A delivery receipt. Only final `undelivered`/`failed` ones count; a known vendor code makes the
 * reason specific, and codes that are about us (carrier filtering, account suspended) do not count.
 */
export function classifyReceipt(receipt: { provider: string; status: DeliveryStatus | null; errorCode: string }): DeliverabilityReason | null {
  if (receipt.status !== "undelivered" && receipt.status !== "failed") return null;
  const vendor = vendorOf(receipt.provider);
  if (vendor === "twilio" && TWILIO_NOT_THE_NUMBER.has(receipt.errorCode)) return null;
  return RECEIPT_CODES[vendor]?.[receipt.errorCode] ?? "undeliverable";
}

export interface DeliverabilitySettings {
  /** UNDELIVERABLE_AFTER: failures within the window that deny-list the number. */
  undeliverableAfter: number;
  windowMs: number;
}

export const DEFAULT_DELIVERABILITY: DeliverabilitySettings = { undeliverableAfter: 3, windowMs: 30 * 24 * 3_600_000 };

/** Per number, in its object: failures newest last, within the window. */
export interface DeliverabilityState {
  failures: ReadonlyArray<{ at: number; reason: DeliverabilityReason }>;
}

export const EMPTY_DELIVERABILITY: DeliverabilityState = { failures: [] };

/** Strongest first: a STOP is the person's own wish; a dead number outranks a flaky route. */
const PRECEDENCE: readonly DeliverabilityReason[] = ["unsubscribed", "deactivated", "undeliverable"];

/**
 * Records one failure. `denyList` is set when the count within the window reaches the threshold:
 * the object then adds a deny list entry with that reason (the strongest among the counted failures).
 */
export function recordUndeliverable(
  state: DeliverabilityState,
  reason: DeliverabilityReason,
  now: number,
  settings: DeliverabilitySettings = DEFAULT_DELIVERABILITY,
): { state: DeliverabilityState; denyList: { reason: DeliverabilityReason } | null } {
  const failures = [...state.failures.filter((f) => f.at > now - settings.windowMs), { at: now, reason }];
  if (failures.length < settings.undeliverableAfter) return { state: { failures }, denyList: null };
  const strongest = PRECEDENCE.find((r) => failures.some((f) => f.reason === r))!;
  return { state: { failures }, denyList: { reason: strongest } };
}

/** An approval proves the number receives: the count starts over (so does removing the deny entry). */
export function clearDeliverability(): DeliverabilityState {
  return EMPTY_DELIVERABILITY;
}

/** Failures still inside the window, for the console and the lists API. */
export function countedFailures(state: DeliverabilityState, now: number, settings: DeliverabilitySettings = DEFAULT_DELIVERABILITY): number {
  return state.failures.filter((f) => f.at > now - settings.windowMs).length;
}

/**
 * MTA's `risk` vocabulary for a deny list entry made from delivery reports: MTA names STOPs and
 * dead numbers, and calls the rest `deny_list` ("pulled from delivery reports").
 */
export const MTA_RISK: Readonly<Record<DeliverabilityReason, string>> = {
  unsubscribed: "unsubscribed",
  deactivated: "deactivated",
  undeliverable: "deny_list",
};
