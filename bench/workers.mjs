// Builds the Worker as it deploys and runs it (and the baseline and the flow's floor) in workerd
// through Miniflare's API.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..");
export const COMPATIBILITY_DATE = "2026-10-20"; // wrangler.toml's

/**
 * `wrangler deploy --dry-run` of the top-level (production) config into a temp dir; `config`
 * builds another wrangler config (the profile Worker) the same way; `from` builds another checkout
 * of the project (the soak's previous release), with this checkout's wrangler.
 */
export async function buildWorker({ config, from = root } = {}) {
  const outdir = await mkdtemp(join(tmpdir(), "edge-verify-bench-build-"));
  const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
  // --env="" targets the top-level environment explicitly; metrics off: no network but loopback.
  // Run with this Node (22, from the devDependency), whatever `node` is first on PATH.
  const configArgs = config ? ["--config", config] : [];
  await promisify(execFile)(process.execPath, [wrangler, "deploy", "--dry-run", "--env=", ...configArgs, "--outdir", outdir], {
    cwd: from,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    maxBuffer: 16 * 1024 * 1024,
  });
  const main = config ? "worker.js" : "index.js";
  return { outdir, bundle: join(outdir, main) };
}

/**
 * Durable Object SQLite files go to tmpfs when there is one: on a shared disk, other tenants'
 * fsync stalls swamp the figures (seconds of p99), and a deployed object's storage is not this
 * machine's disk either. Both Workers get the same medium.
 */
export function storageRoot() {
  return existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
}

const textBindings = (vars) => Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, { type: "text", value: String(value) }]));

/**
 * One workerd process (Miniflare v5 options) serving one Worker on a direct loopback socket.
 * `modules` maps module names to ESM source; the first one is the entry.
 */
function workerOptions({ name, modules, modulesRoot, vars, objects, persist, onLog, compatibilityFlags = [], inspectorPort }) {
  const env = { ...textBindings(vars) };
  const exports = {};
  for (const [binding, className] of Object.entries(objects)) {
    env[binding] = { type: "durable-object", worker: name, exportName: className };
    exports[className] = { type: "durable-object", storage: "sqlite" };
  }
  const manifestModules = Object.fromEntries(Object.entries(modules).map(([file, contents]) => [file, { type: "esm", contents }]));
  return {
    // Only bench/cpu-profile.mjs sets it: the V8 inspector, for a sampled CPU profile.
    ...(inspectorPort === undefined ? {} : { inspectorPort }),
    enableDevRegistry: false,
    telemetry: { enabled: false },
    logRequests: false,
    resourcePersistencePath: persist,
    // Off: with it, Miniflare wraps every SQLite-backed class so that each construction (a new
    // object or a wake) creates a __miniflare_do_name table and writes the object's name into it, a
    // commit production never pays, on both Workers. Eviction (unsafeEvictDurableObject) and
    // getDurableObjectNamespace do not need it.
    unsafeInspectDurableObjects: false,
    // The product logs one JSON line per start and check; workerd still formats and writes them,
    // we only keep the count instead of flooding the terminal.
    handleStructuredLogs: onLog,
    workers: [
      {
        config: {
          name,
          compatibilityDate: COMPATIBILITY_DATE,
          compatibilityFlags,
          manifest: { mainModule: Object.keys(modules)[0], modulesRoot, modules: manifestModules },
          env,
          exports,
        },
        dev: { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }], unsafeRegisterWorker: false },
      },
    ],
  };
}

/**
 * Starts a Worker and times it: `readyMs` until workerd listens, `firstAnswerMs` until `probe`
 * (a real request) has been answered, both from just before `new Miniflare()`.
 */
