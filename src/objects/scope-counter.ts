// Durable Object per limit scope that spans numbers (client IP, number range, country shard, budget
// shard). One object per scope makes each count exact under concurrency — KV is eventually
// consistent and would let a burst overshoot. Windows are bucketed; expired buckets go by alarm.
import { DurableObject } from "cloudflare:workers";

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
}

export interface TakeResult {
  allowed: boolean;
  /** Would have been refused (also set in monitor mode). */
  overLimit: boolean;
  /** Bucket the unit was counted in, for release(); -1 when nothing was counted. */
  bucket: number;
  retryAfterSeconds: number;
}

export class ScopeCounter extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  #ready = false;
  /**
   * The buckets, kept in hand: this object is their only writer, so storage is read once per wake
   * and a take costs one upsert (plus a DELETE only when a bucket left the window).
   */
  #buckets: Map<number, number> | null = null;
  /** The alarm this object set (undefined: not known yet). */
  #alarmAt: number | null | undefined = undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#ready = this.#sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'buckets'").toArray().length > 0;
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
    let stale = false;
    for (const [start, count] of buckets) {
      if (start <= since) {
        buckets.delete(start);
        stale = true;
      } else {
        used += count;
        if (count > 0 && (oldest === null || start < oldest)) oldest = start;
      }
    }
    if (stale) this.#sql.exec("DELETE FROM buckets WHERE start <= ?", since);
    const overLimit = used >= input.limit;
    let retryAfterSeconds = 0;
    if (overLimit) {
      const freeAt = input.kind === "fixed" ? bucket + input.windowMs : (oldest ?? bucket) + width + input.windowMs;
      retryAfterSeconds = Math.max(1, Math.ceil((freeAt - now) / 1000));
      if (input.enforce) return { allowed: false, overLimit, bucket: -1, retryAfterSeconds };
    }
    this.#ensure();
    this.#sql.exec("INSERT INTO buckets (start, count) VALUES (?, 1) ON CONFLICT (start) DO UPDATE SET count = count + 1", bucket);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
    // The alarm moves once per bucket, not once per take.
    const expiry = bucket + width + input.windowMs;
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt === null || this.#alarmAt < expiry) {
      await this.ctx.storage.setAlarm(expiry);
      this.#alarmAt = expiry;
    }
    return { allowed: true, overLimit, bucket, retryAfterSeconds };
  }

  /** Gives a unit back (the send it paid for was refused elsewhere, or definitely not delivered). */
  async release(bucket: number): Promise<void> {
    if (!this.#ready || bucket < 0) return;
    const buckets = this.#load();
    const count = buckets.get(bucket) ?? 0;
    if (count <= 0) return;
    buckets.set(bucket, count - 1);
    this.#sql.exec("UPDATE buckets SET count = count - 1 WHERE start = ? AND count > 0", bucket);
  }

  override async alarm(): Promise<void> {
    // The alarm is set to the newest bucket's expiry, so everything is stale by now.
    await this.ctx.storage.deleteAll();
    this.#ready = false;
    this.#buckets = null;
    this.#alarmAt = null;
  }

  #load(): Map<number, number> {
    if (!this.#buckets) {
      this.#buckets = new Map();
      if (this.#ready) for (const row of this.#sql.exec("SELECT start, count FROM buckets")) this.#buckets.set(row.start as number, row.count as number);
    }
    return this.#buckets;
  }

  #ensure(): void {
    if (this.#ready) return;
    this.#sql.exec("CREATE TABLE IF NOT EXISTS buckets (start INTEGER PRIMARY KEY, count INTEGER NOT NULL)");
    this.#ready = true;
  }
}
