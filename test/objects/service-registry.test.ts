// ServiceRegistry: services, API keys (digests only) and recent webhook attempts, called over RPC as
// the Worker calls it. Each test uses its own instance (the Worker's is named "registry").
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEV_CODE_SECRET } from "../../src/config.ts";
import { openPrivateKey, publicKeyOf, REPLACED_KEY_SIGNS_MS } from "../../src/core/webhook-signing.ts";
import type { WebhookAttempt } from "../../src/objects/service-registry.ts";

const registryOf = () => env.SERVICE_REGISTRY.get(env.SERVICE_REGISTRY.idFromName(`registry-test:${crypto.randomUUID()}`));
const digest = () => crypto.randomUUID().replace(/-/g, "").repeat(2);
/** The Safe List of a registry that never had one (its behaviour: test/compat/twilio-safelist.test.ts). */
const NO_SAFE_LIST = { version: 0, numbers: [] };

describe("services", () => {
  it("createService stores the settings with a fresh Standard Webhooks secret", async () => {
    const registry = registryOf();
    const before = Date.now();
    const service = await registry.createService({ id: "VA1", settings: { friendlyName: "Shop", codeLength: 8 } });
    expect(service).toMatchObject({ id: "VA1", settings: { friendlyName: "Shop", codeLength: 8 } });
    expect(service.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(service.webhookSecret.slice("whsec_".length))).toHaveLength(32);
    expect(service.createdAt).toBeGreaterThanOrEqual(before);
    expect(service.updatedAt).toBe(service.createdAt);
    expect((await registry.createService({ id: "VA2", settings: { friendlyName: "Other" } })).webhookSecret).not.toBe(service.webhookSecret);
    // A read a principal is built from carries the account's Safe List (empty here).
    expect(await registry.getService("VA1")).toEqual({ ...service, safeList: NO_SAFE_LIST });
    expect(await registry.getService("VA_missing")).toBeNull();
  });

  it("ensureService creates a missing service once and then answers the stored one unchanged", async () => {
    const registry = registryOf();
    const created = await registry.ensureService({ id: "VA_default", settings: { friendlyName: "Default service" } });
    expect(await registry.ensureService({ id: "VA_default", settings: { friendlyName: "Something else" } })).toEqual(created);
    const { safeList, ...record } = created;
    expect(safeList).toEqual(NO_SAFE_LIST);
    expect(await registry.listServices()).toEqual([record]);
  });

  it("refuses a second service with the same id", async () => {
    const registry = registryOf();
    // Called inside the object: a refusal thrown across RPC would also surface as the object's uncaught error.
    await runInDurableObject(registry, async (instance) => {
      await instance.createService({ id: "VA1", settings: { friendlyName: "Shop" } });
      await expect(instance.createService({ id: "VA1", settings: { friendlyName: "Again" } })).rejects.toThrow(/UNIQUE/);
    });
    expect((await registry.getService("VA1"))!.settings.friendlyName).toBe("Shop");
  });

  it("updateService replaces the settings and keeps the secret; an unknown id is null", async () => {
    const registry = registryOf();
    const created = await registry.createService({ id: "VA1", settings: { friendlyName: "Shop", codeLength: 8 } });
    const updated = await registry.updateService({ id: "VA1", settings: { friendlyName: "Shop 2" } });
    expect(updated).toMatchObject({ id: "VA1", settings: { friendlyName: "Shop 2" }, webhookSecret: created.webhookSecret, createdAt: created.createdAt });
    expect(updated!.settings).not.toHaveProperty("codeLength");
    expect(updated!.updatedAt).toBeGreaterThanOrEqual(created.updatedAt);
    expect(await registry.updateService({ id: "VA_missing", settings: { friendlyName: "x" } })).toBeNull();
  });

  it("listServices answers them in creation order", async () => {
    const registry = registryOf();
    for (const id of ["VA_c", "VA_a", "VA_b"]) await registry.createService({ id, settings: { friendlyName: id } });
    // Created within the same millisecond, ties go by id.
    await runInDurableObject(registry, (_instance, state) => void state.storage.sql.exec("UPDATE services SET created_at = 1 WHERE id IN ('VA_a', 'VA_b')"));
    expect((await registry.listServices()).map((s) => s.id)).toEqual(["VA_a", "VA_b", "VA_c"]);
  });
});

