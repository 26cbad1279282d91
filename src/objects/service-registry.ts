// Durable Object holding services, their API keys (as SHA-256 digests only), their webhook signing
// keys, recent webhook delivery attempts and the account's Safe List. One instance ("registry"). It
// is off the hot path: Workers resolve keys through a per-isolate cache that lives at most 30 s (so
// a revocation takes effect within 60 s), and only a cache miss reaches this object. The Safe List
// travels with every service record a principal is built from, so a start reads it with what it
// reads already.
import { DurableObject } from "cloudflare:workers";
import { cryptoRandom } from "../core/codes.ts";
import { toBase64Url } from "../core/ids.ts";
import type { ServiceSettings } from "../core/service.ts";
import { newWebhookKeyPair, newWebhookSecret, replaceKey, sealPrivateKey, type ReplacedWebhookKey, type WebhookKeys } from "../core/webhook-signing.ts";
import { loadConfig } from "../config.ts";
import type { RateLimitDefinition } from "../core/rate-limits.ts";
import { RateLimitTables, type BucketRecord, type RateLimitRecord, type RateLimitWrite } from "./rate-limit-tables.ts";

export interface ServiceRecord {
  id: string;
  settings: ServiceSettings;
  /** Standard Webhooks signing secret of the v1 scheme (`whsec_…`). */
  webhookSecret: string;
  /** The v1a public key (`whpk_…`): what receivers verify with. */
  webhookPublicKey: string;
  /** The v1a private key, sealed under CODE_SECRET (core/webhook-signing.ts); never stored or sent in clear. */
  webhookSealedKey: string;
  /** Keys replaced within the last 24 hours (rotation, change of scheme): they still sign. */
  webhookReplacedKeys: ReplacedWebhookKey[];
  createdAt: number;
  updatedAt: number;
  /** The account's Safe List as of this read (getService, ensureService, resolveKey attach it). */
  safeList?: SafeListSnapshot;
}

/** The record's signing keys, as core/webhook-signing.ts takes them. */
export function webhookKeysOf(record: ServiceRecord): WebhookKeys {
  return { secret: record.webhookSecret, publicKey: record.webhookPublicKey, sealedKey: record.webhookSealedKey, replaced: record.webhookReplacedKeys };
}

/** Numbers every service treats as allow-listed (Twilio's Safe List), and a version that changes with them. */
export interface SafeListSnapshot {
  version: number;
  numbers: string[];
}

export interface SafeListEntry {
  /** `GN` + 32 hex, random. */
  sid: string;
  phoneNumber: string;
  createdAt: number;
}

export type SafeListAdd = { outcome: "added"; entry: SafeListEntry } | { outcome: "exists" } | { outcome: "full" };

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
/**
 * Safe List entries. The whole list rides on every key resolution (at most one per key per isolate
 * per 30 s), so it is bounded: 1,000 E.164 numbers are ~16 KB on such a read.
 */
