// The admin console in a real browser: Debian's Chromium, driven by playwright-core, against the
// Worker in workerd (wrangler's unstable_dev, dev mode, console provider) on a loopback port.
// Plain JS because it runs in Node, and Node's types clash with the Workers types in tsconfig.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DESKTOP, PHONE, startHarness } from "./harness.mjs";

const ADMIN_TOKEN = "ev_dev_admin_token";
const DEV_KEY = "ev_dev_local_only_key";

let harness;
let base;
let page;
let shotDir;
let offsite;

beforeAll(async () => {
  harness = await startHarness({
    name: "console",
    vars: { IP_STARTS_PER_HOUR: "1000", RANGE_SENDS_PER_HOUR: "1000" },
    clipboard: true,
    contextOptions: { colorScheme: "light" },
  });
  ({ base, page, shotDir, offsite } = harness);
});

afterAll(async () => {
  await harness?.stop();
});

beforeEach(async () => {
  await page.setViewportSize(DESKTOP);
});

/** The admin or REST API from the test itself, as a script would call it. */
async function api(method, path, body, key = ADMIN_TOKEN) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: response.status === 204 ? null : await response.json() };
}

async function codeFor(to) {
  const { body } = await api("GET", "/v1/dev/outbox", undefined, DEV_KEY);
  const message = body.messages.find((m) => m.to === to);
  return /\b(\d{6})\b/.exec(message.body)[1];
}

async function signIn() {
  await page.goto(`${base}/console`);
  // Signed in earlier in this tab: the page signs itself in from sessionStorage.
  if (await page.evaluate(() => sessionStorage.getItem("edge-verify.console.adminToken"))) {
    await expect.poll(() => page.locator("#workspace").isVisible()).toBe(true);
    return;
  }
  await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
  await page.getByLabel("Admin token").press("Enter");
  await expect.poll(() => page.locator("#workspace").isVisible()).toBe(true);
}

async function chooseService(name) {
  await page.getByLabel("Service", { exact: true }).selectOption({ label: name });
}

async function openTab(name) {
  await page.getByRole("button", { name, exact: true }).click();
}

/** Saves a full-page screenshot; at phone width, first checks nothing is wider than the screen. */
async function shot(name) {
  const viewport = page.viewportSize();
  if (viewport.width <= PHONE.width) {
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
  }
  await page.screenshot({ path: `${shotDir}/console-${name}.png`, fullPage: true });
}

