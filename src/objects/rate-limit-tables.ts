// A service's rate limits and their buckets as two tables of the service registry (Twilio Verify's
// Programmable Rate Limits). Definitions only: the counts live in ScopeCounter objects, one per
// (rate limit, key value). The registry runs one call at a time, so the per-service caps and the
// uniqueness of names and intervals hold without a transaction. Outcomes of a write are data.
import { MAX_BUCKETS_PER_RATE_LIMIT, MAX_RATE_LIMITS_PER_SERVICE, type RateLimitDefinition } from "../core/rate-limits.ts";

export interface RateLimitRecord {
  sid: string;
  serviceId: string;
  uniqueName: string;
  description: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface BucketRecord {
  sid: string;
  rateLimitSid: string;
  serviceId: string;
  max: number;
  intervalSeconds: number;
  createdAt: number;
  updatedAt: number;
}

/** Why a write changed nothing; Twilio's door answers each with its own code. */
export type RateLimitWriteRefusal = "not_found" | "duplicate_name" | "too_many_rate_limits" | "duplicate_interval" | "too_many_buckets";
export type RateLimitWrite<T> = { ok: true; value: T } | { ok: false; reason: RateLimitWriteRefusal };

export class RateLimitTables {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS rate_limits (
      sid TEXT PRIMARY KEY, service_id TEXT NOT NULL, unique_name TEXT NOT NULL, description TEXT,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, UNIQUE (service_id, unique_name))`);
    sql.exec(`CREATE TABLE IF NOT EXISTS rate_limit_buckets (
      sid TEXT PRIMARY KEY, rate_limit_sid TEXT NOT NULL, service_id TEXT NOT NULL, max INTEGER NOT NULL,
      interval_seconds INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
      UNIQUE (rate_limit_sid, interval_seconds))`);
  }

  list(serviceId: string): RateLimitRecord[] {
    return this.#sql.exec("SELECT * FROM rate_limits WHERE service_id = ? ORDER BY created_at, sid", serviceId).toArray().map(toRateLimit);
  }

  get(serviceId: string, sid: string): RateLimitRecord | null {
    const row = this.#sql.exec("SELECT * FROM rate_limits WHERE service_id = ? AND sid = ?", serviceId, sid).toArray()[0];
    return row ? toRateLimit(row) : null;
  }

  create(input: { serviceId: string; uniqueName: string; description: string | null }): RateLimitWrite<RateLimitRecord> {
    if (this.#sql.exec("SELECT 1 FROM rate_limits WHERE service_id = ? AND unique_name = ?", input.serviceId, input.uniqueName).toArray().length > 0) {
      return { ok: false, reason: "duplicate_name" };
    }
    if (this.#count("rate_limits", "service_id", input.serviceId) >= MAX_RATE_LIMITS_PER_SERVICE) return { ok: false, reason: "too_many_rate_limits" };
    const sid = newSid("RK");
    const now = Date.now();
    this.#sql.exec(
      "INSERT INTO rate_limits (sid, service_id, unique_name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
      sid,
      input.serviceId,
      input.uniqueName,
      input.description,
      now,
      now,
    );
    return { ok: true, value: this.get(input.serviceId, sid)! };
  }

  /** `description` undefined: kept as it is. */
  update(input: { serviceId: string; sid: string; description?: string | undefined }): RateLimitWrite<RateLimitRecord> {
    const now = Date.now();
    const written =
      input.description === undefined
        ? this.#sql.exec("UPDATE rate_limits SET updated_at = ? WHERE service_id = ? AND sid = ?", now, input.serviceId, input.sid)
        : this.#sql.exec("UPDATE rate_limits SET description = ?, updated_at = ? WHERE service_id = ? AND sid = ?", input.description, now, input.serviceId, input.sid);
    return written.rowsWritten > 0 ? { ok: true, value: this.get(input.serviceId, input.sid)! } : { ok: false, reason: "not_found" };
  }

  /** The rate limit and its buckets. */
  delete(serviceId: string, sid: string): boolean {
    if (!this.get(serviceId, sid)) return false;
    this.#sql.exec("DELETE FROM rate_limit_buckets WHERE service_id = ? AND rate_limit_sid = ?", serviceId, sid);
    this.#sql.exec("DELETE FROM rate_limits WHERE service_id = ? AND sid = ?", serviceId, sid);
    return true;
  }

  /** null: no such rate limit. */
  buckets(serviceId: string, rateLimitSid: string): BucketRecord[] | null {
    if (!this.get(serviceId, rateLimitSid)) return null;
    return this.#sql
      .exec("SELECT * FROM rate_limit_buckets WHERE service_id = ? AND rate_limit_sid = ? ORDER BY created_at, sid", serviceId, rateLimitSid)
      .toArray()
      .map(toBucket);
  }

  bucket(serviceId: string, rateLimitSid: string, sid: string): BucketRecord | null {
    const row = this.#sql.exec("SELECT * FROM rate_limit_buckets WHERE service_id = ? AND rate_limit_sid = ? AND sid = ?", serviceId, rateLimitSid, sid).toArray()[0];
    return row ? toBucket(row) : null;
  }

  createBucket(input: { serviceId: string; rateLimitSid: string; max: number; intervalSeconds: number }): RateLimitWrite<BucketRecord> {
    if (!this.get(input.serviceId, input.rateLimitSid)) return { ok: false, reason: "not_found" };
    if (this.#intervalTaken(input.rateLimitSid, input.intervalSeconds, "")) return { ok: false, reason: "duplicate_interval" };
    if (this.#count("rate_limit_buckets", "rate_limit_sid", input.rateLimitSid) >= MAX_BUCKETS_PER_RATE_LIMIT) return { ok: false, reason: "too_many_buckets" };
    const sid = newSid("BL");
    const now = Date.now();
    this.#sql.exec(
      "INSERT INTO rate_limit_buckets (sid, rate_limit_sid, service_id, max, interval_seconds, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      sid,
      input.rateLimitSid,
      input.serviceId,
      input.max,
      input.intervalSeconds,
      now,
      now,
    );
    return { ok: true, value: this.bucket(input.serviceId, input.rateLimitSid, sid)! };
  }

  updateBucket(input: { serviceId: string; rateLimitSid: string; sid: string; max?: number; intervalSeconds?: number }): RateLimitWrite<BucketRecord> {
    const current = this.bucket(input.serviceId, input.rateLimitSid, input.sid);
    if (!current) return { ok: false, reason: "not_found" };
    const intervalSeconds = input.intervalSeconds ?? current.intervalSeconds;
    if (this.#intervalTaken(input.rateLimitSid, intervalSeconds, input.sid)) return { ok: false, reason: "duplicate_interval" };
    this.#sql.exec("UPDATE rate_limit_buckets SET max = ?, interval_seconds = ?, updated_at = ? WHERE sid = ?", input.max ?? current.max, intervalSeconds, Date.now(), input.sid);
    return { ok: true, value: this.bucket(input.serviceId, input.rateLimitSid, input.sid)! };
  }

  deleteBucket(serviceId: string, rateLimitSid: string, sid: string): boolean {
    return this.#sql.exec("DELETE FROM rate_limit_buckets WHERE service_id = ? AND rate_limit_sid = ? AND sid = ?", serviceId, rateLimitSid, sid).rowsWritten > 0;
  }

  /** What a start is judged by: every rate limit of the service with its buckets. */
  definitions(serviceId: string): RateLimitDefinition[] {
    const buckets = this.#sql.exec("SELECT * FROM rate_limit_buckets WHERE service_id = ? ORDER BY interval_seconds", serviceId).toArray().map(toBucket);
    return this.list(serviceId).map((r) => ({
      sid: r.sid,
      uniqueName: r.uniqueName,
      buckets: buckets.filter((b) => b.rateLimitSid === r.sid).map((b) => ({ sid: b.sid, max: b.max, intervalSeconds: b.intervalSeconds })),
    }));
  }

  /** Everything a deleted service had. */
  deleteService(serviceId: string): void {
    this.#sql.exec("DELETE FROM rate_limit_buckets WHERE service_id = ?", serviceId);
    this.#sql.exec("DELETE FROM rate_limits WHERE service_id = ?", serviceId);
  }

  #count(table: "rate_limits" | "rate_limit_buckets", column: "service_id" | "rate_limit_sid", value: string): number {
    return this.#sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`, value).one().n;
  }

  #intervalTaken(rateLimitSid: string, intervalSeconds: number, exceptSid: string): boolean {
    return this.#sql.exec("SELECT 1 FROM rate_limit_buckets WHERE rate_limit_sid = ? AND interval_seconds = ? AND sid != ?", rateLimitSid, intervalSeconds, exceptSid).toArray().length > 0;
  }
}

/** A Twilio-style sid: the prefix and 128 random bits as lowercase hex. */
function newSid(prefix: "RK" | "BL"): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function toRateLimit(row: Record<string, SqlStorageValue>): RateLimitRecord {
  return {
    sid: row.sid as string,
    serviceId: row.service_id as string,
    uniqueName: row.unique_name as string,
    description: (row.description as string | null) ?? null,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
  };
}

function toBucket(row: Record<string, SqlStorageValue>): BucketRecord {
  return {
    sid: row.sid as string,
    rateLimitSid: row.rate_limit_sid as string,
    serviceId: row.service_id as string,
    max: row.max as number,
    intervalSeconds: row.interval_seconds as number,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
  };
}
