// The Durable Object's storage: expiry, alarms, restarts, and that no code is ever stored in clear.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, json, latestCode, timeTravel, wrongCode } from "../../helpers.ts";
import { storedEntries, uniqueNumber, userTables } from "../../helpers.ts";

const namespace = env.PHONE_VERIFICATION;
const stubFor = (to: string) => namespace.get(namespace.idFromName(`default:${to}`));


/** Every key and value in the number's object (KV and any SQL table), as text (bytes as hex). */
async function dumpStorage(to: string): Promise<string> {
  return runInDurableObject(stubFor(to), (_instance, state) => {
    const rows = Object.fromEntries(userTables(state).map((table) => [table, state.storage.sql.exec(`SELECT * FROM "${table}"`).toArray()]));
    return JSON.stringify({ kv: storedEntries(state), rows }, (_k, v) =>
      v instanceof ArrayBuffer || v instanceof Uint8Array ? [...new Uint8Array(v instanceof Uint8Array ? v : v)].map((b) => b.toString(16).padStart(2, "0")).join("") : v,
    );
  });
}

describe("PhoneVerification Durable Object", () => {
  it("expires codes: past expire_time the right code answers expired", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to, timeoutSeconds: 60 }));
    const code = await latestCode(to);
    await timeTravel(to, 60_000);
    expect(await json(await call("GET", `/v1/verifications/${v.id}`))).toMatchObject({ status: "expired" });
    expect(await json(await call("POST", "/v1/verifications/check", { verificationId: v.id, code }))).toMatchObject({
      status: "expired",
      verification: { status: "expired" },
    });
    // A new start after expiry is a new verification.
    const response = await call("POST", "/v1/verifications", { to });
    expect(response.status).toBe(201);
    expect((await json(response)).id).not.toBe(v.id);
  });

  it("never stores the code in clear, and drops the hash once finished", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to, codeLength: 10 }, { "idempotency-key": crypto.randomUUID() }));
    const code = await latestCode(to);
    await call("POST", "/v1/verifications/check", { verificationId: v.id, code: code.replace(/./, (d) => String((Number(d) + 1) % 10)) });
    const stored = await dumpStorage(to);
    // Every key: verifications, counters, idempotency records (stored responses), outboxes.
    expect(stored).toContain('"i:');
    expect(stored).not.toContain(code);
    expect(stored).toContain(v.id);
    await call("POST", "/v1/verifications/check", { verificationId: v.id, code });
    const records = await runInDurableObject(stubFor(to), (_i, state) => [...state.storage.kv.list<{ codeHash: unknown }>({ prefix: "v:" })]);
    expect(records.map(([, record]) => record.codeHash)).toEqual([null]);
  });

  it("keeps no earlier channel's code hash in an idempotency record once the verification is finished", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to, channels: ["sms", "call"], fallbackAfterSeconds: 30 }));
    await timeTravel(to, 30_000);
    await runDurableObjectAlarm(stubFor(to));
    const code = await latestCode(to);
    // A wrong check with a key while two codes are live: its answer is stored under the key for a day.
    await call("POST", "/v1/verifications/check", { verificationId: v.id, code: wrongCode(code) }, { "idempotency-key": crypto.randomUUID() });
    expect(await json(await call("POST", "/v1/verifications/check", { verificationId: v.id, code }))).toMatchObject({ status: "approved" });
    const stored = await runInDurableObject(stubFor(to), (_i, state) => storedEntries(state));
    const responses = stored.filter(([key]) => key.startsWith("i:")).map(([, record]) => record.response as string);
    expect(responses).toHaveLength(1);
    expect(responses[0]).toContain(v.id);
    expect(responses[0]).not.toMatch(/codeHash|previousCodeHashes/i);
    // And the verification itself holds none either (finished).
    expect(stored.find(([key]) => key === `v:${v.id}`)![1]).toMatchObject({ codeHash: null, previousCodeHashes: [] });
  });

  it("survives a restart mid-flow: the verification and its counters are in storage", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to }));
    const code = await latestCode(to);
    await call("POST", "/v1/verifications/check", { verificationId: v.id, code: "000000" === code ? "111111" : "000000" });
    await evictDurableObject(stubFor(to));
    expect(await json(await call("GET", `/v1/verifications/${v.id}`))).toMatchObject({ status: "pending", checkAttempts: 1 });
    expect(await json(await call("POST", "/v1/verifications/check", { verificationId: v.id, code }))).toMatchObject({ status: "approved" });
  });

  it("alarms expire pending verifications, delete finished ones after retention, and free the object", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to, timeoutSeconds: 60 }));
    await timeTravel(to, 61_000);
    expect(await runDurableObjectAlarm(stubFor(to))).toBe(true);
    expect(await json(await call("GET", `/v1/verifications/${v.id}`))).toMatchObject({ status: "expired" });
    // Retention is 7 days by default: still there after 6, gone after 8.
    await timeTravel(to, 6 * 86_400_000);
    await runDurableObjectAlarm(stubFor(to));
    expect((await call("GET", `/v1/verifications/${v.id}`)).status).toBe(200);
    await timeTravel(to, 2 * 86_400_000);
    expect(await runDurableObjectAlarm(stubFor(to))).toBe(true);
    expect((await call("GET", `/v1/verifications/${v.id}`)).status).toBe(404);
    // deleteAll() dropped every key; the lookup above wrote none.
    expect(await runInDurableObject(stubFor(to), (_i, state) => [storedEntries(state), userTables(state)])).toEqual([[], []]);
    expect(await runInDurableObject(stubFor(to), (_i, state) => state.storage.getAlarm())).toBeNull();
    // And the object works again afterwards.
    expect((await call("POST", "/v1/verifications", { to })).status).toBe(201);
  });
});
