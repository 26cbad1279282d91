// The number's storage: records in the object's synchronous KV (`ctx.storage.kv`, the same SQLite
// database and transaction as `ctx.storage.sql`), one key per thing, so a new number creates no
// table and a read-only wake writes nothing. Also the one-time migration of objects written by the
// release that kept SQL tables (verifications, number_state, idempotency, webhook_outbox, meta).
//
// Keys (docs/storage in the README):
//   state        NumberState: per-number counters, deny/allow flags, the newest verification id
//   policy       the service settings the alarm needs without a request (StoredPolicy)
//   v:<id>       VerificationRecord
//   i:<key>      IdempotencyRecord
//   w:<id>       OutboxEvent (webhooks, delivered by the alarm)
//   insights     PendingInsights: events not yet reported (flushed by the alarm)
//   approvals    scope names owed a conversion-guard approval (reported by the alarm)
//   lookup       NormalisedLookup: the carrier's last answer, reused for LOOKUP_CACHE_HOURS
import { fromBase64Url } from "../../core/ids.ts";
import type { InsightEvent } from "../../core/insights.ts";
import type { NormalisedLookup } from "../../core/lookup.ts";
import type { LineType } from "../../core/phone.ts";
import { EMPTY_COUNTERS, type NumberCounters, type NumberLimits, type Risk, type RuleMode } from "../../core/policy.ts";
import type { WebhookEvent } from "../../core/service.ts";
import type { Channel, VerificationRecord } from "../../core/verification.ts";
import type { DeliveryStatus } from "../../core/delivery.ts";
import type { DeliverabilityReason, DeliverabilityState } from "../../core/deliverability.ts";
import type { ScopeRequest } from "./scopes.ts";

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

export const EMPTY_STATE: NumberState = { counters: EMPTY_COUNTERS, denied: false, allowed: false, latestId: null };

/** What the alarm needs of the service's settings: webhooks for expiries, limits and templates for fallbacks. */
export interface StoredPolicy {
  numberLimits: NumberLimits;
  templates: Record<string, string> | null;
  webhook: { serviceId: string; events: WebhookEvent[] } | null;
  /**
   * The latest start's cross-number counters and deny-list mode, kept while a channel fallback may
   * follow it: the fallback's message takes the same counters before it is sent. Absent on
   * objects written by the release before this field: their fallbacks are not sent (caps_unknown).
   */
  fallback?: { scopes: ScopeRequest[]; denyListMode: RuleMode };
}

export interface IdempotencyRecord {
  requestHash: string;
  state: "in_progress" | "done";
  /** The stored result (JSON) once done. */
  response: string | null;
  expiresAt: number;
}

export interface OutboxEvent {
  id: string;
  type: WebhookEvent;
  serviceId: string;
  payload: string;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
}

/** Insight events not yet reported, with the (service, number) that picks their Insights shard. */
export interface PendingInsights {
  service: string;
  to: string;
  events: InsightEvent[];
}

const VERIFICATION = "v:";
const IDEMPOTENCY = "i:";
const OUTBOX = "w:";

/**
 * Typed access to the number's KV. The policy and the insights outbox are read once per object
 * life and kept in hand (the object is their only writer); everything else is read per call.
 *
 * A send's outcome is *staged*: held in memory and written with the next write the object makes
 * anyway (the insights report right after the call, a check, a receipt), so a start commits once
 * on its request path instead of twice. Every read sees the staged record. A crash before that
 * write loses only the outcome (message id, provider) and its `sent` insight; the reservation,
 * the counters and the code's MAC were committed before the provider was called.
 */
export class NumberStore {
  readonly #kv: SyncKvStorage;
  #policyJson: string | null | undefined;
  #insights: PendingInsights | null | undefined;
  #approvals: string[] | undefined;
  readonly #staged = new Map<string, VerificationRecord>();
  /** Insight events of staged outcomes, not yet in the outbox. */
  #stagedEvents: PendingInsights | null = null;

  constructor(storage: DurableObjectStorage) {
    this.#kv = storage.kv;
    migrateSqlSchema(storage);
  }

  /** Forgets what is kept in hand (after deleteAll). */
  reset(): void {
    this.#policyJson = undefined;
    this.#insights = undefined;
    this.#approvals = undefined;
    this.#staged.clear();
    this.#stagedEvents = null;
  }

