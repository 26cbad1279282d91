// The verification state machine. No I/O. No clock: `now` (epoch ms) is passed in.
// The code hash is computed by the caller (crypto is async); transitions here are synchronous and
// return new records, so the Durable Object persists exactly what the core decided.
import type { DeliveryState } from "./delivery.ts";
import type { NormalisedLookup } from "./lookup.ts";
import type { LineType } from "./phone.ts";
import type { Refusal } from "./errors.ts";
import type { Risk } from "./policy.ts";

export type VerificationStatus = "pending" | "approved" | "canceled" | "expired" | "max_attempts_reached" | "failed";
export type CheckStatus = "approved" | "invalid" | "expired" | "max_attempts_reached" | "canceled";
export type Channel = "sms" | "whatsapp" | "call";

export interface VerificationRecord {
  id: string;
  /** The service the verification belongs to; another service's id answers as unknown. */
  service: string;
  to: string;
  channel: Channel;
  status: VerificationStatus;
  /** HMAC of the current code; null once the verification is finished. */
  codeHash: Uint8Array | null;
  codeLength: number;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  sendAttempts: number;
  /** Wrong codes checked against this verification (all its codes together). */
  checkAttempts: number;
  messageId: string;
  provider: string;
  failureReason: string;
  countryCode: string;
  lineType: LineType;
  externalId: string;
  tags: Record<string, string>;
  locale: string;
  /** Rules in monitor mode that would have refused this verification, and provider refusals. */
  risks: Risk[];
  /** The latest message's delivery receipt; null until one arrives (see core/delivery.ts). */
  delivery: DeliveryState | null;
  /** The latest message's encoding ("GSM-7" or "UCS-2") and billed segments. */
  messageEncoding: string;
  messageSegments: number;
  /** Shown in the message; kept so a channel fallback can write the next message. */
  serviceName: string;
  /** The channel workflow, in order; `channel` is the one used last. */
  channels: Channel[];
  fallbackAfterSeconds: number;
  /** When the next channel is tried if still pending (epoch ms; 0: no further channel). */
  nextChannelAt: number;
  /**
   * HMACs of earlier codes that still approve: those sent earlier in this channel workflow (a user
   * who reads the SMS after the call came can still use it), and after a start (resend) the
   * service's `acceptPreviousCodes` newest earlier codes (SMS can arrive out of order). Without
   * that setting a resend clears them: its new code replaces all others.
   */
  previousCodeHashes: Uint8Array[];
  /** Started for a test number: no SMS was sent, the code is the configured fixed one. */
  test: boolean;
  /** The carrier lookup the latest start used; absent on records written before lookups existed. */
  lookup?: NormalisedLookup | null;
  /** Counter scopes whose conversion guard counted the latest start: an approval is reported to them. */
  guardScopes?: string[];
  /**
   * The rule that stopped the channel workflow before its next channel was sent (a cap, the deny
   * list, a per-number limit); absent or "" while it runs, or when it ran to its end.
   */
  fallbackRefusal?: string;
}

export interface StartParams {
  service: string;
  to: string;
  codeLength: number;
  ttlSeconds: number;
  countryCode: string;
  lineType: LineType;
  externalId: string;
  tags: Record<string, string>;
  locale: string;
  risks: Risk[];
  messageEncoding: string;
  messageSegments: number;
  serviceName: string;
  /** Non-empty, no repeats; the first is used now, the others after `fallbackAfterSeconds` each. */
  channels: Channel[];
  fallbackAfterSeconds: number;
  /** The carrier lookup this start used (fresh or cached); none: the metadata decided. */
  lookup?: NormalisedLookup | null;
  /** How many earlier codes of a re-sent verification stay valid (the service's setting, 0–3; absent: 0). */
  acceptPreviousCodes?: number;
}

/** A pending verification whose code has not yet expired; a start reuses it. */
export function isLive(record: VerificationRecord, now: number): boolean {
  return record.status === "pending" && now < record.expiresAt;
}

/** The status a reader should see: a pending verification past its expiry is expired. */
export function effectiveStatus(record: VerificationRecord, now: number): VerificationStatus {
  return record.status === "pending" && now >= record.expiresAt ? "expired" : record.status;
}

