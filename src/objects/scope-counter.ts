// Durable Object holding the counters of limits that span numbers (client IP, number range,
// country, budget). One object is one strongly consistent place, so each count is exact under
// concurrency — Workers KV is eventually consistent and would let a burst overshoot. Windows are
// bucketed; an alarm drops what left its window.
//
// A start's range, country and budget counters live together in one shard object (`budget:<k>`,
// picked by the number's range): one RPC and one commit for all three, instead of one object each,
// and no new object for every new range. Counters of the release that kept one object per scope
// (a range's, a country shard's) move in on first use during the hours after an upgrade.
//
// Storage (KV): `b:<bucket>` / `b:<counter>@<bucket>` counts (the object's own counter is "": an
// IP's, a lookup budget's, the budget shard's), `guard` / `guard:<counter>` conversion-guard state,
// `x:<counter>` when the counter's last bucket and guard state expire, `migrate` the end of the
// window in which counters are fetched from their old objects.
import { DurableObject } from "cloudflare:workers";
import { log } from "../log.ts";
import { insightsFor } from "./insights.ts";
import {
  admitStart,
  describeScope,
  EMPTY_GUARD,
  recordGuardApproval,
  withdrawStart,
  type GuardState,
  type GuardVerdict,
} from "../core/conversion-guard.ts";
import { namespaceOf } from "./namespaces.ts";
import type { TakeInput } from "../core/scopes.ts";

export type { TakeInput };

/** One counter of a take: `counter` names it within the object ("" is the object's own). */
export interface CounterTake extends TakeInput {
  counter: string;
  /** The object this counter had of its own in the previous release: its counts move here once. */
  legacy?: string;
}

export interface TakeResult {
  allowed: boolean;
  /** Would have been refused (also set in monitor mode). */
  overLimit: boolean;
  /** Bucket the unit was counted in, for release(); -1 when nothing was counted. */
  bucket: number;
  retryAfterSeconds: number;
  /** The conversion guard's verdict: enforce refused this start; monitor only reports. */
  guard?: GuardVerdict;
}

/** What a legacy object hands over: its buckets and guard state. */
export interface HandOver {
  buckets: [number, number][];
  guard: GuardState | null;
}

const BUCKET = "b:";
const GUARD = "guard";
const EXPIRY = "x:";
const MIGRATE = "migrate";
/** Approvals count for an hour; the guard's state lives at least that long after the last one. */
const GUARD_WINDOW_MS = 3_600_000 + 60_000;
/** After an upgrade, counters are fetched from their old objects for this long (their windows). */
const MIGRATION_MS = 2 * 3_600_000;
/** The alarm never runs more often than this on a busy object (a run drops every expired counter). */
const MIN_ALARM_GAP_MS = 5 * 60_000;

const bucketKey = (counter: string, bucket: number) => (counter === "" ? `${BUCKET}${bucket}` : `${BUCKET}${counter}@${bucket}`);
const guardKey = (counter: string) => (counter === "" ? GUARD : `${GUARD}:${counter}`);

/** One counter's judgment before anything is written. */
interface Plan {
  input: CounterTake;
  result: TakeResult;
  /** The guard's state after this start, when the guard judged it (undefined: unchanged). */
  guardState?: GuardState;
  guardBefore?: GuardState;
  /** Where the unit goes, and until when the counter must then be kept. */
  bucket: number;
  expiresAt: number;
}