  // Read from KV each time (a keyed lookup): storage stays the only truth about the counters.
  state(): NumberState {
    return (this.#kv.get("state") as NumberState | undefined) ?? EMPTY_STATE;
  }

  saveState(state: NumberState): void {
    this.#kv.put("state", state);
  }

  policy(): StoredPolicy | null {
    const json = this.#policyJsonNow();
    return json ? (JSON.parse(json) as StoredPolicy) : null;
  }

  /** Written only when it changed: a start compares its text with the stored one. */
  rememberPolicy(policy: StoredPolicy): void {
    const json = JSON.stringify(policy);
    if (json === this.#policyJsonNow()) return;
    this.#policyJson = json;
    this.#kv.put("policy", json);
  }

  #policyJsonNow(): string | null {
    if (this.#policyJson === undefined) this.#policyJson = (this.#kv.get("policy") as string | undefined) ?? null;
    return this.#policyJson;
  }

  verification(id: string): VerificationRecord | null {
    return this.#staged.get(id) ?? (this.#kv.get(VERIFICATION + id) as VerificationRecord | undefined) ?? null;
  }

  saveVerification(record: VerificationRecord): void {
    this.#staged.delete(record.id);
    this.#kv.put(VERIFICATION + record.id, record);
  }

  /** Holds a send's outcome (and its insight) until the next write; see the class comment. */
  stageVerification(record: VerificationRecord, event: InsightEvent): void {
    this.#staged.set(record.id, record);
    this.stageInsight(record.service, record.to, event);
  }

  /** An insight that needs no write of its own (a lookup): reported with the next report. */
  stageInsight(service: string, to: string, event: InsightEvent): void {
    this.#stagedEvents = { service, to, events: [...(this.#stagedEvents?.events ?? []), event] };
  }

  /** Writes the staged outcomes (a record saved since then has superseded its stage already). */
  writeStaged(): void {
    for (const record of this.#staged.values()) this.#kv.put(VERIFICATION + record.id, record);
    this.#staged.clear();
  }

  hasStaged(): boolean {
    return this.#staged.size > 0 || this.#stagedEvents !== null;
  }

  stagedInsights(): PendingInsights | null {
    return this.#stagedEvents;
  }

  /**
   * The first `count` staged events were reported (`reported`) or must wait in the outbox for a
   * retry (not reported); either way they leave memory.
   */
  settleStagedInsights(count: number, reported: boolean): void {
    const staged = this.#stagedEvents;
    if (!staged || count === 0) return;
    if (!reported) for (const event of staged.events.slice(0, count)) this.addInsight(staged.service, staged.to, event);
    const rest = staged.events.slice(count);
    this.#stagedEvents = rest.length > 0 ? { ...staged, events: rest } : null;
  }

  // Lists are read out whole before anyone writes: a put replaces its row, and a cursor still open
  // over the same prefix would meet the rewritten row again.
  verifications(): VerificationRecord[] {
    return [...this.#kv.list<VerificationRecord>({ prefix: VERIFICATION })].map(([, record]) => this.#staged.get(record.id) ?? record);
  }

  deleteVerification(id: string): void {
    this.#staged.delete(id);
    this.#kv.delete(VERIFICATION + id);
  }

  idempotency(key: string): IdempotencyRecord | null {
    return (this.#kv.get(IDEMPOTENCY + key) as IdempotencyRecord | undefined) ?? null;
  }

  saveIdempotency(key: string, record: IdempotencyRecord): void {
    this.#kv.put(IDEMPOTENCY + key, record);
  }

  deleteIdempotency(key: string): void {
    this.#kv.delete(IDEMPOTENCY + key);
  }

  idempotencyRecords(): [string, IdempotencyRecord][] {
    return [...this.#kv.list<IdempotencyRecord>({ prefix: IDEMPOTENCY })].map(([key, record]) => [key.slice(IDEMPOTENCY.length), record]);
  }

  outbox(): OutboxEvent[] {
    return [...this.#kv.list<OutboxEvent>({ prefix: OUTBOX })].map(([, event]) => event);
  }

  saveOutboxEvent(event: OutboxEvent): void {
    this.#kv.put(OUTBOX + event.id, event);
  }

  deleteOutboxEvent(id: string): void {
    this.#kv.delete(OUTBOX + id);
  }

  /** The carrier's last answer about this number (errors are never stored). */
  lookup(): NormalisedLookup | null {
    return (this.#kv.get("lookup") as NormalisedLookup | undefined) ?? null;
  }

  saveLookup(result: NormalisedLookup): void {
    this.#kv.put("lookup", result);
  }

  deleteLookup(): void {
    this.#kv.delete("lookup");
  }

  /** Scopes owed an approval report (the conversion guard), oldest first; kept in hand like the insights. */
  pendingApprovals(): string[] {
    if (this.#approvals === undefined) this.#approvals = (this.#kv.get("approvals") as string[] | undefined) ?? [];
    return this.#approvals;
  }

  addApprovals(names: readonly string[]): void {
    if (names.length === 0) return;
    this.#approvals = [...this.pendingApprovals(), ...names];
    this.#kv.put("approvals", this.#approvals);
  }

  dropApprovals(count: number): void {
    if (count === 0) return;
    this.#approvals = this.pendingApprovals().slice(count);
    if (this.#approvals.length > 0) this.#kv.put("approvals", this.#approvals);
    else this.#kv.delete("approvals");
  }

  pendingInsights(): PendingInsights | null {
    if (this.#insights === undefined) this.#insights = (this.#kv.get("insights") as PendingInsights | undefined) ?? null;
    return this.#insights;
  }

  addInsight(service: string, to: string, event: InsightEvent): void {
    const pending = this.pendingInsights();
    this.#insights = { service, to, events: [...(pending?.events ?? []), event] };
    this.#kv.put("insights", this.#insights);
  }

  /** Drops the first `count` reported events (more may have been added while the report was in flight). */
  dropInsights(count: number): void {
    const pending = this.pendingInsights();
    if (!pending || count === 0) return;
    const events = pending.events.slice(count);
    this.#insights = events.length > 0 ? { ...pending, events } : null;
    if (this.#insights) this.#kv.put("insights", this.#insights);
    else this.#kv.delete("insights");
  }
}

const LEGACY_TABLES = ["verifications", "number_state", "idempotency", "webhook_outbox", "meta"];

/**
 * Moves an object written by the SQL-table release into KV, once, on its first wake under this
 * code. Reading sqlite_master is read-only: a wake of a current object writes nothing.
 */
export function migrateSqlSchema(storage: DurableObjectStorage): void {
  const sql = storage.sql;
  const present = new Set(
    sql
      .exec(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${LEGACY_TABLES.map(() => "?").join(", ")})`, ...LEGACY_TABLES)
      .toArray()
      .map((row) => row.name as string),
  );
  if (present.size === 0) return;
  const kv = storage.kv;
  let latest: { id: string; createdAt: number } | null = null;
  if (present.has("verifications")) {
    for (const row of sql.exec("SELECT * FROM verifications")) {
      const record = legacyRecord(row);
      kv.put(VERIFICATION + record.id, record);
      if (!latest || record.createdAt >= latest.createdAt) latest = { id: record.id, createdAt: record.createdAt };
    }
  }
  const stateRow = present.has("number_state") ? sql.exec("SELECT * FROM number_state WHERE id = 1").toArray()[0] : undefined;
  if (stateRow || latest) {
    kv.put("state", {
      counters: stateRow ? (JSON.parse(stateRow.counters as string) as NumberCounters) : EMPTY_COUNTERS,
      denied: stateRow?.denied === 1,
      allowed: stateRow?.allowed === 1,
      latestId: latest?.id ?? null,
    } satisfies NumberState);
  }
  if (typeof stateRow?.policy === "string" && stateRow.policy) {
    const old = JSON.parse(stateRow.policy) as StoredPolicy;
    kv.put("policy", JSON.stringify({ numberLimits: old.numberLimits, templates: old.templates ?? null, webhook: old.webhook ?? null } satisfies StoredPolicy));
  }
  if (present.has("idempotency")) {
    for (const row of sql.exec("SELECT * FROM idempotency")) {
      kv.put(IDEMPOTENCY + (row.key as string), {
        requestHash: row.request_hash as string,
        state: row.state as IdempotencyRecord["state"],
        response: (row.response as string | null) ?? null,
        expiresAt: row.expires_at as number,
      } satisfies IdempotencyRecord);
    }
  }
  if (present.has("webhook_outbox")) {
    for (const row of sql.exec("SELECT * FROM webhook_outbox")) {
      kv.put(OUTBOX + (row.id as string), {
        id: row.id as string,
        type: row.type as WebhookEvent,
        serviceId: row.service_id as string,
        payload: row.payload as string,
        createdAt: row.created_at as number,
        attempts: row.attempts as number,
        nextAttemptAt: row.next_attempt_at as number,
      } satisfies OutboxEvent);
    }
  }
  for (const table of present) sql.exec(`DROP TABLE ${table}`);
}

/** A row of the SQL release's verifications table, whichever of its migrations it had reached. */
function legacyRecord(row: Record<string, SqlStorageValue>): VerificationRecord {
  const status = row.delivery_status as DeliveryStatus | "" | undefined;
  return {
    id: row.id as string,
    service: row.service as string,
    to: row.to_e164 as string,
    channel: row.channel as Channel,
    status: row.status as VerificationRecord["status"],
    codeHash: row.code_hash === null || row.code_hash === undefined ? null : new Uint8Array(row.code_hash as ArrayBuffer),
    codeLength: row.code_length as number,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
    expiresAt: row.expires_at as number,
    sendAttempts: row.send_attempts as number,
    checkAttempts: row.check_attempts as number,
    messageId: row.message_id as string,
    provider: row.provider as string,
    failureReason: row.failure_reason as string,
    countryCode: row.country_code as string,
    lineType: row.line_type as LineType,
    externalId: row.external_id as string,
    tags: JSON.parse(row.tags as string) as Record<string, string>,
    locale: row.locale as string,
    risks: JSON.parse((row.risks as string | undefined) ?? "[]") as Risk[],
    messageEncoding: (row.message_encoding as string | undefined) ?? "",
    messageSegments: (row.message_segments as number | undefined) ?? 0,
    serviceName: (row.service_name as string | undefined) ?? "",
    channels: JSON.parse((row.channels as string | undefined) ?? '["sms"]') as Channel[],
    fallbackAfterSeconds: (row.fallback_after_seconds as number | undefined) ?? 0,
    nextChannelAt: (row.next_channel_at as number | undefined) ?? 0,
    previousCodeHashes: (JSON.parse((row.previous_code_hashes as string | undefined) ?? "[]") as string[]).map((h) => fromBase64Url(h) ?? new Uint8Array()),
    test: row.test === 1,
    delivery: status ? { status, errorCode: row.delivery_error_code as string, updatedAt: row.delivery_updated_at as number } : null,
  };
}
