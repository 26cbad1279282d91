// Where a flow's CPU goes inside workerd: a sampled V8 CPU profile of the product (its Worker and
// every Durable Object share one isolate) while it runs whole flows (start → code from the fake
// provider → right-code check), self time summed by function and by source module.
//
//   npm run assets && node bench/cpu-profile.mjs [--flows 2000] [--concurrency 16] [--out file.cpuprofile]
//
// The bundle is built as deployed but not minified (`--no-minify`), so names and esbuild's
// `// src/…` module markers survive; the code is otherwise the same. The profile (a .cpuprofile,
// which Chrome DevTools opens) is written to bench/results/flow.cpuprofile unless --out says.
// A diagnostic, not a measurement: the sampler itself costs CPU, so read shares, not µs totals.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { startFakeTwilio, FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN } from "../test/fakes/fake-twilio.mjs";
import { productObjects, root, startWorker } from "./workers.mjs";

const { values: args } = parseArgs({
  options: { floor: { type: "boolean" }, flows: { type: "string" }, concurrency: { type: "string" }, out: { type: "string" }, port: { type: "string" } },
});
const FLOWS = Number(args.flows ?? 2000);
const CONCURRENCY = Number(args.concurrency ?? 16);
const INSPECTOR_PORT = Number(args.port ?? 9329);
const OUT = args.out ?? join(root, "bench", "results", "flow.cpuprofile");
const API_KEY = "ev_bench_0123456789abcdef";

async function build() {
  const outdir = await mkdtemp(join(tmpdir(), "edge-verify-profile-build-"));
  const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
  await promisify(execFile)(process.execPath, [wrangler, "deploy", "--dry-run", "--env=", "--no-minify", "--outdir", outdir], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    maxBuffer: 16 * 1024 * 1024,
  });
  return outdir;
}

/** Line → source module, from esbuild's `// src/path.ts` markers in an unminified bundle. */
function moduleIndex(source) {
  const marks = [];
  source.split("\n").forEach((line, i) => {
    const match = /^\/\/ ((?:src|node_modules)\/\S+)$/.exec(line);
    if (match) marks.push([i, match[1].replace(/^node_modules\/(\.pnpm\/)?/, "npm:")]);
  });
  return (line) => {
    let lo = 0;
    let hi = marks.length - 1;
    let found = "(bundle prelude)";
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (marks[mid][0] <= line) {
        found = marks[mid][1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

function inspector(url) {
  const ws = new WebSocket(url);
  let nextId = 1;
  const pending = new Map();
  ws.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data));
    if (message.id && pending.has(message.id)) {
      pending.get(message.id)(message);
      pending.delete(message.id);
    }
  });
  const opened = new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", reject, { once: true });
  });
  return {
    opened,
    send(method, params = {}) {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      });
    },
    close: () => ws.close(),
  };
}

// --floor profiles bench/floor/worker.js instead, for comparison (same options, same fake).
const FLOOR = Boolean(args.floor);
const outdir = FLOOR ? join(root, "bench", "floor") : await build();
const bundle = await readFile(join(outdir, FLOOR ? "worker.js" : "index.js"), "utf8");
const NAME = FLOOR ? "floor" : "edge-verify";
const moduleOf = moduleIndex(bundle);
const fake = await startFakeTwilio({ record: "last" });
let next = 0;
const numberAt = (i) => `+1415${String(2000000 + ((i * 7919) % 7999999)).padStart(7, "0")}`;
const waiters = new Map();
fake.setOnMessage((to, body) => {
  const code = /(?<!\d)\d{4,10}(?!\d)/.exec(body)?.[0];
  const waiter = waiters.get(to);
  if (waiter) waiter(code);
  else waiters.set(to, code);
});
const codeFor = (to) =>
  new Promise((resolve) => {
    const ready = waiters.get(to);
    if (typeof ready === "string") {
      waiters.delete(to);
      resolve(ready);
    } else
      waiters.set(to, (code) => {
        waiters.delete(to);
        resolve(code);
      });
  });