/**
 * Starts a verification, or re-sends for the live one: same id, new code hash (the old code stops
 * working unless `acceptPreviousCodes` keeps it), a fresh expiry, one more send attempt, and the
 * failed-check count kept (a new code must not buy an attacker more guesses).
 */
export function applyStart(
  live: VerificationRecord | null,
  params: StartParams,
  now: number,
  id: string,
  codeHash: Uint8Array,
): VerificationRecord {
  const expiresAt = now + params.ttlSeconds * 1000;
  const workflow = {
    channel: params.channels[0]!,
    channels: params.channels,
    fallbackAfterSeconds: params.fallbackAfterSeconds,
    nextChannelAt: nextChannelTime(params.channels, 0, params.fallbackAfterSeconds, now, expiresAt),
    previousCodeHashes: [] as Uint8Array[],
    serviceName: params.serviceName,
    // A new workflow: whatever stopped the previous one no longer applies.
    fallbackRefusal: "",
  };
  if (live) {
    return {
      ...live,
      ...workflow,
      // The newest earlier codes stay valid, oldest dropped first: SMS can arrive out of order.
      previousCodeHashes: keptCodeHashes(live, params.acceptPreviousCodes ?? 0),
      codeHash,
      codeLength: params.codeLength,
      expiresAt,
      updatedAt: now,
      sendAttempts: live.sendAttempts + 1,
      locale: params.locale,
      externalId: params.externalId || live.externalId,
      tags: Object.keys(params.tags).length > 0 ? params.tags : live.tags,
      failureReason: "",
      risks: [...new Set([...live.risks, ...params.risks])],
      messageEncoding: params.messageEncoding,
      messageSegments: params.messageSegments,
      lookup: params.lookup ?? live.lookup ?? null,
    };
  }
  return {
    id,
    service: params.service,
    to: params.to,
    status: "pending",
    codeHash,
    codeLength: params.codeLength,
    createdAt: now,
    updatedAt: now,
    expiresAt,
    sendAttempts: 1,
    checkAttempts: 0,
    messageId: "",
    provider: "",
    failureReason: "",
    countryCode: params.countryCode,
    lineType: params.lineType,
    externalId: params.externalId,
    tags: params.tags,
    locale: params.locale,
    risks: params.risks,
    delivery: null,
    messageEncoding: params.messageEncoding,
    messageSegments: params.messageSegments,
    lookup: params.lookup ?? null,
    ...workflow,
    test: false,
  };
}

/** The `keep` newest codes of a live verification (its current one last), for a resend to keep valid. */
function keptCodeHashes(live: VerificationRecord, keep: number): Uint8Array[] {
  if (keep <= 0 || !live.codeHash) return [];
  return [...live.previousCodeHashes, live.codeHash].slice(-keep);
}

function nextChannelTime(channels: readonly Channel[], index: number, fallbackAfterSeconds: number, now: number, expiresAt: number): number {
  if (index + 1 >= channels.length) return 0;
  const at = now + fallbackAfterSeconds * 1000;
  return at < expiresAt ? at : 0;
}

/** The next channel of the workflow, when one is due now; null when there is none. */
export function dueFallbackChannel(record: VerificationRecord, now: number): Channel | null {
  if (record.status !== "pending" || record.nextChannelAt === 0 || now < record.nextChannelAt || now >= record.expiresAt) return null;
  return record.channels[record.channels.indexOf(record.channel) + 1] ?? null;
}

/**
 * Moves a pending verification to the next channel with a new code. The earlier codes stay valid
 * (their HMACs move to `previousCodeHashes`); the wrong-code count carries over.
 */
export function applyChannelFallback(record: VerificationRecord, codeHash: Uint8Array, now: number, message: { encoding: string; segments: number }): VerificationRecord {
  const channel = dueFallbackChannel(record, now);
  if (!channel || !record.codeHash) throw new Error("applyChannelFallback: no channel is due");
  const index = record.channels.indexOf(channel);
  return {
    ...record,
    channel,
    codeHash,
    previousCodeHashes: [...record.previousCodeHashes, record.codeHash],
    sendAttempts: record.sendAttempts + 1,
    nextChannelAt: nextChannelTime(record.channels, index, record.fallbackAfterSeconds, now, record.expiresAt),
    messageId: "",
    delivery: null,
    messageEncoding: message.encoding,
    messageSegments: message.segments,
    updatedAt: now,
  };
}

