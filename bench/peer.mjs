// The peer for the flow scenario (bench/peer/): better-auth's phone-number plugin on this Node
// (22, the `node` devDependency when run through npm scripts), node:sqlite, node:http. Installed
// into bench/peer/node_modules from its committed lock on first use; one process per round, its
// database a fresh file on the same tmpfs as the Durable Objects'.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { processCpuMs, root, storageRoot } from "./workers.mjs";

const peerDir = join(root, "bench", "peer");

/** better-auth's version pinned by the committed lock. */
function lockedVersion() {
  return JSON.parse(readFileSync(join(peerDir, "package-lock.json"), "utf8")).packages["node_modules/better-auth"].version;
}

/**
 * `npm ci --prefix bench/peer` when its node_modules is missing, or holds another better-auth than
 * the lock pins (the npm registry only).
 */
export async function ensurePeerInstalled(log) {
  const installed = join(peerDir, "node_modules", "better-auth", "package.json");
  if (existsSync(installed) && peerVersion() === lockedVersion()) return;
  log?.("peer: installing bench/peer from its package-lock.json (npm ci --prefix bench/peer)");
  // npm scripts set npm_execpath to the npm that runs them; run it with this Node.
  const npmCli = process.env.npm_execpath;
  const [command, args] = npmCli && npmCli.endsWith(".js") ? [process.execPath, [npmCli]] : ["npm", []];
  await promisify(execFile)(command, [...args, "ci", "--prefix", peerDir, "--no-audit", "--no-fund", "--ignore-scripts"], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (peerVersion() !== lockedVersion()) throw new Error(`peer: installed better-auth ${peerVersion()}, the lock pins ${lockedVersion()}`);
}

/** better-auth's version as installed (the lock pins it). */
export function peerVersion() {
  return JSON.parse(readFileSync(join(peerDir, "node_modules", "better-auth", "package.json"), "utf8")).version;
}

/**
 * Starts bench/peer/server.mjs and waits for its port. Same shape as startWorker's result where
 * the bench needs it: url, pid, cpuMs() (the process's CPU from /proc/<pid>/stat), close().
 */
export async function startPeer({ fakeUrl, accountSid, authToken }) {
  const dir = mkdtempSync(join(storageRoot(), "edge-verify-bench-peer-"));
  const started = performance.now();
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", join(peerDir, "server.mjs")], {
    cwd: peerDir,
    env: {
      ...process.env,
      PEER_DB: join(dir, "peer.sqlite"),
      PEER_PORT: "0",
      TWILIO_API_BASE: fakeUrl,
      TWILIO_ACCOUNT_SID: accountSid,
      TWILIO_AUTH_TOKEN: authToken,
      TWILIO_FROM: "+15005550006",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    if (stderr.length < 4000) stderr += chunk;
  });
  const port = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`peer: no port within 30 s; stderr: ${stderr}`)), 30_000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line).port);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`peer exited (${code}) before listening; stderr: ${stderr}`));
    });
  });
  child.stdout.resume();
  const exited = new Promise((resolve) => child.on("exit", resolve));
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    pid: child.pid,
    readyMs: performance.now() - started,
    problems: [],
    stderr: () => stderr,
    cpuMs: () => processCpuMs(child.pid),
    async close() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