const vars = {
  ENVIRONMENT: "production",
  API_KEYS: API_KEY,
  CODE_SECRET: "bench-code-secret-0123456789abcdef-not-for-production",
  SMS_PROVIDER: "twilio",
  TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID,
  TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN,
  TWILIO_FROM: "+15005550006",
  TWILIO_API_BASE: fake.url,
  RETENTION_DAYS: "7",
  RANGE_SENDS_PER_HOUR: "1000000",
  COUNTRY_SENDS_PER_HOUR: "100000000",
  SMS_DAILY_LIMIT: "1000000000",
  CONVERSION_GUARD_RANGE_MIN_STARTS: "1000000",
  CONVERSION_GUARD_COUNTRY_MIN_STARTS: "100000000",
};
const worker = await startWorker({
  name: NAME,
  modules: FLOOR ? { "worker.js": bundle } : { "index.js": bundle },
  modulesRoot: outdir,
  vars,
  objects: FLOOR ? { FLOOR: "FloorVerification" } : productObjects(),
  inspectorPort: INSPECTOR_PORT,
});
const headers = { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" };
async function flow() {
  const to = numberAt(next++);
  const started = await fetch(new URL("/v1/verifications", worker.url), { method: "POST", headers, body: JSON.stringify({ to }) });
  if (started.status !== 201 && started.status !== 200) throw new Error(`start ${started.status}: ${await started.text()}`);
  const { id } = await started.json();
  const code = await codeFor(to);
  const checked = await fetch(new URL("/v1/verifications/check", worker.url), { method: "POST", headers, body: JSON.stringify({ verificationId: id, code }) });
  const answer = await checked.json();
  if (answer.status !== "approved") throw new Error(`check: ${JSON.stringify(answer)}`);
}
async function run(count) {
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (done < count) {
        done++;
        await flow();
      }
    }),
  );
}

await run(200); // warm up: JIT, the shard objects, the service registry's cache
const session = inspector(`ws://127.0.0.1:${INSPECTOR_PORT}/core:user:${NAME}`);
await session.opened;
await session.send("Profiler.enable");
await session.send("Profiler.setSamplingInterval", { interval: 100 });
await session.send("Profiler.start");
const cpu0 = worker.cpuMs();
const t0 = performance.now();
await run(FLOWS);
const wallMs = performance.now() - t0;
const cpuMs = worker.cpuMs() - cpu0;
const { result } = await session.send("Profiler.stop");
session.close();
await writeFile(OUT, JSON.stringify(result.profile));
await worker.close();
await fake.close?.();

// Self time per node from the samples.
const profile = result.profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const dt = new Map();
for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
const byFunction = new Map();
const byModule = new Map();
let total = 0;
for (const [id, us] of dt) {
  const frame = byId.get(id).callFrame;
  if (frame.functionName === "(idle)") continue;
  total += us;
  const where = frame.url ? moduleOf(frame.lineNumber) : frame.functionName;
  const fn = `${frame.functionName || "(anonymous)"}  ${where}:${frame.lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  byModule.set(where, (byModule.get(where) ?? 0) + us);
}
const perFlow = (us) => (us / FLOWS).toFixed(0).padStart(6);
const top = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
console.log(`${FLOWS} flows, ${CONCURRENCY} in flight: ${(FLOWS / (wallMs / 1000)).toFixed(0)} flows/s; workerd CPU ${((cpuMs * 1000) / FLOWS).toFixed(0)} µs/flow; JS samples (non-idle) ${perFlow(total)} µs/flow`);
console.log("\nself time by module (µs per flow, share of JS samples)");
for (const [name, us] of top(byModule, 30)) console.log(`${perFlow(us)}  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`);
console.log("\nself time by function (µs per flow)");
for (const [name, us] of top(byFunction, 40)) console.log(`${perFlow(us)}  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`);
console.log(`\nprofile: ${OUT}`);
process.exit(0);
