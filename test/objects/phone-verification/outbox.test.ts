// The webhook outbox (outbox.ts) on a real number's object and the real service registry; the
// receiver is a local fake handed in as fetch. End to end (events from verifications, a retried
// receiver) is test/rest/webhooks.test.ts; this file pins the outbox's own rules: the event's
// shape, what is due and in which order, the claim before the first post, the service read at
// delivery time, the backoff schedule and giving up after 24 hours.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, it, vi } from "vitest";
import { forgetCachedKeys, registryOf } from "../../../src/auth.ts";
import { cryptoRandom } from "../../../src/core/codes.ts";
import type { ServiceSettings, WebhookEvent } from "../../../src/core/service.ts";
import { newWebhookKeyPair, openPrivateKey, REPLACED_KEY_SIGNS_MS, sealPrivateKey } from "../../../src/core/webhook-signing.ts";
import { DEV_CODE_SECRET } from "../../../src/config.ts";
import { deliverDueEvents, enqueueEvent, WEBHOOK_GIVE_UP_MS } from "../../../src/objects/phone-verification/outbox.ts";
import { NumberStore, type OutboxEvent } from "../../../src/objects/phone-verification/storage.ts";
import type { ServiceRecord } from "../../../src/objects/service-registry.ts";
import { signaturesOf, timeTravelWebhookKeys, uniqueNumber, v1aVerifies } from "../../helpers.ts";

const HOOK_URL = "https://hooks.example.test/receiver";
/** 25 posts of at most 10 s each, plus 30 s: how long a batch is claimed for. */
const CLAIM_MS = 25 * 10_000 + 30_000;

async function newService(settings: Partial<ServiceSettings> = { webhookUrl: HOOK_URL, webhookEvents: ["verification.approved", "verification.started"] }): Promise<ServiceRecord> {
  const id = `VA${crypto.randomUUID().replace(/-/g, "")}`;
  return registryOf(env).createService({ id, settings: { friendlyName: "Outbox test", ...settings } });
}

/** A webhook receiver that answers each post from `script` (then 204) and records it. */
function receiver(script: Array<number | "network"> = []) {
  const posts: { url: string; headers: Headers; body: string }[] = [];
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    posts.push({ url: request.url, headers: request.headers, body: await request.text() });
    const step = script.shift() ?? 204;
    if (step === "network") throw new TypeError("Network connection lost.");
    return new Response(step === 204 ? null : "nope", { status: step });
  }) as typeof fetch;
  return { posts, fetchFn };
}

function withObject<T>(fn: (store: NumberStore, state: DurableObjectState) => Promise<T>): Promise<T> {
  const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`outbox-test:${uniqueNumber()}`));
  return runInDurableObject(stub, (_instance, state) => fn(new NumberStore(state.storage), state));
}

const event = (serviceId: string, overrides: Partial<OutboxEvent> = {}): OutboxEvent => {
  const now = Date.now();
  return { id: `msg_${crypto.randomUUID()}`, type: "verification.approved", serviceId, payload: '{"type":"verification.approved"}', createdAt: now, attempts: 0, nextAttemptAt: now, ...overrides };
};

describe("enqueueEvent", () => {
  it("writes one due event: a msg_ id, the type, the time as RFC 3339 and the data as the payload", async () => {
    await withObject(async (store) => {
      const now = 1_800_000_000_000;
      const id = enqueueEvent(store, { type: "verification.started", serviceId: "VA1", data: { id: "ve_1", status: "pending" }, now });
      expect(id).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
      expect(store.outbox()).toEqual([
        {
          id,
          type: "verification.started",
          serviceId: "VA1",
          payload: JSON.stringify({ type: "verification.started", timestamp: "2027-01-15T08:00:00.000Z", data: { id: "ve_1", status: "pending" } }),
          createdAt: now,
          attempts: 0,
          nextAttemptAt: now,
        },
      ]);
      expect(enqueueEvent(store, { type: "verification.started", serviceId: "VA1", data: {}, now })).not.toBe(id);
    });
  });
});