describe("console", () => {
  it("signs in with the admin token, kept in the tab only, and refuses a wrong one", async () => {
    await page.goto(`${base}/console`);
    await page.getByLabel("Admin token").fill("not-the-token-at-all");
    await page.getByLabel("Admin token").press("Enter");
    await expect.poll(() => page.locator("#notice").textContent()).toMatch(/refused/);
    expect(await page.locator("#workspace").isVisible()).toBe(false);
    await signIn();
    // Keyboard: focus lands on the service picker after signing in.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("service");
    expect(await page.evaluate(() => sessionStorage.getItem("edge-verify.console.adminToken"))).toBe(ADMIN_TOKEN);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.getByLabel("Admin token").inputValue()).toBe("");
    expect(page.url()).toBe(`${base}/console`);
    // A reload in the same tab stays signed in; signing out forgets the token.
    await page.reload();
    await expect.poll(() => page.locator("#workspace").isVisible()).toBe(true);
    await page.getByRole("button", { name: "Sign out" }).click();
    expect(await page.evaluate(() => sessionStorage.getItem("edge-verify.console.adminToken"))).toBeNull();
    await signIn();
  });

  it("creates a service and a key whose secret is shown once with a copy button, then revokes it", async () => {
    await signIn();
    await page.getByLabel("New service name").fill("Acme Shop");
    await page.getByRole("button", { name: "Create service" }).click();
    await expect.poll(() => page.locator("#notice").textContent()).toBe("Service Acme Shop created.");
    await openTab("API keys");
    await page.getByLabel("Key name").fill("backend");
    await page.getByLabel("Key name").press("Enter");
    const secretField = page.getByLabel("New API key");
    await expect.poll(() => secretField.inputValue()).toMatch(/^evk_[A-Za-z0-9_-]{32}$/);
    const secret = await secretField.inputValue();
    await page.getByRole("button", { name: "Copy", exact: true }).click();
    await expect.poll(() => page.locator("#copy-key").textContent()).toBe("Copied");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    const row = page.locator("#keys tbody tr").filter({ hasText: "backend" });
    await expect.poll(() => row.locator("td").nth(4).textContent()).toBe("active");
    // The key works, and the list shows it masked only.
    expect((await api("GET", "/v1/lists/deny", undefined, secret)).status).toBe(200);
    expect(await page.locator("#keys").textContent()).not.toContain(secret);
    await shot("keys");
    await page.getByRole("button", { name: "I have copied it" }).click();
    expect(await page.locator("#new-key").isVisible()).toBe(false);
    expect(await page.locator("#new-key-secret").inputValue()).toBe("");
    // Revoke takes a confirmation.
    await row.getByRole("button", { name: "Revoke key backend" }).click();
    await row.getByRole("button", { name: "Confirm: revoke key backend" }).click();
    await expect.poll(() => row.locator("td").nth(4).textContent()).toMatch(/^revoked /);
    expect((await api("GET", "/v1/lists/deny", undefined, secret)).status).toBe(401);
    // Rename, through the same PATCH scripts use.
    await openTab("Settings");
    await page.getByLabel("Name", { exact: true }).fill("Acme Store");
    await page.getByRole("button", { name: "Rename" }).click();
    await expect.poll(() => page.locator("#service option:checked").textContent()).toBe("Acme Store");
  });

  it("previews templates live: GSM-7, the refusal without {{code}}, and UCS-2", async () => {
    await api("POST", "/v1/services", { friendlyName: "Acme Templates" });
    await signIn();
    await chooseService("Acme Templates");
    await openTab("Templates");
    const body = page.locator("#preview-body");
    await expect.poll(() => body.textContent()).toBe("1234567890 is your Acme Online Banking Verify App verification code. It expires in 60 minutes.");
    expect(await page.locator("#preview-facts").textContent()).toMatch(/^GSM-7 · 1 segment · 94 septets/);
    const text = page.getByLabel("Template", { exact: true });
    await text.fill("Your Acme code is ready");
    await expect.poll(() => page.locator("#preview-error").textContent()).toBe(
      "Saving would be refused: templates.en: must contain {{code}} exactly once (found 0)",
    );
    expect(await page.getByRole("button", { name: "Save template" }).isDisabled()).toBe(true);
    await shot("template-refused");
    await page.getByLabel("Locale").selectOption("ru");
    await expect.poll(() => text.inputValue()).toBe("Ваш код {{serviceName}}: {{code}}. Действует {{ttlMinutes}} мин.");
    await text.fill("Ваш код {{serviceName}}: {{code}}");
    await expect.poll(() => body.textContent()).toBe("Ваш код Acme Online Banking Verify App: 1234567890");
    await expect.poll(() => page.locator("#preview-facts").textContent()).toMatch(/^UCS-2 · 1 segment · 50 UTF-16 units/);
    expect(await page.locator("#preview-error").isVisible()).toBe(false);
    await page.getByRole("button", { name: "Save template" }).click();
    await expect.poll(() => page.locator("#notice").textContent()).toBe("Template for ru saved.");
    const { body: saved } = await api("GET", "/v1/services");
    expect(saved.services.find((s) => s.friendlyName === "Acme Templates").settings.templates).toEqual({ ru: "Ваш код {{serviceName}}: {{code}}" });
    await shot("template");
    await page.setViewportSize(PHONE);
    await shot("template-360");
  });

  it("sets rule modes and limits, and manages the deny list as the service", async () => {
    await api("POST", "/v1/services", { friendlyName: "Acme Rules" });
    await signIn();
    await chooseService("Acme Rules");
    await openTab("Rules");
    await page.getByLabel("voip", { exact: true }).selectOption("monitor");
    await page.getByLabel("Codes per number per day", { exact: true }).fill("6");
    await page.getByRole("button", { name: "Save rules" }).click();
    await expect.poll(() => page.locator("#notice").textContent()).toBe("Rules saved.");
    await page.getByLabel("Phone number", { exact: true }).fill("+14155550199");
    await page.getByLabel("Note", { exact: true }).fill("chargeback");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await expect.poll(() => page.locator("#lists tbody").textContent()).toContain("+14155550199");
    const { body } = await api("GET", "/v1/services");
    const acme = body.services.find((s) => s.friendlyName === "Acme Rules");
    expect(acme.settings).toMatchObject({ ruleModes: { voip: "monitor" }, limits: { sendsPerDay: 6 } });
    expect((await api("GET", `/v1/services/${acme.id}/lists/deny`)).body.entries).toMatchObject([{ phoneNumber: "+14155550199", note: "chargeback" }]);
    await page.getByRole("button", { name: "Remove +14155550199 from the deny list" }).click();
    await expect.poll(() => page.locator("#lists tbody").textContent()).toBe("Both lists are empty.");
  });

  it("webhook signing: v1a with its public key to copy, a confirmed rotation; no private key on the page", async () => {
    const { body: created } = await api("POST", "/v1/services", { friendlyName: "Acme Hooks" });
    await signIn();
    await chooseService("Acme Hooks");
    await openTab("Settings");
    const scheme = page.getByLabel("Signature scheme");
    const publicKey = page.getByLabel("Public key for v1a receivers");
    expect(await scheme.inputValue()).toBe("v1");
    expect(await publicKey.inputValue()).toBe(created.webhookPublicKey);
    await scheme.selectOption("v1a");
    await page.getByRole("button", { name: "Save scheme" }).click();
    await expect.poll(() => page.locator("#notice").textContent()).toBe("Webhooks are signed v1a now; v1 signatures go on next to them for 24 hours.");
    expect((await api("GET", `/v1/services/${created.id}`)).body.settings.webhookSigning).toBe("v1a");
    await page.getByRole("button", { name: "Copy the public key" }).click();
    await expect.poll(() => page.locator("#copy-public-key").textContent()).toBe("Copied");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(created.webhookPublicKey);
    // Rotation takes a confirmation, then shows the new public key and until when the old one signs.
    await page.getByRole("button", { name: "Rotate signing key" }).click();
    await page.getByRole("button", { name: "Yes, rotate it" }).click();
    await expect.poll(() => page.locator("#notice").textContent()).toMatch(/^Signing key rotated; the previous one also signs until /);
    const { body: rotated } = await api("GET", `/v1/services/${created.id}`);
    expect(rotated.webhookPublicKey).not.toBe(created.webhookPublicKey);
    await expect.poll(() => publicKey.inputValue()).toBe(rotated.webhookPublicKey);
    expect(await page.locator("#rotation-note").textContent()).toMatch(/^New public key above\. The previous key also signs until /);
    const html = await page.content();
    expect(html).not.toContain("whsk_");
    expect(html).not.toContain("sealed1.");
    await shot("webhook-signing");
  });

  it("sets how many earlier codes stay valid after a resend", async () => {
    await api("POST", "/v1/services", { friendlyName: "Acme Codes" });
    await signIn();
    await chooseService("Acme Codes");
    await openTab("Settings");
    expect(await page.getByLabel("Earlier codes that still work after a resend").inputValue()).toBe("0");
    await page.getByLabel("Earlier codes that still work after a resend").selectOption("2");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await expect.poll(() => page.locator("#notice").textContent()).toBe("Earlier codes kept after a resend: 2.");
    const { body } = await api("GET", "/v1/services");
    expect(body.services.find((s) => s.friendlyName === "Acme Codes").settings).toMatchObject({ acceptPreviousCodes: 2 });
  });

  it("draws insights after real verifications: conversion, countries, providers, blocks, median", async () => {
    const { body: service } = await api("POST", "/v1/services", { friendlyName: "Insights demo" });
    const { body: key } = await api("POST", `/v1/services/${service.id}/keys`, { name: "demo" });
    const numbers = ["+14155552001", "+14155552002", "+14155552003", "+14155552004", "+14155552005", "+447400123456", "+447400123457", "+33612345678"];
    for (const to of numbers) expect((await api("POST", "/v1/verifications", { to }, key.secret)).status).toBe(201);
    for (const to of [numbers[0], numbers[1], numbers[2], numbers[5], numbers[7]]) {
      const { body } = await api("POST", "/v1/verifications/check", { to, code: await codeFor(to) }, key.secret);
      expect(body.status).toBe("approved");
    }
    // Refusals by rule: a premium-rate number, a denied number, a resend too soon.
    expect((await api("POST", "/v1/verifications", { to: "+19005550100" }, key.secret)).status).toBe(403);
    await api("PUT", `/v1/services/${service.id}/lists/deny/${encodeURIComponent("+14155552999")}`, {});
    expect((await api("POST", "/v1/verifications", { to: "+14155552999" }, key.secret)).status).toBe(403);
    expect((await api("POST", "/v1/verifications", { to: numbers[3] }, key.secret)).status).toBe(429);

    await signIn();
    await chooseService("Insights demo");
    await openTab("Insights");
    const total = (label) => page.locator(".total").filter({ hasText: label }).locator("dd");
    await expect
      .poll(async () => {
        await page.getByRole("button", { name: "Refresh" }).click();
        // Reports arrive in the isolate's batches, a second or so after the calls.
        return [await total("Started").textContent(), await total("Blocked by rules").textContent(), await total("Approved").textContent()];
      }, { timeout: 10_000 })
      .toEqual(["8", "3", "5"]);
    expect(await total("Conversion").textContent()).toBe("63%");
    expect(await total("SMS sent").textContent()).toBe("8");
    for (const chart of ["daily", "median", "country", "provider", "rules"]) {
      expect(await page.locator(`#chart-${chart} svg rect.bar`).count(), chart).toBeGreaterThan(0);
    }
    expect(await page.locator("#chart-country").textContent()).toContain("US");
    expect(await page.locator("#chart-country").textContent()).toContain("3/5 · 60%");
    expect(await page.locator("#chart-provider").textContent()).toContain("console");
    expect(await page.locator("#chart-rules").textContent()).toContain("deny list");
    await shot("insights");
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(300); // charts redraw at the new width
    await shot("insights-360");

    await page.setViewportSize(DESKTOP);
    await openTab("Verifications");
    await page.getByLabel("Status", { exact: true }).selectOption("approved");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect.poll(() => page.locator("#verifications tbody tr").count()).toBe(5);
    await page.getByLabel("Country", { exact: true }).fill("gb");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect.poll(() => page.locator("#verifications tbody tr").count()).toBe(1);
    const table = await page.locator("#verifications").textContent();
    expect(table).toContain("+4474****456");
    for (const to of numbers) expect(table).not.toContain(to);
    await page.getByLabel("Status", { exact: true }).selectOption("");
    await page.getByLabel("Country", { exact: true }).fill("");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect.poll(() => page.locator("#verifications tbody tr").count()).toBe(8);
    await shot("verifications");
    expect(offsite).toEqual([]);
  });
});
