// Insights as pure data: the event a verification's change produces (masked, never a code), UTC
// day keys, and the merge of per-shard aggregates into one report (conversion, medians).
// No I/O. No clock: times are passed in.
import { maskPhoneNumber } from "./phone.ts";
import type { VerificationRecord } from "./verification.ts";

export const DAY_MS = 86_400_000;

/** What happened to a verification, as the number's object reports it. */
export type InsightKind =
  | "started"
  | "sent"
  | "send_failed"
  | "delivery"
  | "approved"
  | "expired"
  | "canceled"
  | "max_attempts_reached"
  | "failed";

/** The outcomes counted per (day, country); "started" counts new verifications only (not resends). */
export const COUNTED_OUTCOMES = ["started", "approved", "expired", "canceled", "max_attempts_reached", "failed"] as const;
export type CountedOutcome = (typeof COUNTED_OUTCOMES)[number];

/** A verification as insights keep it: masked number, no code, no code hash, no tags. */
export interface VerificationSnapshot {
  id: string;
  /** `+1415****671` (maskPhoneNumber). */
  maskedTo: string;
  country: string;
  channel: string;
  status: string;
  provider: string;
  /** The latest delivery receipt status, "" until one arrives. */
  delivery: string;
  sendAttempts: number;
  checkAttempts: number;
  createdAt: number;
  updatedAt: number;
  test: boolean;
}

export interface VerificationInsightEvent {
  kind: InsightKind;
  /** Epoch ms of the change. */
  at: number;
  verification: VerificationSnapshot;
  /** Monitor-mode rule hits the verification carries (counted once, on its first start). */
  risks: string[];
}

/** A carrier lookup a number's object made or answered from its cache (a start's or a standalone one). */
export interface LookupInsightEvent {
  kind: "lookup";
  at: number;
  /** The vendor (`twilio`, `telnyx`, …): the cached answer's source, or the provider that failed. */
  source: string;
  outcome: LookupOutcome;
}

export type LookupOutcome = "fetched" | "cached" | "failed";

export type InsightEvent = VerificationInsightEvent | LookupInsightEvent;

/**
 * A scope the conversion guard blocks now (enforce) or would block (monitor), reported by its
 * counter when the verdict begins. Names a range or a country, never a whole number.
 */
export interface GuardBlockEvent {
  /** `range +1206555xxxx`, `country US (shard 2 of 8)`. */
  scope: string;
  mode: "enforce" | "monitor";
  starts: number;
  approvals: number;
  minStarts: number;
  /** Epoch ms the block ends (monitor: when it would have ended). */
  blockedUntil: number;
  at: number;
}

/** Lookups counted in the `providers` aggregate under this prefix and the vendor's name. */
export const LOOKUP_PROVIDER_PREFIX = "lookup:";

/** A refusal by an abuse rule: nothing was started, so only the rule and the country are kept. */
export interface BlockEvent {
  rule: string;
  country: string;
  at: number;
}

/** The snapshot insights keep of a record: everything a console row shows and nothing more. */
export function snapshotOf(record: VerificationRecord): VerificationSnapshot {
  return {
    id: record.id,
    maskedTo: maskPhoneNumber(record.to),
    country: record.countryCode || "ZZ",
    channel: record.channel,
    status: record.status,
    provider: record.provider,
    delivery: record.delivery?.status ?? "",
    sendAttempts: record.sendAttempts,
    checkAttempts: record.checkAttempts,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    test: record.test,
  };
}

export function insightEvent(kind: InsightKind, record: VerificationRecord, at: number): VerificationInsightEvent {
  return { kind, at, verification: snapshotOf(record), risks: kind === "started" && record.sendAttempts === 1 ? [...record.risks] : [] };
}

