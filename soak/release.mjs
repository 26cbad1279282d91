// `npm run soak -- --upgrade-from <git-ref>`: the bundle of another release, built the way the soak
// builds this one. The ref's tree goes to a temp dir (`git archive`), borrows this checkout's
// node_modules by symlink (an `npm ci` per run is minutes), and runs the same
// `wrangler deploy --dry-run` (bench/workers.mjs buildWorker) there.
import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildWorker, productObjects, root } from "../bench/workers.mjs";

const run = promisify(execFile);

/** The commit `ref` names in this repository (throws for an unknown ref). */
async function commitOf(ref) {
  const { stdout } = await run("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { cwd: root });
  return stdout.trim();
}

/** `git archive <sha> | tar -x -C dir`, without a shell. */
function extract(sha, dir) {
  return new Promise((resolve, reject) => {
    const git = spawn("git", ["archive", "--format=tar", sha], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    const tar = spawn("tar", ["-x", "-C", dir], { stdio: ["pipe", "inherit", "inherit"] });
    git.stdout.pipe(tar.stdin);
    let pending = 2;
    const done = (name) => (code) => {
      if (code !== 0) reject(new Error(`${name} exited ${code}`));
      else if (--pending === 0) resolve();
    };
    git.on("exit", done("git archive"));
    tar.on("exit", done("tar"));
    git.on("error", reject);
    tar.on("error", reject);
  });
}

/**
 * Builds release `ref`. Returns its commit, the bundle, its Durable Object bindings (its own
 * wrangler.toml), and `notes` (e.g. a lock file that differs from this checkout's, whose
 * node_modules the build used).
 */
export async function buildRelease(ref) {
  let sha;
  try {
    sha = await commitOf(ref);
  } catch {
    throw new Error(`--upgrade-from ${ref}: not a commit of this repository`);
  }
  const dir = await mkdtemp(join(tmpdir(), "edge-verify-soak-release-"));
  try {
    await extract(sha, dir);
    symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
    // wrangler.toml serves dist/assets (Workers Static Assets): build it as `npm run assets` does.
    if (existsSync(join(dir, "scripts", "build-assets.mjs"))) await run(process.execPath, [join(dir, "scripts", "build-assets.mjs")], { cwd: dir });
    const notes = [];
    const lock = (at) => (existsSync(join(at, "package-lock.json")) ? readFileSync(join(at, "package-lock.json"), "utf8") : "");
    if (lock(dir) !== lock(root)) notes.push(`${ref}'s package-lock.json differs from this checkout's: its bundle was built with this checkout's dependencies`);
    const { outdir, bundle } = await buildWorker({ from: dir });
    return {
      ref,
      sha,
      outdir,
      bundle,
      objects: productObjects(dir),
      notes,
      close() {
        rmSync(outdir, { recursive: true, force: true });
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