describe("API keys", () => {
  it("addKey stores a digest for an existing service only, with an id, name and prefix", async () => {
    const registry = registryOf();
    await registry.createService({ id: "VA1", settings: { friendlyName: "Shop" } });
    const key = await registry.addKey({ serviceId: "VA1", name: "backend", prefix: "evk_3f9a", digest: digest() });
    expect(key).toEqual({ id: expect.stringMatching(/^key_[A-Za-z0-9_-]{12}$/), serviceId: "VA1", name: "backend", prefix: "evk_3f9a", createdAt: expect.any(Number), lastUsedAt: 0, revokedAt: 0 });
    expect(await registry.addKey({ serviceId: "VA_missing", name: "x", prefix: "evk_", digest: digest() })).toBeNull();
    expect(await registry.listKeys("VA1")).toEqual([key]);
    // Nothing of the key but its digest (and display prefix) is kept.
    const stored = await runInDurableObject(registry, (_instance, state) => state.storage.sql.exec("SELECT * FROM api_keys").toArray());
    expect(Object.keys(stored[0]!).sort()).toEqual(["created_at", "digest", "id", "last_used_at", "name", "prefix", "revoked_at", "service_id"]);
  });

  it("a digest can belong to one key only", async () => {
    const registry = registryOf();
    await registry.createService({ id: "VA1", settings: { friendlyName: "Shop" } });
    const same = digest();
    await runInDurableObject(registry, async (instance) => {
      await instance.addKey({ serviceId: "VA1", name: "a", prefix: "evk_", digest: same });
      await expect(instance.addKey({ serviceId: "VA1", name: "b", prefix: "evk_", digest: same })).rejects.toThrow(/UNIQUE/);
    });
    expect((await registry.listKeys("VA1")).map((k) => k.name)).toEqual(["a"]);
  });

  it("resolveKey finds a live key's service, and nothing for a revoked or unknown digest", async () => {
    const registry = registryOf();
    const service = await registry.createService({ id: "VA1", settings: { friendlyName: "Shop" } });
    const live = digest();
    const key = await registry.addKey({ serviceId: "VA1", name: "a", prefix: "evk_", digest: live });
    expect(await registry.resolveKey(live)).toEqual({ serviceId: "VA1", keyId: key!.id, service: { ...service, safeList: NO_SAFE_LIST } });
    expect(await registry.resolveKey(digest())).toBeNull();
    const revoked = await registry.revokeKey({ serviceId: "VA1", keyId: key!.id });
    expect(revoked!.revokedAt).toBeGreaterThan(0);
    expect(await registry.resolveKey(live)).toBeNull();
  });

  it("revokeKey keeps the first revocation time, and answers null for another service's key", async () => {
    const registry = registryOf();
    await registry.createService({ id: "VA1", settings: { friendlyName: "Shop" } });
    await registry.createService({ id: "VA2", settings: { friendlyName: "Other" } });
    const key = await registry.addKey({ serviceId: "VA1", name: "a", prefix: "evk_", digest: digest() });
    expect(await registry.revokeKey({ serviceId: "VA2", keyId: key!.id })).toBeNull();
    expect((await registry.listKeys("VA1"))[0]!.revokedAt).toBe(0);
    await runInDurableObject(registry, (_instance, state) => void state.storage.sql.exec("UPDATE api_keys SET revoked_at = 5"));
    expect(await registry.revokeKey({ serviceId: "VA1", keyId: key!.id })).toMatchObject({ revokedAt: 5 });
  });

  it("records a key's use at most once a minute", async () => {
    const registry = registryOf();
    await registry.createService({ id: "VA1", settings: { friendlyName: "Shop" } });
    const live = digest();
    await registry.addKey({ serviceId: "VA1", name: "a", prefix: "evk_", digest: live });
    const lastUsed = async () => (await registry.listKeys("VA1"))[0]!.lastUsedAt;
    const setLastUsed = (at: number) => runInDurableObject(registry, (_instance, state) => void state.storage.sql.exec("UPDATE api_keys SET last_used_at = ?", at));
    await registry.resolveKey(live);
    expect(await lastUsed()).toBeGreaterThan(0);
    const recent = Date.now() - 30_000;
    await setLastUsed(recent);
    await registry.resolveKey(live);
    expect(await lastUsed()).toBe(recent);
    const old = Date.now() - 61_000;
    await setLastUsed(old);
    await registry.resolveKey(live);
    expect(await lastUsed()).toBeGreaterThan(old + 60_000);
  });

  it("deleteService deletes the service and revokes its live keys (a revoked one keeps its time); keys stop resolving", async () => {
    const registry = registryOf();
    await registry.createService({ id: "VA1", settings: { friendlyName: "Shop" } });
    await registry.createService({ id: "VA2", settings: { friendlyName: "Other" } });
    const live = digest();
    await registry.addKey({ serviceId: "VA1", name: "live", prefix: "evk_", digest: live });
    const old = await registry.addKey({ serviceId: "VA1", name: "old", prefix: "evk_", digest: digest() });
    const otherDigest = digest();
    await registry.addKey({ serviceId: "VA2", name: "other", prefix: "evk_", digest: otherDigest });
    await registry.revokeKey({ serviceId: "VA1", keyId: old!.id });
    await runInDurableObject(registry, (_instance, state) => void state.storage.sql.exec("UPDATE api_keys SET revoked_at = 5 WHERE id = ?", old!.id));
    expect(await registry.deleteService("VA1")).toBe(true);
    expect(await registry.deleteService("VA1")).toBe(false);
    expect(await registry.getService("VA1")).toBeNull();
    const keys = await registry.listKeys("VA1");
    expect(keys.find((k) => k.name === "old")!.revokedAt).toBe(5);
    expect(keys.find((k) => k.name === "live")!.revokedAt).toBeGreaterThan(5);
    expect(await registry.resolveKey(live)).toBeNull();
    expect(await registry.resolveKey(otherDigest)).toMatchObject({ serviceId: "VA2" });
  });
});

