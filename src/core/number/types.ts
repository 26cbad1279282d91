// The number's functional core: its state, the settings its decisions read, and what a decision
// returns. No I/O, no clock (every decision gets one `now`), no randomness (ids, codes and their
// MACs are made by the caller and passed in). The number's Durable Object loads, decides, applies
// `writes` in one synchronous step, then runs `effects` in order (src/objects/phone-verification/).
import type { DeliverabilityReason, DeliverabilitySettings, DeliverabilityState } from "../deliverability.ts";
import type { InsightKind } from "../insights.ts";
import type { NumberCounters, NumberLimits } from "../policy.ts";
import type { WebhookEvent } from "../service.ts";
import type { VerificationRecord } from "../verification.ts";

export interface NumberState {
  counters: NumberCounters;
  denied: boolean;
  allowed: boolean;
  /** The newest verification of this number: the only one a start can reuse or a check by number finds. */
  latestId: string | null;
  /** Provider answers and receipts saying the number cannot receive, within 30 days (absent: none). */
  deliverability?: DeliverabilityState;
  /** Why the number was deny-listed from delivery reports; absent or null for an operator's entry. */
  denyReason?: DeliverabilityReason | null;
  /** Epoch ms the conversion guard last counted a start of this number (absent: never). */
  guardCountedAt?: number;
}

export const EMPTY_STATE: NumberState = { counters: { sendTimes: [], failedCheckTimes: [], lockedUntil: 0, lastApprovalAt: 0 }, denied: false, allowed: false, latestId: null };

/** The deployment's settings a number's decisions read (from Config, once per object). */
export interface NumberSettings {
  retentionMs: number;
  /** Per-number limits when no service's are known (an alarm's fallback without a stored policy). */
  numberLimits: NumberLimits;
  deliverability: DeliverabilitySettings;
  lookupCacheMs: number;
}

/** The settings, from the deployment's configuration (read once per object). */
export function numberSettingsOf(config: {
  retentionDays: number;
  numberLimits: NumberLimits;
  intelligence: { deliverability: DeliverabilitySettings };
  lookup: { cacheHours: number };
}): NumberSettings {
  return { retentionMs: config.retentionDays * 86_400_000, numberLimits: config.numberLimits, deliverability: config.intelligence.deliverability, lookupCacheMs: config.lookup.cacheHours * 3_600_000 };
}

/** A scope-counter unit a send took (the shape ScopeCounter answers with), given back if nothing went out. */
export interface TakenScope {
  name: string;
  counter: string;
  bucket: number;
  /** The conversion guard counted this start in the counter too (range and country counters). */
  guarded?: boolean;
}

/** How a verification remembers the counters an approval is owed to: "<object>#<counter>". */
export function guardRef(unit: TakenScope): string {
  return unit.counter === "" ? unit.name : `${unit.name}#${unit.counter}`;
}

/** A record to store, in the decision's one synchronous step. */
export type Write =
  | { kind: "verification"; record: VerificationRecord }
  | { kind: "state"; state: NumberState }
  /** A webhook event queued in the object's outbox, in the same step as the change. */
  | { kind: "webhook"; event: WebhookEvent; record: VerificationRecord; at: number };

/** What the object does once the writes are applied, in order. */
export type Effect =
  | { kind: "insight"; insight: InsightKind; record: VerificationRecord; at: number }
  /** Conversion-guard approvals owed to the counters that counted the number's start. */
  | { kind: "approvals"; refs: string[] }
  /** Scope units given back: the send they paid for did not go out. */
  | { kind: "release"; units: TakenScope[] }
  /** The number went on its service's deny list from delivery reports: the list index hears of it. */
  | { kind: "deny_listed"; service: string; to: string; reason: DeliverabilityReason; note: string }
  /** The alarm must come no later than `at`. */
  | { kind: "alarm"; at: number };

export interface Decision<A> {
  writes: Write[];
  effects: Effect[];
  answer: A;
}

export function decision<A>(answer: A, writes: Write[] = [], effects: Effect[] = []): Decision<A> {
  return { writes, effects, answer };
}

/** When this record next needs the alarm: its expiry or fallback while pending, else its retention end. */
export function dueOf(record: VerificationRecord, retentionMs: number): number {
  if (record.status === "pending") return record.nextChannelAt > 0 ? Math.min(record.expiresAt, record.nextChannelAt) : record.expiresAt;
  return record.updatedAt + retentionMs;
}
