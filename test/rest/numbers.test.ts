// Deny and allow lists and privacy erasure, over REST and Connect.
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { NumberList, PhoneNumberService } from "../../src/gen/verify/v1/phone_number_pb.ts";
import { call, DEV_KEY, json, latestCode, messagesTo, storedEntries, timeTravel, uniqueNumber, userTables, wrongCode } from "../helpers.ts";

const workerFetch: typeof fetch = (input, init) => exports.default.fetch(new Request(input as RequestInfo, { ...init, redirect: "manual" }));
const numbers = createClient(PhoneNumberService, createConnectTransport({ baseUrl: "http://x", fetch: workerFetch }));
const headers = { authorization: `Bearer ${DEV_KEY}` };

describe("deny list", () => {
  it("REST: a denied number is refused (permission_denied, rule deny_list); removal lifts it", async () => {
    const to = uniqueNumber();
    const added = await call("PUT", `/v1/lists/deny/${encodeURIComponent(to)}`, { note: "fraud ticket 42" });
    expect(added.status).toBe(200);
    expect(await json(added)).toMatchObject({ list: "deny", phoneNumber: to, note: "fraud ticket 42" });
    const refused = await call("POST", "/v1/verifications", { to });
    expect(refused.status).toBe(403);
    expect(await json(refused)).toMatchObject({ code: "permission_denied", details: [{ rule: "deny_list" }] });
    expect(await messagesTo(to)).toHaveLength(0);
    const listed = await json(await call("GET", "/v1/lists/deny?pageSize=1000"));
    expect(listed.entries.map((e: { phoneNumber: string }) => e.phoneNumber)).toContain(to);
    expect((await call("DELETE", `/v1/lists/deny/${encodeURIComponent(to)}`)).status).toBe(204);
    expect((await call("POST", "/v1/verifications", { to })).status).toBe(201);
  });

  it("Connect: add, list and remove", async () => {
    const to = uniqueNumber();
    const { entry } = await numbers.addListEntry({ list: NumberList.DENY, phoneNumber: to }, { headers });
    expect(entry?.phoneNumber).toBe(to);
    const { entries } = await numbers.listListEntries({ list: NumberList.DENY, pageSize: 1000 }, { headers });
    expect(entries.map((e) => e.phoneNumber)).toContain(to);
    await numbers.removeListEntry({ list: NumberList.DENY, phoneNumber: to }, { headers });
    const after = await numbers.listListEntries({ list: NumberList.DENY, pageSize: 1000 }, { headers });
    expect(after.entries.map((e) => e.phoneNumber)).not.toContain(to);
  });

  it("bad input names the field", async () => {
    expect(await json(await call("PUT", "/v1/lists/grey/%2B14155552671"))).toMatchObject({ code: "invalid_argument", details: [{ field: "list" }] });
    expect(await json(await call("PUT", "/v1/lists/deny/12345"))).toMatchObject({ code: "invalid_argument", details: [{ field: "phoneNumber" }] });
    try {
      await numbers.addListEntry({ list: NumberList.UNSPECIFIED, phoneNumber: "+14155552671" }, { headers });
      throw new Error("accepted");
    } catch (error) {
      expect(ConnectError.from(error).rawMessage).toMatch(/^list: /);
    }
  });
});

describe("allow list", () => {
  it("skips velocity rules but never the per-number limits", async () => {
    const to = uniqueNumber();
    await call("PUT", `/v1/lists/allow/${encodeURIComponent(to)}`);
    expect((await call("POST", "/v1/verifications", { to })).status).toBe(201);
    const again = await call("POST", "/v1/verifications", { to });
    expect(again.status).toBe(429);
    expect(await json(again)).toMatchObject({ details: [{ rule: "resend_cooldown" }] });
  });
});

describe("erasure", () => {
  it("deletes everything held about a number: verifications, counters, keys, list entries", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to }, { "idempotency-key": crypto.randomUUID() }));
    await call("POST", "/v1/verifications/check", { verificationId: v.id, code: wrongCode(await latestCode(to)) });
    await call("PUT", `/v1/lists/deny/${encodeURIComponent(to)}`);
    const erased = await call("DELETE", `/v1/phone-numbers/${encodeURIComponent(to)}`);
    expect(erased.status).toBe(200);
    expect(await json(erased)).toMatchObject({ phoneNumber: to, verificationsDeleted: 1 });
    expect((await call("GET", `/v1/verifications/${v.id}`)).status).toBe(404);
    const held = await runInDurableObject(env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`default:${to}`)), (_i, state) => [
      storedEntries(state),
      userTables(state),
    ]);
    expect(held).toEqual([[], []]);
    const listed = await json(await call("GET", "/v1/lists/deny?pageSize=1000"));
    expect(listed.entries.map((e: { phoneNumber: string }) => e.phoneNumber)).not.toContain(to);
    // Counters went too: no cooldown, no deny.
    expect((await call("POST", "/v1/verifications", { to })).status).toBe(201);
    const viaConnect = await numbers.erasePhoneNumber({ phoneNumber: to }, { headers });
    expect(viaConnect.verificationsDeleted).toBe(1);
  });
});

describe("storage stays bounded", () => {
  it("after many verifications expire and alarms run, a number's object holds nothing", async () => {
    const to = uniqueNumber();
    for (let i = 0; i < 6; i++) {
      const v = await json(await call("POST", "/v1/verifications", { to, timeoutSeconds: 60 }, { "idempotency-key": crypto.randomUUID() }));
      await call("POST", "/v1/verifications/check", { verificationId: v.id, code: await latestCode(to) });
      await timeTravel(to, 11 * 60_000);
    }
    const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`default:${to}`));
    // Idempotency records keep their own 24 h clock; age them with the rest.
    await timeTravel(to, 8 * 86_400_000, "default", { idempotency: true });
    await runInDurableObject(stub, (instance) => (instance as unknown as { alarm(): Promise<void> }).alarm());
    expect(await runInDurableObject(stub, (_i, state) => [storedEntries(state), userTables(state)])).toEqual([[], []]);
  });
});
