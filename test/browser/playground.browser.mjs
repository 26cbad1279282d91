// The playground in a real browser: Debian's Chromium, driven by playwright-core, against the
// Worker in workerd (wrangler's unstable_dev, dev mode, console provider) on a loopback port.
// Plain JS because it runs in Node, and Node's types clash with the Workers types in tsconfig.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DESKTOP, PHONE, startHarness } from "./harness.mjs";

let harness;
let base;
let page;
let shotDir;
let offsite;
let numberSeq = 0;

beforeAll(async () => {
  // Every test starts from the same loopback address; per-IP and per-range limits would
  // otherwise refuse the later tests' first codes.
  harness = await startHarness({ name: "browser", vars: { IP_STARTS_PER_HOUR: "1000", RANGE_SENDS_PER_HOUR: "1000" } });
  ({ base, page, shotDir, offsite } = harness);
});

afterAll(async () => {
  await harness?.stop();
});

beforeEach(async () => {
  await page.setViewportSize(DESKTOP);
});

/** A fresh number per test, so cooldowns from one test never reach another. */
function nextNumber() {
  numberSeq++;
  return `+1415555${String(2600 + numberSeq).padStart(4, "0")}`;
}

async function open(viewport = DESKTOP) {
  await page.setViewportSize(viewport);
  await page.goto(`${base}/playground`);
  await expect.poll(() => page.getByLabel("API key").inputValue()).toBe("ev_dev_local_only_key");
}

async function sendCode(to) {
  await page.getByLabel("Phone number").fill(to);
  await page.getByRole("button", { name: "Send code" }).click();
}

/** Waits for this number's message in the dev outbox and reads the code from it. */
async function codeFromOutbox(to, sendAttempts = 1) {
  const items = page.locator("#outbox li").filter({ hasText: `To ${to}` });
  await expect.poll(() => items.count(), { timeout: 5_000 }).toBe(sendAttempts);
  const body = await items.first().locator(".body").textContent();
  const code = /\b(\d{6})\b/.exec(body ?? "")?.[1];
  expect(code, body ?? "").toBeDefined();
  return code;
}

async function statusBadge() {
  return page.locator("#status .badge").textContent();
}

async function explanation() {
  return page.locator("#explain").textContent();
}

/** Saves a full-page screenshot; at phone width, first checks nothing is wider than the screen. */
async function shot(name) {
  const viewport = page.viewportSize();
  if (viewport.width <= PHONE.width) {
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
  }
  await page.screenshot({ path: `${shotDir}/playground-${name}.png`, fullPage: true });
}

describe("playground", () => {
  it("takes a number to approved: start, message in the outbox, type the code (keyboard only)", async () => {
    await open();
    const to = nextNumber();
    // Keyboard: fill the number, Enter submits the form; focus moves to the code field.
    await page.getByLabel("Phone number").fill(to);
    await page.getByLabel("Phone number").press("Enter");
    await expect.poll(statusBadge).toBe("pending");
    expect(await explanation()).toContain(`Code sent to ${to}`);
    const code = await codeFromOutbox(to);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("code");
    await page.keyboard.type(code);
    await page.keyboard.press("Enter");
    await expect.poll(statusBadge).toBe("approved");
    expect(await explanation()).toMatch(/^Approved: the code matched/);
    expect(await page.locator("#outbox li.mine").count()).toBe(1);
    await shot("approved");
    await page.setViewportSize(PHONE);
    await shot("approved-360");
    // The key never went into an address, and nothing was fetched from elsewhere.
    expect(page.url()).toBe(`${base}/playground`);
    expect(offsite).toEqual([]);
  });

  it("shows a wrong code as invalid with the attempts left", async () => {
    await open(PHONE);
    const to = nextNumber();
    await sendCode(to);
    const code = await codeFromOutbox(to);
    const wrong = code === "000000" ? "111111" : "000000";
    await page.getByLabel("Code from the message").fill(wrong);
    await page.getByRole("button", { name: "Check code" }).click();
    await expect.poll(explanation).toBe("Invalid code: it does not match. 4 attempts left before this verification closes.");
    expect(await statusBadge()).toBe("pending");
    expect(await page.locator("#fact-attempts").textContent()).toBe("4 of 5");
    await shot("invalid-360");
  });

  it("explains that the fifth wrong code ends the verification, even for the right code after", async () => {
    await open();
    const to = nextNumber();
    await sendCode(to);
    const code = await codeFromOutbox(to);
    const wrong = code === "000000" ? "111111" : "000000";
    for (let attempt = 1; attempt <= 5; attempt++) {
      await page.getByLabel("Code from the message").fill(wrong);
      await page.getByRole("button", { name: "Check code" }).click();
      if (attempt < 5) await expect.poll(() => page.locator("#fact-attempts").textContent()).toBe(`${5 - attempt} of 5`);
    }
    await expect.poll(statusBadge).toBe("max_attempts_reached");
    expect(await explanation()).toBe(
      "Invalid code, and that was the last attempt. Too many wrong codes: this verification is closed, even for the right code. Send a new code to start again.",
    );
    await page.getByLabel("Code from the message").fill(code);
    await page.getByRole("button", { name: "Check code" }).click();
    await expect.poll(explanation).toMatch(/^Too many wrong codes/);
  });

  it("cancels a verification, after which its code is refused", async () => {
    await open();
    const to = nextNumber();
    await sendCode(to);
    const code = await codeFromOutbox(to);
    await page.getByRole("button", { name: "Cancel verification" }).click();
    await expect.poll(statusBadge).toBe("canceled");
    expect(await explanation()).toMatch(/^Canceled: this verification is closed/);
    expect(await page.getByRole("button", { name: "Cancel verification" }).isDisabled()).toBe(true);
    await shot("canceled");
    await page.getByLabel("Code from the message").fill(code);
    await page.getByRole("button", { name: "Check code" }).click();
    await expect.poll(explanation).toMatch(/^Canceled/);
    expect(await statusBadge()).toBe("canceled");
  });

  it("counts the resend cooldown down from Retry-After after a second start", async () => {
    await open(PHONE);
    const to = nextNumber();
    await sendCode(to);
    await codeFromOutbox(to);
    await sendCode(to);
    const cooldown = page.locator("#cooldown");
    await expect.poll(() => cooldown.isVisible()).toBe(true);
    const first = await cooldown.textContent();
    expect(first).toMatch(/^You can ask for a new code in (29|30) s\.$/);
    expect(await explanation()).toMatch(/^Too soon for another code to this number/);
    expect(await page.getByRole("button", { name: "Send code" }).isDisabled()).toBe(true);
    // It counts down.
    await expect.poll(() => cooldown.textContent(), { timeout: 3_000 }).not.toBe(first);
    // The refused start sent nothing: still one message for this number.
    expect(await page.locator("#outbox li").filter({ hasText: `To ${to}` }).count()).toBe(1);
    await shot("cooldown-360");
  });
});
