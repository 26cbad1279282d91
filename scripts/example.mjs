// `npm run example`: packs clients/typescript (npm pack: what would be published), installs the
// example's locked dependencies (npm ci, when missing) and that tarball into examples/signup-2fa,
// then starts the example on :3000 against `npm run dev` on :8787. The browser test calls
// prepareExample() the same way, so the app it drives runs on the packed client.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
export const EXAMPLE_DIR = join(repo, "examples/signup-2fa");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const quiet = ["--no-audit", "--no-fund", "--loglevel=error"];

/** Installs the example with the client from a fresh `npm pack` tarball; returns the tarball's name. */
export function prepareExample() {
  const packDir = mkdtempSync(join(tmpdir(), "ev-client-pack-"));
  try {
    execFileSync(npm, ["pack", "--pack-destination", packDir, ...quiet], { cwd: join(repo, "clients/typescript"), stdio: ["ignore", "ignore", "inherit"] });
    const tarball = readdirSync(packDir).find((name) => name.endsWith(".tgz"));
    if (!existsSync(join(EXAMPLE_DIR, "node_modules/hono"))) execFileSync(npm, ["ci", "--prefix", EXAMPLE_DIR, ...quiet], { stdio: "inherit" });
    // --no-save: the example's package.json and lock stay as committed; the client comes from the tarball.
    execFileSync(npm, ["install", "--prefix", EXAMPLE_DIR, "--no-save", ...quiet, join(packDir, tarball)], { stdio: "inherit" });
    return tarball;
  } finally {
    rmSync(packDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  prepareExample();
  const child = spawn(process.execPath, ["server.mjs"], { cwd: EXAMPLE_DIR, stdio: "inherit" });
  child.on("exit", (code) => process.exit(code ?? 0));
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
}
