// Durable Object holding the counters of limits that span numbers (client IP, number range,
// country, budget). One object is one strongly consistent place, so each count is exact under
// concurrency — Workers KV is eventually consistent and would let a burst overshoot. The decisions
// are pure (src/core/counter.ts, src/core/window.ts); this object loads, writes and reports.
//
// A start's range, country and budget counters live together in one shard object (`budget:<k>`,
// picked by the number's range): one RPC and one commit for all three, instead of one object each,
// and no new object for every new range.
//
// Storage (KV): one row per counter, `c:<counter>` (the object's own counter is `c:`: an IP's, a
// lookup budget's, the budget shard's) → its window's buckets, its conversion-guard hour and until
// when it is kept, so a take writes one row per counter it counted in and nothing else. The alarm
// lists the rows to drop those past their time. Earlier shapes: src/objects/migrations/scope-counter.ts.
import { DurableObject } from "cloudflare:workers";
import { describeScope, EMPTY_GUARD, type GuardState, type GuardVerdict } from "../core/conversion-guard.ts";
import { approveCounter, EMPTY_COUNTER, GUARD_KEEP_MS, planTake, releaseUnit, sweep, type CounterState, type CounterTake, type TakeResult } from "../core/counter.ts";
import type { Bucket } from "../core/window.ts";
import { log } from "../log.ts";
import { insightsFor } from "./insights.ts";
import { adoptHandOver, handOverOf, LegacyImports, migrateBucketsTable, migrateKeysPerBucket, type HandOver } from "./migrations/scope-counter.ts";

export type { TakeInput } from "../core/scopes.ts";
export type { CounterTake, HandOver, TakeResult };

const COUNTER = "c:";
/** The alarm never runs more often than this on a busy object (a run drops every expired counter). */
const MIN_ALARM_GAP_MS = 5 * 60_000;

/** A counter's row: the guard is left out while it holds nothing (IP and budget counters have none). */
interface CounterRow {
  buckets: Bucket[];
  guard?: GuardState;
  keepUntil: number;
}

const rowOf = (state: CounterState): CounterRow => ({
  buckets: state.buckets as Bucket[],
  ...(state.guard === EMPTY_GUARD ? {} : { guard: state.guard }),
  keepUntil: state.keepUntil,
});
const stateOf = (row: CounterRow): CounterState => ({ buckets: row.buckets, guard: row.guard ?? EMPTY_GUARD, keepUntil: row.keepUntil });

export class ScopeCounter extends DurableObject<Env> {
  readonly #kv: SyncKvStorage;
  /**
   * Counters read or written during this wake. This object is their only writer, so a row is read
   * at most once per wake; absent from the map: not read yet.
   */
  readonly #counters = new Map<string, CounterState>();
  /** Per counter, until when a monitor-mode verdict was reported (in memory: a repeat only costs a report). */
  readonly #monitorReportedUntil = new Map<string, number>();
  readonly #legacy: LegacyImports;
  /** The alarm this object set (undefined: not known yet). */
  #alarmAt: number | null | undefined = undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#kv = ctx.storage.kv;
    this.#legacy = new LegacyImports(this.#kv);
    migrateBucketsTable(ctx.storage);
    migrateKeysPerBucket(this.#kv, Date.now(), { get: (counter) => this.#stateOf(counter), save: (counter, state) => this.#save(counter, state) });
  }

