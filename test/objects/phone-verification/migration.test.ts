// Objects written by the release that kept SQL tables keep working: on their first wake under the
// current code, their rows move into KV and the tables go (src/objects/phone-verification/storage.ts).
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.ts";
import { cryptoRandom, hashCode, importCodeKey } from "../../../src/core/codes.ts";
import { newVerificationId } from "../../../src/core/ids.ts";
import { snapshotOf } from "../../../src/core/insights.ts";
import { call, json, settled, storedEntries, uniqueNumber, userTables } from "../../helpers.ts";

const namespace = env.PHONE_VERIFICATION;
const stubFor = (to: string) => namespace.get(namespace.idFromName(`default:${to}`));

// The SQL release's last schema (schema_version 2 plus every column its migrations added).
const LEGACY_SCHEMA = [
  `CREATE TABLE verifications (id TEXT PRIMARY KEY, service TEXT NOT NULL, to_e164 TEXT NOT NULL, channel TEXT NOT NULL,
    status TEXT NOT NULL, code_hash BLOB, code_length INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL, send_attempts INTEGER NOT NULL, check_attempts INTEGER NOT NULL, message_id TEXT NOT NULL,
    provider TEXT NOT NULL, failure_reason TEXT NOT NULL, country_code TEXT NOT NULL, line_type TEXT NOT NULL,
    external_id TEXT NOT NULL, tags TEXT NOT NULL, locale TEXT NOT NULL, risks TEXT NOT NULL DEFAULT '[]',
    message_encoding TEXT NOT NULL DEFAULT '', message_segments INTEGER NOT NULL DEFAULT 0, service_name TEXT NOT NULL DEFAULT '',
    channels TEXT NOT NULL DEFAULT '["sms"]', fallback_after_seconds INTEGER NOT NULL DEFAULT 0, next_channel_at INTEGER NOT NULL DEFAULT 0,
    previous_code_hashes TEXT NOT NULL DEFAULT '[]', test INTEGER NOT NULL DEFAULT 0, delivery_status TEXT NOT NULL DEFAULT '',
    delivery_error_code TEXT NOT NULL DEFAULT '', delivery_updated_at INTEGER NOT NULL DEFAULT 0)`,
  "CREATE INDEX verifications_by_status ON verifications (service, status, created_at)",
  `CREATE TABLE number_state (id INTEGER PRIMARY KEY CHECK (id = 1), counters TEXT NOT NULL, denied INTEGER NOT NULL DEFAULT 0,
    allowed INTEGER NOT NULL DEFAULT 0, policy TEXT)`,
  "CREATE TABLE idempotency (key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, state TEXT NOT NULL, response TEXT, expires_at INTEGER NOT NULL)",
  "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
  `CREATE TABLE webhook_outbox (id TEXT PRIMARY KEY, type TEXT NOT NULL, service_id TEXT NOT NULL, payload TEXT NOT NULL,
    created_at INTEGER NOT NULL, attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL)`,
];

/** Writes a pending verification for `to` as the SQL release stored it; returns its id and code. */
async function writeLegacyObject(to: string, options: { firstShape?: boolean } = {}): Promise<{ id: string; code: string }> {
  const stub = stubFor(to);
  const id = newVerificationId(stub.id.toString(), cryptoRandom);
  const code = "482913";
  const codeHash = new Uint8Array(await hashCode(await importCodeKey(loadConfig(env).codeSecret), id, code));
  const now = Date.now();
  await runInDurableObject(stub, (_i, state) => {
    const sql = state.storage.sql;
    if (options.firstShape) {
      // Before any migration: the original table only.
      sql.exec(`CREATE TABLE verifications (id TEXT PRIMARY KEY, service TEXT NOT NULL, to_e164 TEXT NOT NULL,
        channel TEXT NOT NULL, status TEXT NOT NULL, code_hash BLOB, code_length INTEGER NOT NULL, created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, send_attempts INTEGER NOT NULL, check_attempts INTEGER NOT NULL,
        message_id TEXT NOT NULL, provider TEXT NOT NULL, failure_reason TEXT NOT NULL, country_code TEXT NOT NULL,
        line_type TEXT NOT NULL, external_id TEXT NOT NULL, tags TEXT NOT NULL, locale TEXT NOT NULL)`);
    } else {
      for (const statement of LEGACY_SCHEMA) sql.exec(statement);
      sql.exec("INSERT INTO meta (key, value) VALUES ('schema_version', 2)");
      sql.exec("INSERT INTO number_state (id, counters, denied, allowed, policy) VALUES (1, ?, 0, 0, NULL)",
        JSON.stringify({ sendTimes: [now], failedCheckTimes: [], lockedUntil: 0, lastApprovalAt: 0 }));
      sql.exec("INSERT INTO idempotency (key, request_hash, state, response, expires_at) VALUES ('k1:abc', 'h', 'done', '{\"ok\":true}', ?)", now + 86_400_000);
    }
    sql.exec(
      `INSERT INTO verifications (id, service, to_e164, channel, status, code_hash, code_length, created_at, updated_at, expires_at,
        send_attempts, check_attempts, message_id, provider, failure_reason, country_code, line_type, external_id, tags, locale)
        VALUES (?, 'default', ?, 'sms', 'pending', ?, 6, ?, ?, ?, 1, 1, 'SM1', 'twilio', '', 'US', 'mobile', 'ext-1', '{"a":"b"}', 'en')`,
      id, to, codeHash, now, now, now + 600_000,
    );
  });
  await evictDurableObject(stub);
  return { id, code };
}

