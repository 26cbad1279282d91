// Signed webhooks (Standard Webhooks): events, signatures, retries with a stable id, no codes.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { registryOf } from "../../src/auth.ts";
import { DEV_CODE_SECRET } from "../../src/config.ts";
import { openPrivateKey, REPLACED_KEY_SIGNS_MS } from "../../src/core/webhook-signing.ts";
import { call, json, latestCode, signaturesOf, timeTravelWebhookKeys, uniqueNumber, v1aVerifies, wrongCode } from "../helpers.ts";

const fake = (env as unknown as { FAKE_TWILIO_URL: string }).FAKE_TWILIO_URL;
const ADMIN = { authorization: "Bearer ev_dev_admin_token" };

interface Delivery {
  headers: Record<string, string>;
  body: string;
  answered: number;
}

async function deliveries(name: string): Promise<Delivery[]> {
  return ((await (await fetch(`${fake}/_webhooks?name=${name}`)).json()) as { deliveries: Delivery[] }).deliveries;
}

async function waitFor(name: string, count: number, to: string, service: string): Promise<Delivery[]> {
  const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`${service}:${to}`));
  for (let i = 0; i < 40; i++) {
    const got = await deliveries(name);
    if (got.length >= count) return got;
    await runDurableObjectAlarm(stub);
    await new Promise((r) => setTimeout(r, 25));
  }
  return deliveries(name);
}

async function serviceWithWebhook(name: string, events: string[]) {
  const service = await json(
    await call("POST", "/v1/services", { friendlyName: "Hooks", webhookUrl: `${fake}/webhooks/${name}`, webhookEvents: events }, ADMIN),
  );
  const key = await json(await call("POST", `/v1/services/${service.id}/keys`, { name: "k" }, ADMIN));
  return { service, auth: { authorization: `Bearer ${key.secret}` } };
}

describe("webhooks", () => {
  it("started, then approved: signed per Standard Webhooks, never the code", async () => {
    const name = `hook-${crypto.randomUUID()}`;
    const { service, auth } = await serviceWithWebhook(name, ["verification.started", "verification.approved"]);
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to }, auth));
    const code = await latestCode(to);
    await call("POST", "/v1/verifications/check", { verificationId: v.id, code: wrongCode(code) }, auth);
    await call("POST", "/v1/verifications/check", { verificationId: v.id, code }, auth);
    const got = await waitFor(name, 2, to, service.id);
    expect(got.map((d) => JSON.parse(d.body).type)).toEqual(["verification.started", "verification.approved"]);
    const verifier = new Webhook(service.webhookSecret);
    for (const d of got) {
      const payload = verifier.verify(d.body, {
        "webhook-id": d.headers["webhook-id"]!,
        "webhook-timestamp": d.headers["webhook-timestamp"]!,
        "webhook-signature": d.headers["webhook-signature"]!,
      }) as { data: { id: string } };
      expect(payload.data.id).toBe(v.id);
      expect(d.body).not.toContain(code);
      expect(d.headers["webhook-id"]).toMatch(/^msg_/);
    }
    // A forged body does not verify.
    expect(() => verifier.verify(got[0]!.body.replace("started", "approved"), {
      "webhook-id": got[0]!.headers["webhook-id"]!,
      "webhook-timestamp": got[0]!.headers["webhook-timestamp"]!,
      "webhook-signature": got[0]!.headers["webhook-signature"]!,
    })).toThrow();
  });

  it("only subscribed events are sent; canceled arrives", async () => {
    const name = `hook-${crypto.randomUUID()}`;
    const { service, auth } = await serviceWithWebhook(name, ["verification.canceled"]);
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to }, auth));
    await call("POST", `/v1/verifications/${v.id}/cancel`, undefined, auth);
    const got = await waitFor(name, 1, to, service.id);
    expect(got.map((d) => JSON.parse(d.body).type)).toEqual(["verification.canceled"]);
  });

  it("a failing receiver is retried with backoff under the same id; attempts are visible to admins", async () => {
    const name = `hook-${crypto.randomUUID()}`;
    await fetch(`${fake}/_webhook_failures`, { method: "POST", body: JSON.stringify({ name, times: 2 }) });
    const { service, auth } = await serviceWithWebhook(name, ["verification.started"]);
    const to = uniqueNumber();
    await call("POST", "/v1/verifications", { to }, auth);
    const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`${service.id}:${to}`));
    const age = async () =>
      runInDurableObject(stub, (_i, state) => {
        for (const [key, event] of [...state.storage.kv.list<{ nextAttemptAt: number }>({ prefix: "w:" })]) state.storage.kv.put(key, { ...event, nextAttemptAt: 1 });
      });
    let got = await waitFor(name, 1, to, service.id);
    expect(got).toHaveLength(1);
    // The next attempt waits for its backoff: nothing new without time passing.
    await runDurableObjectAlarm(stub);
    expect(await deliveries(name)).toHaveLength(1);
    await age();
    got = await waitFor(name, 2, to, service.id);
    await age();
    got = await waitFor(name, 3, to, service.id);
    expect(got.map((d) => d.answered)).toEqual([500, 500, 204]);
    expect(new Set(got.map((d) => d.headers["webhook-id"])).size).toBe(1);
    // Delivered: the outbox is empty.
    expect(await runInDurableObject(stub, (_i, state) => [...state.storage.kv.list({ prefix: "w:" })].length)).toBe(0);
    const { attempts } = await json(await call("GET", `/v1/services/${service.id}/webhook-attempts`, undefined, ADMIN));
    expect(attempts.map((a: { statusCode: number; attempt: number }) => [a.attempt, a.statusCode])).toEqual([
      [3, 204],
      [2, 500],
      [1, 500],
    ]);
  });
});

