// Twilio Verify v2 Safe List (`client.verify.v2.safelist`), driven by the official `twilio` package:
// add, check and remove with the account's credential, and what a listed number gets: an allow
// list across services (velocity rules skipped in every service; the deny list still wins).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import twilio from "twilio";
import { describe, expect, it } from "vitest";
import { SAFE_LIST_MAX } from "../../src/objects/service-registry.ts";
import { call, DEV_KEY, json, messagesTo, uniqueNumber } from "../helpers.ts";
import { ADMIN_TOKEN, client, failure, seen, verifyV2 } from "./twilio-sdk.ts";

const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** A service allowing one start per client IP an hour, and its API key. */
async function strictService(name: string): Promise<{ sid: string; key: string }> {
  const service = await json(await call("POST", "/v1/services", { friendlyName: name, limits: { ipStartsPerHour: 1 } }, ADMIN));
  const key = await json(await call("POST", `/v1/services/${service.id}/keys`, { name: "backend" }, ADMIN));
  return { sid: service.id, key: key.secret };
}

describe("Twilio Safe List with the twilio client", () => {
  it("add → check → add again (60411) → remove → check (20404)", async () => {
    const v2 = verifyV2();
    const number = uniqueNumber();
    const added = await v2.safelist.create({ phoneNumber: number });
    expect(seen.at(-1)).toMatchObject({ method: "post", url: "https://verify.twilio.com/v2/SafeList/Numbers", contentType: "application/x-www-form-urlencoded" });
    expect(added.sid).toMatch(/^GN[0-9a-f]{32}$/);
    expect(added).toMatchObject({ phoneNumber: number, url: `http://edge-verify.test/v2/SafeList/Numbers/${number}` });

    const fetched = await v2.safelist(number).fetch();
    expect(seen.at(-1)).toMatchObject({ method: "get", url: `https://verify.twilio.com/v2/SafeList/Numbers/${number}` });
    expect(fetched).toMatchObject({ sid: added.sid, phoneNumber: number });
    // A number written with separators is the same number.
    expect(await v2.safelist(encodeURIComponent(`${number.slice(0, 2)} ${number.slice(2)}`)).fetch()).toMatchObject({ sid: added.sid });

    const again = await failure(v2.safelist.create({ phoneNumber: number }));
    expect(again).toBeInstanceOf(twilio.RestException);
    expect(again).toMatchObject({ status: 400, code: 60411, moreInfo: "https://www.twilio.com/docs/errors/60411" });
    expect(await v2.safelist(number).fetch()).toMatchObject({ sid: added.sid });

    expect(await v2.safelist(number).remove()).toBe(true);
    const gone = await failure(v2.safelist(number).fetch());
    expect(gone).toMatchObject({ status: 404, code: 20404 });
    expect(gone.message).toContain(`The requested resource /SafeList/Numbers/${number} was not found`);
    expect(await failure(v2.safelist(number).remove())).toMatchObject({ status: 404, code: 20404 });
    // Listed again: a new entry.
    const relisted = await v2.safelist.create({ phoneNumber: number });
    expect(relisted.sid).not.toBe(added.sid);
    await v2.safelist(number).remove();
  });

  it("refuses a malformed number by parameter name, and lists nothing", async () => {
    const v2 = verifyV2();
    for (const phoneNumber of ["+1555", "not a number", ""]) {
      const error = await failure(v2.safelist.create({ phoneNumber }));
      expect(error, phoneNumber).toMatchObject({ status: 400, code: 60200 });
      expect(error.message).toMatch(/^Invalid parameter `PhoneNumber`: /);
    }
    expect(await failure(v2.safelist("nope").fetch())).toMatchObject({ status: 400, code: 60200 });
    expect(await failure(v2.safelist("nope").remove())).toMatchObject({ status: 400, code: 60200 });
  });

  it("account credentials only: API keys are refused (20003) and change nothing", async () => {
    const { key } = await strictService("Keys");
    const number = uniqueNumber();
    for (const password of [key, DEV_KEY, "wrong-token-wrong-token-wrong"]) {
      const as = verifyV2({ password });
      for (const attempt of [as.safelist.create({ phoneNumber: number }), as.safelist(number).fetch(), as.safelist(number).remove()]) {
        expect(await failure(attempt)).toMatchObject({ status: 401, code: 20003, message: "Authenticate" });
      }
    }
    expect(await failure(verifyV2({ accountSid: "AC" + "2".repeat(32) }).safelist.create({ phoneNumber: number }))).toMatchObject({ status: 401, code: 20003 });
    expect(await failure(verifyV2().safelist(number).fetch())).toMatchObject({ status: 404, code: 20404 });
  });

  it("a listed number is allowed in every service: per-IP velocity is skipped; off the list it applies again", async () => {
    const v2 = verifyV2();
    const a = await strictService("Shop A");
    const b = await strictService("Shop B");
    const deviceIp = "198.51.100.23";
    const start = (service: { sid: string; key: string }, to: string) => client({ key: service.key, serviceSid: service.sid }).verifications.create({ to, channel: "sms", deviceIp });

    // One start per IP an hour in each service: the second is refused.
    expect(await start(a, uniqueNumber())).toMatchObject({ status: "pending" });
    expect(await start(b, uniqueNumber())).toMatchObject({ status: "pending" });
    const refused = uniqueNumber();
    expect(await failure(start(a, refused))).toMatchObject({ status: 429, code: 60203 });
    expect(await messagesTo(refused)).toHaveLength(0);

    const safe = uniqueNumber();
    await v2.safelist.create({ phoneNumber: safe });
    expect(await start(a, safe)).toMatchObject({ to: safe, status: "pending", serviceSid: a.sid });
    expect(await start(b, safe)).toMatchObject({ to: safe, status: "pending", serviceSid: b.sid });
    expect(await messagesTo(safe)).toHaveLength(2);
    // Others from the same IP still are not.
    expect(await failure(start(b, uniqueNumber()))).toMatchObject({ status: 429, code: 60203 });

    // Off the list, the number is limited like any other.
    const removed = uniqueNumber();
    await v2.safelist.create({ phoneNumber: removed });
    await v2.safelist(removed).remove();
    expect(await failure(start(a, removed))).toMatchObject({ status: 429, code: 60203 });
    expect(await messagesTo(removed)).toHaveLength(0);
    await v2.safelist(safe).remove();
  });

  it("the service's deny list still wins over the Safe List", async () => {
    const v2 = verifyV2();
    const a = await strictService("Deny");
    const number = uniqueNumber();
    expect((await call("PUT", `/v1/lists/deny/${encodeURIComponent(number)}`, { note: "fraud" }, { authorization: `Bearer ${a.key}` })).status).toBe(200);
    await v2.safelist.create({ phoneNumber: number });
    const refused = await failure(client({ key: a.key, serviceSid: a.sid }).verifications.create({ to: number, channel: "sms" }));
    expect(refused).toMatchObject({ status: 403, code: 60605 });
    expect(await messagesTo(number)).toHaveLength(0);
    await v2.safelist(number).remove();
  });

  it("the list rides with every service record a principal is built from; its version moves only with it", async () => {
    const registry = env.SERVICE_REGISTRY.get(env.SERVICE_REGISTRY.idFromName("registry"));
    const { sid } = await strictService("Records");
    const read = async () => (await registry.getService(sid))!.safeList!;
    const before = await read();
    const number = uniqueNumber();
    await verifyV2().safelist.create({ phoneNumber: number });
    const added = await read();
    expect(added.numbers).toContain(number);
    expect(added.version).toBeGreaterThan(before.version);
    expect((await registry.ensureService({ id: sid, settings: { friendlyName: "unused" } })).safeList).toEqual(added);
    // Refused changes leave it as it was.
    await failure(verifyV2().safelist.create({ phoneNumber: number }));
    await failure(verifyV2({ password: DEV_KEY }).safelist(number).remove());
    expect(await read()).toEqual(added);
    await verifyV2().safelist(number).remove();
    const removed = await read();
    expect(removed.numbers).not.toContain(number);
    expect(removed.version).toBeGreaterThan(added.version);
  });

  it(`holds at most ${SAFE_LIST_MAX} numbers`, async () => {
    const registry = env.SERVICE_REGISTRY.get(env.SERVICE_REGISTRY.idFromName("registry"));
    const filler = (i: number) => `+1999${String(i).padStart(7, "0")}`;
    const fill = (on: boolean) =>
      runInDurableObject(registry, (_instance, state) => {
        const sql = state.storage.sql;
        if (!on) return void sql.exec("DELETE FROM safe_list WHERE phone_number LIKE '+1999%'");
        const have = sql.exec("SELECT COUNT(*) AS n FROM safe_list").one().n as number;
        for (let i = have; i < SAFE_LIST_MAX; i++) sql.exec("INSERT INTO safe_list (phone_number, sid, created_at) VALUES (?, ?, ?)", filler(i), `GN${String(i).padStart(32, "0")}`, Date.now());
      });
    const number = uniqueNumber();
    await fill(true);
    try {
      const full = await failure(verifyV2().safelist.create({ phoneNumber: number }));
      expect(full).toMatchObject({ status: 400, code: 60200 });
      expect(full.message).toBe(`Invalid parameter \`PhoneNumber\`: the Safe List is full (${SAFE_LIST_MAX} numbers); remove one first`);
    } finally {
      await fill(false);
    }
    expect(await verifyV2().safelist.create({ phoneNumber: number })).toMatchObject({ phoneNumber: number });
    await verifyV2().safelist(number).remove();
  });
});
