// Services and API keys through the admin API: isolation, key lifecycle, settings that apply.
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { call, json, latestCode, messagesTo, uniqueNumber, wrongCode } from "../helpers.ts";

const ADMIN = { authorization: "Bearer ev_dev_admin_token" };
const admin = (method: string, path: string, body?: unknown) => call(method, path, body, ADMIN);
const as = (key: string) => ({ authorization: `Bearer ${key}` });

async function newService(settings: Record<string, unknown> = {}) {
  const created = await admin("POST", "/v1/services", { friendlyName: "Shop", ...settings });
  expect(created.status).toBe(201);
  const service = await json(created);
  const keyResponse = await admin("POST", `/v1/services/${service.id}/keys`, { name: "backend" });
  expect(keyResponse.status).toBe(201);
  const key = await json(keyResponse);
  return { service, key };
}

describe("admin API", () => {
  it("needs the admin token; an API key is not enough", async () => {
    expect((await call("GET", "/v1/services")).status).toBe(401);
    expect((await call("GET", "/v1/services", undefined, { authorization: "Bearer nope" })).status).toBe(401);
    expect((await admin("GET", "/v1/services")).status).toBe(200);
  });

  it("lists the built-in default service with the account id", async () => {
    const { services } = await json(await admin("GET", "/v1/services"));
    const builtIn = services.find((s: { builtIn: boolean }) => s.builtIn);
    expect(builtIn).toMatchObject({ id: "VA6958692bf045da6a5f3b37c8127048fd", accountSid: "ACbcb37791863829aeee408acae65631cc" });
  });

  it("creates a service with a VA id, keys shown once with a prefix, listed masked", async () => {
    const { service, key } = await newService();
    expect(service.id).toMatch(/^VA[0-9a-f]{32}$/);
    expect(service.webhookSecret).toMatch(/^whsec_/);
    expect(key.secret).toMatch(/^evk_[A-Za-z0-9_-]{32}$/);
    expect(key).toMatchObject({ name: "backend", maskedKey: `${key.secret.slice(0, 12)}…`, revokeTime: null });
    const { keys } = await json(await admin("GET", `/v1/services/${service.id}/keys`));
    expect(JSON.stringify(keys)).not.toContain(key.secret);
    expect(keys[0]).toMatchObject({ id: key.id, maskedKey: key.maskedKey });
  });

  it("validates settings naming the field", async () => {
    for (const [body, field] of [
      [{}, "friendlyName"],
      [{ friendlyName: "x", codeLength: 3 }, "codeLength"],
      [{ friendlyName: "x", webhookUrl: "ftp://x" }, "webhookUrl"],
      [{ friendlyName: "x", webhookEvents: ["nope"] }, "webhookEvents"],
      [{ friendlyName: "x", templates: { en: "no code" } }, "templates.en"],
      [{ friendlyName: "x", ruleModes: { voip: "maybe" } }, "ruleModes.voip"],
      [{ friendlyName: "x", colour: "red" }, "colour"],
      [{ friendlyName: "x", testNumbers: { "+14155550100": "12" } }, "testNumbers"],
    ] as const) {
      const response = await admin("POST", "/v1/services", body);
      expect(response.status).toBe(400);
      expect((await json(response)).details[0].field).toBe(field);
    }
  });

  // Issue 17, item 3: a service's name and templates reach its messages, so they are held to the
  // same rule as a request's serviceName.
  it("refuses a friendly name or template that reads as a link, on create and update", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ friendlyName: "(evil.com)" }, "friendlyName"],
      [{ friendlyName: "ｅｖｉｌ．ｃｏｍ Rewards" }, "friendlyName"],
      [{ friendlyName: "Shop", templates: { en: "{{code}} is your code (evil.com)" } }, "templates.en"],
      [{ friendlyName: "Shop", templates: { ja: "{{code}}です。evil。com" } }, "templates.ja"],
      [{ friendlyName: "Shop", templates: { en: "{{serviceName}}.com: {{code}}" } }, "templates.en"],
    ];
    for (const [body, field] of cases) {
      const response = await admin("POST", "/v1/services", body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(await json(response)).toMatchObject({
        code: "invalid_argument",
        message: `${field}: must not contain a URL or domain name`,
        details: [{ field }],
      });
    }
    const { service } = await newService();
    const update = await admin("PATCH", `/v1/services/${service.id}`, { friendlyName: "evil\u200b.com" });
    expect(update.status).toBe(400);
    expect((await json(update)).details[0].field).toBe("friendlyName");
  });
});