export async function startWorker({ name, modules, modulesRoot, vars = {}, objects, probe, persist: reuse, compatibilityFlags, onLog: observe, inspectorPort }) {
  // `persist` reuses a storage directory (the soak's full restart on the same state).
  const persist = reuse ?? (await mkdtemp(join(storageRoot(), `edge-verify-bench-${name}-`)));
  let logLines = 0;
  const problems = [];
  const onLog = (entry) => {
    logLines++;
    observe?.(entry);
    if ((entry.level === "error" || entry.level === "warn") && problems.length < 5) problems.push(entry.message.slice(0, 300));
  };
  const before = new Set(workerdPids());
  const started = performance.now();
  const mf = new Miniflare(workerOptions({ name, modules, modulesRoot, vars, objects, persist, onLog, compatibilityFlags, inspectorPort }));
  await mf.ready;
  const pid = workerdPids().find((p) => !before.has(p)) ?? null;
  const url = await mf.unsafeGetDirectURL(name);
  const readyMs = performance.now() - started;
  let firstAnswerMs = null;
  if (probe) {
    const response = await probe(url);
    firstAnswerMs = performance.now() - started;
    if (!response.ok) throw new Error(`${name}: first request answered ${response.status}: ${await response.text()}`);
  }
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await mf.dispose();
  };
  return {
    mf,
    url,
    persist,
    pid,
    readyMs,
    firstAnswerMs,
    logLines: () => logLines,
    problems,
    cpuMs: () => (pid ? processCpuMs(pid) : null),
    dispose,
    /** Stops workerd and deletes the objects' storage (tmpfs is memory). */
    async close() {
      await dispose();
      rmSync(persist, { recursive: true, force: true });
    },
  };
}

/**
 * The product's Durable Object bindings (binding → class), read from wrangler.toml's top-level
 * `[[durable_objects.bindings]]`, so the bench runs every object the deployed Worker has; `from`
 * reads another checkout's (the soak's previous release).
 */
export function productObjects(from = root) {
  const toml = readFileSync(join(from, "wrangler.toml"), "utf8");
  const objects = {};
  for (const match of toml.matchAll(/^\[\[durable_objects\.bindings\]\]\s*\nname = "([^"]+)"\s*\nclass_name = "([^"]+)"/gm)) {
    objects[match[1]] = match[2];
  }
  if (!objects.PHONE_VERIFICATION) throw new Error("wrangler.toml: no PHONE_VERIFICATION binding found");
  return objects;
}

export function productModules(outdir, { instrumented = false, devOutboxNoop = false } = {}) {
  const bundle = readFileSync(join(outdir, "index.js"), "utf8");
  if (devOutboxNoop) {
    // For the console-provider passes (start without the provider fetch): in development the
    // console provider copies each message into the DevOutbox object, one object for the whole
    // deployment (an RPC and a SQLite write per start) that production's send does not pay. Its
    // add() keeps nothing here; the RPC to it remains.
    const entry = [
      `import * as product from "./index.js";`,
      `export * from "./index.js";`,
      `export default product.default;`,
      `export class DevOutbox extends product.DevOutbox { async add() {} }`,
    ].join("\n");
    return { "entry.js": entry, "index.js": bundle };
  }
  if (!instrumented) return { "index.js": bundle };
  // The entry subclasses every Durable Object class of wrangler.toml through bench/instrumented.js.
  const objects = productObjects();
  const classes = [...new Set(Object.values(objects))];
  const entry = [
    `import * as product from "./index.js";`,
    `import { handler, instrument, setBindings } from "./instrumented.js";`,
    `setBindings(${JSON.stringify(objects)});`,
    `export * from "./index.js";`,
    `export default handler;`,
    ...classes.map((name) => `export const ${name} = instrument(${JSON.stringify(name)}, product.${name});`),
  ].join("\n");
  return { "entry.js": entry, "instrumented.js": readFileSync(join(here, "instrumented.js"), "utf8"), "index.js": bundle };
}

export function baselineModules() {
  return { "worker.js": readFileSync(join(here, "baseline", "worker.js"), "utf8") };
}

/** The flow's floor (bench/floor/worker.js): the least a verification flow costs in this architecture. */
export function floorModules() {
  return { "worker.js": readFileSync(join(here, "floor", "worker.js"), "utf8") };
}

/** workerd processes this process spawned (Miniflare starts one per instance). */
function workerdPids() {
  const pids = [];
  if (!existsSync("/proc")) return pids; // not Linux: no CPU figures, everything else works
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat && stat.comm === "workerd" && stat.ppid === process.pid) pids.push(entry);
  }
  return pids;
}

function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    const fields = text.slice(close + 2).split(" "); // fields[0] is field 3 (state)
    return { comm: text.slice(text.indexOf("(") + 1, close), ppid: Number(fields[1]), utime: Number(fields[11]), stime: Number(fields[12]) };
  } catch {
    return null;
  }
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux
/** CPU time (user + system, all threads) a process has used, in ms; 10 ms resolution. */
export function processCpuMs(pid) {
  const stat = readStat(pid);
  return stat ? ((stat.utime + stat.stime) * 1000) / CLOCK_TICKS_PER_SECOND : null;
}
