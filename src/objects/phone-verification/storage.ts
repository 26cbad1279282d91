// The number's storage: records in the object's synchronous KV (`ctx.storage.kv`, the same SQLite
// database and transaction as `ctx.storage.sql`), one key per thing, so a new number creates no
// table and a read-only wake writes nothing. Migrations of older shapes: src/objects/migrations/.
//
// Keys (docs/storage in the README):
//   state        NumberState: per-number counters, deny/allow flags, the newest verification id
//   policy       the service settings the alarm needs without a request (StoredPolicy)
//   v:<id>       VerificationRecord
//   i:<key>      IdempotencyRecord
//   w:<id>       OutboxEvent (webhooks, delivered by the alarm)
//   lookup       NormalisedLookup: the carrier's last answer, reused for LOOKUP_CACHE_HOURS
import type { NormalisedLookup } from "../../core/lookup.ts";
import type { Remains } from "../../core/number/lifecycle.ts";
import { EMPTY_STATE, type NumberState } from "../../core/number/types.ts";
import type { NumberLimits, RuleMode } from "../../core/policy.ts";
import type { WebhookEvent } from "../../core/service.ts";
import type { VerificationRecord } from "../../core/verification.ts";
import { scopesForFallback, type ScopeRequest } from "../../core/scopes.ts";

export type { NumberState };

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

export const VERIFICATION = "v:";
export const IDEMPOTENCY = "i:";
export const OUTBOX = "w:";

/**
 * Typed access to the number's KV. The policy is read once per object life and kept in hand (the
 * object is its only writer); everything else is read per call.
 *
 * A send's outcome is *staged*: held in memory and written in a step of its own right after the
 * call answered, so a start commits once on its request path (the answer does not wait for a
 * second commit). Every read sees the staged record. A crash before that write loses only the
 * outcome (message id, provider); the reservation, the counters and the code's MAC were committed
 * before the provider was called.
 */
export class NumberStore {
  readonly #kv: SyncKvStorage;
  #policyJson: string | null | undefined;
  readonly #staged = new Map<string, VerificationRecord>();

  constructor(storage: DurableObjectStorage) {
    this.#kv = storage.kv;
  }

  /** Forgets what is kept in hand (after deleteAll). */
  reset(): void {
    this.#policyJson = undefined;
    this.#staged.clear();
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

  /**
   * Written only when it changed: a start compares its text with the stored one. null: the alarm
   * needs nothing of the service (no webhook, no fallback), so nothing is kept (a row saved).
   */
  rememberPolicy(policy: StoredPolicy | null): void {
    const json = policy ? JSON.stringify(policy) : null;
    if (json === this.#policyJsonNow()) return;
    this.#policyJson = json;
    if (json) this.#kv.put("policy", json);
    else this.#kv.delete("policy");
  }

  #policyJsonNow(): string | null {
    if (this.#policyJson === undefined) this.#policyJson = (this.#kv.get("policy") as string | undefined) ?? null;
    return this.#policyJson;
  }

  /** What is left after an alarm's sweep, for the core's nextAlarm. */
  remains(): Remains {
    return {
      records: this.verifications(),
      outboxDue: this.outbox().map((event) => event.nextAttemptAt),
      state: this.state(),
      idempotencyExpiries: this.idempotencyRecords().map(([, record]) => record.expiresAt),
      lookup: this.lookup(),
    };
  }

  verification(id: string): VerificationRecord | null {
    return this.#staged.get(id) ?? (this.#kv.get(VERIFICATION + id) as VerificationRecord | undefined) ?? null;
  }

  saveVerification(record: VerificationRecord): void {
    this.#staged.delete(record.id);
    this.#kv.put(VERIFICATION + record.id, record);
  }

  /** Holds a send's outcome until it is written (right after the call answers); see the class comment. */
  stageVerification(record: VerificationRecord): void {
    this.#staged.set(record.id, record);
  }

  /** Writes the staged outcomes (a record saved since then has superseded its stage already). */
  writeStaged(): void {
    for (const record of this.#staged.values()) this.#kv.put(VERIFICATION + record.id, record);
    this.#staged.clear();
  }

  hasStaged(): boolean {
    return this.#staged.size > 0;
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

  /** Still queued: not delivered, given up or erased while a post was in flight. */
  hasOutboxEvent(id: string): boolean {
    return this.#kv.get(OUTBOX + id) !== undefined;
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

}

/**
 * What the alarm keeps of the service's settings: the webhook and, when a fallback may follow,
 * templates and the start's counters (less the service's rate limits, which count starts only).
 * null when it needs none of them (a row saved).
 */
export function policyToKeep(
  policy: { numberLimits: NumberLimits; templates: Record<string, string> | null; webhook: StoredPolicy["webhook"] },
  fallback: StoredPolicy["fallback"] | null,
): StoredPolicy | null {
  if (!policy.webhook && !fallback) return null;
  return {
    numberLimits: policy.numberLimits,
    templates: fallback ? policy.templates : null,
    webhook: policy.webhook,
    ...(fallback ? { fallback: { ...fallback, scopes: scopesForFallback(fallback.scopes) } } : {}),
  };
}