/** Stops the channel workflow: the fallback was refused by `rule` and is not sent. */
export function endChannelWorkflow(record: VerificationRecord, now: number, rule: string): VerificationRecord {
  return { ...record, nextChannelAt: 0, updatedAt: now, fallbackRefusal: rule };
}

export type CheckOutcome =
  | { kind: "checked"; status: CheckStatus; record: VerificationRecord; changed: boolean }
  | { kind: "refused"; refusal: Refusal };

/**
 * Applies one code check. `matched` is the constant-time comparison of the candidate's HMAC with
 * the stored one. At most `maxCheckAttempts` wrong codes: the last allowed wrong code answers
 * `invalid` and ends the verification, so even the right code fails afterwards.
 */
export function applyCheck(
  record: VerificationRecord,
  matched: boolean,
  now: number,
  maxCheckAttempts: number,
): CheckOutcome {
  switch (record.status) {
    case "approved":
      // Never approve twice: a replayed code must not look like a fresh approval.
      return refused("already_approved", "verificationId: verification is already approved; codes are single use");
    case "failed":
      return refused("verification_failed", "verificationId: the code could not be delivered; start a new verification");
    case "canceled":
    case "expired":
    case "max_attempts_reached":
      return { kind: "checked", status: record.status, record, changed: false };
    case "pending":
      break;
  }
  if (now >= record.expiresAt) {
    return { kind: "checked", status: "expired", record: finish(record, "expired", now), changed: true };
  }
  if (record.checkAttempts >= maxCheckAttempts) {
    return { kind: "checked", status: "max_attempts_reached", record: finish(record, "max_attempts_reached", now), changed: true };
  }
  if (matched) {
    return { kind: "checked", status: "approved", record: finish(record, "approved", now), changed: true };
  }
  const checkAttempts = record.checkAttempts + 1;
  const next = { ...record, checkAttempts, updatedAt: now };
  return {
    kind: "checked",
    status: "invalid",
    record: checkAttempts >= maxCheckAttempts ? finish(next, "max_attempts_reached", now) : next,
    changed: true,
  };
}

export function applyCancel(record: VerificationRecord, now: number): CheckOutcome {
  if (record.status === "canceled") return { kind: "checked", status: "canceled", record, changed: false };
  if (record.status !== "pending" || now >= record.expiresAt) {
    const status = effectiveStatus(record, now);
    return refused("invalid_argument", `verificationId: only a pending verification can be canceled (it is ${status})`, "verificationId");
  }
  return { kind: "checked", status: "canceled", record: finish(record, "canceled", now), changed: true };
}

/** Records a send that failed for good: the verification ends `failed` with the provider's reason. */
export function applySendFailure(record: VerificationRecord, reason: string, provider: string, now: number): VerificationRecord {
  const risks = NUMBER_RISKS.has(reason) ? [...new Set([...record.risks, reason as Risk])] : record.risks;
  return { ...finish(record, "failed", now), failureReason: reason, provider, risks };
}

// Provider refusals that say something about the number itself, reported as risk.
const NUMBER_RISKS: ReadonlySet<string> = new Set(["invalid_number", "unsubscribed", "blocked"]);

export function applySendSuccess(record: VerificationRecord, messageId: string, provider: string, now: number): VerificationRecord {
  // A new message: the previous message's receipt no longer describes the code the user has.
  return { ...record, messageId, provider, updatedAt: now, delivery: null };
}

/** Expires the record if its time has passed; finished records drop their code hash. */
export function expireIfDue(record: VerificationRecord, now: number): VerificationRecord | null {
  return record.status === "pending" && now >= record.expiresAt ? finish(record, "expired", now) : null;
}

function finish(record: VerificationRecord, status: VerificationStatus, now: number): VerificationRecord {
  // A finished verification keeps no code hash: nothing left to guess or leak.
  return { ...record, status, codeHash: null, previousCodeHashes: [], nextChannelAt: 0, updatedAt: now };
}

function refused(reason: Refusal["reason"], message: string, field = "verificationId"): CheckOutcome {
  return { kind: "refused", refusal: { reason, message, field } };
}
