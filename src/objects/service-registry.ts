// Durable Object holding services, their API keys (as SHA-256 digests only) and recent webhook
// delivery attempts. One instance ("registry"). It is off the hot path: Workers resolve keys
// through a per-isolate cache that lives at most 30 s (so a revocation takes effect within 60 s),
// and only a cache miss reaches this object.
import { DurableObject } from "cloudflare:workers";
import { toBase64Url } from "../core/ids.ts";
import type { ServiceSettings } from "../core/service.ts";
import type { RateLimitDefinition } from "../core/rate-limits.ts";
import { RateLimitTables, type BucketRecord, type RateLimitRecord, type RateLimitWrite } from "./rate-limit-tables.ts";

export interface ServiceRecord {
  id: string;
  settings: ServiceSettings;
  /** Standard Webhooks signing secret (`whsec_…`). */
  webhookSecret: string;
  createdAt: number;
  updatedAt: number;
}

export interface ApiKeyRecord {
  id: string;
  serviceId: string;
  name: string;
  /** The key's first characters, for recognising it in lists (`evk_3f9a…`). */
  prefix: string;
  createdAt: number;
  lastUsedAt: number;
  revokedAt: number;
}

export interface WebhookAttempt {
  serviceId: string;
  eventId: string;
  eventType: string;
  url: string;
  attempt: number;
  /** HTTP status, or 0 when the request failed before an answer. */
  statusCode: number;
  error: string;
  at: number;
}

export interface ResolvedKey {
  serviceId: string;
  keyId: string;
  service: ServiceRecord;
}

const LAST_USED_RESOLUTION_MS = 60_000;
const ATTEMPTS_KEPT_PER_SERVICE = 200;

