// Durable Object per limit scope that spans numbers (client IP, number range, country shard, budget
// shard). One object per scope makes each count exact under concurrency — Workers KV is eventually
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

const BUCKET = "b:";

export class ScopeCounter extends DurableObject<Env> {
  readonly #kv: SyncKvStorage;
  /**
   * The buckets (start → count), kept in hand: this object is their only writer, so storage is
   * read once per wake and a take costs one KV put (plus a delete when a bucket left the window).
   * KV, not a table: a new scope (a new number range) creates no schema.
   */
  #buckets: Map<number, number> | null = null;
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
    const count = (buckets.get(bucket) ?? 0) + 1;
    buckets.set(bucket, count);
    this.#kv.put(BUCKET + bucket, count);
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
    if (bucket < 0) return;
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
