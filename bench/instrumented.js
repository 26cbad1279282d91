// Bench-only wrapper of the deployed bundle (index.js from `wrangler deploy --dry-run`): observes
// it without changing it. bench/workers.mjs generates the entry module, which subclasses every
// Durable Object class the bundle exports with `instrument(name, Class)` (the class list is
// wrangler.toml's) and serves `handler` as the Worker. Everything runs in one isolate in workerd's
// local runtime, so one set of counters sees the Worker and every object.
//
// Counted by instrumentation, the way test/objects/phone-verification/cost.test.ts counts:
//   - RPCs: every method call on a Durable Object stub, named Class.method, split by caller: the
//     Worker (its env's namespaces are wrapped) or an object (each object is constructed with a
//     wrapped env, so the stubs it makes are counted too, e.g. ScopeCounter.take). Also the RPC
//     methods each class ran (callee side), as a cross-check.
//   - Storage: the prototypes of ctx.storage.kv (get, list / put, delete), ctx.storage.sql (exec:
//     SELECT/PRAGMA/WITH read, CREATE/ALTER/DROP DDL, anything else a write) and ctx.storage
//     (async get/list/put/delete, getAlarm, setAlarm/deleteAlarm/deleteAll) are patched once.
//   - Commits: a synchronous step with writes to an object's database is one commit. A step ends
//     at an RPC method's entry or settlement, an alarm's, or a fetch's settlement: every such
//     moment closes every open step, so the count is an upper bound (cost.test.ts's definition).
//   - Rows written: one per synchronous KV put or delete, an SQL write statement's cursor's
//     rowsWritten (read when its step ends), one per key of an async put/delete, and the rows a
//     deleteAll() removes (KV keys + user-table rows just before it). The bench's own ageing and
//     row counts (benchAge, benchRows) run uncounted.
//   - Alarm runs per class and per object id; objects constructed per class (new or woken).
//   - Off the request path, counted apart in `offPath` (same fields): the reports a call leaves
//     behind after it answered (the number's object reports insights and guard approvals right
//     after each call, in ctx.waitUntil). That is: RPCs to OFF_PATH methods and the work inside
//     them, and an object's writes made while none of its RPC methods or alarm is running.
// Read with GET /__bench/counters (a snapshot; the bench diffs two around a request it sends
// alone) and GET /__bench/alarm-runs?name=<object name>. The response headers x-bench-do-stub-calls / x-bench-do-object-calls give the RPCs the
// Worker / the objects made while serving that request.
// The PhoneVerification subclass adds benchAge (shift every timestamp back, run the product's own
// alarm()), benchRows (what is left, and the alarm) and benchAlarmRuns (its alarm runs so far).
import { DurableObject } from "cloudflare:workers";
import worker from "./index.js";

/** Binding name → class name, from wrangler.toml (set by the generated entry). */
let classOfBinding = {};
export function setBindings(map) {
  classOfBinding = map;
}

/** Methods only ever called to report, after the call that caused them answered. */
const OFF_PATH = new Set(["Insights.record", "Insights.recordBlocks", "Insights.recordGuardBlock", "Insights.forget", "ScopeCounter.approve"]);

const counters = newCounters();
counters.offPath = newCounters();
/** Storage owner → its RPC methods (or alarm) running now, and how many of them are OFF_PATH ones. */
const running = new Map();
function offPathNow(owner) {
  const r = running.get(owner);
  return !r || r.all === 0 || r.off > 0;
}
function newCounters() {
  return {
    rpcs: {}, // "Class.method" → { worker, object }
    ran: {}, // "Class.method" → RPC methods run (callee side)
    storage: { kvGets: 0, kvLists: 0, kvPuts: 0, kvDeletes: 0, sqlReads: 0, sqlWrites: 0, sqlDdl: 0, asyncReads: 0, asyncWrites: 0, alarmGets: 0, alarmSets: 0, alarmDeletes: 0, deleteAlls: 0, ...newRowCounters() },
    reads: 0,
    writes: 0,
    ddl: 0,
    commits: 0,
    byClass: {}, // class → { reads, writes, commits, rows }
    constructed: {}, // class → objects constructed (a new object, or one woken after eviction)
    alarmRuns: {}, // class → alarm() runs
  };
}
/**
 * Rows written, by kind: one per synchronous KV put or delete; an SQL statement's cursor's
 * rowsWritten (what workerd reports for billing), read once its synchronous step has ended; one per
 * key of an async put/delete; and what a deleteAll() removes (KV keys + user-table rows before it).
 */