describe("an object written in the SQL release's schema", () => {
  it("moves into KV on wake: the verification, its counters and keys keep working, the tables go", async () => {
    const to = uniqueNumber();
    const { id, code } = await writeLegacyObject(to);
    // A read-only lookup wakes it; the counters came along (a resend now is too soon).
    expect(await json(await call("GET", `/v1/verifications/${id}`))).toMatchObject({ id, status: "pending", checkAttempts: 1, externalId: "ext-1", tags: { a: "b" } });
    expect((await call("POST", "/v1/verifications", { to })).status).toBe(429);
    const held = await runInDurableObject(stubFor(to), (_i, state) => ({ tables: userTables(state), keys: storedEntries(state).map(([key]) => key).sort() }));
    expect(held.tables).toEqual([]);
    expect(held.keys).toEqual(["i:k1:abc", "state", `v:${id}`]);
    expect(await json(await call("POST", "/v1/verifications/check", { verificationId: id, code }))).toMatchObject({ status: "approved" });
    // Found by number too: the migrated state knows the newest verification.
  });

  it("migrates the very first shape (no later columns) and finds its pending verification by number", async () => {
    const to = uniqueNumber();
    const { id, code } = await writeLegacyObject(to, { firstShape: true });
    expect(await json(await call("POST", "/v1/verifications/check", { to, code }))).toMatchObject({ status: "approved", verification: { id, channels: ["sms"], delivery: null } });
    expect(await runInDurableObject(stubFor(to), (_i, state) => userTables(state))).toEqual([]);
  });

  it("brings the stored policy (webhook, limits, templates) and queued webhook events along", async () => {
    const to = uniqueNumber();
    const stub = stubFor(to);
    const policy = { numberLimits: { sendsPer10Minutes: 3 }, templates: { en: "{{code}}" }, webhook: { serviceId: "VA1", events: ["verification.approved"] } };
    await runInDurableObject(stub, (_i, state) => {
      const sql = state.storage.sql;
      for (const statement of LEGACY_SCHEMA) sql.exec(statement);
      sql.exec("INSERT INTO number_state (id, counters, denied, allowed, policy) VALUES (1, ?, 1, 0, ?)",
        JSON.stringify({ sendTimes: [], failedCheckTimes: [], lockedUntil: 0, lastApprovalAt: 0 }), JSON.stringify(policy));
      sql.exec("INSERT INTO webhook_outbox (id, type, service_id, payload, created_at, attempts, next_attempt_at) VALUES ('msg_1', 'verification.approved', 'VA1', '{}', 5, 2, 7)");
    });
    await evictDurableObject(stub);
    const held = await runInDurableObject(stub, (_i, state) => ({ tables: userTables(state), entries: Object.fromEntries(storedEntries(state)) }));
    expect(held.tables).toEqual([]);
    expect(held.entries).toEqual({
      policy: JSON.stringify(policy),
      state: { counters: { sendTimes: [], failedCheckTimes: [], lockedUntil: 0, lastApprovalAt: 0 }, denied: true, allowed: false, latestId: null },
      "w:msg_1": { id: "msg_1", type: "verification.approved", serviceId: "VA1", payload: "{}", createdAt: 5, attempts: 2, nextAttemptAt: 7 },
    });
  });

  it("a wake of a current object writes nothing (a lookup of an unknown number keeps storage empty)", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to }));
    await settled(to); // the report after the start, and the send's outcome with it, are written
    const before = await runInDurableObject(stubFor(to), (_i, state) => JSON.stringify(storedEntries(state)));
    await evictDurableObject(stubFor(to));
    expect((await call("GET", `/v1/verifications/${v.id}`)).status).toBe(200);
    expect(await runInDurableObject(stubFor(to), (_i, state) => JSON.stringify(storedEntries(state)))).toBe(before);
  });
});

// The release that queued reports in the number's storage: what such an object still holds leaves
// with its next alarm run (src/objects/migrations/phone-verification.ts, takeLegacyReports).
describe("reports queued in storage by the previous release", () => {
  it("are handed to the report batches by the next alarm run and deleted", async () => {
    const { service, key } = await (async () => {
      const admin = { authorization: "Bearer ev_dev_admin_token" };
      const created = await json(await call("POST", "/v1/services", { friendlyName: "Shop" }, admin));
      const secret = (await json(await call("POST", `/v1/services/${created.id}/keys`, { name: "k" }, admin))).secret as string;
      return { service: created.id as string, key: secret };
    })();
    const to = uniqueNumber();
    expect((await call("POST", "/v1/verifications", { to }, { authorization: `Bearer ${key}` })).status).toBe(201);
    await settled(to, service);
    const stub = namespace.get(namespace.idFromName(`${service}:${to}`));
    const started = await runInDurableObject(stub, (_i, state) => {
      const [, record] = [...state.storage.kv.list<any>({ prefix: "v:" })][0]!;
      // As the previous release left it: a queued "approved" event and an approval owed.
      state.storage.kv.put("insights", { service, to, events: [{ kind: "approved", at: Date.now(), verification: { ...snapshotOf(record), status: "approved" }, risks: [] }] });
      state.storage.kv.put("approvals", ["budget:0#legacy:range"]);
      return record;
    });
    await runDurableObjectAlarm(stub);
    expect(await runInDurableObject(stub, (_i, state) => [state.storage.kv.get("insights"), state.storage.kv.get("approvals")])).toEqual([undefined, undefined]);
    const read = async () => json(await call("GET", `/v1/services/${service}/insights`, undefined, { authorization: "Bearer ev_dev_admin_token" }));
    await expect.poll(async () => (await read()).outcomes.approved, { timeout: 5_000 }).toBe(1);
    expect(started.id).toMatch(/^ve_/);
  });
});
