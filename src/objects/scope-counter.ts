// Durable Object per limit scope that spans numbers (client IP, number range, country shard, budget
// shard). One object per scope makes each count exact under concurrency — Workers KV is eventually
// consistent and would let a burst overshoot. Windows are bucketed; expired buckets go by alarm.
import { DurableObject } from "cloudflare:workers";
import { log } from "../log.ts";
import { insightsFor } from "./insights.ts";
import {
  admitStart,
  describeScope,
  EMPTY_GUARD,
  recordGuardApproval,
  withdrawStart,
  type ConversionGuardSettings,
  type GuardScope,
  type GuardState,
  type GuardVerdict,
} from "../core/conversion-guard.ts";

export interface TakeInput {
  limit: number;
  windowMs: number;
  /**
   * sliding: 60 buckets per window, counting every bucket that overlaps the last `windowMs`
   * (errs on refusing, never on overshooting). fixed: one bucket per aligned window (a UTC day).
   */
  kind: "sliding" | "fixed";
  /** false: count and report, never refuse (the rule is in monitor mode). */
  enforce: boolean;
  /**
   * The conversion guard on this scope (a range or a country shard): starts and approvals in a
   * sliding hour, judged before the start is counted. Absent for test numbers and other scopes.
   */
  guard?: {
    /** The service whose insights hear of a verdict (the console lists scopes blocked now). */
    service: string;
    scope: GuardScope;
    settings: ConversionGuardSettings;
    /** false: judge only; the number already counted a start in this hour. */
    count: boolean;
  };
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

const BUCKET = "b:";
const GUARD = "guard";
/** Approvals count for an hour; the guard's state lives at least that long after the last one. */
const GUARD_WINDOW_MS = 3_600_000 + 60_000;

export class ScopeCounter extends DurableObject<Env> {
  readonly #kv: SyncKvStorage;
  /**
   * The buckets (start → count), kept in hand: this object is their only writer, so storage is
   * read once per wake and a take costs one KV put (plus a delete when a bucket left the window).
   * KV, not a table: a new scope (a new number range) creates no schema.
   */
  #buckets: Map<number, number> | null = null;
  /** The conversion guard's state, kept in hand like the buckets (undefined: not read yet). */
  #guard: GuardState | undefined = undefined;
  /** A monitor-mode verdict was reported to insights until then (in memory: a repeat only rewrites its row). */
  #monitorReportedUntil = 0;
  /** The alarm this object set (undefined: not known yet). */
  #alarmAt: number | null | undefined = undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#kv = ctx.storage.kv;
    migrateBucketsTable(ctx.storage);
  }

