// Authentication of API keys and the admin token. Keys are compared as SHA-256 digests in
// constant time. Service keys are resolved through the registry behind a per-isolate cache that
// lives at most KEY_CACHE_MS, so a revoked key stops working everywhere within a minute while the
// hot path stays at one Durable Object round trip.
import type { Config } from "./config.ts";
import type { ServiceSettings } from "./core/service.ts";
import type { SafeListSnapshot, ServiceRecord, ServiceRegistry } from "./objects/service-registry.ts";
import { twilioSettings } from "./compat/sids.ts";
import { namespaceOf } from "./objects/namespaces.ts";
import { afterReset } from "./objects/reset.ts";

export interface Principal {
  /** Scope of the caller's objects and counters: "default" for the built-in service, else its id. */
  service: string;
  /** The service's public id (`VA` + 32 hex). */
  serviceId: string;
  /** Names the key without revealing it; scopes idempotency keys. */
  keyId: string;
  settings: ServiceSettings;
  /**
   * The account's Safe List as read with this principal (so at most KEY_CACHE_MS old): numbers
   * every service treats as allow-listed. Absent: none.
   */
  safeList?: ReadonlySet<string>;
}

export const DEFAULT_SERVICE = "default";
/** A revocation reaches every isolate within this long (plus one request). */
export const KEY_CACHE_MS = 30_000;
/** Generated service keys start with this, so they are recognisable in code and secret scanners. */
export const SERVICE_KEY_PREFIX = "evk_";

const digestCache = new WeakMap<Config, Promise<Uint8Array[]>>();
const keyCache = new Map<string, { principal: Principal | null; expiresAt: number }>();
const KEY_CACHE_MAX = 2_000;
/** Service records by id (the built-in one, the webhook outbox's), for KEY_CACHE_MS like keys. */
const serviceCache = new Map<string, { record: ServiceRecord | null; expiresAt: number }>();
/** One Set per Safe List version in this isolate, shared by every principal read with it. */
let sharedSafeList: { version: number; numbers: ReadonlySet<string> } | null = null;

export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function registryOf(env: Env): DurableObjectStub<ServiceRegistry> {
  const namespace = namespaceOf(env, "SERVICE_REGISTRY");
  return namespace.get(namespace.idFromName("registry"));
}

/** The built-in default service (the one `API_KEYS` belong to), created on first use. */
export async function defaultService(env: Env, config: Config): Promise<ServiceRecord> {
  const cached = serviceCache.get(DEFAULT_SERVICE);
  if (cached && cached.expiresAt > Date.now() && cached.record) return cached.record;
  const { defaultServiceSid } = await twilioSettings(env, config);
  const record = await afterReset<ServiceRecord>(() => registryOf(env).ensureService({ id: defaultServiceSid, settings: { friendlyName: "Default service" } }));
  serviceCache.set(DEFAULT_SERVICE, { record, expiresAt: Date.now() + KEY_CACHE_MS });
  return record;
}

/**
 * A service's record as the webhook outbox reads it at delivery time, cached per isolate for
 * KEY_CACHE_MS: a changed URL, scheme or rotated key reaches every isolate within that.
 */
export async function cachedService(env: Env, serviceId: string): Promise<ServiceRecord | null> {
  const cached = serviceCache.get(serviceId);
  if (cached && cached.expiresAt > Date.now()) return cached.record;
  const record = await afterReset<ServiceRecord | null>(() => registryOf(env).getService(serviceId));
  if (serviceCache.size >= KEY_CACHE_MAX) serviceCache.delete(serviceCache.keys().next().value!);
  serviceCache.set(serviceId, { record, expiresAt: Date.now() + KEY_CACHE_MS });
  return record;
}

/** Forgets cached lookups in this isolate (admin changes made here take effect at once here). */
export function forgetCachedKeys(): void {
  keyCache.clear();
  serviceCache.clear();
}

/** Reads `Authorization: Bearer <key>`; null for a missing, malformed, unknown or revoked key. */
export async function authenticate(authorization: string | null | undefined, env: Env, config: Config): Promise<Principal | null> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return match ? authenticateKey(match[1]!, env, config) : null;
}

export async function authenticateKey(key: string, env: Env, config: Config): Promise<Principal | null> {
  const candidate = await sha256(key);
  const digest = hex(candidate);
  if (!key.startsWith(SERVICE_KEY_PREFIX)) {
    let digests = digestCache.get(config);
    if (!digests) {
      digests = Promise.all(config.apiKeys.map(sha256));
      digestCache.set(config, digests);
    }
    let found = false;
    // Compare against every configured key without early exit.
    for (const configured of await digests) {
      if (crypto.subtle.timingSafeEqual(candidate, configured)) found = true;
    }
    if (!found) return null;
    return principalOf(await defaultService(env, config), DEFAULT_SERVICE, digest.slice(0, 16));
  }
  const now = Date.now();
  const cached = keyCache.get(digest);
  if (cached && cached.expiresAt > now) return cached.principal;
  // A read: repeated once if the registry was reset under it, so a restart is never a 500.
  const resolved = await afterReset<Awaited<ReturnType<ServiceRegistry["resolveKey"]>>>(() => registryOf(env).resolveKey(digest));
  // Keys made for the built-in service act in its scope, like API_KEYS.
  const scope = resolved?.serviceId === (await twilioSettings(env, config)).defaultServiceSid ? DEFAULT_SERVICE : resolved?.serviceId;
  const principal = resolved ? principalOf(resolved.service, scope!, resolved.keyId) : null;
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(digest, { principal, expiresAt: now + KEY_CACHE_MS });
  return principal;
}

/**
 * The principal the admin API acts as for a service's per-number operations (deny and allow
 * lists), so they run the same verifier code path as the service's own API keys.
 */
export async function servicePrincipal(record: ServiceRecord, env: Env, config: Config): Promise<Principal> {
  const scope = record.id === (await twilioSettings(env, config)).defaultServiceSid ? DEFAULT_SERVICE : record.id;
  return principalOf(record, scope, "admin");
}

function principalOf(record: ServiceRecord, scope: string, keyId: string): Principal {
  return { service: scope, serviceId: record.id, keyId, settings: record.settings, safeList: safeListOf(record.safeList) };
}

function safeListOf(snapshot: SafeListSnapshot | undefined): ReadonlySet<string> | undefined {
  if (!snapshot || snapshot.numbers.length === 0) return undefined;
  if (sharedSafeList?.version !== snapshot.version) sharedSafeList = { version: snapshot.version, numbers: new Set(snapshot.numbers) };
  return sharedSafeList.numbers;
}

/** Constant-time check of the admin token (`Authorization: Bearer <ADMIN_TOKEN>`). */
export async function isAdmin(authorization: string | null | undefined, config: Config): Promise<boolean> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match || !config.adminToken) return false;
  return crypto.subtle.timingSafeEqual(await sha256(match[1]!), await sha256(config.adminToken));
}

/** A new service key: the prefix and 192 random bits, base64url. Shown once; stored as a digest. */
export function newServiceKey(): string {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  return SERVICE_KEY_PREFIX + btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
}

/** Twilio-style service id: `VA` + 32 hex. */
export function newServiceId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return `VA${hex(bytes)}`;
}
