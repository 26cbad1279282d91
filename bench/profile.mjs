// Where a request's CPU goes, measured inside workerd by its process CPU time: workerd freezes
// its clocks while JavaScript runs (a Spectre mitigation), so in-Worker timers cannot time code.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWorker, root, startWorker } from "./workers.mjs";

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
 * The same pieces inside workerd, with the product's own modules (bench/profile/worker.ts): each
 * operation runs `n` times in one request and costs workerd's CPU time divided by `n`, less the
 * empty loop's. Best of `repeats`, the least disturbed by other tenants.
 */
export async function profileInWorkerd({ numbers, vars, repeats = 5 }) {
  const build = await buildWorker({ config: join(root, "bench", "profile", "wrangler.toml") });
  const worker = await startWorker({
    name: "profile",
    modules: { "worker.js": readFileSync(build.bundle, "utf8") },
    modulesRoot: build.outdir,
    // INSIGHTS: the product's objects report events there (off the response path, as deployed).
    objects: { PROBE: "StorageProbe", WAKE: "WakeProbe", BASELINE_WAKE: "BaselineWakeProbe", INSIGHTS: "Insights" },
    vars, // the product's configuration, for the object's own start() and check()
  });
  const ops = {
    noop: 20000,
    "phone-parse": 4000,
    "code-generate": 20000,
    "log-line": 4000,
    "code-hmac": 4000,
    "auth-api-key": 4000,
    "proto-encode-response": 4000,
    "request-only": 4000,
    "app-rest-start": 2000,
    "app-json-start": 2000,
    "app-binary-start": 2000,
    "app-rest-check": 2000,
    "app-json-check": 2000,
    "app-binary-check": 2000,
    "buffered-connect-binary-check": 2000,
    "buffered-connect-json-check": 2000,
    "do-noop": 20000,
    "do-select-by-id": 10000,
    "do-insert-or-replace": 10000,
    "do-select-min-due": 10000,
    "do-get-alarm": 10000,
    "do-set-alarm": 2000,
    "do-baseline-upsert": 10000,
    "do-reset-check-attempts": 10000,
    "do-constructor": 2000,
    "do-product-check": 4000,
    "do-product-check-approve": 1000,
    "do-product-start-resend": 1000,
  };
  const perOp = {};
  try {
    for (const [op, n] of Object.entries(ops)) {
      let best = Infinity;
      for (let r = 0; r < repeats; r++) {
        const cpu0 = worker.cpuMs();
        const response = await fetch(worker.url, { method: "POST", body: JSON.stringify({ op, n, numbers }) });
        if (!response.ok) throw new Error(`profile ${op}: ${response.status} ${await response.text()}`);
        await response.arrayBuffer();
        best = Math.min(best, ((worker.cpuMs() - cpu0) * 1000) / n);
      }
      perOp[op] = best;
    }
    // Waking: K prepared objects are evicted, then each runs one operation as its first call.
    const K = 300;
    const call = async (body) => {
      const response = await fetch(worker.url, { method: "POST", body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`profile ${body.op}: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    };
    const wakeOps = [
      ["WakeProbe", "", "noop"],
      ["WakeProbe", "", "get-alarm"],
      ["WakeProbe", "", "select-by-id"],
      ["WakeProbe", "", "product-check"],
      ["BaselineWakeProbe", "baseline-", "noop"],
      ["BaselineWakeProbe", "baseline-", "baseline-upsert"],
    ];
    for (const [className, prefix, wakeOp] of wakeOps) {
      let best = Infinity;
      for (let r = 0; r < Math.min(repeats, 3); r++) {
        const names = Array.from({ length: K }, (_, i) => `${prefix}wake-${wakeOp}-${r}-${i}`);
        await call({ op: `prepare-${prefix}wake`, names });
        for (const name of names) await worker.mf.unsafeEvictDurableObject("profile", className, { name });
        const cpu0 = worker.cpuMs();
        await call({ op: `${prefix}wake-${wakeOp}`, names });
        best = Math.min(best, ((worker.cpuMs() - cpu0) * 1000) / K);
      }
      perOp[`${prefix ? "baseline " : ""}wake+${wakeOp}`] = best;
    }
  } finally {
    await worker.close();
    rmSync(build.outdir, { recursive: true, force: true });
  }
  // Less the empty loop: in the Worker for Worker ops, in the object (RPC included) for do-* ones.
  const net = (op, us) => {
    if (op.includes("wake+")) return us; // whole cost of the first call after waking, RPC included
    return Math.max(0, us - (op.startsWith("do-") ? perOp["do-noop"] * (ops["do-noop"] / ops[op]) : perOp.noop));
  };
  return Object.fromEntries(Object.entries(perOp).filter(([op]) => op !== "noop" && op !== "do-noop").map(([op, us]) => [op, net(op, us)]));
}