describe("webhook signing keys", () => {
  /** The stored row, every column as text: what a copy of the registry's storage would give away. */
  const storedRow = (registry: ReturnType<typeof registryOf>, id: string) =>
    runInDurableObject(registry, (_instance, state) => JSON.stringify(state.storage.sql.exec("SELECT * FROM services WHERE id = ?", id).one()));

  it("a new service has a v1a key pair: the public key in the record, the private key only sealed", async () => {
    const registry = registryOf();
    const service = await registry.createService({ id: "VA1", settings: { friendlyName: "Shop" } });
    expect(service.webhookPublicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    expect(service.webhookSealedKey).toMatch(/^sealed1\./);
    expect(service.webhookReplacedKeys).toEqual([]);
    // Sealed under CODE_SECRET (the dev value in tests) for this service: it opens to the private half of the public key.
    const privateKey = await openPrivateKey(service.webhookSealedKey, { secret: DEV_CODE_SECRET, serviceId: "VA1" });
    expect(privateKey).toMatch(/^whsk_/);
    expect(await publicKeyOf(privateKey)).toBe(service.webhookPublicKey);
    const row = await storedRow(registry, "VA1");
    expect(row).not.toContain("whsk_");
    expect(row).not.toContain(privateKey.slice("whsk_".length));
    const other = await registry.createService({ id: "VA2", settings: { friendlyName: "Other" } });
    expect(other.webhookPublicKey).not.toBe(service.webhookPublicKey);
  });

  it("a service stored by the previous release (no key columns filled) gets its key pair on first read, once", async () => {
    const registry = registryOf();
    await runInDurableObject(registry, (_instance, state) => {
      state.storage.sql.exec("INSERT INTO services (id, settings, webhook_secret, created_at, updated_at) VALUES ('VA_old', '{\"friendlyName\":\"Old\"}', 'whsec_b2xk', 1, 1)");
    });
    const first = await registry.getService("VA_old");
    expect(first).toMatchObject({ id: "VA_old", webhookSecret: "whsec_b2xk", webhookReplacedKeys: [], createdAt: 1, updatedAt: 1 });
    expect(first!.webhookPublicKey).toMatch(/^whpk_/);
    expect(await registry.getService("VA_old")).toEqual(first);
    // A list carries no Safe List (only reads a principal is built from do).
    const { safeList: _safeList, ...listed } = first!;
    expect(await registry.listServices()).toEqual([listed]);
  });

  it("the table of the previous release gains the key columns in place, keeping its rows", async () => {
    const name = `registry-test:${crypto.randomUUID()}`;
    const registry = env.SERVICE_REGISTRY.get(env.SERVICE_REGISTRY.idFromName(name));
    await runInDurableObject(registry, (_instance, state) => {
      // The previous release's table, as it created it; the constructor of this one runs again below.
      state.storage.sql.exec("DROP TABLE services");
      state.storage.sql.exec("CREATE TABLE services (id TEXT PRIMARY KEY, settings TEXT NOT NULL, webhook_secret TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)");
      state.storage.sql.exec("INSERT INTO services VALUES ('VA_old', '{\"friendlyName\":\"Old\"}', 'whsec_b2xk', 1, 1)");
    });
    await runInDurableObject(registry, async (_instance, state) => {
      const { ServiceRegistry } = await import("../../src/objects/service-registry.ts");
      const again = new ServiceRegistry(state, env);
      const service = await again.getService("VA_old");
      expect(service).toMatchObject({ id: "VA_old", settings: { friendlyName: "Old" }, webhookSecret: "whsec_b2xk", webhookReplacedKeys: [] });
      expect(service!.webhookPublicKey).toMatch(/^whpk_/);
    });
  });

  it("rotating a v1 service: a new whsec_ secret; the old one is kept to sign for 24 hours", async () => {
    const registry = registryOf();
    const before = await registry.createService({ id: "VA1", settings: { friendlyName: "Shop" } });
    const at = Date.now();
    const rotated = await registry.rotateWebhookKey("VA1");
    expect(rotated!.service.webhookSecret).toMatch(/^whsec_/);
    expect(rotated!.service.webhookSecret).not.toBe(before.webhookSecret);
    // The v1a pair is not the scheme in use: it stays.
    expect(rotated!.service.webhookPublicKey).toBe(before.webhookPublicKey);
    expect(rotated!.service.webhookReplacedKeys).toEqual([{ signing: "v1", secret: before.webhookSecret, until: rotated!.replacedUntil }]);
    expect(rotated!.replacedUntil - at).toBeGreaterThanOrEqual(REPLACED_KEY_SIGNS_MS);
    expect(rotated!.replacedUntil - at).toBeLessThan(REPLACED_KEY_SIGNS_MS + 5_000);
    expect(await registry.rotateWebhookKey("VA_missing")).toBeNull();
  });

  it("rotating a v1a service: a new key pair; the old one (public key and sealed private key) signs for 24 hours", async () => {
    const registry = registryOf();
    const before = await registry.createService({ id: "VA1", settings: { friendlyName: "Shop", webhookSigning: "v1a" } });
    const rotated = await registry.rotateWebhookKey("VA1");
    expect(rotated!.service.webhookPublicKey).toMatch(/^whpk_/);
    expect(rotated!.service.webhookPublicKey).not.toBe(before.webhookPublicKey);
    expect(rotated!.service.webhookSecret).toBe(before.webhookSecret);
    expect(rotated!.service.webhookReplacedKeys).toEqual([
      { signing: "v1a", publicKey: before.webhookPublicKey, sealedKey: before.webhookSealedKey, until: rotated!.replacedUntil },
    ]);
    expect(rotated!.service.updatedAt).toBeGreaterThanOrEqual(before.updatedAt);
    expect(await storedRow(registry, "VA1")).not.toContain("whsk_");
  });

  it("a change of scheme keeps the outgoing scheme's key signing for 24 hours; other updates leave the keys alone", async () => {
    const registry = registryOf();
    const created = await registry.createService({ id: "VA1", settings: { friendlyName: "Shop" } });
    const renamed = await registry.updateService({ id: "VA1", settings: { friendlyName: "Shop 2" } });
    expect(renamed!.webhookReplacedKeys).toEqual([]);
    const at = Date.now();
    const switched = await registry.updateService({ id: "VA1", settings: { friendlyName: "Shop 2", webhookSigning: "v1a" } });
    expect(switched!.webhookReplacedKeys).toEqual([{ signing: "v1", secret: created.webhookSecret, until: expect.any(Number) }]);
    expect(switched!.webhookReplacedKeys[0]!.until - at).toBeGreaterThanOrEqual(REPLACED_KEY_SIGNS_MS);
    expect([switched!.webhookSecret, switched!.webhookPublicKey]).toEqual([created.webhookSecret, created.webhookPublicKey]);
    const same = await registry.updateService({ id: "VA1", settings: { friendlyName: "Shop 3", webhookSigning: "v1a" } });
    expect(same!.webhookReplacedKeys).toEqual(switched!.webhookReplacedKeys);
  });
});

describe("webhook attempts", () => {
  const attempt = (serviceId: string, n: number): WebhookAttempt => ({ serviceId, eventId: `msg_${n}`, eventType: "verification.approved", url: "https://hooks.example.test", attempt: 1, statusCode: 204, error: "", at: n });

  it("are listed newest first, up to the limit asked for", async () => {
    const registry = registryOf();
    for (let n = 1; n <= 3; n++) await registry.recordWebhookAttempt(attempt("VA1", n));
    expect(await registry.listWebhookAttempts({ serviceId: "VA1", limit: 2 })).toEqual([attempt("VA1", 3), attempt("VA1", 2)]);
    expect(await registry.listWebhookAttempts({ serviceId: "VA2", limit: 2 })).toEqual([]);
  });

  it("keep only the latest 200 per service, without touching another service's", async () => {
    const registry = registryOf();
    await registry.recordWebhookAttempt(attempt("VA2", 0));
    for (let n = 1; n <= 205; n++) await registry.recordWebhookAttempt(attempt("VA1", n));
    const kept = await registry.listWebhookAttempts({ serviceId: "VA1", limit: 1_000 });
    expect(kept).toHaveLength(200);
    expect([kept[0]!.eventId, kept.at(-1)!.eventId]).toEqual(["msg_205", "msg_6"]);
    expect(await registry.listWebhookAttempts({ serviceId: "VA2", limit: 10 })).toEqual([attempt("VA2", 0)]);
  });
});