describe("deliverDueEvents", () => {
  it("posts a due event signed per Standard Webhooks with its stable id, then deletes it", async () => {
    const service = await newService();
    await withObject(async (store, state) => {
      const due = event(service.id);
      store.saveOutboxEvent(due);
      const { posts, fetchFn } = receiver();
      await deliverDueEvents(store, env, state, fetchFn);
      expect(posts).toHaveLength(1);
      const [post] = posts;
      expect(post!.url).toBe(HOOK_URL);
      expect(post!.body).toBe(due.payload);
      expect(post!.headers.get("webhook-id")).toBe(due.id);
      expect(post!.headers.get("content-type")).toBe("application/json");
      const headers = Object.fromEntries(["webhook-id", "webhook-timestamp", "webhook-signature"].map((h) => [h, post!.headers.get(h)!]));
      expect(new Webhook(service.webhookSecret).verify(post!.body, headers)).toEqual(JSON.parse(due.payload));
      expect(store.outbox()).toEqual([]);
    });
    // The attempt is recorded for the service's admins.
    await expect
      .poll(async () => (await registryOf(env).listWebhookAttempts({ serviceId: service.id, limit: 10 })).map((a) => [a.attempt, a.statusCode, a.url]))
      .toEqual([[1, 204, HOOK_URL]]);
  });

  it("posts only what is due, oldest first, at most 25 per run", async () => {
    const service = await newService();
    await withObject(async (store, state) => {
      const now = Date.now();
      // Ids run against age (the oldest has the highest id), so the order of keys is not the order of posts.
      const events = Array.from({ length: 30 }, (_v, i) => event(service.id, { id: `msg_${String(29 - i).padStart(2, "0")}`, createdAt: now - 1_000 + i }));
      for (const e of events) store.saveOutboxEvent(e);
      store.saveOutboxEvent(event(service.id, { id: "msg_later", createdAt: now - 5_000, nextAttemptAt: now + 60_000 }));
      const { posts, fetchFn } = receiver();
      await deliverDueEvents(store, env, state, fetchFn);
      expect(posts.map((p) => p.headers.get("webhook-id"))).toEqual(events.slice(0, 25).map((e) => e.id));
      expect(store.outbox().map((e) => e.id).sort()).toEqual(["msg_00", "msg_01", "msg_02", "msg_03", "msg_04", "msg_later"]);
    });
  });

  it("claims the whole batch before the first post, so a run alongside posts none of it again", async () => {
    const service = await newService();
    await withObject(async (store, state) => {
      const first = event(service.id, { id: "msg_a" });
      const second = event(service.id, { id: "msg_b", createdAt: first.createdAt + 1 });
      store.saveOutboxEvent(first);
      store.saveOutboxEvent(second);
      const alongside = receiver();
      let seenDuringPost: OutboxEvent[] = [];
      const { posts, fetchFn } = receiver();
      const slow = (async (input: RequestInfo | URL, init?: RequestInit) => {
        if (posts.length === 0) {
          seenDuringPost = store.outbox();
          await deliverDueEvents(store, env, state, alongside.fetchFn);
        }
        return fetchFn(input, init);
      }) as typeof fetch;
      const before = Date.now();
      await deliverDueEvents(store, env, state, slow);
      expect(seenDuringPost.map((e) => e.nextAttemptAt - before).every((ms) => ms >= CLAIM_MS && ms < CLAIM_MS + 5_000)).toBe(true);
      expect(seenDuringPost).toHaveLength(2);
      expect(alongside.posts).toEqual([]);
      expect(posts.map((p) => p.headers.get("webhook-id"))).toEqual(["msg_a", "msg_b"]);
    });
  });

  it("reads the service at delivery time: gone, without a URL or no longer subscribed, the event is dropped unposted", async () => {
    const unsubscribed = await newService({ webhookUrl: HOOK_URL, webhookEvents: ["verification.started"] });
    const noUrl = await newService({ webhookEvents: ["verification.approved"] });
    await withObject(async (store, state) => {
      store.saveOutboxEvent(event(unsubscribed.id, { type: "verification.approved" }));
      store.saveOutboxEvent(event(noUrl.id));
      store.saveOutboxEvent(event("VA_no_such_service"));
      const { posts, fetchFn } = receiver();
      await deliverDueEvents(store, env, state, fetchFn);
      expect(posts).toEqual([]);
      expect(store.outbox()).toEqual([]);
    });
  });

  it("a failed post is tried again after 5 s, 30 s, 2 min … 4 h, the last wait repeating, with its attempts counted", async () => {
    const service = await newService();
    const schedule: [attemptsBefore: number, waitSeconds: number][] = [
      [0, 5],
      [1, 30],
      [2, 120],
      [3, 300],
      [8, 14_400],
      [20, 14_400],
    ];
    await withObject(async (store, state) => {
      for (const [attempts, waitSeconds] of schedule) {
        const failing = event(service.id, { attempts });
        store.saveOutboxEvent(failing);
        const before = Date.now();
        await deliverDueEvents(store, env, state, receiver([500]).fetchFn);
        const after = Date.now();
        const [kept] = store.outbox();
        expect(kept, `after attempt ${attempts + 1}`).toMatchObject({ id: failing.id, attempts: attempts + 1, payload: failing.payload });
        expect(kept!.nextAttemptAt).toBeGreaterThanOrEqual(before + waitSeconds * 1000);
        expect(kept!.nextAttemptAt).toBeLessThanOrEqual(after + waitSeconds * 1000);
        store.deleteOutboxEvent(failing.id);
      }
    });
  });

  it("a receiver that cannot be reached counts as a failed attempt (status 0, the error's name)", async () => {
    const service = await newService();
    await withObject(async (store, state) => {
      store.saveOutboxEvent(event(service.id));
      await deliverDueEvents(store, env, state, receiver(["network"]).fetchFn);
      expect(store.outbox()).toMatchObject([{ attempts: 1 }]);
    });
    await expect
      .poll(async () => (await registryOf(env).listWebhookAttempts({ serviceId: service.id, limit: 10 })).map((a) => [a.attempt, a.statusCode, a.error]))
      .toEqual([[1, 0, "TypeError"]]);
  });

  it("an erasure while a post is in flight is not undone: the failed post writes no retry back", async () => {
    const service = await newService();
    await withObject(async (store, state) => {
      store.saveOutboxEvent(event(service.id, { payload: '{"type":"verification.approved","data":{"to":"+14155550123"}}' }));
      // The receiver fails, and the number is erased (everything deleted) while it answers.
      const failing = (async () => {
        await state.storage.deleteAll();
        store.reset();
        return new Response("nope", { status: 500 });
      }) as typeof fetch;
      await deliverDueEvents(store, env, state, failing);
      expect(store.outbox()).toEqual([]);
      expect([...state.storage.kv.list()]).toEqual([]);
    });
  });

  it("gives up on an event 24 hours after it was created, and not before", async () => {
    const service = await newService();
    await withObject(async (store, state) => {
      const now = Date.now();
      store.saveOutboxEvent(event(service.id, { id: "msg_old", createdAt: now - WEBHOOK_GIVE_UP_MS, attempts: 12 }));
      store.saveOutboxEvent(event(service.id, { id: "msg_young", createdAt: now - WEBHOOK_GIVE_UP_MS + 60_000, attempts: 12 }));
      const { posts, fetchFn } = receiver([503, 503]);
      await deliverDueEvents(store, env, state, fetchFn);
      // Both got their last try; only the younger one is kept for another.
      expect(posts).toHaveLength(2);
      expect(store.outbox().map((e) => e.id)).toEqual(["msg_young"]);
    });
  });
});

