// Twilio Verify's Service Rate Limits and Buckets, driven by the official `twilio` package: CRUD,
// Twilio's validation codes (60200, 60207–60211, 20404), and the `RateLimits` start parameter
// enforced by the scope counters (exact under concurrency, all or none with the other counters,
// refunded when the send fails, and a window that frees up once its time has passed). Each test
// makes its own service (admin API), so its rate limits and counts meet no other test's.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import twilio from "twilio";
import { describe, expect, it, vi } from "vitest";
import { MAX_BUCKETS_PER_RATE_LIMIT, MAX_RATE_LIMITS_PER_SERVICE, rateLimitObjectName } from "../../src/core/rate-limits.ts";
import { bucketWidthMs, type Bucket } from "../../src/core/window.ts";
import { rateLimitValueDigest } from "../../src/rate-limits.ts";
import { ACCOUNT_SID, client, failure } from "./twilio-sdk.ts";
import { call, fakeTwilioBehaviour, json, messagesTo, uniqueNumber } from "../helpers.ts";

const ADMIN = { authorization: "Bearer ev_dev_admin_token" };

/** A new service with its own API key, and its Verify service as the twilio client sees it. */
async function newService() {
  const created = await call("POST", "/v1/services", { friendlyName: "Shop" }, ADMIN);
  expect(created.status).toBe(201);
  const service = await json(created);
  const key = await json(await call("POST", `/v1/services/${service.id}/keys`, { name: "backend" }, ADMIN));
  return { sid: service.id as string, key: key.secret as string, verify: client({ key: key.secret, serviceSid: service.id }) };
}
type Service = Awaited<ReturnType<typeof newService>>;

/** A raw Twilio-door request as the service's key, for what the SDK cannot send. */
function raw(service: Service, method: string, path: string, body?: Record<string, string>): Promise<Response> {
  return exports.default.fetch(
    new Request(`http://edge-verify.test/v2/Services/${service.sid}${path}`, {
      method,
      headers: { authorization: `Basic ${btoa(`${ACCOUNT_SID}:${service.key}`)}`, "content-type": "application/x-www-form-urlencoded" },
      ...(body ? { body: new URLSearchParams(body).toString() } : {}),
    }),
  );
}

/** A rate limit with one bucket per `[max, interval]`. */
async function rateLimit(service: Service, uniqueName: string, buckets: [max: number, interval: number][]) {
  const created = await service.verify.rateLimits.create({ uniqueName });
  for (const [max, interval] of buckets) await service.verify.rateLimits(created.sid).buckets.create({ max, interval });
  return created;
}

const start = (service: Service, rateLimits?: Record<string, unknown>, to = uniqueNumber()) =>
  service.verify.verifications.create({ to, channel: "sms", ...(rateLimits ? { rateLimits } : {}) });

/** Every start's outcome: "ok", or the Twilio error code it failed with. */
async function outcomes(calls: Promise<unknown>[]): Promise<(string | number)[]> {
  return Promise.all(calls.map((p) => p.then(() => "ok" as const, (error: { code: number }) => error.code)));
}

