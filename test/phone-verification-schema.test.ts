// The schema a new object creates in one step must equal the one an old object reaches through
// #migrate: same tables, columns (order, types, defaults), indexes and schema_version.
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call } from "./helpers.ts";
import { uniqueNumber } from "./helpers.ts";

const namespace = env.PHONE_VERIFICATION;
const stubFor = (to: string) => namespace.get(namespace.idFromName(`default:${to}`));

function describeSchema(sql: SqlStorage): unknown {
  const tables = sql.exec("SELECT name, type FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name").toArray();
  return {
    objects: tables,
    columns: tables
      .filter((t) => t.type === "table")
      .map((t) => ({ table: t.name, columns: sql.exec(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info('${t.name as string}')`).toArray() })),
    version: sql.exec("SELECT value FROM meta WHERE key = 'schema_version'").toArray(),
  };
}

describe("storage schema", () => {
  it("is the same for a new object as for one migrated from the first shape", async () => {
    const fresh = uniqueNumber();
    expect((await call("POST", "/v1/verifications", { to: fresh })).status).toBe(201);
    const created = await runInDurableObject(stubFor(fresh), (_i, state) => describeSchema(state.storage.sql));

    // An object from before any migration: the original table and index only.
    const old = uniqueNumber();
    await runInDurableObject(stubFor(old), (_i, state) => {
      state.storage.sql.exec(`CREATE TABLE verifications (id TEXT PRIMARY KEY, service TEXT NOT NULL, to_e164 TEXT NOT NULL,
        channel TEXT NOT NULL, status TEXT NOT NULL, code_hash BLOB, code_length INTEGER NOT NULL, created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, send_attempts INTEGER NOT NULL, check_attempts INTEGER NOT NULL,
        message_id TEXT NOT NULL, provider TEXT NOT NULL, failure_reason TEXT NOT NULL, country_code TEXT NOT NULL,
        line_type TEXT NOT NULL, external_id TEXT NOT NULL, tags TEXT NOT NULL, locale TEXT NOT NULL)`);
      state.storage.sql.exec("CREATE INDEX verifications_by_status ON verifications (service, status, created_at)");
    });
    await evictDurableObject(stubFor(old)); // the constructor migrates on wake
    expect((await call("POST", "/v1/verifications", { to: old })).status).toBe(201);
    const migrated = await runInDurableObject(stubFor(old), (_i, state) => describeSchema(state.storage.sql));
    expect((created as { columns: unknown[] }).columns).toHaveLength(5); // the tables the README lists
    expect(created).toEqual(migrated);
  });
});