function newRowCounters() {
  return { sqlRowsWritten: 0, asyncRowsWritten: 0, deleteAllRows: 0 };
}
/** Cursors of write statements whose rowsWritten is not read yet, with where they are counted. */
const openCursors = [];
function flushCursors() {
  for (const [cursor, c, cls] of openCursors) {
    const n = cursor.rowsWritten ?? 0;
    c.storage.sqlRowsWritten += n;
    bump(c.byClass, cls, "rows", n);
  }
  openCursors.length = 0;
}
/** Rows written by a storage API call of `api`'s object (`field`: the kind, null for KV puts/deletes). */
function rowsWritten(api, field, n) {
  const owner = ownerOf(api);
  const c = sink(owner);
  if (field) c.storage[field] += n;
  bump(c.byClass, classOfStorage.get(owner) ?? "unknown", "rows", n);
}
/** The bench's own storage work (benchAge's ageing, benchRows) is not the product's: not counted. */
let benchQuiet = false;

/** Object id (hex) → alarm() runs, for PhoneVerification's lifetime count. */
const alarmRunsById = new Map();

const bump = (map, key, field, n = 1) => {
  const entry = (map[key] ??= {});
  entry[field] = (entry[field] ?? 0) + n;
};

// ------------------------------------------------------------------------------------------
// Storage: owners and commits.
/** kv / sql / storage object → the class whose object it belongs to; kv and sql → their storage. */
const classOfStorage = new WeakMap();
const storageOf = new WeakMap();
/** Storages written in the current synchronous step. */
const dirty = new Set();

function ownerOf(api) {
  return storageOf.get(api) ?? api;
}
/** The counters a storage operation of `owner` goes to: the request path's or offPath. */
const sink = (owner) => (offPathNow(owner) ? counters.offPath : counters);
function read(api) {
  const c = sink(ownerOf(api));
  c.reads++;
  bump(c.byClass, classOfStorage.get(ownerOf(api)) ?? "unknown", "reads");
}
function wrote(api, ddl = false) {
  const owner = ownerOf(api);
  const cls = classOfStorage.get(owner) ?? "unknown";
  const c = sink(owner);
  c.writes++;
  bump(c.byClass, cls, "writes");
  if (ddl) c.ddl++;
  if (dirty.has(owner)) return;
  dirty.add(owner);
  c.commits++;
  bump(c.byClass, cls, "commits");
}
function boundary() {
  dirty.clear();
  flushCursors();
}

