// Signed webhooks (Standard Webhooks): events, signatures, retries with a stable id, no codes.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { call, json, latestCode, uniqueNumber, wrongCode } from "../helpers.ts";

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
