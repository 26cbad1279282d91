// Where a request's CPU goes, measured inside workerd by its process CPU time: workerd freezes
// its clocks while JavaScript runs (a Spectre mitigation), so in-Worker timers cannot time code.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { buildWorker, productObjects, root, startWorker } from "./workers.mjs";

/**
 * The generated schemas for plain Node: enums need a transform, not just type stripping, and the
 * bare imports are pinned to this repo's node_modules so the file can live in a temp dir.
 */
export async function loadSchemas() {
  let js = stripTypeScriptTypes(readFileSync(join(root, "src", "gen", "verify", "v1", "verification_pb.ts"), "utf8"), { mode: "transform" });
  js = js.replace(/from "(@bufbuild\/protobuf[^"]*)"/g, (_, spec) => `from "${import.meta.resolve(spec)}"`);
  const dir = mkdtempSync(join(tmpdir(), "edge-verify-bench-pb-"));
  const file = join(dir, "verification_pb.mjs");
  writeFileSync(file, js);
  try {
    return await import(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What the profile's objects need of the product's configuration on top of the caller's: the
 * number rows start hundreds of verifications of one number range within seconds, which the
 * default range, country and daily caps would refuse and the conversion guard would block (an
 * abuse pattern, rightly). Raised as bench/run.mjs raises them for its passes, not turned off:
 * every start still takes its range, country-shard and budget-shard units and the guard's count.
 */
const PROFILE_VARS = {
  RANGE_SENDS_PER_HOUR: "1000000",
  COUNTRY_SENDS_PER_HOUR: "100000000",
  SMS_DAILY_LIMIT: "1000000000",
  CONVERSION_GUARD_RANGE_MIN_STARTS: "1000000",
  CONVERSION_GUARD_COUNTRY_MIN_STARTS: "100000000",
};

/**
 * After a call through the number's object, its insights are reported later (in this release by
 * the isolate's report batch, REPORT_BATCH_MS = 1 s after it opened). A row is timed only once everything earlier
 * has run, and what a row leaves running after its answer is charged to it as `:deferred`.
 */
const PRODUCT_SETTLE_MS = 2_600;
/** workerd counts as idle once its CPU time has not moved for this long (10 ms resolution). */
const QUIET_MS = 400;
const SETTLE_LIMIT_MS = 20_000;

/**
 * The rows, in the order printed. kind:
 * - `worker`: a piece of the Worker, no object; less the Worker's empty loop.
 * - `do`: a storage primitive n times inside one object of the number's class; less the same
 *   request with an empty loop (its RPC, spread over n).
 * - `rpc`: one RPC from the Worker per iteration, the RPC and the object's whole answer included;
 *   less the Worker's empty loop. `rpc-noop` is the RPC alone.
 * - `wake`: an evicted object's first call, RPC included; whole cost.
 * `names`: a new object of that class per iteration, all evicted once the row is done, so that
 * workerd's own idle eviction of hundreds of objects does not land in a later row; n is low enough
 * that the timed request ends before the deferred work of its first call starts (~2 s here).
 * `prepare`: the untimed request that makes the objects the row needs. `deferred`: the call changes
 * a verification; what it leaves running is waited for and reported as `<op>:deferred`.
 */
const ROWS = [
  { op: "noop", kind: "worker", n: 20000, hidden: true, what: "the Worker's empty loop (subtracted from worker and rpc rows)" },
  { op: "phone-parse", kind: "worker", n: 4000, what: "libphonenumber parse + validate + line type of one number" },
  { op: "code-generate", kind: "worker", n: 20000, what: "a 6-digit code from crypto random" },
  { op: "log-line", kind: "worker", n: 4000, what: "the check's JSON log line (workerd formats it, Miniflare reads it)" },
  { op: "code-hmac", kind: "worker", n: 4000, what: "code key import + HMAC-SHA256 of one code" },
  { op: "auth-api-key", kind: "worker", n: 4000, what: "API-key auth (SHA-256 + compare; registry stubbed, cached)" },
  { op: "proto-encode-response", kind: "worker", n: 4000, what: "protobuf encode of a StartVerificationResponse" },
  { op: "request-only", kind: "worker", n: 4000, what: "building one app Request and reading its body (inside every app-* row)" },
  { op: "app-rest-start", kind: "worker", n: 2000, what: "REST start through the Hono app, number object stubbed in memory" },
  { op: "app-json-start", kind: "worker", n: 2000, what: "Connect JSON start, Worker side, object stubbed" },
  { op: "app-binary-start", kind: "worker", n: 2000, what: "Connect binary start, Worker side, object stubbed" },
  { op: "app-rest-check", kind: "worker", n: 2000, what: "REST check, Worker side, object stubbed" },
  { op: "app-json-check", kind: "worker", n: 2000, what: "Connect JSON check, Worker side, object stubbed" },
  { op: "app-binary-check", kind: "worker", n: 2000, what: "Connect binary check, Worker side, object stubbed" },
  { op: "buffered-connect-binary-check", kind: "worker", n: 2000, what: "experiment: binary check with the body buffered, no stream adapters" },
  { op: "buffered-connect-json-check", kind: "worker", n: 2000, what: "experiment: JSON check with the body buffered, no stream adapters" },

  { op: "do-noop", kind: "do", n: 20000, hidden: true, what: "the object's empty loop, RPC included (subtracted from do rows)" },
  { op: "do-kv-get-verification", kind: "do", n: 10000, what: "kv.get of a verification record (was SQL SELECT * of 33 columns)" },
  { op: "do-kv-put-verification", kind: "do", n: 10000, what: "kv.put of a verification record, commit shared (was INSERT OR REPLACE)" },
  { op: "do-kv-list-verifications", kind: "do", n: 10000, what: "kv.list of prefix v: over one record, the alarm's scan (was SELECT MIN(due))" },
  { op: "do-get-alarm", kind: "do", n: 10000, what: "storage.getAlarm()" },
  { op: "do-set-alarm", kind: "do", n: 2000, what: "storage.setAlarm(), commit shared" },
  { op: "do-baseline-upsert", kind: "do", n: 10000, what: "the baseline's SQL upsert (RETURNING n), commit shared" },
  { op: "do-kv-put-commit", kind: "do", n: 2000, what: "kv.put of the baseline's two values + await storage.sync(): its own commit" },
  { op: "do-sql-upsert-commit", kind: "do", n: 2000, what: "the baseline's SQL upsert + await storage.sync(): its own commit" },
  { op: "do-constructor", kind: "do", n: 2000, what: "new PhoneVerification on existing storage (a wake's constructor)" },

  { op: "rpc-noop", kind: "rpc", n: 4000, what: "empty RPC to an existing Durable Object: the RPC overhead alone" },
  { op: "rpc-noop-new", kind: "rpc", n: 300, names: "EmptyObject", what: "empty RPC to a new Durable Object each time: creation + RPC" },
  { op: "number-get-new", kind: "rpc", n: 300, names: "PhoneVerification", what: "get() on a new number object (unknown id, nothing written)" },
  { op: "scope-take", kind: "rpc", n: 2000, prepare: "prepare-scope", what: "ScopeCounter.takeAll of the range counter in an existing shard object (sliding hour + guard count)" },
  { op: "scope-take-new", kind: "rpc", n: 300, names: "ScopeCounter", what: "the same in a new counter object each time (a fresh shard object)" },
  { op: "number-start-new-noscopes", kind: "rpc", n: 200, names: "PhoneVerification", deferred: true, what: "start() on a new number object, test code (no SMS), no scopes" },
  { op: "number-start-new-scopes", kind: "rpc", n: 200, names: "PhoneVerification", deferred: true, what: "the same start() with its scope RPCs (SCOPES; existing counters)" },
  { op: "number-start-new-sms", kind: "rpc", n: 200, names: "PhoneVerification", deferred: true, what: "start() on a new number object, with its scopes and the provider fetch (fake Twilio)" },
  { op: "number-start-resend-sms", kind: "rpc", n: 200, names: "PhoneVerification", prepare: "prepare-sent", deferred: true, what: "start() on a live verification: a resend with the provider fetch (cooldown off)" },
  { op: "number-get", kind: "rpc", n: 2000, prepare: "prepare-live", what: "get() of a live verification on a warm object: the read path" },
  { op: "number-check-wrong", kind: "rpc", n: 300, names: "PhoneVerification", prepare: "prepare-live", deferred: true, what: "check() with a wrong code on a live verification (warm object)" },
  { op: "number-check-right", kind: "rpc", n: 300, names: "PhoneVerification", prepare: "prepare-live", deferred: true, what: "check() with the right code: the approval (warm object)" },

  { op: "wake+noop", kind: "wake", className: "StorageProbe", what: "first call after eviction, number's class: an empty method" },
  { op: "wake+get-alarm", kind: "wake", className: "StorageProbe", what: "first call after eviction: getAlarm()" },
  { op: "wake+kv-get-verification", kind: "wake", className: "StorageProbe", what: "first call after eviction: kv.get of the record (was SELECT by id)" },
  { op: "wake+get", kind: "wake", className: "StorageProbe", what: "first call after eviction: the product's get() (a read-only wake)" },
  { op: "wake+check", kind: "wake", className: "StorageProbe", deferred: true, what: "first call after eviction: the product's wrong-code check()" },
  { op: "baseline wake+noop", kind: "wake", className: "BaselineWakeProbe", baseline: true, what: "the baseline's object, first call after eviction: nothing" },
  { op: "baseline wake+upsert", kind: "wake", className: "BaselineWakeProbe", baseline: true, what: "the baseline's object, first call after eviction: its upsert" },
];

/**
 * The same pieces inside workerd, with the product's own modules (bench/profile/worker.ts): each
 * operation runs `n` times in one request and costs workerd's CPU time divided by `n`, less the
 * empty loop's. Best of `repeats`, the least disturbed by other tenants. Returns the rows in
 * print order, `{ op, us, what, n }` (`us` in µs per operation; `:deferred` rows are what the
 * operation left running after its answer, per operation), and `overlapping`: rows whose timed
 * request ran so long that their deferred work may have started inside it (their split between
 * the row and `:deferred` is then unreliable; the sum is not). `progress(op)` follows each row.
 */
export async function profileInWorkerd({ numbers, vars, repeats = 5, progress }) {
  const build = await buildWorker({ config: join(root, "bench", "profile", "wrangler.toml") });
  const worker = await startWorker({
    name: "profile",
    modules: { "worker.js": readFileSync(build.bundle, "utf8") },
    modulesRoot: build.outdir,
    // Every object class of the product, bound as deployed, plus the profile's own probes.
    objects: { ...productObjects(), PROBE: "StorageProbe", EMPTY: "EmptyObject", BASELINE_WAKE: "BaselineWakeProbe" },
    vars: { ...vars, ...PROFILE_VARS },
  });
  const call = async (body) => {
    const response = await fetch(worker.url, { method: "POST", body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`profile ${body.op}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  /** Waits until workerd has been idle for QUIET_MS, at least `minMs` from now; returns its CPU ms meanwhile. */
  const settle = async (minMs) => {
    const started = performance.now();
    const cpu0 = worker.cpuMs();
    let last = cpu0;
    let lastChange = started;
    for (;;) {
      await sleep(50);
      const now = performance.now();
      const cpu = worker.cpuMs();
      if (cpu !== last) {
        last = cpu;
        lastChange = now;
      }
      if (now - started >= minMs && now - lastChange >= QUIET_MS) return cpu - cpu0;
      if (now - started >= SETTLE_LIMIT_MS) throw new Error(`profile: workerd did not go idle within ${SETTLE_LIMIT_MS} ms`);
    }
  };
  const evict = async (className, names) => {
    for (const name of names) await worker.mf.unsafeEvictDurableObject("profile", className, { name });
  };
  // Objects prepared through the number's object (a start) leave its deferred work behind too.
  const afterPrepare = (row) => (row.prepare === "prepare-live" || row.prepare === "prepare-sent" ? PRODUCT_SETTLE_MS : 0);
  const afterRow = (row) => (row.deferred ? PRODUCT_SETTLE_MS : 0);
  const perOp = {};
  const deferred = {};
  /** Rows whose timed request lasted long enough for deferred work to start inside it. */
  const overlapping = [];
  let scopes = [];
  try {
    // Records the inputs the product's verifier sends the number's object (and warms the registry).
    ({ scopes } = await call({ op: "setup", numbers }));
    await settle(0);
    // The do-* rows' objects: one per row and repeat, each holding a verification the product wrote.
    const doRows = ROWS.filter((row) => row.kind === "do");
    const probeNames = doRows.flatMap((row) => Array.from({ length: repeats }, (_, r) => `${row.op}/${r}`));
    const { ids: probeIds } = await call({ op: "prepare-probe", names: probeNames });
    const probeId = Object.fromEntries(probeNames.map((name, i) => [name, probeIds[i]]));
    await settle(PRODUCT_SETTLE_MS);

    for (const row of ROWS.filter((r) => r.kind !== "wake")) {
      let best = Infinity;
      let bestDeferred = Infinity;
      let wallMs = 0;
      for (let r = 0; r < repeats; r++) {
        const tag = `${row.op}/${r}`;
        const names = row.names ? Array.from({ length: row.n }, (_, i) => `${tag}/${i}`) : [tag];
        let ids = [];
        if (row.kind === "do") ids = [probeId[tag]];
        if (row.prepare) {
          ({ ids = [] } = await call({ op: row.prepare, names }));
          await settle(afterPrepare(row));
        }
        const body = { op: row.op, n: row.n, names, ids, ...(row.kind === "worker" ? { numbers } : {}) };
        const cpu0 = worker.cpuMs();
        const t0 = performance.now();
        await call(body);
        wallMs = Math.max(wallMs, performance.now() - t0);
        best = Math.min(best, ((worker.cpuMs() - cpu0) * 1000) / row.n);
        // Worker rows leave nothing behind; object rows are followed until workerd is idle again.
        if (row.kind === "worker") continue;
        const after = await settle(afterRow(row));
        bestDeferred = Math.min(bestDeferred, (after * 1000) / row.n);
        if (row.names) {
          await evict(row.names, names);
          await settle(0);
        }
      }
      if (row.deferred && wallMs > PRODUCT_SETTLE_MS - 800) overlapping.push(`${row.op} (${(wallMs / 1000).toFixed(1)} s)`);
      perOp[row.op] = best;
      progress?.(row.op);
      if (row.deferred) deferred[row.op] = bestDeferred;
    }

    // Waking: K prepared objects are evicted, then each runs one operation as its first call.
    const K = 300;
    for (const row of ROWS.filter((r) => r.kind === "wake")) {
      const wakeOp = row.op.slice(row.op.indexOf("+") + 1);
      let best = Infinity;
      for (let r = 0; r < Math.min(repeats, 3); r++) {
        const names = Array.from({ length: K }, (_, i) => `${row.op}/${r}/${i}`);
        const { ids = [] } = await call({ op: row.baseline ? "prepare-baseline-wake" : "prepare-wake", names });
        // The prepared start's deferred work (the insights report) runs before the eviction.
        await settle(row.baseline ? 0 : PRODUCT_SETTLE_MS);
        await evict(row.className, names);
        await settle(0);
        const cpu0 = worker.cpuMs();
        await call({ op: row.baseline ? `baseline-wake-${wakeOp}` : `wake-${wakeOp}`, names, ids });
        best = Math.min(best, ((worker.cpuMs() - cpu0) * 1000) / K);
        await settle(row.deferred ? PRODUCT_SETTLE_MS : 0);
        await evict(row.className, names);
        await settle(0);
      }
      perOp[row.op] = best;
      progress?.(row.op);
    }
  } finally {
    await worker.close();
    rmSync(build.outdir, { recursive: true, force: true });
  }
  const doNoop = ROWS.find((r) => r.op === "do-noop");
  const net = (row, us) => {
    if (row.kind === "wake") return us; // whole cost of the first call after waking, RPC included
    // do rows: less the probe request's own cost (its RPC, the empty loop) spread over this row's n.
    if (row.kind === "do") return Math.max(0, us - (perOp["do-noop"] * doNoop.n) / row.n);
    return Math.max(0, us - perOp.noop);
  };
  const rows = [];
  for (const row of ROWS) {
    if (row.hidden) continue;
    const what = row.what.replace("SCOPES", scopes.join(", "));
    rows.push({ op: row.op, us: net(row, perOp[row.op]), what, ...(row.n ? { n: row.n } : {}) });
    if (row.deferred && row.kind !== "wake") rows.push({ op: `${row.op}:deferred`, us: deferred[row.op], what: "  what it left running after its answer (insights report, guard approvals), per call" });
  }
  return { rows, overlapping };
}

/** The profile as printed lines: name, µs per operation, what it runs. */
export function formatProfile({ rows, overlapping }) {
  const lines = rows.map(({ op, us, what }) => `${op.padEnd(34)} ${us.toFixed(1).padStart(8)} µs  ${what}`);
  if (overlapping.length > 0) lines.push(`note: timed requests long enough for deferred work to start inside them: ${overlapping.join(", ")}`);
  return lines;
}