let storagePatched = false;
function patchMethod(proto, name, wrap) {
  const original = proto[name];
  if (typeof original !== "function") return;
  proto[name] = wrap(original);
}
function patchStorage(storage) {
  if (storagePatched) return;
  storagePatched = true;
  // Each operation's tally goes where its owner's work goes (request path or offPath).
  const ops = (api) => sink(ownerOf(api)).storage;
  // While the bench itself reads or writes (benchQuiet), the original method runs uncounted.
  const counted = (o, count) =>
    function (...a) {
      if (!benchQuiet) count(this, a);
      return o.apply(this, a);
    };
  const kv = Object.getPrototypeOf(storage.kv);
  const kvList = kv.list;
  patchMethod(kv, "get", (o) => counted(o, (api) => { ops(api).kvGets++; read(api); }));
  patchMethod(kv, "list", (o) => counted(o, (api) => { ops(api).kvLists++; read(api); }));
  patchMethod(kv, "put", (o) => counted(o, (api) => { ops(api).kvPuts++; rowsWritten(api, null, 1); wrote(api); }));
  patchMethod(kv, "delete", (o) => counted(o, (api) => { ops(api).kvDeletes++; rowsWritten(api, null, 1); wrote(api); }));
  const sql = Object.getPrototypeOf(storage.sql);
  const sqlExec = sql.exec;
  patchMethod(sql, "exec", (o) =>
    function (query, ...a) {
      if (benchQuiet) return o.apply(this, [query, ...a]);
      const verb = String(query).trim().split(/\s+/)[0].toUpperCase();
      const s = ops(this);
      let write = false;
      if (verb === "CREATE" || verb === "ALTER" || verb === "DROP") {
        s.sqlDdl++;
        wrote(this, true);
      } else if (verb === "SELECT" || verb === "PRAGMA" || (verb === "WITH" && !/\b(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(query))) {
        s.sqlReads++;
        read(this);
      } else {
        s.sqlWrites++;
        wrote(this);
        write = true;
      }
      const cursor = o.apply(this, [query, ...a]);
      if (write) openCursors.push([cursor, sink(ownerOf(this)), classOfStorage.get(ownerOf(this)) ?? "unknown"]);
      return cursor;
    },
  );
  /** Rows a deleteAll() removes: every KV key and every user-table row (read uncounted). */
  const rowsHeld = (st) => {
    let rows = 0;
    for (const _ of kvList.call(st.kv)) rows++;
    const tables = sqlExec.call(st.sql, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").toArray();
    for (const { name } of tables) rows += sqlExec.call(st.sql, `SELECT COUNT(*) AS n FROM "${name}"`).one().n;
    return rows;
  };
  const keysOf = (a) => (Array.isArray(a[0]) ? a[0].length : a[0] !== null && typeof a[0] === "object" ? Object.keys(a[0]).length : 1);
  const st = Object.getPrototypeOf(storage);
  for (const name of ["get", "list"]) patchMethod(st, name, (o) => counted(o, (api) => { ops(api).asyncReads++; read(api); }));
  for (const name of ["put", "delete"]) patchMethod(st, name, (o) => counted(o, (api, a) => { ops(api).asyncWrites++; rowsWritten(api, "asyncRowsWritten", keysOf(a)); wrote(api); }));
  patchMethod(st, "getAlarm", (o) => counted(o, (api) => { ops(api).alarmGets++; }));
  patchMethod(st, "setAlarm", (o) => counted(o, (api) => { ops(api).alarmSets++; wrote(api); }));
  patchMethod(st, "deleteAlarm", (o) => counted(o, (api) => { ops(api).alarmDeletes++; wrote(api); }));
  patchMethod(st, "deleteAll", (o) => counted(o, (api) => { ops(api).deleteAlls++; rowsWritten(api, "deleteAllRows", rowsHeld(api)); wrote(api); }));
}

// A fetch (the provider, webhooks) is I/O: the step before it has ended when it settles.
const originalFetch = globalThis.fetch;
globalThis.fetch = function (...args) {
  return originalFetch.apply(this, args).finally(boundary);
};

// ------------------------------------------------------------------------------------------
// RPCs, caller side: stubs from wrapped namespaces.
let workerStubCalls = 0;
let objectStubCalls = 0;

function countingStub(stub, cls, origin) {
  return new Proxy(stub, {
    get(target, prop) {
      const value = target[prop];
      if (typeof prop !== "string" || prop === "then" || typeof value !== "function") return value;
      return (...args) => {
        bump(OFF_PATH.has(`${cls}.${prop}`) ? counters.offPath.rpcs : counters.rpcs, `${cls}.${prop}`, origin);
        if (origin === "worker") workerStubCalls++;
        else objectStubCalls++;
        return Reflect.apply(value, target, args); // value.apply would itself be an RPC call
      };
    },
  });
}

function countingNamespace(namespace, cls, origin) {
  return new Proxy(namespace, {
    get(target, prop) {
      const value = target[prop];
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName") return (...args) => countingStub(Reflect.apply(value, target, args), cls, origin);
      if (prop === "jurisdiction") return (...args) => countingNamespace(Reflect.apply(value, target, args), cls, origin);
      return value.bind(target);
    },
  });
}

// One wrapped env per real env and caller, so the product's per-env caches (config, key digests) still hit.
const wrapped = { worker: new WeakMap(), object: new WeakMap() };
function wrapEnv(env, origin) {
  let result = wrapped[origin].get(env);
  if (!result) {
    result = { ...env };
    for (const [binding, value] of Object.entries(env)) {
      if (value && typeof value.idFromName === "function") result[binding] = countingNamespace(value, classOfBinding[binding] ?? binding, origin);
    }
    wrapped[origin].set(env, result);
  }
  return result;
}

// ------------------------------------------------------------------------------------------
// Objects, callee side.
function methodNames(Base) {
  const names = new Set();
  for (let proto = Base.prototype; proto && proto !== DurableObject.prototype && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor") continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (typeof descriptor.value === "function") names.add(name);
    }
  }
  return [...names];
}

/** The class `Base` (exported by the bundle as `name`), counted; PhoneVerification gains the bench methods. */
export function instrument(name, Base) {
  if (typeof Base !== "function") throw new Error(`bench/instrumented.js: the bundle exports no class ${name}`);
  const Instrumented = class extends Base {
    constructor(ctx, env) {
      patchStorage(ctx.storage); // before the product's constructor touches storage
      classOfStorage.set(ctx.storage, name);
      for (const api of [ctx.storage.kv, ctx.storage.sql]) {
        storageOf.set(api, ctx.storage);
        classOfStorage.set(api, name);
      }
      super(ctx, wrapEnv(env, "object"));
      counters.constructed[name] = (counters.constructed[name] ?? 0) + 1;
    }
  };
  for (const method of methodNames(Base)) {
    const original = Base.prototype[method];
    Object.defineProperty(Instrumented.prototype, method, {
      configurable: true,
      writable: true,
      value: function (...args) {
        if (method === "alarm") {
          counters.alarmRuns[name] = (counters.alarmRuns[name] ?? 0) + 1;
          const id = this.ctx.id.toString();
          alarmRunsById.set(id, (alarmRunsById.get(id) ?? 0) + 1);
        } else {
          counters.ran[`${name}.${method}`] = (counters.ran[`${name}.${method}`] ?? 0) + 1;
        }
        boundary();
        // While this method runs, the object's writes are its work (off the path for OFF_PATH ones).
        const owner = this.ctx.storage;
        const r = running.get(owner) ?? { all: 0, off: 0 };
        running.set(owner, r);
        const off = OFF_PATH.has(`${name}.${method}`) ? 1 : 0;
        r.all++;
        r.off += off;
        const done = () => {
          boundary();
          r.all--;
          r.off -= off;
        };
        let result;
        try {
          result = Reflect.apply(original, this, args);
        } catch (error) {
          done();
          throw error;
        }
        if (result && typeof result.then === "function") return Promise.resolve(result).finally(done);
        done();
        return result;
      },
    });
  }
  if (name === "PhoneVerification") Object.defineProperties(Instrumented.prototype, Object.getOwnPropertyDescriptors(PhoneVerificationBench.prototype));
  Object.defineProperty(Instrumented, "name", { value: name });
  return Instrumented;
}

/** Shifts every timestamp of the number's records back by `ms` (as if that much time passed). */
function age(kv, ms) {
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
}

/** Bench methods of the number's object (copied onto its subclass; never counted as the product's). */
class PhoneVerificationBench {
  /** Shifts every timestamp back by `ms` (as if that much time passed), then runs alarm(). */
  async benchAge(ms) {
    // The number's storage is KV (src/objects/phone-verification/storage.ts): records, state, keys.
    // The ageing is the bench's, not the product's: its reads and writes are not counted.
    benchQuiet = true;
    try {
      age(this.ctx.storage.kv, ms);
    } finally {
      benchQuiet = false;
    }
    await this.alarm();
    return this.benchRows();
  }

  /** Keys and rows left in this object (SQLite internals and the runtime's _cf_ tables aside), and its alarm. */
  async benchRows() {
    // The bench's look, not the product's: not counted.
    benchQuiet = true;
    let tables;
    let rows = 0;
    const statuses = {};
    let alarm;
    try {
      const sql = this.ctx.storage.sql;
      tables = sql
        .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE '__miniflare%'")
        .toArray()
        .map((row) => row.name);
      for (const table of tables) rows += sql.exec(`SELECT COUNT(*) AS n FROM "${table}"`).one().n;
      for (const [key, value] of this.ctx.storage.kv.list()) {
        rows++;
        if (key.startsWith("v:")) statuses[value.status] = (statuses[value.status] ?? 0) + 1;
      }
      alarm = this.ctx.storage.getAlarm();
    } finally {
      benchQuiet = false;
    }
    return { tables, rows, statuses, alarm: await alarm };
  }

  /** alarm() runs of this object so far (real ones and benchAge's). */
  benchAlarmRuns() {
    return alarmRunsById.get(this.ctx.id.toString()) ?? 0;
  }
}

export const handler = {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/__bench/counters") {
      flushCursors(); // rowsWritten of the statements of steps that have ended
      return Response.json(counters);
    }
    // A number's object's alarm runs, read here rather than through a stub from Node: a stub held
    // from outside keeps the object referenced, and Miniflare then refuses to evict it.
    if (url.pathname === "/__bench/alarm-runs") {
      const id = env.PHONE_VERIFICATION.idFromName(url.searchParams.get("name") ?? "").toString();
      return Response.json({ runs: alarmRunsById.get(id) ?? 0 });
    }
    // Exact only when requests do not overlap; the bench sends these one at a time.
    const workerBefore = workerStubCalls;
    const objectBefore = objectStubCalls;
    const response = await worker.fetch(request, wrapEnv(env, "worker"), ctx);
    const counted = new Response(response.body, response);
    counted.headers.set("x-bench-do-stub-calls", String(workerStubCalls - workerBefore));
    counted.headers.set("x-bench-do-object-calls", String(objectStubCalls - objectBefore));
    return counted;
  },
};
