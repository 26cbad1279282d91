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
    // The number's storage is KV (src/objects/phone-verification/storage.ts): records, state, keys.
    const kv = this.ctx.storage.kv;
    for (const [key, v] of [...kv.list({ prefix: "v:" })]) {
      kv.put(key, { ...v, createdAt: v.createdAt - ms, updatedAt: v.updatedAt - ms, expiresAt: v.expiresAt - ms });
    }
    for (const [key, record] of [...kv.list({ prefix: "i:" })]) kv.put(key, { ...record, expiresAt: record.expiresAt - ms });
    const state = kv.get("state");
    if (state) {
      const c = state.counters;
      kv.put("state", {
        ...state,
        counters: {
          ...c,
          sendTimes: c.sendTimes.map((t) => t - ms),
          failedCheckTimes: c.failedCheckTimes.map((t) => t - ms),
          lockedUntil: c.lockedUntil ? c.lockedUntil - ms : 0,
          lastApprovalAt: c.lastApprovalAt ? c.lastApprovalAt - ms : 0,
        },
      });
    }
    await this.alarm();
    return this.benchRows();
  }

  /** Keys and rows left in this object (SQLite internals and the runtime's _cf_ tables aside). */
  benchRows() {
    const sql = this.ctx.storage.sql;
    const tables = sql
      .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE '__miniflare%'")
      .toArray()
      .map((row) => row.name);
    let rows = 0;
    const statuses = {};
    for (const table of tables) rows += sql.exec(`SELECT COUNT(*) AS n FROM "${table}"`).one().n;
    for (const [key, value] of this.ctx.storage.kv.list()) {
      rows++;
      if (key.startsWith("v:")) statuses[value.status] = (statuses[value.status] ?? 0) + 1;
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
