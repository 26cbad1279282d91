// src/auth.ts: API keys (API_KEYS and service keys from the registry), revocation and its per-isolate
// cache, the admin token, and the dev credentials outside development. Runs against the real
// ServiceRegistry object in workerd.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createAdmin } from "../src/admin.ts";
import { authenticate, forgetCachedKeys, hex, isAdmin, newServiceId, newServiceKey, registryOf, SERVICE_KEY_PREFIX, servicePrincipal, sha256 } from "../src/auth.ts";
import { DEV_ADMIN_TOKEN, DEV_API_KEY, loadConfig, parseConfig } from "../src/config.ts";
import { resetOnce } from "./helpers.ts";

const config = loadConfig(env);
const SECOND_KEY = "ev_test_second_key_0001";

describe("API_KEYS", () => {
  it("a configured key is the built-in service's principal, named by its digest, not by itself", async () => {
    const principal = await authenticate(`Bearer ${DEV_API_KEY}`, env, config);
    expect(principal).toMatchObject({ service: "default", keyId: hex(await sha256(DEV_API_KEY)).slice(0, 16) });
    expect(principal!.serviceId).toMatch(/^VA[0-9a-f]{32}$/);
    expect(JSON.stringify(principal)).not.toContain(DEV_API_KEY);
    const second = await authenticate(`Bearer ${SECOND_KEY}`, env, config);
    expect(second).toMatchObject({ service: "default", serviceId: principal!.serviceId });
    expect(second!.keyId).not.toBe(principal!.keyId);
  });

  it.each([
    ["no header", undefined],
    ["an empty header", ""],
    ["an unknown key", "Bearer ev_unknown_key_0000000000"],
    ["a key as Basic credentials", `Basic ${btoa(`${DEV_API_KEY}:`)}`],
    ["the key without a scheme", DEV_API_KEY],
    ["two tokens", `Bearer ${DEV_API_KEY} extra`],
    ["a prefix of the key", `Bearer ${DEV_API_KEY.slice(0, -1)}`],
  ])("%s: no principal", async (_name, authorization) => {
    expect(await authenticate(authorization, env, config)).toBeNull();
  });

  it("the scheme is case-insensitive and trailing space is ignored", async () => {
    expect(await authenticate(`bearer ${DEV_API_KEY}  `, env, config)).toMatchObject({ service: "default" });
  });
});

const PRODUCTION = {
  ENVIRONMENT: "production",
  API_KEYS: "ev_live_0123456789abcdef",
  CODE_SECRET: "a-real-secret-of-at-least-32-characters!",
  SMS_PROVIDER: "twilio",
  TWILIO_ACCOUNT_SID: "AC123",
  TWILIO_AUTH_TOKEN: "token",
  TWILIO_FROM: "+15005550006",
  ADMIN_TOKEN: "a-real-admin-token-of-24-chars",
};

describe("outside development", () => {
  const production = parseConfig(PRODUCTION);

  it("the dev key and the dev admin token open nothing; the deployment's own do", async () => {
    expect(await authenticate(`Bearer ${DEV_API_KEY}`, env, production)).toBeNull();
    expect(await isAdmin(`Bearer ${DEV_ADMIN_TOKEN}`, production)).toBe(false);
    expect(await authenticate(`Bearer ${PRODUCTION.API_KEYS}`, env, production)).toMatchObject({ service: "default" });
    expect(await isAdmin(`Bearer ${PRODUCTION.ADMIN_TOKEN}`, production)).toBe(true);
  });

  it("a deployment may not carry them at all (configuration refuses it)", () => {
    expect(() => parseConfig({ ...PRODUCTION, API_KEYS: `${PRODUCTION.API_KEYS},${DEV_API_KEY}` })).toThrow(/public dev key/);
    expect(() => parseConfig({ ...PRODUCTION, ADMIN_TOKEN: DEV_ADMIN_TOKEN })).toThrow(/public dev token/);
  });
});

