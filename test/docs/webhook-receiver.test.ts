/// <reference types="vite/client" />
// The documented v1a receiver (examples/webhook-receiver/verify-v1a.mjs, shown verbatim in
// docs/webhooks.md) against real deliveries of the webhook outbox: it accepts what this Worker
// signs with the public key alone, and refuses a forgery, a stranger's key, a stale timestamp and
// a v1-only header.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { forgetCachedKeys, registryOf } from "../../src/auth.ts";
import { cryptoRandom } from "../../src/core/codes.ts";
import { newWebhookKeyPair } from "../../src/core/webhook-signing.ts";
import { deliverDueEvents } from "../../src/objects/phone-verification/outbox.ts";
import { NumberStore } from "../../src/objects/phone-verification/storage.ts";
import type { ServiceRecord } from "../../src/objects/service-registry.ts";
import { verifyWebhook } from "../../examples/webhook-receiver/verify-v1a.mjs";
import verifySource from "../../examples/webhook-receiver/verify-v1a.mjs?raw";
import serverSource from "../../examples/webhook-receiver/server.mjs?raw";
import webhooksDoc from "../../docs/webhooks.md?raw";
import { uniqueNumber } from "../helpers.ts";

const HOOK_URL = "https://hooks.example.test/receiver";
const PAYLOAD = JSON.stringify({ type: "verification.approved", timestamp: "2027-01-15T08:00:00.000Z", data: { id: "ve_1", status: "approved" } });

async function newService(webhookSigning: "v1" | "v1a"): Promise<ServiceRecord> {
  const id = `VA${crypto.randomUUID().replace(/-/g, "")}`;
  return registryOf(env).createService({ id, settings: { friendlyName: "Receiver test", webhookUrl: HOOK_URL, webhookEvents: ["verification.approved"], webhookSigning } });
}

/** One event of the service, posted by the outbox to a capturing receiver. */
async function delivered(service: ServiceRecord): Promise<{ headers: Headers; body: string }> {
  const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`receiver-test:${uniqueNumber()}`));
  return runInDurableObject(stub, async (_instance, state) => {
    const store = new NumberStore(state.storage);
    const now = Date.now();
    store.saveOutboxEvent({ id: `msg_${crypto.randomUUID()}`, type: "verification.approved", serviceId: service.id, payload: PAYLOAD, createdAt: now, attempts: 0, nextAttemptAt: now });
    let post: { headers: Headers; body: string } | undefined;
    await deliverDueEvents(store, env, state, (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      post = { headers: request.headers, body: await request.text() };
      return new Response(null, { status: 204 });
    }) as typeof fetch);
    return post!;
  });
}

describe("the documented v1a receiver", () => {
  it("accepts a delivery with the service's public key alone, whether headers are a Headers or Node's plain object", async () => {
    const service = await newService("v1a");
    const post = await delivered(service);
    expect(await verifyWebhook({ body: post.body, headers: post.headers, publicKeys: [service.webhookPublicKey] })).toEqual(JSON.parse(PAYLOAD));
    const nodeHeaders = Object.fromEntries(post.headers);
    expect(await verifyWebhook({ body: post.body, headers: nodeHeaders, publicKeys: [service.webhookPublicKey] })).toEqual(JSON.parse(PAYLOAD));
  });

  it("refuses a changed body, another key, a timestamp five minutes off, and a v1-only header", async () => {
    const service = await newService("v1a");
    const post = await delivered(service);
    const stranger = (await newWebhookKeyPair(cryptoRandom)).publicKey;
    const publicKeys = [service.webhookPublicKey];
    await expect(verifyWebhook({ body: post.body.replace("approved", "canceled"), headers: post.headers, publicKeys })).rejects.toThrow("no valid v1a signature");
    await expect(verifyWebhook({ body: post.body, headers: post.headers, publicKeys: [stranger] })).rejects.toThrow("no valid v1a signature");
    const sent = Number(post.headers.get("webhook-timestamp"));
    await expect(verifyWebhook({ body: post.body, headers: post.headers, publicKeys, nowSeconds: sent + 301 })).rejects.toThrow(/too old/);
    expect(await verifyWebhook({ body: post.body, headers: post.headers, publicKeys, nowSeconds: sent + 299 })).toEqual(JSON.parse(PAYLOAD));
    const v1 = await delivered(await newService("v1"));
    await expect(verifyWebhook({ body: v1.body, headers: v1.headers, publicKeys: [service.webhookPublicKey] })).rejects.toThrow("no valid v1a signature");
  });

  it("during a rotation, a receiver trusting only the old key or only the new one accepts", async () => {
    const service = await newService("v1a");
    const rotated = (await registryOf(env).rotateWebhookKey(service.id))!.service;
    forgetCachedKeys();
    const post = await delivered(rotated);
    for (const publicKey of [service.webhookPublicKey, rotated.webhookPublicKey]) {
      expect(await verifyWebhook({ body: post.body, headers: post.headers, publicKeys: [publicKey] })).toEqual(JSON.parse(PAYLOAD));
    }
  });

  it("docs/webhooks.md shows the example files verbatim", () => {
    for (const [path, source] of [
      ["examples/webhook-receiver/verify-v1a.mjs", verifySource],
      ["examples/webhook-receiver/server.mjs", serverSource],
    ] as const) {
      const block = new RegExp(`<!-- file: ${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} -->\\n\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(webhooksDoc);
      expect(block, path).not.toBeNull();
      expect(block![1], path).toBe(source);
    }
  });
});