describe("webhook URLs in production", () => {
  // The tests run as development, which posts webhooks to the developer's own machine; the Worker
  // as deployed refuses internal addresses (issue 17 item 4). A complete production configuration:
  const token = "a-production-admin-token-for-tests";
  const production = {
    ...env,
    ENVIRONMENT: "production",
    API_KEYS: "ev_live_0123456789abcdef",
    CODE_SECRET: "a-real-secret-of-at-least-32-characters!",
    ADMIN_TOKEN: token,
  };
  const app = createApp();
  const deployed = async (method: string, path: string, body?: unknown) =>
    app.fetch(
      new Request(`https://verify.example.test${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      production,
      createExecutionContext(),
    );
  const internal = ["https://169.254.169.254/latest/meta-data/", "https://127.0.0.1/", "https://[::1]/", "https://10.0.0.1/", "https://[::ffff:a9fe:a9fe]/", "https://2130706433/", "https://0x7f.1/", "https://localhost./"];

  it("create and update refuse an internal address with 400 naming webhookUrl, and keep the old URL", async () => {
    for (const webhookUrl of internal) {
      const created = await deployed("POST", "/v1/services", { friendlyName: "Hooks", webhookUrl });
      expect(created.status, webhookUrl).toBe(400);
      expect(await json(created)).toMatchObject({ code: "invalid_argument", message: expect.stringMatching(/^webhookUrl: must be a public address: /), details: [{ field: "webhookUrl" }] });
    }
    const created = await deployed("POST", "/v1/services", { friendlyName: "Hooks", webhookUrl: "https://hooks.example.com/edge-verify" });
    expect(created.status).toBe(201);
    const service = await json(created);
    for (const webhookUrl of internal) {
      const updated = await deployed("PATCH", `/v1/services/${service.id}`, { webhookUrl });
      expect(updated.status, webhookUrl).toBe(400);
      expect(await json(updated)).toMatchObject({ code: "invalid_argument", details: [{ field: "webhookUrl" }] });
    }
    expect((await json(await deployed("GET", `/v1/services/${service.id}`))).settings.webhookUrl).toBe("https://hooks.example.com/edge-verify");
    expect((await deployed("DELETE", `/v1/services/${service.id}`)).status).toBe(204);
  });

  it("WEBHOOK_INTERNAL_HOSTS lets the operator allow one internal receiver, and only that one", async () => {
    const withReceiver = { ...production, WEBHOOK_INTERNAL_HOSTS: "10.0.0.5" };
    const send = (webhookUrl: string) =>
      app.fetch(
        new Request("https://verify.example.test/v1/services", {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ friendlyName: "Hooks", webhookUrl }),
        }),
        withReceiver,
        createExecutionContext(),
      );
    const allowed = await send("https://10.0.0.5:8443/hooks");
    expect(allowed.status).toBe(201);
    expect((await json(allowed)).settings.webhookUrl).toBe("https://10.0.0.5:8443/hooks");
    expect((await send("https://10.0.0.6/hooks")).status).toBe(400);
    expect((await send("https://169.254.169.254/")).status).toBe(400);
  });
});

describe("service isolation", () => {
  it("a service's key works; another service's verification id answers like an unknown id", async () => {
    const a = await newService();
    const b = await newService();
    const to = uniqueNumber();
    const started = await call("POST", "/v1/verifications", { to }, as(a.key.secret));
    expect(started.status).toBe(201);
    const v = await json(started);
    const fromB = await call("GET", `/v1/verifications/${v.id}`, undefined, as(b.key.secret));
    const unknown = await call("GET", `/v1/verifications/${v.id.slice(0, -2)}xx`, undefined, as(b.key.secret));
    expect(fromB.status).toBe(404);
    expect(await json(fromB)).toEqual(await json(unknown));
    // The default service can't see it either.
    expect((await call("GET", `/v1/verifications/${v.id}`)).status).toBe(404);
    // Counters are per service: B may start for the same number right away (no cooldown from A).
    expect((await call("POST", "/v1/verifications", { to }, as(b.key.secret))).status).toBe(201);
    // Checking B's code through A's key does not touch B's verification.
    const code = await latestCode(to);
    expect((await call("POST", "/v1/verifications/check", { to, code }, as(a.key.secret))).status).toBe(200);
  });

  it("a revoked key stops working (within the cache lifetime; at once in this isolate)", async () => {
    const { service, key } = await newService();
    expect((await call("GET", "/v1/verifications/ve_x", undefined, as(key.secret))).status).toBe(404);
    const revoked = await admin("DELETE", `/v1/services/${service.id}/keys/${key.id}`);
    expect(await json(revoked)).toMatchObject({ id: key.id, revokeTime: expect.any(String) });
    expect((await call("GET", "/v1/verifications/ve_x", undefined, as(key.secret))).status).toBe(401);
  });

  it("a deleted service's keys stop working", async () => {
    const { service, key } = await newService();
    expect((await admin("DELETE", `/v1/services/${service.id}`)).status).toBe(204);
    expect((await call("POST", "/v1/verifications", { to: uniqueNumber() }, as(key.secret))).status).toBe(401);
    expect((await admin("GET", `/v1/services/${service.id}`)).status).toBe(404);
    expect((await admin("DELETE", "/v1/services/VA6958692bf045da6a5f3b37c8127048fd")).status).toBe(400);
  });

  it("service settings apply: code length, max attempts, templates", async () => {
    const { service, key } = await newService({ codeLength: 8, maxCheckAttempts: 2, templates: { en: "Shop code {{code}}" } });
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to }, as(key.secret)));
    const [message] = await messagesTo(to);
    expect(message!.body).toMatch(/^Shop code \d{8}$/);
    const code = await latestCode(to);
    const check = (c: string) => call("POST", "/v1/verifications/check", { verificationId: v.id, code: c }, as(key.secret)).then(json);
    expect((await check(wrongCode(code))).status).toBe("invalid");
    expect((await check(wrongCode(code))).status).toBe("invalid");
    expect((await check(code)).status).toBe("max_attempts_reached");
    const updated = await json(await admin("PATCH", `/v1/services/${service.id}`, { maxCheckAttempts: null, friendlyName: "Shop 2" }));
    expect(updated.settings).toEqual({ friendlyName: "Shop 2", codeLength: 8, templates: { en: "Shop code {{code}}" } });
  });
});

describe("test numbers", () => {
  it("use the fixed code, send nothing, are marked test, and still count", async () => {
    const to = uniqueNumber();
    const { key } = await newService({ testNumbers: { [to]: "424242" } });
    const started = await call("POST", "/v1/verifications", { to }, as(key.secret));
    expect(started.status).toBe(201);
    const v = await json(started);
    expect(v).toMatchObject({ test: true, status: "pending", provider: "test" });
    expect(await messagesTo(to)).toHaveLength(0);
    // Other rules and counters still apply: the resend cooldown holds.
    expect((await call("POST", "/v1/verifications", { to }, as(key.secret))).status).toBe(429);
    const ok = await json(await call("POST", "/v1/verifications/check", { verificationId: v.id, code: "424242" }, as(key.secret)));
    expect(ok.status).toBe("approved");
  });
});

describe("test numbers are no subscribers (issue 11, defect 4)", () => {
  it("the README's example +15005550100 (a personal number to libphonenumber) is accepted", async () => {
    const { key } = await newService({ testNumbers: { "+15005550100": "123456" }, allowedCountries: ["GB"] });
    const started = await call("POST", "/v1/verifications", { to: "+15005550100" }, as(key.secret));
    expect(started.status).toBe(201);
    const v = await json(started);
    expect(v).toMatchObject({ test: true, status: "pending", lookup: { lineType: "personal_number" } });
    expect(await messagesTo("+15005550100")).toHaveLength(0);
    const ok = await json(await call("POST", "/v1/verifications/check", { verificationId: v.id, code: "123456" }, as(key.secret)));
    expect(ok.status).toBe("approved");
    // The same number, not listed as a test number, is still refused, and the message reads plainly.
    const other = await newService();
    const refused = await call("POST", "/v1/verifications", { to: "+15005550100" }, as(other.key.secret));
    expect(refused.status).toBe(403);
    expect(await json(refused)).toMatchObject({ message: "to: personal (follow-me) numbers are not accepted", details: [{ rule: "line_type" }] });
  });

  it("a landline test number outside the allowed countries is accepted; the deny list still applies", async () => {
    const landline = "+33123456789";
    const { key } = await newService({ testNumbers: { [landline]: "654321" }, allowedCountries: ["US"] });
    expect((await call("POST", "/v1/verifications", { to: landline }, as(key.secret))).status).toBe(201);
    const listed = await call("PUT", `/v1/lists/deny/${encodeURIComponent(landline)}`, {}, as(key.secret));
    expect(listed.status).toBeLessThan(300);
    expect((await call("POST", "/v1/verifications", { to: landline }, as(key.secret))).status).toBe(403);
  });

  it("IP velocity still counts test numbers", async () => {
    const numbers = Array.from({ length: 11 }, uniqueNumber);
    const { key } = await newService({ testNumbers: Object.fromEntries(numbers.map((n) => [n, "111111"])) });
    const clientIp = `198.51.100.${1 + Math.floor(Math.random() * 250)}`;
    const statuses: number[] = [];
    for (const to of numbers) statuses.push((await call("POST", "/v1/verifications", { to, clientIp }, as(key.secret))).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(201));
    expect(statuses[10]).toBe(429);
  });
});

describe("service names in messages", () => {
  it("a service's messages carry its friendly name unless the request names one", async () => {
    const { key } = await newService({ friendlyName: "Acme Bank" });
    const to = uniqueNumber();
    await call("POST", "/v1/verifications", { to }, as(key.secret));
    expect((await messagesTo(to))[0]!.body).toContain("Acme Bank");
  });
});
