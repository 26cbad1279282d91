// examples/signup-2fa end to end in Chromium: the Worker (shared harness, console provider, a 6 s
// resend cooldown so the countdown runs out within the test), the example app in Node on the
// client package installed from an `npm pack` tarball, and codes read from the dev outbox.
import { spawn } from "node:child_process";
import { existsSync, lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkVersion, protoPackage } from "../../clients/typescript/scripts/build.mjs";
import { EXAMPLE_DIR, prepareExample } from "../../scripts/example.mjs";
import { startHarness } from "./harness.mjs";

const DEV_KEY = "ev_dev_local_only_key";
const COOLDOWN_SECONDS = 6;
let h;
let app;
let appBase;
let tarball;
const toWorker = [];

function uniqueNumber() {
  return `+1415${2 + Math.floor(Math.random() * 8)}${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`;
}

async function outbox(to) {
  const response = await fetch(`${h.base}/v1/dev/outbox`, { headers: { authorization: `Bearer ${DEV_KEY}` } });
  const { messages } = await response.json();
  return messages.filter((m) => m.to === to).sort((a, b) => a.seq - b.seq); // oldest first
}

/** The newest code sent to `to` after message `afterSeq`, waiting for it to arrive. */
async function nextCode(to, afterSeq) {
  for (let i = 0; i < 50; i++) {
    const fresh = (await outbox(to)).filter((m) => m.seq > afterSeq);
    if (fresh.length > 0) return { code: /\b(\d{4,10})\b/.exec(fresh.at(-1).body)[1], seq: fresh.at(-1).seq };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no new message to ${to}`);
}

async function lastSeq(to) {
  return (await outbox(to)).at(-1)?.seq ?? 0;
}

/**
 * On the code page: if the cooldown refused the send, waits for the countdown to enable the
 * button and asks again; then returns the code that arrived.
 */
async function codeOnPage(page, to, afterSeq) {
  const resend = page.getByTestId("resend");
  if (await resend.isDisabled()) {
    await expect.poll(() => resend.isEnabled(), { timeout: (COOLDOWN_SECONDS + 3) * 1000 }).toBe(true);
    await resend.click();
    await page.waitForURL(/\/code$/);
  }
  return nextCode(to, afterSeq);
}

async function enterCode(page, code) {
  await page.getByLabel("Code").fill(code);
  await page.getByRole("button", { name: "Check code" }).click();
}

function notice(page) {
  return page.getByTestId("notice").textContent();
}

beforeAll(async () => {
  tarball = prepareExample();
  h = await startHarness({ name: "signup-2fa", vars: { RESEND_COOLDOWN_SECONDS: String(COOLDOWN_SECONDS) } });
  app = spawn(process.execPath, ["server.mjs"], {
    cwd: EXAMPLE_DIR,
    env: { ...process.env, PORT: "0", EDGE_VERIFY_URL: h.base, EDGE_VERIFY_API_KEY: DEV_KEY },
    stdio: ["ignore", "pipe", "inherit"],
  });
  appBase = await new Promise((resolve, reject) => {
    let out = "";
    app.stdout.on("data", (chunk) => {
      out += chunk;
      const match = /on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (match) resolve(match[1]);
      if (process.env.DEBUG_EXAMPLE) process.stderr.write(`${Date.now()} ${chunk}`);
    });
    app.on("exit", (code) => reject(new Error(`example exited with ${code}: ${out}`)));
  });
  app.stdout.resume();
  h.page.setDefaultTimeout(10_000);
  h.context.on("request", (request) => {
    if (request.url().startsWith(h.base)) toWorker.push(request.url());
  });
}, 120_000);

afterAll(async () => {
  app?.kill("SIGTERM");
  await h?.stop();
});

describe("@edge-verify/client as a package", () => {
  it("is installed from its npm pack tarball: dist/ with .d.ts, exports with types, major = proto version", () => {
    const installed = join(EXAMPLE_DIR, "node_modules/@edge-verify/client");
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    const pkg = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
    expect(tarball).toBe(`edge-verify-client-${pkg.version}.tgz`);
    expect(pkg.exports["."].types).toBe("./dist/index.d.ts");
    for (const file of ["dist/index.js", "dist/index.d.ts", "dist/client.d.ts", "dist/gen/verification_pb.js", "README.md"]) expect(existsSync(join(installed, file)), file).toBe(true);
    expect(existsSync(join(installed, "src"))).toBe(false);
    expect(pkg.version).toBe(checkVersion());
    expect(`verify.v${pkg.version.split(".")[0]}`).toBe(protoPackage());
  });
});

describe("examples/signup-2fa in Chromium", () => {
  const phone = uniqueNumber();
  const newPhone = uniqueNumber();
  const name = "Ada Lovelace";
  let password = "correct horse battery";

  it("signs up: a wrong code says how many attempts are left, the cooldown counts down, the new code creates the account", async () => {
    const { page } = h;
    const before = await lastSeq(phone);
    await page.goto(`${appBase}/signup`);
    await page.getByLabel("Name").fill(name);
    await page.getByLabel("Password").fill(password);
    await page.getByLabel("Mobile number").fill(phone);
    await page.getByRole("button", { name: "Send me a code" }).click();
    await page.waitForURL(/\/code$/);
    expect(await page.locator("h1").textContent()).toBe("Check your phone");
    expect(await page.getByTestId("masked-phone").textContent()).toBe(`•••• ${phone.slice(-4)}`);
    const first = await nextCode(phone, before);

    const wrong = first.code === "000000" ? "111111" : "000000";
    await enterCode(page, wrong);
    expect(await notice(page)).toBe("That code is not right. 4 attempts left.");

    // Resend at once: refused by the cooldown, counted down from Retry-After, then allowed.
    await page.getByTestId("resend").click();
    expect(await notice(page)).toMatch(/^A code was sent a moment ago\. You can ask for a new one in [1-6] s\.$/);
    expect(await page.getByTestId("resend").isDisabled()).toBe(true);
    const shown = Number(await page.locator("[data-countdown-seconds]").textContent());
    await expect.poll(async () => Number((await page.locator("[data-countdown-seconds]").textContent().catch(() => "0")) || 0), { timeout: 5000 }).toBeLessThan(shown);
    await expect.poll(() => page.getByTestId("resend").isEnabled(), { timeout: (COOLDOWN_SECONDS + 2) * 1000 }).toBe(true);
    await page.getByTestId("resend").click();
    expect(await notice(page)).toBe("We sent a new code.");
    const second = await nextCode(phone, first.seq);

    await enterCode(page, second.code);
    await page.waitForURL(`${appBase}/`);
    expect(await page.locator("h1").textContent()).toBe(`Hello, ${name}`);
    expect(await page.getByTestId("account-phone").textContent()).toBe(phone);
    expect(await notice(page)).toBe("Your account is ready and your phone is verified.");
  });

  it("logs in with the password and an SMS code; a wrong password and an unknown number get the same answer", async () => {
    const { page } = h;
    await page.getByRole("button", { name: "Log out" }).click();
    await page.goto(`${appBase}/login`);
    await page.getByLabel("Mobile number").fill(phone);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Log in" }).click();
    const wrongPassword = await notice(page);
    await page.getByLabel("Mobile number").fill(uniqueNumber());
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    expect(await notice(page)).toBe(wrongPassword);
    expect(wrongPassword).toBe("That number and password do not match an account.");

    const before = await lastSeq(phone);
    await page.getByLabel("Mobile number").fill(phone);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/code$/);
    expect(await page.locator("h1").textContent()).toBe("Enter your login code");
    const { code } = await codeOnPage(page, phone, before);
    await enterCode(page, code);
    await page.waitForURL(`${appBase}/`);
    expect(await page.locator("h1").textContent()).toBe(`Hello, ${name}`);
  });

  it("asks for a fresh code before a password change (step-up)", async () => {
    const { page } = h;
    const before = await lastSeq(phone);
    await page.getByRole("button", { name: "Change password" }).click();
    await page.waitForURL(/\/code$/);
    expect(await page.locator("h1").textContent()).toBe("Confirm it is you");
    // Without the code, the change page is not reachable.
    const csrf = await page.locator("input[name=csrf]").first().inputValue();
    const direct = await h.context.request.post(`${appBase}/account/password`, { form: { csrf, password: "x".repeat(12) }, maxRedirects: 0 });
    expect(direct.status()).toBe(403);
    expect(await direct.text()).toContain("Confirm with a new code first");
    const { code } = await codeOnPage(page, phone, before);
    await enterCode(page, code);
    await page.waitForURL(/\/account\/password$/);
    password = "a brand new passphrase";
    await page.getByLabel("New password").fill(password);
    await page.getByRole("button", { name: "Save password" }).click();
    expect(await notice(page)).toBe("Your password is changed.");
  });

  it("changes the number: step-up on the old one, then the new one is verified before it is saved", async () => {
    const { page } = h;
    const before = await lastSeq(phone);
    await page.getByRole("button", { name: "Change phone number" }).click();
    const stepUp = await codeOnPage(page, phone, before);
    await enterCode(page, stepUp.code);
    await page.waitForURL(/\/account\/phone$/);
    await page.getByLabel("New mobile number").fill(newPhone);
    await page.getByRole("button", { name: "Send a code to the new number" }).click();
    await page.waitForURL(/\/code$/);
    expect(await page.locator("h1").textContent()).toBe("Check your new number");
    const { code } = await nextCode(newPhone, 0);
    await enterCode(page, code);
    await page.waitForURL(`${appBase}/`);
    expect(await notice(page)).toBe("Your new number is verified and saved.");
    expect(await page.getByTestId("account-phone").textContent()).toBe(newPhone);
  });

  it("sign-up answers the same for a registered and a new number until the code proves possession", async () => {
    const { page } = h;
    await page.getByRole("button", { name: "Log out" }).click();
    await new Promise((resolve) => setTimeout(resolve, (COOLDOWN_SECONDS + 0.5) * 1000)); // newPhone's cooldown
    const pages = [];
    for (const to of [newPhone, uniqueNumber()]) {
      await page.goto(`${appBase}/signup`);
      await page.getByLabel("Name").fill("Someone");
      await page.getByLabel("Password").fill("another long password");
      await page.getByLabel("Mobile number").fill(to);
      await page.getByRole("button", { name: "Send me a code" }).click();
      await page.waitForURL(/\/code$/);
      // The code page, with the number's last digits (the only difference) taken out.
      pages.push((await page.locator("main").innerText()).replace(to.slice(-4), "NNNN"));
      await page.getByRole("button", { name: "Cancel" }).click();
    }
    expect(pages[0]).toBe(pages[1]);
    // The holder of the registered number, after entering its code, is told to log in.
    const before = await lastSeq(newPhone);
    await page.goto(`${appBase}/signup`);
    await page.getByLabel("Name").fill("Someone");
    await page.getByLabel("Password").fill("another long password");
    await page.getByLabel("Mobile number").fill(newPhone);
    await page.getByRole("button", { name: "Send me a code" }).click();
    await page.waitForURL(/\/code$/);
    const { code } = await codeOnPage(page, newPhone, before);
    await enterCode(page, code);
    await page.waitForURL(/\/login$/);
    expect(await notice(page)).toBe("This number already has an account. Log in, or reset your password.");
  });

  it("the browser never called edge-verify, and no page carries its API key", async () => {
    expect(toWorker).toEqual([]);
    expect(await h.page.content()).not.toContain(DEV_KEY);
  });
});