describe("Twilio Service Rate Limits and Buckets with the twilio client", () => {
  it("create, fetch, list, update and remove a rate limit and its buckets", async () => {
    const service = await newService();
    const created = await service.verify.rateLimits.create({ uniqueName: "end_user_ip_address", description: "Per end-user IP" });
    expect(created.sid).toMatch(/^RK[0-9a-f]{32}$/);
    expect(created).toMatchObject({ serviceSid: service.sid, accountSid: ACCOUNT_SID, uniqueName: "end_user_ip_address", description: "Per end-user IP" });
    expect(created.dateCreated).toBeInstanceOf(Date);
    expect(created.url).toBe(`http://edge-verify.test/v2/Services/${service.sid}/RateLimits/${created.sid}`);
    expect(created.links).toEqual({ buckets: `${created.url}/Buckets` });

    expect((await service.verify.rateLimits(created.sid).fetch()).toJSON()).toEqual(created.toJSON());
    expect((await service.verify.rateLimits.list()).map((r) => r.sid)).toEqual([created.sid]);
    const updated = await service.verify.rateLimits(created.sid).update({ description: "Per IP" });
    expect(updated).toMatchObject({ sid: created.sid, uniqueName: "end_user_ip_address", description: "Per IP" });

    const buckets = service.verify.rateLimits(created.sid).buckets;
    const bucket = await buckets.create({ max: 5, interval: 60 });
    expect(bucket.sid).toMatch(/^BL[0-9a-f]{32}$/);
    expect(bucket).toMatchObject({ rateLimitSid: created.sid, serviceSid: service.sid, accountSid: ACCOUNT_SID, max: 5, interval: 60 });
    expect(bucket.url).toBe(`${created.url}/Buckets/${bucket.sid}`);
    const daily = await buckets.create({ max: 50, interval: 86_400 });
    expect((await buckets.list()).map((b) => [b.max, b.interval])).toEqual([[5, 60], [50, 86_400]]);
    expect(await service.verify.rateLimits(created.sid).buckets(bucket.sid).fetch()).toMatchObject({ sid: bucket.sid, max: 5, interval: 60 });
    expect(await buckets(bucket.sid).update({ max: 3 })).toMatchObject({ max: 3, interval: 60 });
    expect(await buckets(bucket.sid).update({ interval: 120 })).toMatchObject({ max: 3, interval: 120 });

    expect(await buckets(daily.sid).remove()).toBe(true);
    expect(await failure(buckets(daily.sid).fetch())).toMatchObject({ status: 404, code: 20404 });
    expect((await buckets.list()).map((b) => b.sid)).toEqual([bucket.sid]);

    expect(await service.verify.rateLimits(created.sid).remove()).toBe(true);
    expect(await failure(service.verify.rateLimits(created.sid).fetch())).toMatchObject({ status: 404, code: 20404 });
    // Its buckets went with it.
    expect(await failure(buckets(bucket.sid).fetch())).toMatchObject({ status: 404, code: 20404 });
    expect(await service.verify.rateLimits.list()).toEqual([]);
  });

  it("lists in pages the client follows", async () => {
    const service = await newService();
    const names = ["a", "b", "c"];
    for (const uniqueName of names) await service.verify.rateLimits.create({ uniqueName });
    const first = await service.verify.rateLimits.page({ pageSize: 2 });
    expect(first.instances.map((r) => r.uniqueName)).toEqual(["a", "b"]);
    expect(first.nextPageUrl).toContain("PageSize=2&Page=1");
    const second = await first.nextPage();
    expect(second!.instances.map((r) => r.uniqueName)).toEqual(["c"]);
    expect(second!.nextPageUrl).toBeUndefined();
    expect((await service.verify.rateLimits.list({ pageSize: 2 })).map((r) => r.uniqueName)).toEqual(names);
    const badPage = await raw(service, "GET", "/RateLimits?PageSize=0");
    expect(badPage.status).toBe(400);
    expect(await badPage.json()).toMatchObject({ code: 60200, message: "Invalid parameter `PageSize`: must be an integer from 1 to 1000" });
  });

  it("refuses bad definitions with Twilio's codes, and changes nothing", async () => {
    const service = await newService();
    const rateLimits = service.verify.rateLimits;
    for (const uniqueName of ["end user ip", "ip/address", "ключ", "x".repeat(65)]) {
      const error = await failure(rateLimits.create({ uniqueName }));
      expect(error, uniqueName).toMatchObject({ status: 400, code: 60209, moreInfo: "https://www.twilio.com/docs/errors/60209" });
      expect(error.message).toMatch(/^UniqueName format is invalid: /);
    }
    expect(await failure(rateLimits.create({ uniqueName: "" }))).toMatchObject({ status: 400, code: 60200, message: "Invalid parameter `UniqueName`: is required" });
    expect(await failure(rateLimits.create({ uniqueName: "ok", description: "d".repeat(257) }))).toMatchObject({ status: 400, code: 60200, message: "Invalid parameter `Description`: must be at most 256 characters" });
    expect(await rateLimits.list()).toEqual([]);

    const first = await rateLimits.create({ uniqueName: "session.id-1_A" });
    expect(await failure(rateLimits.create({ uniqueName: "session.id-1_A" }))).toMatchObject({ status: 400, code: 60208 });
    for (let i = 1; i < MAX_RATE_LIMITS_PER_SERVICE; i++) await rateLimits.create({ uniqueName: `key${i}` });
    expect(await failure(rateLimits.create({ uniqueName: "one_too_many" }))).toMatchObject({ status: 400, code: 60207 });
    expect(await rateLimits.list()).toHaveLength(MAX_RATE_LIMITS_PER_SERVICE);
    // A rate limit keeps its name: a new name is a new rate limit.
    const rename = await raw(service, "POST", `/RateLimits/${first.sid}`, { UniqueName: "other" });
    expect(rename.status).toBe(400);
    expect(await rename.json()).toMatchObject({ code: 60200, message: "Invalid parameter `UniqueName`: cannot be changed: create a new rate limit" });

    const buckets = rateLimits(first.sid).buckets;
    const bad: [Record<string, unknown>, string][] = [
      [{ max: 0, interval: 60 }, "`Max`: must be an integer from 1 to 1000000"],
      [{ max: 1_000_001, interval: 60 }, "`Max`: must be an integer from 1 to 1000000"],
      [{ max: "five", interval: 60 }, "`Max`: must be an integer from 1 to 1000000"],
      [{ max: 2.5, interval: 60 }, "`Max`: must be an integer from 1 to 1000000"],
      [{ max: 5, interval: 0 }, "`Interval`: must be an integer from 1 to 2592000 (seconds)"],
      [{ max: 5, interval: 2_592_001 }, "`Interval`: must be an integer from 1 to 2592000 (seconds)"],
      [{ max: 5, interval: -60 }, "`Interval`: must be an integer from 1 to 2592000 (seconds)"],
    ];
    for (const [params, message] of bad) {
      expect(await failure(buckets.create(params as never)), JSON.stringify(params)).toMatchObject({ status: 400, code: 60200, message: `Invalid parameter ${message}` });
    }
    const missing = await raw(service, "POST", `/RateLimits/${first.sid}/Buckets`, { Max: "5" });
    expect(await missing.json()).toMatchObject({ status: 400, code: 60200, message: "Invalid parameter `Interval`: is required" });
    expect(await buckets.list()).toEqual([]);

    const minute = await buckets.create({ max: 5, interval: 60 });
    expect(await failure(buckets.create({ max: 9, interval: 60 }))).toMatchObject({ status: 400, code: 60211 });
    for (let i = 1; i < MAX_BUCKETS_PER_RATE_LIMIT; i++) await buckets.create({ max: 5, interval: 60 + i });
    expect(await failure(buckets.create({ max: 5, interval: 3600 }))).toMatchObject({ status: 400, code: 60210 });
    // Moving a bucket onto another's interval is refused too; onto its own is no change.
    expect(await failure(buckets(minute.sid).update({ interval: 61 }))).toMatchObject({ status: 400, code: 60211 });
    expect(await buckets(minute.sid).update({ interval: 60, max: 4 })).toMatchObject({ max: 4, interval: 60 });
    expect(await failure(buckets(minute.sid).update({ max: 0 }))).toMatchObject({ status: 400, code: 60200 });
    expect(await buckets(minute.sid).fetch()).toMatchObject({ max: 4, interval: 60 });
  });

  it("answers 20404 for unknown and malformed sids, and for another service's rate limits", async () => {
    const service = await newService();
    const other = await newService();
    const theirs = await rateLimit(other, "ip", [[5, 60]]);
    const rateLimits = service.verify.rateLimits;
    const unknown = "RK" + "0".repeat(32);
    const missing = await failure(rateLimits(unknown).fetch());
    expect(missing).toMatchObject({ status: 404, code: 20404 });
    expect(missing.message).toContain(`The requested resource /Services/${service.sid}/RateLimits/${unknown} was not found`);
    for (const sid of ["not-a-sid", theirs.sid]) {
      expect(await failure(rateLimits(sid).fetch()), sid).toMatchObject({ status: 404, code: 20404 });
      expect(await failure(rateLimits(sid).update({ description: "x" })), sid).toMatchObject({ status: 404, code: 20404 });
      expect(await failure(rateLimits(sid).remove()), sid).toMatchObject({ status: 404, code: 20404 });
      expect(await failure(rateLimits(sid).buckets.create({ max: 1, interval: 60 })), sid).toMatchObject({ status: 404, code: 20404 });
      expect(await failure(rateLimits(sid).buckets.list()), sid).toMatchObject({ status: 404, code: 20404 });
    }
    const mine = await rateLimit(service, "ip", [[5, 60]]);
    const theirBucket = (await other.verify.rateLimits(theirs.sid).buckets.list())[0]!;
    for (const sid of ["BL" + "0".repeat(32), "BLnope", theirBucket.sid]) {
      expect(await failure(rateLimits(mine.sid).buckets(sid).fetch()), sid).toMatchObject({ status: 404, code: 20404 });
      expect(await failure(rateLimits(mine.sid).buckets(sid).update({ max: 2 })), sid).toMatchObject({ status: 404, code: 20404 });
      expect(await failure(rateLimits(mine.sid).buckets(sid).remove()), sid).toMatchObject({ status: 404, code: 20404 });
    }
    // The other service's definitions are untouched, and the key's service sid is the only one it reaches.
    expect(await other.verify.rateLimits(theirs.sid).buckets(theirBucket.sid).fetch()).toMatchObject({ max: 5 });
    const foreign = client({ key: service.key, serviceSid: other.sid });
    expect(await failure(foreign.rateLimits.list())).toMatchObject({ status: 404, code: 20404 });
  });
});