  /**
   * Counts one unit in each counter, all or none: if one refuses, nothing is counted (a guard
   * block that began is kept: it refuses by itself). Synchronous storage: no interleaving.
   */
  async takeAll(inputs: CounterTake[]): Promise<TakeResult[]> {
    await this.#legacy.before(this.env, inputs, { has: (counter) => this.#stateOf(counter) !== EMPTY_COUNTER, adopt: (counter, old) => this.#adopt(counter, old) }, Date.now());
    const now = Date.now();
    const plan = planTake((counter) => this.#stateOf(counter), inputs, now);
    for (const [counter, state] of plan.changed) this.#save(counter, state);
    for (const { counter, service, verdict } of plan.reports) {
      // A monitored verdict repeats on every start until the rate recovers: reported once per would-be block.
      if (verdict.mode === "monitor") {
        if ((this.#monitorReportedUntil.get(counter) ?? 0) > now) continue;
        this.#monitorReportedUntil.set(counter, verdict.blockedUntil);
      }
      this.#reportVerdict(service, verdict, now);
    }
    if (plan.keepUntil > 0) await this.#alarmBy(plan.keepUntil);
    return plan.results;
  }

  /**
   * Gives a unit back (the send it paid for was refused elsewhere, or definitely not delivered);
   * `guarded`: the conversion guard counted the start too, and takes it back. Guarded counters are
   * sliding hours, whose buckets are minutes: the bucket is the minute the guard counted it in.
   */
  async release(bucket: number, guarded = false, counter = ""): Promise<void> {
    if (bucket < 0) return;
    const next = releaseUnit(this.#stateOf(counter), bucket, guarded);
    if (next) this.#save(counter, next);
  }

  /**
   * Approvals of verifications these counters counted, batched per isolate (src/objects/reports.ts):
   * a counter named n times had n approvals. One row per counter, however many.
   */
  async approve(counters: string | string[] = ""): Promise<void> {
    const now = Date.now();
    const approvals = new Map<string, number>();
    for (const counter of Array.isArray(counters) ? counters : [counters]) approvals.set(counter, (approvals.get(counter) ?? 0) + 1);
    for (const [counter, n] of approvals) this.#save(counter, approveCounter(this.#stateOf(counter), n, now));
    // An approval counts for an hour: some alarm must come to drop it. One already set will do
    // (each run sets the next at the earliest row's time), so a busy object moves none.
    await this.#alarmBy(now + GUARD_KEEP_MS, { ifNone: true });
  }

  /**
   * Called by the shard object that takes this (old) object's counter over, once: its buckets and
   * guard state, then this object deletes everything it holds.
   */
  async handOver(): Promise<HandOver> {
    const handed = handOverOf(this.#stateOf(""));
    if (handed.buckets.length > 0 || handed.guard) {
      await this.ctx.storage.deleteAll();
      this.#reset();
    }
    return handed;
  }

  /** Drops every counter past its time; frees the object when none is left. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.#alarmAt = null;
    const rows = [...this.#kv.list<CounterRow>({ prefix: COUNTER })].map(([key, row]) => [key.slice(COUNTER.length), stateOf(row)] as const);
    const { expired, nextKeepUntil } = sweep(rows, now);
    const migratingUntil = this.#legacy.openUntil(now);
    if (expired.length === rows.length && migratingUntil === null) {
      await this.ctx.storage.deleteAll();
      this.#reset();
      return;
    }
    for (const counter of expired) {
      this.#kv.delete(COUNTER + counter);
      this.#counters.delete(counter);
    }
    this.#legacy.closeIfPassed(now);
    const at = Math.max(Number.isFinite(nextKeepUntil) ? nextKeepUntil : migratingUntil!, now + MIN_ALARM_GAP_MS);
    await this.ctx.storage.setAlarm(at);
    this.#alarmAt = at;
  }

  /** Merges what an old object handed over into `counter` (it may have counted meanwhile). */
  #adopt(counter: string, old: HandOver): void {
    const merged = adoptHandOver(this.#stateOf(counter), old, Date.now());
    if (merged) this.#save(counter, merged);
  }

  /** Tells the service's insights that a verdict began, off the response path: a lost report loses a console row only. */
  #reportVerdict(service: string, verdict: GuardVerdict, now: number): void {
    const scope = describeScope(verdict.scope);
    const { starts, approvals, minStarts } = verdict.figures;
    this.ctx.waitUntil(
      insightsFor(this.env, service, scope)
        .recordGuardBlock({ scope, mode: verdict.mode, starts, approvals, minStarts, blockedUntil: verdict.blockedUntil, at: now })
        .catch((error: unknown) => log("warn", "guard.block_report_failed", { scope, error: error instanceof Error ? error.message : String(error) })),
    );
  }

  /**
   * Makes sure an alarm comes by `until`, so nothing outlives its window for long; never moves it
   * later. `ifNone`: any alarm already set will do.
   */
  async #alarmBy(until: number, { ifNone = false }: { ifNone?: boolean } = {}): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt === null || (!ifNone && this.#alarmAt > until)) {
      await this.ctx.storage.setAlarm(until);
      this.#alarmAt = until;
    }
  }

  #stateOf(counter: string): CounterState {
    let state = this.#counters.get(counter);
    if (!state) {
      const row = this.#kv.get<CounterRow>(COUNTER + counter);
      state = row ? stateOf(row) : EMPTY_COUNTER;
      this.#counters.set(counter, state);
    }
    return state;
  }

  #save(counter: string, state: CounterState): void {
    this.#counters.set(counter, state);
    this.#kv.put(COUNTER + counter, rowOf(state));
  }

  #reset(): void {
    this.#counters.clear();
    this.#legacy.forget();
    this.#alarmAt = null;
  }
}