describe("v1a (Ed25519) webhooks over the admin API", () => {
  const asHeaders = (d: Delivery) => new Headers(d.headers);

  it("switching v1 → v1a: the receiver verifies with webhookPublicKey alone; v1 goes on next to it for 24 hours", async () => {
    const name = `hook-${crypto.randomUUID()}`;
    const { service, auth } = await serviceWithWebhook(name, ["verification.started"]);
    expect(service.settings.webhookSigning).toBeUndefined();
    expect(service.webhookPublicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    const patched = await call("PATCH", `/v1/services/${service.id}`, { webhookSigning: "v1a" }, ADMIN);
    expect(patched.status).toBe(200);
    const switched = await json(patched);
    expect(switched.settings.webhookSigning).toBe("v1a");
    expect(switched.webhookPublicKey).toBe(service.webhookPublicKey);

    const first = uniqueNumber();
    await call("POST", "/v1/verifications", { to: first }, auth);
    const [during] = await waitFor(name, 1, first, service.id);
    expect(Object.keys(signaturesOf(during!.headers["webhook-signature"]!))).toEqual(["v1a", "v1"]);
    expect(await v1aVerifies(switched.webhookPublicKey, asHeaders(during!), during!.body)).toBe(true);
    expect(() => new Webhook(service.webhookSecret).verify(during!.body, during!.headers)).not.toThrow();

    await timeTravelWebhookKeys(service.id, REPLACED_KEY_SIGNS_MS);
    const second = uniqueNumber();
    await call("POST", "/v1/verifications", { to: second }, auth);
    const [, after] = await waitFor(name, 2, second, service.id);
    expect(Object.keys(signaturesOf(after!.headers["webhook-signature"]!))).toEqual(["v1a"]);
    expect(await v1aVerifies(switched.webhookPublicKey, asHeaders(after!), after!.body)).toBe(true);
    expect(() => new Webhook(service.webhookSecret).verify(after!.body, after!.headers)).toThrow();
  });

  it("rotation: a new public key at once, both keys sign for 24 hours, then only the new one", async () => {
    const name = `hook-${crypto.randomUUID()}`;
    const created = await json(
      await call("POST", "/v1/services", { friendlyName: "Hooks", webhookUrl: `${fake}/webhooks/${name}`, webhookEvents: ["verification.started"], webhookSigning: "v1a" }, ADMIN),
    );
    const key = await json(await call("POST", `/v1/services/${created.id}/keys`, { name: "k" }, ADMIN));
    const auth = { authorization: `Bearer ${key.secret}` };
    const before = Date.now();
    const response = await call("POST", `/v1/services/${created.id}/rotate-webhook-key`, undefined, ADMIN);
    expect(response.status).toBe(200);
    const rotated = await json(response);
    expect(rotated.service.webhookPublicKey).toMatch(/^whpk_/);
    expect(rotated.service.webhookPublicKey).not.toBe(created.webhookPublicKey);
    expect(rotated.service.webhookSecret).toBe(created.webhookSecret); // v1's secret is not the scheme in use
    const until = Date.parse(rotated.previousKeyExpireTime);
    expect(until - before).toBeGreaterThanOrEqual(REPLACED_KEY_SIGNS_MS);
    expect(until - before).toBeLessThan(REPLACED_KEY_SIGNS_MS + 10_000);
    expect((await json(await call("GET", `/v1/services/${created.id}`, undefined, ADMIN))).webhookPublicKey).toBe(rotated.service.webhookPublicKey);

    const first = uniqueNumber();
    await call("POST", "/v1/verifications", { to: first }, auth);
    const [during] = await waitFor(name, 1, first, created.id);
    expect(signaturesOf(during!.headers["webhook-signature"]!).v1a).toHaveLength(2);
    expect(await v1aVerifies(created.webhookPublicKey, asHeaders(during!), during!.body)).toBe(true);
    expect(await v1aVerifies(rotated.service.webhookPublicKey, asHeaders(during!), during!.body)).toBe(true);

    await timeTravelWebhookKeys(created.id, REPLACED_KEY_SIGNS_MS);
    const second = uniqueNumber();
    await call("POST", "/v1/verifications", { to: second }, auth);
    const [, after] = await waitFor(name, 2, second, created.id);
    expect(signaturesOf(after!.headers["webhook-signature"]!).v1a).toHaveLength(1);
    expect(await v1aVerifies(rotated.service.webhookPublicKey, asHeaders(after!), after!.body)).toBe(true);
    expect(await v1aVerifies(created.webhookPublicKey, asHeaders(after!), after!.body)).toBe(false);

    expect((await call("POST", "/v1/services/VA00000000000000000000000000000000/rotate-webhook-key", undefined, ADMIN)).status).toBe(404);
    expect((await call("POST", `/v1/services/${created.id}/rotate-webhook-key`, undefined, { authorization: `Bearer ${key.secret}` })).status).toBe(401);
  });

  it("the built-in service rotates too", async () => {
    const { services } = await json(await call("GET", "/v1/services", undefined, ADMIN));
    const builtIn = services.find((s: { builtIn: boolean }) => s.builtIn);
    const rotated = await json(await call("POST", `/v1/services/${builtIn.id}/rotate-webhook-key`, undefined, ADMIN));
    expect(rotated.service.id).toBe(builtIn.id);
    // v1 unless set: a new whsec_ secret.
    expect(rotated.service.webhookSecret).not.toBe(builtIn.webhookSecret);
    expect((await json(await call("GET", `/v1/services/${builtIn.id}`, undefined, ADMIN))).webhookSecret).toBe(rotated.service.webhookSecret);
  });

  it("a bad webhookSigning is 400 naming the field, and changes nothing", async () => {
    for (const webhookSigning of ["v2", "V1A", "", "ed25519", 1, true, ["v1a"]]) {
      const created = await call("POST", "/v1/services", { friendlyName: "Hooks", webhookSigning }, ADMIN);
      expect(created.status, JSON.stringify(webhookSigning)).toBe(400);
      const body = await json(created);
      expect(body.details[0].field).toBe("webhookSigning");
      expect(body.message).toBe("webhookSigning: must be v1 (HMAC-SHA256) or v1a (Ed25519)");
    }
    const service = await json(await call("POST", "/v1/services", { friendlyName: "Hooks", webhookSigning: "v1a" }, ADMIN));
    const refused = await call("PATCH", `/v1/services/${service.id}`, { webhookSigning: "v3", friendlyName: "Renamed" }, ADMIN);
    expect(refused.status).toBe(400);
    expect((await json(refused)).details[0].field).toBe("webhookSigning");
    const unchanged = await json(await call("GET", `/v1/services/${service.id}`, undefined, ADMIN));
    expect(unchanged).toMatchObject({ friendlyName: "Hooks", settings: { webhookSigning: "v1a" }, webhookPublicKey: service.webhookPublicKey, updateTime: service.updateTime });
    // null clears it back to v1.
    const cleared = await json(await call("PATCH", `/v1/services/${service.id}`, { webhookSigning: null }, ADMIN));
    expect(cleared.settings.webhookSigning).toBeUndefined();
  });
});

describe("the v1a private key is never shown", () => {
  /** The service's private keys as stored (sealed) in the registry, opened here with the test CODE_SECRET. */
  async function privateKeysOf(serviceId: string): Promise<string[]> {
    const service = (await registryOf(env).getService(serviceId))!;
    const sealed = [service.webhookSealedKey, ...service.webhookReplacedKeys.flatMap((k) => (k.signing === "v1a" ? [k.sealedKey] : []))];
    return Promise.all(sealed.map((s) => openPrivateKey(s, { secret: DEV_CODE_SECRET, serviceId })));
  }

  it("by REST (create, get, list, update, rotate) or the console's page and script", async () => {
    const answers: string[] = [];
    const keep = async (response: Response) => {
      expect(response.ok).toBe(true);
      answers.push(await response.text());
      return JSON.parse(answers.at(-1)!);
    };
    const service = await keep(await call("POST", "/v1/services", { friendlyName: "Secret keeper", webhookSigning: "v1a" }, ADMIN));
    await keep(await call("GET", `/v1/services/${service.id}`, undefined, ADMIN));
    await keep(await call("GET", "/v1/services", undefined, ADMIN));
    await keep(await call("PATCH", `/v1/services/${service.id}`, { friendlyName: "Still secret" }, ADMIN));
    await keep(await call("POST", `/v1/services/${service.id}/rotate-webhook-key`, undefined, ADMIN));
    await keep(await call("GET", `/v1/services/${service.id}`, undefined, ADMIN));
    for (const path of ["/console", "/console/console.js"]) answers.push(await (await call("GET", path, undefined, {})).text());
    const privateKeys = await privateKeysOf(service.id);
    expect(privateKeys).toHaveLength(2); // the current one and the one the rotation replaced
    for (const text of answers) {
      expect(text).not.toContain("whsk_");
      expect(text).not.toContain("sealed1.");
      for (const privateKey of privateKeys) expect(text).not.toContain(privateKey.slice("whsk_".length));
    }
    expect(answers.join("")).toContain(service.webhookPublicKey);
  });
});
