// Bench-only entry that wraps the deployed bundle (index.js from `wrangler deploy --dry-run`) to
// observe it without changing it: it counts Durable Object RPCs per request on the caller's side
// and in the object, and lets the bench age an object's rows and run the product's own alarm.
// Used only for the round-trip and storage measurements; throughput runs the bundle unwrapped.
import worker, { PhoneVerification as Product } from "./index.js";
// Every other Durable Object class of the deployed bundle, unchanged.
export * from "./index.js";

let stubCalls = 0; // RPCs the Worker made on Durable Object stubs
let objectCalls = 0; // RPC methods the objects ran (same isolate in workerd's local runtime)
let objectsConstructed = 0; // object instances created: a new object, or one re-entered after eviction

const RPC_METHODS = ["start", "check", "get", "cancel", "fetch"];

export class PhoneVerification extends Product {
  constructor(ctx, env) {
    super(ctx, env);
    objectsConstructed++;
  }

  /** Shifts every timestamp back by `ms` (as if that much time passed), then runs alarm(). */
  async benchAge(ms) {
    const sql = this.ctx.storage.sql;
    const hasTable = sql.exec("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'verifications'").one().n > 0;
    if (hasTable) {
      sql.exec("UPDATE verifications SET created_at = created_at - ?1, updated_at = updated_at - ?1, expires_at = expires_at - ?1", ms);
      // Per-number counters and idempotency records age with the rows (their windows are 24 h).
      const state = sql.exec("SELECT counters FROM number_state WHERE id = 1").toArray()[0];
      if (state) {
        const c = JSON.parse(state.counters);
        c.sendTimes = c.sendTimes.map((t) => t - ms);
        c.failedCheckTimes = c.failedCheckTimes.map((t) => t - ms);
        c.lockedUntil = c.lockedUntil ? c.lockedUntil - ms : 0;
        c.lastApprovalAt = c.lastApprovalAt ? c.lastApprovalAt - ms : 0;
        sql.exec("UPDATE number_state SET counters = ? WHERE id = 1", JSON.stringify(c));
      }
      sql.exec("UPDATE idempotency SET expires_at = expires_at - ?1", ms);
    }
    await this.alarm();
    return this.benchRows();
  }

  /** Rows left in this object's user tables (SQLite internals and the runtime's _cf_ tables aside). */
  benchRows() {
    const sql = this.ctx.storage.sql;
    const tables = sql
      .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE '__miniflare%'")
      .toArray()
      .map((row) => row.name);
    let rows = 0;
    const statuses = {};
    for (const table of tables) rows += sql.exec(`SELECT COUNT(*) AS n FROM "${table}"`).one().n;
    if (tables.includes("verifications")) {
      for (const row of sql.exec("SELECT status, COUNT(*) AS n FROM verifications GROUP BY status")) statuses[row.status] = row.n;
    }
    return { tables, rows, statuses };
  }
}
for (const method of RPC_METHODS) {
  if (typeof Product.prototype[method] !== "function") continue;
  Object.defineProperty(PhoneVerification.prototype, method, {
    value: function (...args) {
      objectCalls++;
      return Reflect.apply(Product.prototype[method], this, args);
    },
  });
}

function countingStub(stub) {
  return new Proxy(stub, {
    get(target, prop) {
      const value = target[prop];
      if (typeof prop !== "string" || prop === "then" || typeof value !== "function") return value;
      return (...args) => {
        stubCalls++;
        return Reflect.apply(value, target, args); // value.apply would itself be an RPC call
      };
    },
  });
}

function countingNamespace(namespace) {
  return new Proxy(namespace, {
    get(target, prop) {
      const value = target[prop];
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName") return (...args) => countingStub(Reflect.apply(value, target, args));
      return value.bind(target);
    },
  });
}

// One wrapped env per real env, so the product's per-env caches (config, key digests) still hit.
const wrapped = new WeakMap();
function wrapEnv(env) {
  let result = wrapped.get(env);
  if (!result) {
    result = { ...env, PHONE_VERIFICATION: countingNamespace(env.PHONE_VERIFICATION) };
    wrapped.set(env, result);
  }
  return result;
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/__bench/counters") return Response.json({ stubCalls, objectCalls, objectsConstructed });
    // Counts are exact only when requests do not overlap; the bench sends these one at a time.
    const stubBefore = stubCalls;
    const objectBefore = objectCalls;
    const response = await worker.fetch(request, wrapEnv(env), ctx);
    const counted = new Response(response.body, response);
    counted.headers.set("x-bench-do-stub-calls", String(stubCalls - stubBefore));
    counted.headers.set("x-bench-do-object-calls", String(objectCalls - objectBefore));
    return counted;
  },
};