export class ScopeCounter extends DurableObject<Env> {
  readonly #kv: SyncKvStorage;
  /**
   * Every counter's buckets (start → count), kept in hand: this object is their only writer, so
   * storage is listed once per wake and a take costs one KV put per counter in one commit.
   */
  #counters: Map<string, Map<number, number>> | null = null;
  /** Guard states read so far (a key per counter; absent from the map: not read yet). */
  readonly #guards = new Map<string, GuardState>();
  /** Per counter, until when a monitor-mode verdict was reported (in memory: a repeat only rewrites its row). */
  readonly #monitorReportedUntil = new Map<string, number>();
  /** `x:<counter>` values read so far. */
  readonly #expiries = new Map<string, number>();
  /** Counters fetched from (or looked up in) their old objects during this object's life, or in flight. */
  readonly #imports = new Map<string, Promise<void>>();
  /** The `migrate` key, kept in hand (undefined: not read yet). */
  #migrateUntil: number | undefined = undefined;
  /** The alarm this object set (undefined: not known yet). */
  #alarmAt: number | null | undefined = undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#kv = ctx.storage.kv;
    migrateBucketsTable(ctx.storage);
  }

  /**
   * Counts one unit in each counter, all or none: if one refuses, nothing is counted (a guard
   * block that began is kept: it refuses by itself). Synchronous storage: no interleaving.
   */
  async takeAll(inputs: CounterTake[]): Promise<TakeResult[]> {
    await this.#importLegacy(inputs);
    const now = Date.now();
    const plans = inputs.map((input) => this.#judge(input, now));
    const refused = plans.some((p) => !p.result.allowed);
    let keepUntil = 0;
    for (const plan of plans) {
      const { counter } = plan.input;
      const verdict = plan.result.guard;
      if (refused) {
        // A block that began here stands whatever else refused.
        if (verdict?.mode === "enforce" && plan.guardState && plan.guardBefore!.blockedUntil <= now) {
          this.#saveGuard(counter, plan.guardState);
          keepUntil = Math.max(keepUntil, this.#extend(counter, verdict.blockedUntil));
          this.#reportVerdict(plan.input.guard!.service, verdict, now);
        }
        continue;
      }
      const buckets = this.#bucketsOf(counter);
      const count = (buckets.get(plan.bucket) ?? 0) + 1;
      buckets.set(plan.bucket, count);
      this.#kv.put(bucketKey(counter, plan.bucket), count);
      if (plan.guardState) this.#saveGuard(counter, plan.guardState);
      keepUntil = Math.max(keepUntil, this.#extend(counter, plan.expiresAt));
      if (verdict?.mode === "monitor" && (this.#monitorReportedUntil.get(counter) ?? 0) <= now) {
        this.#monitorReportedUntil.set(counter, verdict.blockedUntil);
        this.#reportVerdict(plan.input.guard!.service, verdict, now);
      }
    }
    if (keepUntil > 0) await this.#alarmBy(keepUntil);
    return plans.map((p) => (refused ? { ...p.result, bucket: -1 } : p.result));
  }

  /**
   * Gives a unit back (the send it paid for was refused elsewhere, or definitely not delivered);
   * `guarded`: the conversion guard counted the start too, and takes it back. Guarded counters are
   * sliding hours, whose buckets are minutes: the bucket is the minute the guard counted it in.
   */
  async release(bucket: number, guarded = false, counter = ""): Promise<void> {
    if (bucket < 0) return;
    if (guarded) this.#saveGuard(counter, withdrawStart(this.#guardOf(counter), bucket));
    const buckets = this.#bucketsOf(counter);
    const count = buckets.get(bucket) ?? 0;
    if (count <= 0) return;
    buckets.set(bucket, count - 1);
    this.#kv.put(bucketKey(counter, bucket), count - 1);
  }

  /**
   * An approval of a verification these counters counted (reported by the number's object after
   * the check): one call for the range and country counters of a shard.
   */
  async approve(counters: string | string[] = ""): Promise<void> {
    const now = Date.now();
    for (const counter of Array.isArray(counters) ? counters : [counters]) {
      this.#saveGuard(counter, recordGuardApproval(this.#guardOf(counter), now));
      // The approval counts for an hour: the counter stays at least that long.
      this.#extend(counter, now + GUARD_WINDOW_MS);
    }
    await this.#alarmBy(now + GUARD_WINDOW_MS);
  }

  /**
   * Called by the shard object that takes this (old) object's counter over, once: its buckets and
   * guard state, then this object deletes everything it holds.
   */
  async handOver(): Promise<HandOver> {
    const buckets = [...this.#bucketsOf("")];
    const guard = (this.#kv.get<GuardState>(GUARD) as GuardState | undefined) ?? null;
    if (buckets.length > 0 || guard) {
      await this.ctx.storage.deleteAll();
      this.#reset();
    }
    return { buckets, guard };
  }

  /** Drops every counter whose buckets and guard state expired; frees the object when none is left. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.#alarmAt = null;
    const counters = this.#load();
    const expiries = new Map<string, number>();
    for (const [key, value] of this.#kv.list<number>({ prefix: EXPIRY })) expiries.set(key.slice(EXPIRY.length), value);
    const names = new Set([...counters.keys(), ...expiries.keys(), ...this.#guardNames()]);
    let next = Number.POSITIVE_INFINITY;
    for (const counter of names) {
      // A counter without an expiry was written by the previous release, which set this alarm at
      // its newest bucket's end: it has expired.
      const until = expiries.get(counter) ?? 0;
      if (until > now) {
        next = Math.min(next, until);
        continue;
      }
      for (const bucket of counters.get(counter)?.keys() ?? []) this.#kv.delete(bucketKey(counter, bucket));
      counters.delete(counter);
      this.#kv.delete(guardKey(counter));
      this.#guards.delete(counter);
      this.#kv.delete(EXPIRY + counter);
      this.#expiries.delete(counter);
    }
    if (!Number.isFinite(next)) {
      const migrating = (this.#kv.get<number>(MIGRATE) ?? 0) > now;
      if (!migrating) {
        await this.ctx.storage.deleteAll();
        this.#reset();
        return;
      }
      next = this.#kv.get<number>(MIGRATE)!;
    }
    const at = Math.max(next, now + MIN_ALARM_GAP_MS);
    await this.ctx.storage.setAlarm(at);
    this.#alarmAt = at;
  }

  #judge(input: CounterTake, now: number): Plan {
    const buckets = this.#bucketsOf(input.counter);
    const width = input.kind === "fixed" ? input.windowMs : Math.max(1, Math.floor(input.windowMs / 60));
    const bucket = Math.floor(now / width) * width;
    const since = input.kind === "fixed" ? bucket - 1 : now - input.windowMs - width;
    // Buckets that left the window are dead weight; dropping them keeps a busy counter's storage flat.
    let used = 0;
    let oldest: number | null = null;
    for (const [start, count] of buckets) {
      if (start <= since) {
        buckets.delete(start);
        this.#kv.delete(bucketKey(input.counter, start));
      } else {
        used += count;
        if (count > 0 && (oldest === null || start < oldest)) oldest = start;
      }
    }
    const overLimit = used >= input.limit;
    let retryAfterSeconds = 0;
    if (overLimit) {
      const freeAt = input.kind === "fixed" ? bucket + input.windowMs : (oldest ?? bucket) + width + input.windowMs;
      retryAfterSeconds = Math.max(1, Math.ceil((freeAt - now) / 1000));
      if (input.enforce) return { input, result: { allowed: false, overLimit, bucket: -1, retryAfterSeconds }, bucket, expiresAt: 0 };
    }
    const expiresAt = bucket + width + input.windowMs;
    if (!input.guard) return { input, result: { allowed: true, overLimit, bucket, retryAfterSeconds }, bucket, expiresAt };
    // Judged on the hour before this start; a refused start is not counted (it sends nothing).
    const before = this.#guardOf(input.counter);
    const judged = admitStart(before, input.guard.scope, now, input.guard.settings, { count: input.guard.count });
    const guardState = judged.state === before ? undefined : judged.state;
    const verdict = judged.verdict ?? undefined;
    if (verdict?.mode === "enforce") {
      return { input, result: { allowed: false, overLimit, bucket: -1, retryAfterSeconds: verdict.retryAfterSeconds, guard: verdict }, guardState, guardBefore: before, bucket, expiresAt };
    }
    return { input, result: { allowed: true, overLimit, bucket, retryAfterSeconds, ...(verdict ? { guard: verdict } : {}) }, guardState, guardBefore: before, bucket, expiresAt };
  }

  /**
   * During the hours after an upgrade, a counter first used here is fetched from the object it had
   * of its own in the previous release, so its hour of counts (and a guard block) carries over.
   * The window opens only on objects the previous release wrote (a budget shard with buckets); a
   * fresh deployment never pays for it.
   */
  async #importLegacy(inputs: readonly CounterTake[]): Promise<void> {
    const wanted = inputs.filter((i) => i.legacy && i.counter !== "");
    if (wanted.length === 0) return;
    const now = Date.now();
    let until = this.#migrateUntil ?? this.#kv.get<number>(MIGRATE);
    if (until === undefined) {
      const upgraded = this.#bucketsOf("").size > 0 || this.#kv.get(GUARD) !== undefined;
      until = upgraded ? now + MIGRATION_MS : 0;
      this.#kv.put(MIGRATE, until);
    }
    this.#migrateUntil = until;
    if (until <= now) return;
    const namespace = namespaceOf(this.env, "SCOPE_COUNTER");
    await Promise.all(
      wanted.map((input) => {
        let pending = this.#imports.get(input.counter);
        if (!pending) {
          const known = this.#bucketsOf(input.counter).size > 0 || this.#kv.get(guardKey(input.counter)) !== undefined;
          pending = known
            ? Promise.resolve()
            : namespace
                .get(namespace.idFromName(input.legacy!))
                .handOver()
                .then((old) => this.#adopt(input.counter, old as HandOver))
                .catch((error: unknown) => log("warn", "scope.import_failed", { counter: input.counter, error: error instanceof Error ? error.message : String(error) }));
          this.#imports.set(input.counter, pending);
        }
        return pending;
      }),
    );
  }

  /** Merges what an old object handed over into `counter` (it may have counted meanwhile). */
  #adopt(counter: string, old: HandOver): void {
    if (old.buckets.length === 0 && !old.guard) return;
    const buckets = this.#bucketsOf(counter);
    let until = 0;
    for (const [bucket, count] of old.buckets) {
      const merged = (buckets.get(bucket) ?? 0) + count;
      buckets.set(bucket, merged);
      this.#kv.put(bucketKey(counter, bucket), merged);
      // Old buckets are of hourly counters (ranges, country shards): kept two hours past their start at most.
      until = Math.max(until, bucket + 2 * 3_600_000);
    }
    if (old.guard) {
      const current = this.#guardOf(counter);
      this.#saveGuard(counter, current === EMPTY_GUARD ? old.guard : { ...old.guard, buckets: [...old.guard.buckets, ...current.buckets] });
      until = Math.max(until, old.guard.blockedUntil, Date.now() + GUARD_WINDOW_MS);
    }
    this.#extend(counter, until);
  }

  /** Raises `x:<counter>` to `until` if it is later; returns `until`. */
  #extend(counter: string, until: number): number {
    let current = this.#expiries.get(counter);
    if (current === undefined) {
      current = this.#kv.get<number>(EXPIRY + counter) ?? 0;
      this.#expiries.set(counter, current);
    }
    if (until > current) {
      this.#expiries.set(counter, until);
      this.#kv.put(EXPIRY + counter, until);
    }
    return until;
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

  /** Makes sure the alarm comes by `until`, so nothing outlives its window for long; never moves it later. */
  async #alarmBy(until: number): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt === null || this.#alarmAt > until) {
      await this.ctx.storage.setAlarm(until);
      this.#alarmAt = until;
    }
  }

  #guardOf(counter: string): GuardState {
    let state = this.#guards.get(counter);
    if (!state) {
      state = this.#kv.get<GuardState>(guardKey(counter)) ?? EMPTY_GUARD;
      this.#guards.set(counter, state);
    }
    return state;
  }

  #saveGuard(counter: string, state: GuardState): void {
    if (state === this.#guards.get(counter)) return;
    this.#guards.set(counter, state);
    this.#kv.put(guardKey(counter), state);
  }

  #guardNames(): string[] {
    return [...this.#kv.list({ prefix: GUARD })].map(([key]) => (key === GUARD ? "" : key.slice(GUARD.length + 1)));
  }

  #bucketsOf(counter: string): Map<number, number> {
    const counters = this.#load();
    let buckets = counters.get(counter);
    if (!buckets) counters.set(counter, (buckets = new Map()));
    return buckets;
  }

  #load(): Map<string, Map<number, number>> {
    if (!this.#counters) {
      this.#counters = new Map();
      for (const [key, count] of this.#kv.list<number>({ prefix: BUCKET })) {
        const rest = key.slice(BUCKET.length);
        const at = rest.lastIndexOf("@");
        const counter = at < 0 ? "" : rest.slice(0, at);
        const bucket = Number(at < 0 ? rest : rest.slice(at + 1));
        let buckets = this.#counters.get(counter);
        if (!buckets) this.#counters.set(counter, (buckets = new Map()));
        buckets.set(bucket, count);
      }
    }
    return this.#counters;
  }

  #reset(): void {
    this.#counters = null;
    this.#migrateUntil = undefined;
    this.#guards.clear();
    this.#expiries.clear();
    this.#alarmAt = null;
  }
}

/** A counter written by the release that kept a `buckets` table: its buckets move into KV once. */
function migrateBucketsTable(storage: DurableObjectStorage): void {
  const sql = storage.sql;
  if (sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'buckets'").toArray().length === 0) return;
  for (const row of sql.exec("SELECT start, count FROM buckets").toArray()) storage.kv.put(BUCKET + (row.start as number), row.count as number);
  sql.exec("DROP TABLE buckets");
}