  /** Counts one unit unless that would pass the limit (synchronous storage: no interleaving). */
  async take(input: TakeInput): Promise<TakeResult> {
    const now = Date.now();
    const buckets = this.#load();
    const width = input.kind === "fixed" ? input.windowMs : Math.max(1, Math.floor(input.windowMs / 60));
    const bucket = Math.floor(now / width) * width;
    const since = input.kind === "fixed" ? bucket - 1 : now - input.windowMs - width;
    // Buckets that left the window are dead weight; dropping them keeps a busy scope's storage flat.
    let used = 0;
    let oldest: number | null = null;
    for (const [start, count] of buckets) {
      if (start <= since) {
        buckets.delete(start);
        this.#kv.delete(BUCKET + start);
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
      if (input.enforce) return { allowed: false, overLimit, bucket: -1, retryAfterSeconds };
    }
    let guard: GuardVerdict | undefined;
    if (input.guard) {
      // Judged on the hour before this start; a refused start is not counted (it sends nothing).
      const before = this.#guardState();
      const judged = admitStart(before, input.guard.scope, now, input.guard.settings, { count: input.guard.count });
      this.#saveGuard(judged.state);
      guard = judged.verdict ?? undefined;
      if (guard && (guard.mode === "enforce" ? before.blockedUntil <= now : this.#monitorReportedUntil <= now)) this.#reportVerdict(input.guard.service, guard, now);
      if (guard?.mode === "enforce") {
        // The block outlives this object's buckets if need be: storage stays until it ends.
        await this.#keepUntil(guard.blockedUntil);
        return { allowed: false, overLimit, bucket: -1, retryAfterSeconds: guard.retryAfterSeconds, guard };
      }
    }
    const count = (buckets.get(bucket) ?? 0) + 1;
    buckets.set(bucket, count);
    this.#kv.put(BUCKET + bucket, count);
    // The alarm moves once per bucket, not once per take.
    await this.#keepUntil(bucket + width + input.windowMs);
    return { allowed: true, overLimit, bucket, retryAfterSeconds, ...(guard ? { guard } : {}) };
  }

  /** An approval of a verification this scope counted (reported by the number's alarm, off the response path). */
  async approve(): Promise<void> {
    const now = Date.now();
    this.#saveGuard(recordGuardApproval(this.#guardState(), now));
    // The approval counts for an hour: storage stays at least that long.
    await this.#keepUntil(now + GUARD_WINDOW_MS);
  }

  /**
   * Tells the service's insights that a verdict began (a block, or in monitor mode a would-be block,
   * reported once per block length), off the response path: a lost report loses a console row only.
   */
  #reportVerdict(service: string, verdict: GuardVerdict, now: number): void {
    if (verdict.mode === "monitor") this.#monitorReportedUntil = verdict.blockedUntil;
    const scope = describeScope(verdict.scope);
    const { starts, approvals, minStarts } = verdict.figures;
    this.ctx.waitUntil(
      insightsFor(this.env, service, scope)
        .recordGuardBlock({ scope, mode: verdict.mode, starts, approvals, minStarts, blockedUntil: verdict.blockedUntil, at: now })
        .catch((error: unknown) => log("warn", "guard.block_report_failed", { scope, error: error instanceof Error ? error.message : String(error) })),
    );
  }

  /** Moves the clean-up alarm to `until` if it would come sooner. */
  async #keepUntil(until: number): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt === null || this.#alarmAt < until) {
      await this.ctx.storage.setAlarm(until);
      this.#alarmAt = until;
    }
  }

  #guardState(): GuardState {
    if (this.#guard === undefined) this.#guard = this.#kv.get<GuardState>(GUARD) ?? EMPTY_GUARD;
    return this.#guard;
  }

  #saveGuard(state: GuardState): void {
    if (state === this.#guard) return;
    this.#guard = state;
    this.#kv.put(GUARD, state);
  }

  /**
   * Gives a unit back (the send it paid for was refused elsewhere, or definitely not delivered);
   * `guarded`: the conversion guard counted the start too, and takes it back. Guarded scopes are
   * sliding hours, whose buckets are minutes: the bucket is the minute the guard counted it in.
   */
  async release(bucket: number, guarded = false): Promise<void> {
    if (bucket < 0) return;
    if (guarded) this.#saveGuard(withdrawStart(this.#guardState(), bucket));
    const buckets = this.#load();
    const count = buckets.get(bucket) ?? 0;
    if (count <= 0) return;
    buckets.set(bucket, count - 1);
    this.#kv.put(BUCKET + bucket, count - 1);
  }

  override async alarm(): Promise<void> {
    // The alarm is set to the newest bucket's expiry, so everything is stale by now.
    await this.ctx.storage.deleteAll();
    this.#buckets = null;
    this.#guard = undefined;
    this.#alarmAt = null;
  }

  #load(): Map<number, number> {
    if (!this.#buckets) {
      this.#buckets = new Map();
      for (const [key, count] of this.#kv.list<number>({ prefix: BUCKET })) this.#buckets.set(Number(key.slice(BUCKET.length)), count);
    }
    return this.#buckets;
  }
}

/** A counter written by the release that kept a `buckets` table: its buckets move into KV once. */
function migrateBucketsTable(storage: DurableObjectStorage): void {
  const sql = storage.sql;
  if (sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'buckets'").toArray().length === 0) return;
  for (const row of sql.exec("SELECT start, count FROM buckets").toArray()) storage.kv.put(BUCKET + (row.start as number), row.count as number);
  sql.exec("DROP TABLE buckets");
}