export const SAFE_LIST_MAX = 1_000;
const SAFE_LIST_VERSION = "safeListVersion";

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
    // Columns of this release, added in place to a registry written by an earlier one; its services
    // get their v1a key pair on first read (#withKeys).
    const columns = this.#sql.exec("SELECT name FROM pragma_table_info('services')").toArray().map((r) => r.name);
    if (!columns.includes("webhook_public_key")) this.#sql.exec("ALTER TABLE services ADD COLUMN webhook_public_key TEXT NOT NULL DEFAULT ''");
    if (!columns.includes("webhook_sealed_key")) this.#sql.exec("ALTER TABLE services ADD COLUMN webhook_sealed_key TEXT NOT NULL DEFAULT ''");
    if (!columns.includes("webhook_replaced_keys")) this.#sql.exec("ALTER TABLE services ADD COLUMN webhook_replaced_keys TEXT NOT NULL DEFAULT '[]'");
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
    this.#sql.exec("CREATE TABLE IF NOT EXISTS safe_list (phone_number TEXT PRIMARY KEY, sid TEXT NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID");
    this.#rateLimits = new RateLimitTables(this.#sql);
  }

  /** Creates the service if it does not exist (the built-in default service is made this way). */
  async ensureService(input: { id: string; settings: ServiceSettings }): Promise<ServiceRecord> {
    const found = this.#get(input.id);
    if (found) return { ...(await this.#withKeys(found)), safeList: this.#safeList() };
    const pair = await this.#newKeyPair(input.id);
    // Created meanwhile by a call that interleaved with the key generation: that one stands.
    return { ...(this.#get(input.id) ?? this.#insert(input, pair)), safeList: this.#safeList() };
  }

  async createService(input: { id: string; settings: ServiceSettings }): Promise<ServiceRecord> {
    return this.#insert(input, await this.#newKeyPair(input.id));
  }

  async getService(id: string): Promise<ServiceRecord | null> {
    const found = this.#get(id);
    return found ? { ...(await this.#withKeys(found)), safeList: this.#safeList() } : null;
  }

  async listServices(): Promise<ServiceRecord[]> {
    const rows = this.#sql.exec("SELECT * FROM services ORDER BY created_at, id").toArray().map(toService);
    return Promise.all(rows.map((row) => this.#withKeys(row)));
  }

  /**
   * Replaces the settings. A change of `webhookSigning` keeps the outgoing scheme's key signing
   * next to the new scheme's for 24 hours, so receivers can move at their own pace.
   */
  async updateService(input: { id: string; settings: ServiceSettings }): Promise<ServiceRecord | null> {
    // Keys first (a service of an earlier release gets its v1a pair): v1a needs one to sign.
    if (!(await this.getService(input.id))) return null;
    const current = this.#get(input.id);
    if (!current) return null;
    const now = Date.now();
    const from = current.settings.webhookSigning ?? "v1";
    const to = input.settings.webhookSigning ?? "v1";
    const replaced = from === to ? current.webhookReplacedKeys : replaceKey(webhookKeysOf(current), from, now);
    this.#sql.exec(
      "UPDATE services SET settings = ?, webhook_replaced_keys = ?, updated_at = ? WHERE id = ?",
      JSON.stringify(input.settings),
      JSON.stringify(replaced),
      now,
      input.id,
    );
    return this.#get(input.id);
  }

  /**
   * A new key for the service's current scheme (a `whsec_` secret for v1, an Ed25519 pair for
   * v1a); the replaced key keeps signing next to it until `replacedUntil` (24 hours).
   */
  async rotateWebhookKey(id: string): Promise<{ service: ServiceRecord; replacedUntil: number } | null> {
    // Keys first (a service of an earlier release gets its v1a pair), and the new ones generated
    // before the read that decides: awaits let other calls in, the synchronous write below does not.
    if (!(await this.getService(id))) return null;
    const pair = await this.#newKeyPair(id);
    const secret = newWebhookSecret(cryptoRandom);
    const latest = this.#get(id);
    if (!latest) return null;
    const keys = webhookKeysOf(latest);
    const signing = latest.settings.webhookSigning ?? "v1";
    const now = Date.now();
    const replaced = replaceKey(keys, signing, now);
    if (signing === "v1") {
      this.#sql.exec("UPDATE services SET webhook_secret = ?, webhook_replaced_keys = ?, updated_at = ? WHERE id = ?", secret, JSON.stringify(replaced), now, id);
    } else {
      this.#sql.exec(
        "UPDATE services SET webhook_public_key = ?, webhook_sealed_key = ?, webhook_replaced_keys = ?, updated_at = ? WHERE id = ?",
        pair.publicKey,
        pair.sealedKey,
        JSON.stringify(replaced),
        now,
        id,
      );
    }
    return { service: this.#get(id)!, replacedUntil: replaced[0]!.until };
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
    return { serviceId: key.serviceId, keyId: key.id, service: { ...service, safeList: this.#safeList() } };
  }

  /** Puts a number (E.164, already validated) on the account's Safe List; `sid` is used only if it is new. */
  async addSafeNumber(input: { phoneNumber: string; sid: string }): Promise<SafeListAdd> {
    if (this.#safeEntry(input.phoneNumber)) return { outcome: "exists" };
    const count = this.#sql.exec("SELECT COUNT(*) AS n FROM safe_list").one().n as number;
    if (count >= SAFE_LIST_MAX) return { outcome: "full" };
    this.#sql.exec("INSERT INTO safe_list (phone_number, sid, created_at) VALUES (?, ?, ?)", input.phoneNumber, input.sid, Date.now());
    this.#bumpSafeListVersion();
    return { outcome: "added", entry: this.#safeEntry(input.phoneNumber)! };
  }

  async getSafeNumber(phoneNumber: string): Promise<SafeListEntry | null> {
    return this.#safeEntry(phoneNumber);
  }

  async removeSafeNumber(phoneNumber: string): Promise<boolean> {
    const removed = this.#sql.exec("DELETE FROM safe_list WHERE phone_number = ?", phoneNumber).rowsWritten > 0;
    if (removed) this.#bumpSafeListVersion();
    return removed;
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

  #safeEntry(phoneNumber: string): SafeListEntry | null {
    const row = this.#sql.exec("SELECT * FROM safe_list WHERE phone_number = ?", phoneNumber).toArray()[0];
    return row ? { sid: row.sid as string, phoneNumber: row.phone_number as string, createdAt: row.created_at as number } : null;
  }

  #safeList(): SafeListSnapshot {
    const numbers = this.#sql.exec("SELECT phone_number FROM safe_list ORDER BY phone_number").toArray().map((r) => r.phone_number as string);
    return { version: this.ctx.storage.kv.get<number>(SAFE_LIST_VERSION) ?? 0, numbers };
  }

  /** Isolates rebuild their copy of the list only when this changes. */
  #bumpSafeListVersion(): void {
    this.ctx.storage.kv.put(SAFE_LIST_VERSION, (this.ctx.storage.kv.get<number>(SAFE_LIST_VERSION) ?? 0) + 1);
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

  #insert(input: { id: string; settings: ServiceSettings }, pair: { publicKey: string; sealedKey: string }): ServiceRecord {
    const now = Date.now();
    this.#sql.exec(
      "INSERT INTO services (id, settings, webhook_secret, webhook_public_key, webhook_sealed_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      input.id,
      JSON.stringify(input.settings),
      newWebhookSecret(cryptoRandom),
      pair.publicKey,
      pair.sealedKey,
      now,
      now,
    );
    return this.#get(input.id)!;
  }

  /** A v1a key pair for the service: the public half, and the private half sealed (it exists in clear only here, now). */
  async #newKeyPair(serviceId: string): Promise<{ publicKey: string; sealedKey: string }> {
    const { privateKey, publicKey } = await newWebhookKeyPair(cryptoRandom);
    const sealedKey = await sealPrivateKey(privateKey, { secret: loadConfig(this.env).codeSecret, serviceId, random: cryptoRandom });
    return { publicKey, sealedKey };
  }

  /** The record with its v1a key pair, made now for a service of an earlier release. */
  async #withKeys(record: ServiceRecord): Promise<ServiceRecord> {
    if (record.webhookPublicKey) return record;
    const pair = await this.#newKeyPair(record.id);
    // Only if still missing: a call that interleaved may have made one, and that one stands.
    this.#sql.exec("UPDATE services SET webhook_public_key = ?, webhook_sealed_key = ? WHERE id = ? AND webhook_public_key = ''", pair.publicKey, pair.sealedKey, record.id);
    return this.#get(record.id) ?? record;
  }
}

function toService(row: Record<string, SqlStorageValue>): ServiceRecord {
  return {
    id: row.id as string,
    settings: JSON.parse(row.settings as string) as ServiceSettings,
    webhookSecret: row.webhook_secret as string,
    webhookPublicKey: row.webhook_public_key as string,
    webhookSealedKey: row.webhook_sealed_key as string,
    webhookReplacedKeys: JSON.parse(row.webhook_replaced_keys as string) as ReplacedWebhookKey[],
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
