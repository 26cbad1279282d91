// Shared set-up of the browser tests: the Worker in workerd (wrangler's unstable_dev, dev mode,
// console provider) on a loopback port, and Debian's Chromium driven by playwright-core with a
// fresh profile. Every request a page makes is recorded when it leaves the Worker's origin.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

// No fetch of the Request.cf object from cloudflare.com, no metrics: nothing leaves the machine.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
process.env.WRANGLER_SEND_METRICS = "false";
const { unstable_dev } = await import("wrangler");

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// Screenshots are always taken; they replace the committed ones in docs/screenshots only with
// UPDATE_SCREENSHOTS=1 (npm run screenshots), so a test run leaves the working tree clean.
export const UPDATE = process.env.UPDATE_SCREENSHOTS === "1";
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 360, height: 780 };
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Starts the Worker and a browser context. `vars` override dev settings; `clipboard` grants the
 * page clipboard access. `stop()` closes everything and removes the temporary directories.
 */
export async function startHarness({ name, vars = {}, clipboard = false, contextOptions = {} }) {
  const stateDir = await mkdtemp(join(tmpdir(), `ev-${name}-state-`));
  const profileDir = await mkdtemp(join(tmpdir(), `ev-${name}-profile-`));
  const shotDir = UPDATE ? "docs/screenshots" : await mkdtemp(join(tmpdir(), `ev-${name}-shots-`));
  const worker = await unstable_dev("src/index.ts", {
    config: "wrangler.toml",
    env: "dev",
    ip: "127.0.0.1",
    port: 0,
    persistTo: stateDir,
    logLevel: "error",
    vars,
    experimental: { disableExperimentalWarning: true, testMode: true },
  });
  const base = `http://127.0.0.1:${worker.port}`;
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: DESKTOP,
    ...contextOptions,
  });
  if (clipboard) await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  // Works offline: every request the page makes must go to the Worker.
  const offsite = [];
  context.on("request", (request) => {
    if (!request.url().startsWith(base)) offsite.push(request.url());
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    worker,
    base,
    context,
    page,
    shotDir,
    offsite,
    async stop() {
      await context.close();
      await worker.stop();
      await Promise.all([stateDir, profileDir, UPDATE ? undefined : shotDir].filter(Boolean).map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}