/** "2026-11-22" for an epoch ms (UTC). */
export function dayOf(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/** The `days` UTC days ending today, oldest first. */
export function lastDays(now: number, days: number): string[] {
  const today = Math.floor(now / DAY_MS);
  return Array.from({ length: days }, (_, i) => dayOf((today - days + 1 + i) * DAY_MS));
}

/** Per-shard aggregates over a range of days, as an Insights object returns them. */
export interface ShardAggregates {
  /** Outcomes by the day the verification started (a cohort), and its country. */
  outcomes: { day: string; country: string; outcome: string; count: number }[];
  /** Sends and delivery receipts by provider. */
  providers: { day: string; provider: string; event: string; count: number }[];
  /** Refusals (`blocked`) and monitor-mode hits (`flagged`) by rule. */
  rules: { day: string; rule: string; mode: string; count: number }[];
  /** Seconds from start to approval, as a histogram (1 s buckets; a code lives at most an hour). */
  approvalSeconds: { day: string; seconds: number; count: number }[];
  /** Conversion-guard verdicts in force at the time of reading (absent from objects of older releases). */
  guardBlocks?: GuardBlockEvent[];
}

export interface InsightsReport {
  days: string[];
  totals: { started: number; approved: number; conversion: number | null; medianSecondsToApprove: number | null; sent: number; blocked: number };
  byDay: { day: string; started: number; approved: number; conversion: number | null; medianSecondsToApprove: number | null }[];
  byCountry: { country: string; started: number; approved: number; conversion: number | null }[];
  byProvider: { provider: string; sent: number; failed: number; delivered: number; undelivered: number }[];
  byRule: { rule: string; blocked: number; flagged: number }[];
  /** Carrier lookups by vendor: answers fetched (paid), answered from a number's cache, failed. */
  byLookup: { source: string; fetched: number; cached: number; failed: number }[];
  /** Scopes the conversion guard blocks now (and, in monitor mode, would block), newest verdict first. */
  blockedScopes: GuardBlockEvent[];
  outcomes: Record<CountedOutcome, number>;
}

function ratio(a: number, b: number): number | null {
  return b === 0 ? null : a / b;
}

/** Median of a histogram of whole seconds (the lower middle for an even count). */
export function medianOf(histogram: ReadonlyMap<number, number>): number | null {
  const total = [...histogram.values()].reduce((s, n) => s + n, 0);
  if (total === 0) return null;
  const target = Math.ceil(total / 2);
  let seen = 0;
  for (const seconds of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(seconds)!;
    if (seen >= target) return seconds;
  }
  return null;
}

const add = <K>(map: Map<K, number>, key: K, n: number) => map.set(key, (map.get(key) ?? 0) + n);

/** Sums shard aggregates (counters and histograms add exactly) into the report the console draws. */
export function mergeInsights(shards: readonly ShardAggregates[], days: readonly string[]): InsightsReport {
  const inRange = new Set(days);
  const started = new Map<string, number>();
  const approved = new Map<string, number>();
  const countryStarted = new Map<string, number>();
  const countryApproved = new Map<string, number>();
  const outcomes = Object.fromEntries(COUNTED_OUTCOMES.map((o) => [o, 0])) as Record<CountedOutcome, number>;
  const providers = new Map<string, Map<string, number>>();
  const rules = new Map<string, Map<string, number>>();
  const histograms = new Map<string, Map<number, number>>();
  const lookups = new Map<string, Map<string, number>>();
  const blockedScopes = new Map<string, GuardBlockEvent>();
  const all = new Map<number, number>();
  for (const shard of shards) {
    for (const row of shard.outcomes) {
      if (!inRange.has(row.day)) continue;
      if (row.outcome in outcomes) outcomes[row.outcome as CountedOutcome] += row.count;
      if (row.outcome === "started") {
        add(started, row.day, row.count);
        add(countryStarted, row.country, row.count);
      } else if (row.outcome === "approved") {
        add(approved, row.day, row.count);
        add(countryApproved, row.country, row.count);
      }
    }
    for (const row of shard.providers) {
      if (!inRange.has(row.day)) continue;
      if (row.provider.startsWith(LOOKUP_PROVIDER_PREFIX)) {
        const source = row.provider.slice(LOOKUP_PROVIDER_PREFIX.length);
        if (!lookups.has(source)) lookups.set(source, new Map());
        add(lookups.get(source)!, row.event, row.count);
        continue;
      }
      if (!providers.has(row.provider)) providers.set(row.provider, new Map());
      add(providers.get(row.provider)!, row.event, row.count);
    }
    for (const row of shard.rules) {
      if (!inRange.has(row.day)) continue;
      if (!rules.has(row.rule)) rules.set(row.rule, new Map());
      add(rules.get(row.rule)!, row.mode, row.count);
    }
    // A scope reports to one shard; should two hold it (a re-report after a restart), the newest wins.
    for (const block of shard.guardBlocks ?? []) {
      const seen = blockedScopes.get(block.scope);
      if (!seen || seen.at < block.at) blockedScopes.set(block.scope, block);
    }
    for (const row of shard.approvalSeconds) {
      if (!inRange.has(row.day)) continue;
      if (!histograms.has(row.day)) histograms.set(row.day, new Map());
      add(histograms.get(row.day)!, row.seconds, row.count);
      add(all, row.seconds, row.count);
    }
  }
  const byProvider = [...providers]
    .map(([provider, e]) => ({
      provider,
      sent: e.get("sent") ?? 0,
      failed: e.get("send_failed") ?? 0,
      delivered: e.get("delivered") ?? 0,
      undelivered: (e.get("undelivered") ?? 0) + (e.get("failed") ?? 0),
    }))
    .sort((a, b) => b.sent - a.sent || a.provider.localeCompare(b.provider));
  const byRule = [...rules]
    .map(([rule, m]) => ({ rule, blocked: m.get("blocked") ?? 0, flagged: m.get("flagged") ?? 0 }))
    .sort((a, b) => b.blocked + b.flagged - (a.blocked + a.flagged) || a.rule.localeCompare(b.rule));
  const byCountry = [...countryStarted]
    .map(([country, n]) => ({ country, started: n, approved: countryApproved.get(country) ?? 0, conversion: ratio(countryApproved.get(country) ?? 0, n) }))
    .sort((a, b) => b.started - a.started || a.country.localeCompare(b.country));
  const totalStarted = outcomes.started;
  return {
    days: [...days],
    totals: {
      started: totalStarted,
      approved: outcomes.approved,
      conversion: ratio(outcomes.approved, totalStarted),
      medianSecondsToApprove: medianOf(all),
      sent: byProvider.reduce((s, p) => s + p.sent, 0),
      blocked: byRule.reduce((s, r) => s + r.blocked, 0),
    },
    byDay: days.map((day) => ({
      day,
      started: started.get(day) ?? 0,
      approved: approved.get(day) ?? 0,
      conversion: ratio(approved.get(day) ?? 0, started.get(day) ?? 0),
      medianSecondsToApprove: medianOf(histograms.get(day) ?? new Map()),
    })),
    byCountry,
    byProvider,
    byRule,
    byLookup: [...lookups]
      .map(([source, e]) => ({ source, fetched: e.get("fetched") ?? 0, cached: e.get("cached") ?? 0, failed: e.get("failed") ?? 0 }))
      .sort((a, b) => a.source.localeCompare(b.source)),
    blockedScopes: [...blockedScopes.values()].sort((a, b) => b.at - a.at || a.scope.localeCompare(b.scope)),
    outcomes,
  };
}