describe("service keys", () => {
  const admin = createAdmin({ env, config });

  it("a key acts as its service; revoked through the admin API it stops at once in this isolate", async () => {
    const service = await admin.createService({ friendlyName: "Auth test" });
    const { key, secret } = await admin.createKey(service.id, { name: "backend" });
    expect(secret.startsWith(SERVICE_KEY_PREFIX)).toBe(true);
    expect(await authenticate(`Bearer ${secret}`, env, config)).toMatchObject({ service: service.id, serviceId: service.id, keyId: key.id });
    await admin.revokeKey(service.id, key.id);
    expect(await authenticate(`Bearer ${secret}`, env, config)).toBeNull();
  });

  it("a key lookup cut by a reset of the registry is made again, as the other objects' calls are: never a 500", async () => {
    const service = await admin.createService({ friendlyName: "Reset test" });
    const { key, secret } = await admin.createKey(service.id, { name: "backend" });
    forgetCachedKeys();
    const resetEnv = { ...env, SERVICE_REGISTRY: resetOnce("SERVICE_REGISTRY", "resolveKey") } as Env;
    expect(await authenticate(`Bearer ${secret}`, resetEnv, config)).toMatchObject({ service: service.id, keyId: key.id });
  });

  it("the admin API under a registry reset: a read is made again; a write that must not run twice answers a retryable 503, never a 500", async () => {
    const service = await admin.createService({ friendlyName: "Admin reset" });
    const listing = createAdmin({ env: { ...env, SERVICE_REGISTRY: resetOnce("SERVICE_REGISTRY", "listKeys") } as Env, config });
    expect(await listing.listKeys(service.id)).toEqual([]);
    const creating = createAdmin({ env: { ...env, SERVICE_REGISTRY: resetOnce("SERVICE_REGISTRY", "addKey") } as Env, config });
    await expect(creating.createKey(service.id, { name: "cut" })).rejects.toMatchObject({ reason: "unavailable", details: { retryAfterSeconds: 1 } });
    // Not made again behind the caller's back: the caller's retry makes the one key.
    expect(await admin.listKeys(service.id)).toEqual([]);
    await creating.createKey(service.id, { name: "retried" });
    expect((await admin.listKeys(service.id)).map((k) => k.name)).toEqual(["retried"]);
    const rotating = createAdmin({ env: { ...env, SERVICE_REGISTRY: resetOnce("SERVICE_REGISTRY", "rotateWebhookKey") } as Env, config });
    await expect(rotating.rotateWebhookKey(service.id)).rejects.toMatchObject({ reason: "unavailable" });
  });

  it("other isolates learn of a revocation when their cache entry lapses (KEY_CACHE_MS): the cache is per isolate", async () => {
    const service = await admin.createService({ friendlyName: "Cache test" });
    const { key, secret } = await admin.createKey(service.id, {});
    expect(await authenticate(`Bearer ${secret}`, env, config)).not.toBeNull();
    // Revoked behind this isolate's back, as another isolate's admin call would.
    await registryOf(env).revokeKey({ serviceId: service.id, keyId: key.id });
    expect(await authenticate(`Bearer ${secret}`, env, config)).not.toBeNull();
    forgetCachedKeys();
    expect(await authenticate(`Bearer ${secret}`, env, config)).toBeNull();
  });

  it("an unknown service key is no principal (and is remembered as none)", async () => {
    const unknown = newServiceKey();
    expect(await authenticate(`Bearer ${unknown}`, env, config)).toBeNull();
    expect(await authenticate(`Bearer ${unknown}`, env, config)).toBeNull();
  });

  it("a key made for the built-in service acts in its scope, as API_KEYS do", async () => {
    const builtIn = (await authenticate(`Bearer ${DEV_API_KEY}`, env, config))!.serviceId;
    const { secret } = await admin.createKey(builtIn, { name: "rotated" });
    expect(await authenticate(`Bearer ${secret}`, env, config)).toMatchObject({ service: "default", serviceId: builtIn });
    // The admin API's per-number calls act as the service, in the same scope.
    const record = await registryOf(env).getService(builtIn);
    expect(await servicePrincipal(record!, env, config)).toMatchObject({ service: "default", serviceId: builtIn, keyId: "admin" });
  });
});

describe("the admin token", () => {
  it("is ADMIN_TOKEN, compared whole; without one the admin API is closed to everyone", async () => {
    expect(await isAdmin(`Bearer ${DEV_ADMIN_TOKEN}`, config)).toBe(true);
    expect(await isAdmin(`Bearer ${DEV_ADMIN_TOKEN}x`, config)).toBe(false);
    expect(await isAdmin(`Bearer ${DEV_API_KEY}`, config)).toBe(false);
    expect(await isAdmin(undefined, config)).toBe(false);
    const closed = { ...config, adminToken: "" };
    expect(await isAdmin("Bearer ", closed)).toBe(false);
    expect(await isAdmin(`Bearer ${DEV_ADMIN_TOKEN}`, closed)).toBe(false);
  });
});

describe("generated credentials and digests", () => {
  it("service keys: the prefix and 192 random bits, base64url; service ids: VA and 32 hex", () => {
    const keys = new Set(Array.from({ length: 20 }, newServiceKey));
    expect(keys.size).toBe(20);
    for (const key of keys) expect(key).toMatch(/^evk_[A-Za-z0-9_-]{32}$/);
    expect(newServiceId()).toMatch(/^VA[0-9a-f]{32}$/);
  });

  it("sha256 and hex: the FIPS 180-2 vector", async () => {
    expect(hex(await sha256("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