describe("signatures: v1a, rotation and a change of scheme", () => {
  const SUBSCRIBED = { webhookUrl: HOOK_URL, webhookEvents: ["verification.approved", "verification.started"] as WebhookEvent[] };

  /** Posts one due event of the service and answers what the receiver got. */
  async function deliverOne(service: ServiceRecord) {
    return withObject(async (store, state) => {
      const due = event(service.id);
      store.saveOutboxEvent(due);
      const { posts, fetchFn } = receiver();
      await deliverDueEvents(store, env, state, fetchFn);
      expect(posts).toHaveLength(1);
      return posts[0]!;
    });
  }
  const v1Verifies = (secret: string, post: { headers: Headers; body: string }) => {
    const headers = Object.fromEntries(["webhook-id", "webhook-timestamp", "webhook-signature"].map((h) => [h, post.headers.get(h)!]));
    try {
      new Webhook(secret).verify(post.body, headers);
      return true;
    } catch {
      return false;
    }
  };

  it("a v1a service's webhooks carry one v1a signature, which a receiver verifies with the public key alone", async () => {
    const service = await newService({ ...SUBSCRIBED, webhookSigning: "v1a" });
    const post = await deliverOne(service);
    expect(Object.keys(signaturesOf(post.headers.get("webhook-signature")!))).toEqual(["v1a"]);
    expect(post.headers.get("webhook-signature")).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(await v1aVerifies(service.webhookPublicKey, post.headers, post.body)).toBe(true);
    // Bound to the body, the id and the timestamp, and to this key.
    expect(await v1aVerifies(service.webhookPublicKey, post.headers, post.body.replace("approved", "canceled"))).toBe(false);
    const moved = new Headers(post.headers);
    moved.set("webhook-timestamp", String(Number(post.headers.get("webhook-timestamp")) + 1));
    expect(await v1aVerifies(service.webhookPublicKey, moved, post.body)).toBe(false);
    const stranger = await newWebhookKeyPair(cryptoRandom);
    expect(await v1aVerifies(stranger.publicKey, post.headers, post.body)).toBe(false);
    expect(v1Verifies(service.webhookSecret, post)).toBe(false);
  });

  it("after a rotation both keys sign, space-separated, for 24 hours; then only the new one", async () => {
    const service = await newService({ ...SUBSCRIBED, webhookSigning: "v1a" });
    await deliverOne(service); // the service is now cached, as it is between deliveries
    const rotated = (await registryOf(env).rotateWebhookKey(service.id))!.service;
    forgetCachedKeys(); // as the admin API does in its isolate
    const during = await deliverOne(rotated);
    expect(signaturesOf(during.headers.get("webhook-signature")!).v1a).toHaveLength(2);
    expect(await v1aVerifies(rotated.webhookPublicKey, during.headers, during.body)).toBe(true);
    expect(await v1aVerifies(service.webhookPublicKey, during.headers, during.body)).toBe(true);

    await timeTravelWebhookKeys(service.id, REPLACED_KEY_SIGNS_MS - 60_000);
    const late = await deliverOne(rotated);
    expect(signaturesOf(late.headers.get("webhook-signature")!).v1a).toHaveLength(2);

    await timeTravelWebhookKeys(service.id, 60_000);
    const after = await deliverOne(rotated);
    expect(signaturesOf(after.headers.get("webhook-signature")!)).toEqual({ v1a: [expect.any(String)] });
    expect(await v1aVerifies(rotated.webhookPublicKey, after.headers, after.body)).toBe(true);
    expect(await v1aVerifies(service.webhookPublicKey, after.headers, after.body)).toBe(false);
  });

  it("rotating a v1 service: the old and new whsec_ secrets both verify for 24 hours", async () => {
    const service = await newService(SUBSCRIBED);
    const rotated = (await registryOf(env).rotateWebhookKey(service.id))!.service;
    forgetCachedKeys();
    const during = await deliverOne(rotated);
    expect(signaturesOf(during.headers.get("webhook-signature")!).v1).toHaveLength(2);
    expect([v1Verifies(service.webhookSecret, during), v1Verifies(rotated.webhookSecret, during)]).toEqual([true, true]);
    await timeTravelWebhookKeys(service.id, REPLACED_KEY_SIGNS_MS);
    const after = await deliverOne(rotated);
    expect([v1Verifies(service.webhookSecret, after), v1Verifies(rotated.webhookSecret, after)]).toEqual([false, true]);
  });

  it("moving from v1 to v1a: v1a with the public key at once, v1 next to it for 24 hours, then v1a alone", async () => {
    const service = await newService(SUBSCRIBED);
    expect(Object.keys(signaturesOf((await deliverOne(service)).headers.get("webhook-signature")!))).toEqual(["v1"]);
    const switched = (await registryOf(env).updateService({ id: service.id, settings: { ...service.settings, webhookSigning: "v1a" } }))!;
    forgetCachedKeys();
    const during = await deliverOne(switched);
    expect(Object.keys(signaturesOf(during.headers.get("webhook-signature")!))).toEqual(["v1a", "v1"]);
    expect(await v1aVerifies(service.webhookPublicKey, during.headers, during.body)).toBe(true);
    expect(v1Verifies(service.webhookSecret, during)).toBe(true);
    await timeTravelWebhookKeys(service.id, REPLACED_KEY_SIGNS_MS);
    const after = await deliverOne(switched);
    expect(Object.keys(signaturesOf(after.headers.get("webhook-signature")!))).toEqual(["v1a"]);
    expect(await v1aVerifies(service.webhookPublicKey, after.headers, after.body)).toBe(true);
  });

  it("a private key that does not open (sealed under another CODE_SECRET) posts nothing unsigned: a failed attempt, retried, logged without the key", async () => {
    const service = await newService({ ...SUBSCRIBED, webhookSigning: "v1a" });
    const privateKey = await openPrivateKey(service.webhookSealedKey, { secret: DEV_CODE_SECRET, serviceId: service.id });
    const foreign = await sealPrivateKey(privateKey, { secret: "another-code-secret-of-32-characters!!", serviceId: service.id, random: cryptoRandom });
    await runInDurableObject(registryOf(env), (_i, state) => void state.storage.sql.exec("UPDATE services SET webhook_sealed_key = ? WHERE id = ?", foreign, service.id));
    forgetCachedKeys();
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      await withObject(async (store, state) => {
        store.saveOutboxEvent(event(service.id));
        const { posts, fetchFn } = receiver();
        await deliverDueEvents(store, env, state, fetchFn);
        expect(posts).toEqual([]);
        expect(store.outbox()).toMatchObject([{ attempts: 1 }]);
      });
      const lines = logged.mock.calls.map((c) => String(c[0]));
      expect(lines.some((line) => line.includes('"webhook.signing_failed"'))).toBe(true);
      expect(lines.join("\n")).not.toContain(privateKey.slice("whsk_".length, 20));
    } finally {
      logged.mockRestore();
    }
    await expect
      .poll(async () => (await registryOf(env).listWebhookAttempts({ serviceId: service.id, limit: 10 })).map((a) => [a.attempt, a.statusCode, a.error]))
      .toEqual([[1, 0, "SigningError"]]);
  });
});
