// /docs in a real browser: Swagger UI (from npm, served as Workers Static Assets) renders every
// operation of /openapi.json, with no request leaving the Worker and no console error.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";

process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
process.env.WRANGLER_SEND_METRICS = "false";
const { unstable_dev } = await import("wrangler");

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const UPDATE = process.env.UPDATE_SCREENSHOTS === "1";

let worker;
let browser;
let stateDir;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "ev-docs-state-"));
  worker = await unstable_dev("src/index.ts", {
    config: "wrangler.toml",
    env: "dev",
    ip: "127.0.0.1",
    port: 0,
    persistTo: stateDir,
    logLevel: "error",
    experimental: { disableExperimentalWarning: true, testMode: true },
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

it("renders every operation of /openapi.json, offline", async () => {
  const base = `http://127.0.0.1:${worker.port}`;
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const offsite = [];
  const errors = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(base)) offsite.push(request.url());
  });
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));

  const document = await (await fetch(`${base}/openapi.json`)).json();
  const operations = Object.values(document.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  await page.goto(`${base}/docs`);
  await expect.poll(() => page.locator(".opblock").count(), { timeout: 15_000 }).toBe(operations);
  await expect.poll(() => page.locator(".info .title").textContent()).toContain("edge-verify");
  // Swagger UI reports documents it cannot read in an error box; there must be none.
  expect(await page.locator(".errors-wrapper").count()).toBe(0);
  await page.screenshot({ path: UPDATE ? "docs/screenshots/api-reference.png" : join(stateDir, "api-reference.png") });
  expect(offsite).toEqual([]);
  expect(errors).toEqual([]);
});