describe("the RateLimits start parameter", () => {
  it("counts each value of a key against each bucket; a used-up bucket is Twilio's 429 / 60203 and sends nothing", async () => {
    const service = await newService();
    await rateLimit(service, "end_user_ip_address", [[2, 60]]);
    const ip = { end_user_ip_address: "203.0.113.7" };
    await start(service, ip);
    await start(service, ip);
    const to = uniqueNumber();
    const refused = await failure(start(service, ip, to));
    expect(refused).toBeInstanceOf(twilio.RestException);
    expect(refused).toMatchObject({ status: 429, code: 60203, moreInfo: "https://www.twilio.com/docs/errors/60203" });
    expect(refused.message).toBe('RateLimits: rate limit "end_user_ip_address" allows 2 verifications per 60 seconds for this value; try again later');
    expect(await messagesTo(to)).toHaveLength(0);
    // Retry-After says when the oldest unit leaves the window.
    const again = await raw(service, "POST", "/Verifications", { To: uniqueNumber(), Channel: "sms", RateLimits: JSON.stringify(ip) });
    expect(again.status).toBe(429);
    expect(Number(again.headers.get("retry-after"))).toBeGreaterThan(55);
    expect(Number(again.headers.get("retry-after"))).toBeLessThanOrEqual(62);

    // Another value has its own count; a start that names no rate limit counts against none.
    expect(await start(service, { end_user_ip_address: "203.0.113.8" })).toMatchObject({ status: "pending" });
    expect(await start(service)).toMatchObject({ status: "pending" });
    // A number value counts as its text.
    await rateLimit(service, "account_id", [[1, 60]]);
    await start(service, { account_id: 42 });
    expect(await failure(start(service, { account_id: "42" }))).toMatchObject({ status: 429, code: 60203 });
  });

  it("refuses a key the service has no rate limit for, and malformed values, before anything is counted or sent", async () => {
    const service = await newService();
    const ip = await rateLimit(service, "ip", [[1, 60]]);
    const to = uniqueNumber();
    const cases: [Record<string, unknown>, string][] = [
      [{ session: "abc" }, 'no rate limit named "session" on this service'],
      [{ ip: "192.0.2.1", Ip: "x" }, 'no rate limit named "Ip" on this service'],
      [{ "bad key": "x" }, 'no rate limit named "bad key" on this service'],
      [{ ip: "" }, 'the value of "ip" must be 1 to 256 characters'],
      [{ ip: "x".repeat(257) }, 'the value of "ip" must be 1 to 256 characters'],
      [{ ip: { nested: true } }, 'the value of "ip" must be a string'],
      [{ ip: null }, 'the value of "ip" must be a string'],
      [{ ip: true }, 'the value of "ip" must be a string'],
    ];
    for (const [rateLimits, message] of cases) {
      const error = await failure(start(service, rateLimits, to));
      expect(error, JSON.stringify(rateLimits)).toMatchObject({ status: 400, code: 60200, message: `Invalid parameter \`RateLimits\`: ${message}` });
    }
    for (const text of ["not json", "[]", '"ip"', "{"]) {
      const response = await raw(service, "POST", "/Verifications", { To: to, Channel: "sms", RateLimits: text });
      expect(response.status, text).toBe(400);
      expect(await response.json()).toMatchObject({ code: 60200, message: expect.stringMatching(/^Invalid parameter `RateLimits`: must be a JSON object/) });
    }
    expect(await messagesTo(to)).toHaveLength(0);
    // Nothing was counted: the one unit of `ip` is still there for 192.0.2.1.
    await start(service, { ip: "192.0.2.1" });
    expect(await failure(start(service, { ip: "192.0.2.1" }))).toMatchObject({ status: 429, code: 60203 });
    // A deleted rate limit is unknown from then on.
    await service.verify.rateLimits(ip.sid).remove();
    expect(await failure(start(service, { ip: "192.0.2.1" }))).toMatchObject({ status: 400, code: 60200 });
  });

  it("a rate limit without buckets limits nothing; every bucket of a rate limit must have room", async () => {
    const service = await newService();
    await rateLimit(service, "none", []);
    for (let i = 0; i < 3; i++) await start(service, { none: "same" });
    const limit = await rateLimit(service, "user", [[3, 60], [1, 3600]]);
    await start(service, { user: "u1" });
    // The minute bucket has room, the hour bucket has not: refused, and the minute's unit is not kept.
    expect(await failure(start(service, { user: "u1" }))).toMatchObject({ status: 429, code: 60203 });
    const buckets = await service.verify.rateLimits(limit.sid).buckets.list();
    await service.verify.rateLimits(limit.sid).buckets(buckets.find((b) => b.interval === 3600)!.sid).update({ max: 10 });
    // A changed Max applies at once in this isolate: the minute bucket now holds 1 of 3.
    expect(await outcomes([start(service, { user: "u1" }), start(service, { user: "u1" })])).toEqual(["ok", "ok"]);
    expect(await failure(start(service, { user: "u1" }))).toMatchObject({ status: 429, code: 60203 });
  });

  it("several rate limits are all or none: a refusal by one gives the others' units back", async () => {
    const service = await newService();
    await rateLimit(service, "ip", [[3, 60]]);
    await rateLimit(service, "session", [[1, 60]]);
    await start(service, { ip: "198.51.100.1", session: "s1" });
    for (let i = 0; i < 3; i++) expect(await failure(start(service, { ip: "198.51.100.1", session: "s1" }))).toMatchObject({ status: 429, code: 60203 });
    // The refused starts took no `ip` unit: two are left of three.
    expect(await outcomes([start(service, { ip: "198.51.100.1" }), start(service, { ip: "198.51.100.1" })])).toEqual(["ok", "ok"]);
    expect(await failure(start(service, { ip: "198.51.100.1" }))).toMatchObject({ status: 429, code: 60203 });
  });

  it("20 concurrent starts with one value against a bucket of 5: exactly 5 are sent", async () => {
    const service = await newService();
    await rateLimit(service, "end_user_ip_address", [[5, 3600]]);
    const numbers = Array.from({ length: 20 }, () => uniqueNumber());
    const results = await outcomes(numbers.map((to) => start(service, { end_user_ip_address: "192.0.2.55" }, to)));
    expect(results.filter((r) => r === "ok")).toHaveLength(5);
    expect(results.filter((r) => r !== "ok")).toEqual(Array(15).fill(60203));
    const sent = await Promise.all(numbers.map(async (to) => (await messagesTo(to)).length));
    expect(sent.reduce((a, b) => a + b, 0)).toBe(5);
    expect(results.map((r, i) => (r === "ok" ? 1 : 0) === sent[i])).toEqual(Array(20).fill(true));
  });

  it("a send that failed for good gives its unit back", async () => {
    const service = await newService();
    await rateLimit(service, "ip", [[1, 60]]);
    const doomed = uniqueNumber();
    await fakeTwilioBehaviour(doomed, { status: 400, body: { code: 21211, message: "The 'To' number is not a valid phone number.", status: 400 }, times: 1 });
    expect(await failure(start(service, { ip: "192.0.2.99" }, doomed))).toMatchObject({ status: 400, code: 60200 });
    // The unit goes back once the send's outcome is written (off the response path).
    await vi.waitFor(async () => expect(await start(service, { ip: "192.0.2.99" })).toMatchObject({ status: "pending" }), { timeout: 2000, interval: 50 });
    expect(await failure(start(service, { ip: "192.0.2.99" }))).toMatchObject({ status: 429, code: 60203 });
  });

  it("a bucket's window frees up once its interval has passed (the counter's clock moved back)", async () => {
    const service = await newService();
    const limit = await rateLimit(service, "ip", [[1, 600]]);
    const [bucket] = await service.verify.rateLimits(limit.sid).buckets.list();
    await start(service, { ip: "192.0.2.200" });
    expect(await failure(start(service, { ip: "192.0.2.200" }))).toMatchObject({ status: 429, code: 60203 });

    const namespace = env.SCOPE_COUNTER;
    const stub = namespace.get(namespace.idFromName(rateLimitObjectName(service.sid, limit.sid, await rateLimitValueDigest("192.0.2.200"))));
    const counter = `c:${bucket!.sid}:600`;
    /** Moves the counter's units back by `ms`, as if that much time had passed. */
    const elapse = async (ms: number) => {
      await runInDurableObject(stub, (_instance, state) => {
        const row = state.storage.kv.get<{ buckets: Bucket[]; keepUntil: number }>(counter)!;
        state.storage.kv.put(counter, { ...row, buckets: row.buckets.map(([at, n]) => [at - ms, n]), keepUntil: row.keepUntil - ms });
      });
      await evictDurableObject(stub);
    };
    // Just inside the window (less a bucket's width of slack): still counted.
    await elapse(600_000 - 2 * bucketWidthMs({ windowMs: 600_000, kind: "sliding" }));
    expect(await failure(start(service, { ip: "192.0.2.200" }))).toMatchObject({ status: 429, code: 60203 });
    await elapse(3 * bucketWidthMs({ windowMs: 600_000, kind: "sliding" }));
    expect(await start(service, { ip: "192.0.2.200" })).toMatchObject({ status: "pending" });
    expect(await failure(start(service, { ip: "192.0.2.200" }))).toMatchObject({ status: 429, code: 60203 });
  });

  it("a deleted service's rate limits go with it", async () => {
    const service = await newService();
    await rateLimit(service, "ip", [[1, 60]]);
    const registry = env.SERVICE_REGISTRY.get(env.SERVICE_REGISTRY.idFromName("registry"));
    expect(await registry.rateLimitDefinitions(service.sid)).toHaveLength(1);
    expect((await call("DELETE", `/v1/services/${service.sid}`, undefined, ADMIN)).status).toBe(204);
    expect(await registry.rateLimitDefinitions(service.sid)).toEqual([]);
  });
});