export class ServiceRegistry extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  /** The services' own rate limits (Twilio's Programmable Rate Limits): ./rate-limit-tables.ts. */
  readonly #rateLimits: RateLimitTables;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS services (
      id TEXT PRIMARY KEY, settings TEXT NOT NULL, webhook_secret TEXT NOT NULL,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`);
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS api_keys (
      id TEXT PRIMARY KEY, service_id TEXT NOT NULL, name TEXT NOT NULL, prefix TEXT NOT NULL,
      digest TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL DEFAULT 0,
      revoked_at INTEGER NOT NULL DEFAULT 0)`);
    this.#sql.exec("CREATE INDEX IF NOT EXISTS api_keys_by_service ON api_keys (service_id)");
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS webhook_attempts (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, service_id TEXT NOT NULL, event_id TEXT NOT NULL,
      event_type TEXT NOT NULL, url TEXT NOT NULL, attempt INTEGER NOT NULL, status_code INTEGER NOT NULL,
      error TEXT NOT NULL, at INTEGER NOT NULL)`);
    this.#sql.exec("CREATE INDEX IF NOT EXISTS webhook_attempts_by_service ON webhook_attempts (service_id, seq)");
    this.#rateLimits = new RateLimitTables(this.#sql);
  }

  /** Creates the service if it does not exist (the built-in default service is made this way). */
  async ensureService(input: { id: string; settings: ServiceSettings }): Promise<ServiceRecord> {
    return this.#get(input.id) ?? this.createService(input);
  }

  async createService(input: { id: string; settings: ServiceSettings }): Promise<ServiceRecord> {
    const now = Date.now();
    const secret = new Uint8Array(32);
    crypto.getRandomValues(secret);
    const webhookSecret = `whsec_${btoa(String.fromCharCode(...secret))}`;
    this.#sql.exec(
      "INSERT INTO services (id, settings, webhook_secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
      input.id,
      JSON.stringify(input.settings),
      webhookSecret,
      now,
      now,
    );
    return this.#get(input.id)!;
  }

  async getService(id: string): Promise<ServiceRecord | null> {
    return this.#get(id);
  }

  async listServices(): Promise<ServiceRecord[]> {
    return this.#sql.exec("SELECT * FROM services ORDER BY created_at, id").toArray().map(toService);
  }

  async updateService(input: { id: string; settings: ServiceSettings }): Promise<ServiceRecord | null> {
    const updated = this.#sql.exec("UPDATE services SET settings = ?, updated_at = ? WHERE id = ?", JSON.stringify(input.settings), Date.now(), input.id);
    return updated.rowsWritten > 0 ? this.#get(input.id) : null;
  }

  /** Deletes the service and revokes its keys; its verifications expire with retention. */
  async deleteService(id: string): Promise<boolean> {
    const deleted = this.#sql.exec("DELETE FROM services WHERE id = ?", id).rowsWritten > 0;
    this.#sql.exec("UPDATE api_keys SET revoked_at = ? WHERE service_id = ? AND revoked_at = 0", Date.now(), id);
    this.#rateLimits.deleteService(id);
    return deleted;
  }

  /** Stores a new key's digest; the caller generated the key and shows it once. */
  async addKey(input: { serviceId: string; name: string; prefix: string; digest: string }): Promise<ApiKeyRecord | null> {
    if (!this.#get(input.serviceId)) return null;
    const idBytes = new Uint8Array(9);
    crypto.getRandomValues(idBytes);
    const id = `key_${toBase64Url(idBytes)}`;
    this.#sql.exec(
      "INSERT INTO api_keys (id, service_id, name, prefix, digest, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      id,
      input.serviceId,
      input.name,
      input.prefix,
      input.digest,
      Date.now(),
    );
    return toKey(this.#sql.exec("SELECT * FROM api_keys WHERE id = ?", id).one());
  }

  async listKeys(serviceId: string): Promise<ApiKeyRecord[]> {
    return this.#sql.exec("SELECT * FROM api_keys WHERE service_id = ? ORDER BY created_at", serviceId).toArray().map(toKey);
  }

  async revokeKey(input: { serviceId: string; keyId: string }): Promise<ApiKeyRecord | null> {
    this.#sql.exec("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND service_id = ? AND revoked_at = 0", Date.now(), input.keyId, input.serviceId);
    const row = this.#sql.exec("SELECT * FROM api_keys WHERE id = ? AND service_id = ?", input.keyId, input.serviceId).toArray()[0];
    return row ? toKey(row) : null;
  }

  /** The live key with this digest and its service; records the use at most once a minute. */
  async resolveKey(digest: string): Promise<ResolvedKey | null> {
    const row = this.#sql.exec("SELECT * FROM api_keys WHERE digest = ? AND revoked_at = 0", digest).toArray()[0];
    if (!row) return null;
    const key = toKey(row);
    const service = this.#get(key.serviceId);
    if (!service) return null;
    const now = Date.now();
    if (now - key.lastUsedAt > LAST_USED_RESOLUTION_MS) this.#sql.exec("UPDATE api_keys SET last_used_at = ? WHERE id = ?", now, key.id);
    return { serviceId: key.serviceId, keyId: key.id, service };
  }

  async recordWebhookAttempt(attempt: WebhookAttempt): Promise<void> {
    this.#sql.exec(
      "INSERT INTO webhook_attempts (service_id, event_id, event_type, url, attempt, status_code, error, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      attempt.serviceId,
      attempt.eventId,
      attempt.eventType,
      attempt.url,
      attempt.attempt,
      attempt.statusCode,
      attempt.error,
      attempt.at,
    );
    // Bounded: only the most recent attempts per service are kept.
    this.#sql.exec(
      "DELETE FROM webhook_attempts WHERE service_id = ? AND seq <= (SELECT seq FROM webhook_attempts WHERE service_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
      attempt.serviceId,
      attempt.serviceId,
      ATTEMPTS_KEPT_PER_SERVICE,
    );
  }

  async listWebhookAttempts(input: { serviceId: string; limit: number }): Promise<WebhookAttempt[]> {
    return this.#sql
      .exec("SELECT * FROM webhook_attempts WHERE service_id = ? ORDER BY seq DESC LIMIT ?", input.serviceId, input.limit)
      .toArray()
      .map((row) => ({
        serviceId: row.service_id as string,
        eventId: row.event_id as string,
        eventType: row.event_type as string,
        url: row.url as string,
        attempt: row.attempt as number,
        statusCode: row.status_code as number,
        error: row.error as string,
        at: row.at as number,
      }));
  }

  // ---- The service's rate limits and buckets (definitions; the counts are ScopeCounters') ----

  async rateLimitDefinitions(serviceId: string): Promise<RateLimitDefinition[]> {
    return this.#rateLimits.definitions(serviceId);
  }

  async listRateLimits(serviceId: string): Promise<RateLimitRecord[]> {
    return this.#rateLimits.list(serviceId);
  }

  async getRateLimit(input: { serviceId: string; sid: string }): Promise<RateLimitRecord | null> {
    return this.#rateLimits.get(input.serviceId, input.sid);
  }

  async createRateLimit(input: { serviceId: string; uniqueName: string; description: string | null }): Promise<RateLimitWrite<RateLimitRecord>> {
    return this.#rateLimits.create(input);
  }

  async updateRateLimit(input: { serviceId: string; sid: string; description?: string | undefined }): Promise<RateLimitWrite<RateLimitRecord>> {
    return this.#rateLimits.update(input);
  }

  async deleteRateLimit(input: { serviceId: string; sid: string }): Promise<boolean> {
    return this.#rateLimits.delete(input.serviceId, input.sid);
  }

  async listBuckets(input: { serviceId: string; rateLimitSid: string }): Promise<BucketRecord[] | null> {
    return this.#rateLimits.buckets(input.serviceId, input.rateLimitSid);
  }

  async getBucket(input: { serviceId: string; rateLimitSid: string; sid: string }): Promise<BucketRecord | null> {
    return this.#rateLimits.bucket(input.serviceId, input.rateLimitSid, input.sid);
  }

  async createBucket(input: { serviceId: string; rateLimitSid: string; max: number; intervalSeconds: number }): Promise<RateLimitWrite<BucketRecord>> {
    return this.#rateLimits.createBucket(input);
  }

  async updateBucket(input: { serviceId: string; rateLimitSid: string; sid: string; max?: number; intervalSeconds?: number }): Promise<RateLimitWrite<BucketRecord>> {
    return this.#rateLimits.updateBucket(input);
  }

  async deleteBucket(input: { serviceId: string; rateLimitSid: string; sid: string }): Promise<boolean> {
    return this.#rateLimits.deleteBucket(input.serviceId, input.rateLimitSid, input.sid);
  }

  #get(id: string): ServiceRecord | null {
    const row = this.#sql.exec("SELECT * FROM services WHERE id = ?", id).toArray()[0];
    return row ? toService(row) : null;
  }
}

function toService(row: Record<string, SqlStorageValue>): ServiceRecord {
  return {
    id: row.id as string,
    settings: JSON.parse(row.settings as string) as ServiceSettings,
    webhookSecret: row.webhook_secret as string,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
  };
}

function toKey(row: Record<string, SqlStorageValue>): ApiKeyRecord {
  return {
    id: row.id as string,
    serviceId: row.service_id as string,
    name: row.name as string,
    prefix: row.prefix as string,
    createdAt: row.created_at as number,
    lastUsedAt: row.last_used_at as number,
    revokedAt: row.revoked_at as number,
  };
}
