// /docs in a real browser: Swagger UI (from npm, served as Workers Static Assets) renders every
// operation of /openapi.json, with no request leaving the Worker and no console error.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startHarness } from "./harness.mjs";

let harness;

beforeAll(async () => {
  harness = await startHarness({ name: "docs" });
});

afterAll(async () => {
  await harness?.stop();
});

it("renders every operation of /openapi.json, offline", async () => {
  const { base, page, offsite, shotDir } = harness;
  const errors = [];
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
  await page.screenshot({ path: `${shotDir}/api-reference.png` });
  expect(offsite).toEqual([]);
  expect(errors).toEqual([]);
});
