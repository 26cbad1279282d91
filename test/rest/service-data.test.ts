// The admin endpoints behind the console: template preview, deny and allow lists as a service,
// insights aggregated as verifications happen (masked, no codes), recent verifications, retention.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DAY_MS, dayOf, type InsightEvent } from "../../src/core/insights.ts";
import { INSIGHTS_SHARDS, type Insights } from "../../src/objects/insights.ts";
import { call, DEV_KEY, fakeTwilioBehaviour, json, latestCode, messagesTo, uniqueNumber } from "../helpers.ts";
import { PUBLIC_BASE_URL, twilioCallback } from "../sms/receipts/signers.ts";

const ADMIN = { authorization: "Bearer ev_dev_admin_token" };
const admin = (method: string, path: string, body?: unknown) => call(method, path, body, ADMIN);
const as = (key: string) => ({ authorization: `Bearer ${key}` });

async function newService(settings: Record<string, unknown> = {}) {
  const service = await json(await admin("POST", "/v1/services", { friendlyName: "Insights shop", ...settings }));
  const key = await json(await admin("POST", `/v1/services/${service.id}/keys`, { name: "backend" }));
  return { service, key };
}

describe("console endpoints need the admin token", () => {
  it("answers 401 without it, and with an API key instead of it, on every route", async () => {
    const { service } = await newService();
    const routes: [string, string, unknown?][] = [
      ["POST", `/v1/services/${service.id}/template-preview`, { locale: "en" }],
      ["GET", `/v1/services/${service.id}/insights`],
      ["GET", `/v1/services/${service.id}/verifications`],
      ["GET", `/v1/services/${service.id}/lists/deny`],
      ["PUT", `/v1/services/${service.id}/lists/deny/%2B14155550123`, {}],
      ["DELETE", `/v1/services/${service.id}/lists/deny/%2B14155550123`],
      ["DELETE", `/v1/services/${service.id}/phone-numbers/%2B14155550123`],
      ["GET", "/v1/services"],
      ["POST", `/v1/services/${service.id}/keys`, { name: "x" }],
      ["PATCH", `/v1/services/${service.id}`, { friendlyName: "x" }],
    ];
    for (const [method, path, body] of routes) {
      for (const headers of [{ authorization: "" }, as(DEV_KEY), as("ev_dev_admin_token_wrong")]) {
        const response = await call(method, path, body, headers);
        expect(response.status, `${method} ${path}`).toBe(401);
        expect((await json(response)).code).toBe("unauthenticated");
      }
    }
    // Nothing was listed by the refused PUT.
    expect((await json(await admin("GET", `/v1/services/${service.id}/lists/deny`))).entries).toEqual([]);
  });

  it("serves the console page without data or credentials, with a strict CSP", async () => {
    const page = await call("GET", "/console", undefined, { authorization: "" });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'; script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<label for="admin-token">Admin token</label>');
    expect(html).not.toContain("ev_dev_admin_token");
    const script = await (await call("GET", "/console/console.js", undefined, { authorization: "" })).text();
    expect(script).toContain("sessionStorage");
    expect(script).not.toContain("localStorage.setItem");
    expect(script).not.toContain("innerHTML");
  });
});

describe("template preview", () => {
  const preview = async (serviceId: string, body: unknown) => {
    const response = await admin("POST", `/v1/services/${serviceId}/template-preview`, body);
    return { status: response.status, body: await json(response) };
  };

  it("renders the built-in text at a 10-digit code and a 30-character name, GSM-7, one segment", async () => {
    const { service } = await newService();
    const { status, body } = await preview(service.id, { locale: "en" });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      locale: "en",
      direction: "ltr",
      builtIn: true,
      body: "1234567890 is your Acme Online Banking Verify App verification code. It expires in 60 minutes.",
      encoding: "GSM-7",
      segments: 1,
      error: null,
    });
    expect(body.worstCase.segments).toBe(1);
  });

  it("refuses a template without {{code}} with the message saving would give", async () => {
    const { service } = await newService();
    const { status, body } = await preview(service.id, { locale: "de", template: "Ihr Code ist da" });
    expect(status).toBe(200);
    expect(body).toMatchObject({ body: "", encoding: null, error: { field: "templates.de", message: "templates.de: must contain {{code}} exactly once (found 0)" } });
    const saved = await admin("PATCH", `/v1/services/${service.id}`, { templates: { de: "Ihr Code ist da" } });
    expect(saved.status).toBe(400);
    expect((await json(saved)).message).toBe(body.error.message);
  });

  it("reports a template with a link as saving would refuse it", async () => {
    const { service } = await newService();
    const { status, body } = await preview(service.id, { locale: "en", template: "{{code}} is your code (evil.com)" });
    expect(status).toBe(200);
    expect(body).toMatchObject({ body: "", error: { field: "templates.en", message: "templates.en: must not contain a URL or domain name" } });
    const saved = await admin("PATCH", `/v1/services/${service.id}`, { templates: { en: "{{code}} is your code (evil.com)" } });
    expect(saved.status).toBe(400);
    expect((await json(saved)).message).toBe(body.error.message);
  });

  it("measures UCS-2 and reports a two-segment template as refused, still rendered", async () => {
    const { service } = await newService();
    const ru = await preview(service.id, { locale: "ru", template: "Ваш код {{code}}" });
    expect(ru.body).toMatchObject({ body: "Ваш код 1234567890", encoding: "UCS-2", segments: 1, units: 18, error: null });
    const rtl = await preview(service.id, { locale: "he" });
    expect(rtl.body).toMatchObject({ direction: "rtl", encoding: "UCS-2" });
    const long = await preview(service.id, { locale: "ru", template: `Ваш код {{code}} для {{serviceName}}. ${"Никому не сообщайте его. ".repeat(2)}` });
    expect(long.body.segments).toBe(2);
    expect(long.body.body).toContain("1234567890");
    expect(long.body.error.message).toMatch(/^templates\.ru: needs \d SMS segments at the worst case/);
  });

  it("refuses a malformed request as invalid_argument", async () => {
    const { service } = await newService();
    expect((await preview(service.id, { template: "{{code}}" })).status).toBe(400);
    expect((await preview(service.id, { locale: "not a locale", template: "{{code}}" })).body.details[0].field).toBe("locale");
    expect((await preview("VA00000000000000000000000000000000", { locale: "en" })).status).toBe(404);
  });
});

describe("deny and allow lists through the admin API", () => {
  it("run the same code path as the service's API key: enforced, listed, removed", async () => {
    const { service, key } = await newService();
    const to = uniqueNumber();
    const path = `/v1/services/${service.id}/lists/deny/${encodeURIComponent(to)}`;
    const added = await admin("PUT", path, { note: "fraud report" });
    expect(added.status).toBe(200);
    expect(await json(added)).toMatchObject({ list: "deny", phoneNumber: to, note: "fraud report" });
    // The service's own key sees the entry, and the number is refused for that service only.
    expect((await json(await call("GET", "/v1/lists/deny", undefined, as(key.secret)))).entries.map((e: { phoneNumber: string }) => e.phoneNumber)).toEqual([to]);
    const refused = await call("POST", "/v1/verifications", { to }, as(key.secret));
    expect(refused.status).toBe(403);
    expect((await json(refused)).details[0].rule).toBe("deny_list");
    expect((await json(await admin("GET", `/v1/services/${service.id}/lists/deny`))).entries).toHaveLength(1);
    expect((await admin("DELETE", path)).status).toBe(204);
    expect((await json(await admin("GET", `/v1/services/${service.id}/lists/deny`))).entries).toEqual([]);
    expect((await call("POST", "/v1/verifications", { to }, as(key.secret))).status).toBe(201);
  });

  it("acts on the built-in service as API_KEYS callers see it", async () => {
    const { services } = await json(await admin("GET", "/v1/services"));
    const builtIn = services.find((s: { builtIn: boolean }) => s.builtIn);
    const to = uniqueNumber();
    expect((await admin("PUT", `/v1/services/${builtIn.id}/lists/allow/${encodeURIComponent(to)}`, {})).status).toBe(200);
    const { entries } = await json(await call("GET", "/v1/lists/allow?pageSize=1000"));
    expect(entries.map((e: { phoneNumber: string }) => e.phoneNumber)).toContain(to);
    expect((await admin("DELETE", `/v1/services/${builtIn.id}/lists/allow/${encodeURIComponent(to)}`)).status).toBe(204);
  });
});

describe("insights", () => {
  it("aggregates starts, approvals, sends and blocks as they happen; recent rows are masked", async () => {
    const { service, key } = await newService();
    const numbers = [uniqueNumber(), uniqueNumber(), uniqueNumber()];
    const codes: string[] = [];
    for (const to of numbers) {
      expect((await call("POST", "/v1/verifications", { to }, as(key.secret))).status).toBe(201);
      codes.push(await latestCode(to));
    }
    for (const i of [0, 1]) {
      const checked = await json(await call("POST", "/v1/verifications/check", { to: numbers[i], code: codes[i] }, as(key.secret)));
      expect(checked.status).toBe("approved");
    }
    // Two refusals by rule: a premium-rate number (the Worker's rule) and a resend too soon (the number's object).
    expect((await call("POST", "/v1/verifications", { to: "+19005550100" }, as(key.secret))).status).toBe(403);
    expect((await call("POST", "/v1/verifications", { to: numbers[2] }, as(key.secret))).status).toBe(429);

    const read = async () => json(await admin("GET", `/v1/services/${service.id}/insights?days=7`));
    await expect.poll(async () => (await read()).totals, { timeout: 5_000 }).toMatchObject({ started: 3, approved: 2, sent: 3, blocked: 2 });
    const report = await read();
    expect(report.totals.conversion).toBeCloseTo(2 / 3);
    expect(report.totals.medianSecondsToApprove).toBeGreaterThanOrEqual(0);
    expect(report.days).toHaveLength(7);
    expect(report.byDay.at(-1)).toMatchObject({ day: dayOf(Date.now()), started: 3, approved: 2 });
    expect(report.byCountry).toEqual([{ country: "US", started: 3, approved: 2, conversion: 2 / 3 }]);
    expect(report.byProvider).toEqual([{ provider: "twilio", sent: 3, failed: 0, delivered: 0, undelivered: 0 }]);
    expect(report.byRule.map((r: { rule: string; blocked: number }) => [r.rule, r.blocked]).sort()).toEqual([
      ["line_type", 1],
      ["resend_cooldown", 1],
    ]);

    const recent = async (query = "") => (await json(await admin("GET", `/v1/services/${service.id}/verifications${query}`))).verifications;
    await expect.poll(async () => (await recent("?status=approved")).length).toBe(2);
    const rows = await recent();
    expect(rows).toHaveLength(3);
    const text = JSON.stringify(rows);
    for (const to of numbers) {
      expect(text).not.toContain(to);
      expect(rows.map((r: { maskedTo: string }) => r.maskedTo)).toContain(`${to.slice(0, 5)}****${to.slice(-3)}`);
    }
    for (const code of codes) expect(text).not.toContain(code);
    expect(rows[0]).toMatchObject({ country: "US", provider: "twilio", channel: "sms", sendAttempts: 1, checkAttempts: 0 });
    expect(rows[0]).not.toHaveProperty("to");
    expect(await recent("?status=pending")).toHaveLength(1);
    expect(await recent("?country=us")).toHaveLength(3);
    expect(await recent("?country=GB")).toHaveLength(0);
    expect((await admin("GET", `/v1/services/${service.id}/verifications?status=nope`)).status).toBe(400);
    // Another service sees none of it.
    const other = await newService();
    expect((await json(await admin("GET", `/v1/services/${other.service.id}/insights`))).totals.started).toBe(0);
  });

  it("counts a send the provider refused as failed, per provider and as an outcome", async () => {
    const { service, key } = await newService();
    const to = uniqueNumber();
    await fakeTwilioBehaviour(to, { status: 400, body: { code: 21211, message: "Invalid 'To' Phone Number", status: 400 } });
    const started = await json(await call("POST", "/v1/verifications", { to }, as(key.secret)));
    expect(started.status).toBe("failed");
    const read = async () => json(await admin("GET", `/v1/services/${service.id}/insights`));
    await expect.poll(async () => (await read()).outcomes.failed, { timeout: 5_000 }).toBe(1);
    const report = await read();
    expect(report.byProvider).toEqual([{ provider: "twilio", sent: 0, failed: 1, delivered: 0, undelivered: 0 }]);
    const [row] = (await json(await admin("GET", `/v1/services/${service.id}/verifications?status=failed`))).verifications;
    expect(row).toMatchObject({ status: "failed", provider: "twilio", maskedTo: `${to.slice(0, 5)}****${to.slice(-3)}` });
  });

  it("counts a final delivery receipt per provider and shows it on the recent row", async () => {
    const { service, key } = await newService();
    const to = uniqueNumber();
    expect((await call("POST", "/v1/verifications", { to }, as(key.secret))).status).toBe(201);
    const message = (await messagesTo(to)).at(-1) as unknown as { sid: string; statusCallback: string };
    const signed = await twilioCallback(message.statusCallback, { MessageSid: message.sid, MessageStatus: "delivered", ErrorCode: "" });
    const receipt = await exports.default.fetch(
      new Request(signed.url.replace(PUBLIC_BASE_URL, "http://edge-verify.test"), { method: signed.method, headers: signed.headers, body: signed.body }),
    );
    expect(receipt.status).toBe(200);
    const read = async () => json(await admin("GET", `/v1/services/${service.id}/insights`));
    await expect.poll(async () => (await read()).byProvider, { timeout: 5_000 }).toEqual([{ provider: "twilio", sent: 1, failed: 0, delivered: 1, undelivered: 0 }]);
    const [row] = (await json(await admin("GET", `/v1/services/${service.id}/verifications`))).verifications;
    expect(row).toMatchObject({ delivery: "delivered", status: "pending" });
  });

  it("forgets an erased number's recent rows; the daily counts stay", async () => {
    const { service, key } = await newService();
    const [kept, erased] = [uniqueNumber(), uniqueNumber()];
    for (const to of [kept, erased]) expect((await call("POST", "/v1/verifications", { to }, as(key.secret))).status).toBe(201);
    const recent = async () =>
      (await json(await admin("GET", `/v1/services/${service.id}/verifications`))).verifications.map((v: { maskedTo: string }) => v.maskedTo);
    await expect.poll(recent, { timeout: 5_000 }).toHaveLength(2);
    expect((await call("DELETE", `/v1/phone-numbers/${encodeURIComponent(erased)}`, undefined, as(key.secret))).status).toBe(200);
    expect(await recent()).toEqual([`${kept.slice(0, 5)}****${kept.slice(-3)}`]);
    expect((await json(await admin("GET", `/v1/services/${service.id}/insights`))).totals.started).toBe(2);
  });

  it("counts canceled outcomes and reads the built-in service's insights", async () => {
    const { services } = await json(await admin("GET", "/v1/services"));
    const builtIn = services.find((s: { builtIn: boolean }) => s.builtIn);
    const before = (await json(await admin("GET", `/v1/services/${builtIn.id}/insights`))).outcomes.canceled;
    const v = await json(await call("POST", "/v1/verifications", { to: uniqueNumber() }));
    expect((await call("POST", `/v1/verifications/${v.id}/cancel`)).status).toBe(200);
    await expect
      .poll(async () => (await json(await admin("GET", `/v1/services/${builtIn.id}/insights`))).outcomes.canceled, { timeout: 5_000 })
      .toBe(before + 1);
  });

  it("drops days older than RETENTION_DAYS by alarm, keeps recent ones, and frees an emptied shard", async () => {
    const service = `retention-${crypto.randomUUID()}`;
    const stub = env.INSIGHTS.get(env.INSIGHTS.idFromName(`${service}:0`)) as unknown as DurableObjectStub<Insights>;
    const event = (daysAgo: number, id: string): InsightEvent => {
      const at = Date.now() - daysAgo * DAY_MS;
      return {
        kind: "started",
        at,
        risks: [],
        verification: {
          id,
          maskedTo: "+1415****671",
          country: "US",
          channel: "sms",
          status: "pending",
          provider: "twilio",
          delivery: "",
          sendAttempts: 1,
          checkAttempts: 0,
          createdAt: at,
          updatedAt: at,
          test: false,
        },
      };
    };
    await stub.record([event(30, "ve_old"), event(0, "ve_new")]);
    await stub.recordBlocks([{ rule: "voip", country: "US", at: Date.now() - 30 * DAY_MS }]);
    const old = dayOf(Date.now() - 30 * DAY_MS);
    expect((await stub.aggregates({ fromDay: old })).outcomes).toHaveLength(2);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const kept = await stub.aggregates({ fromDay: old });
    expect(kept.outcomes).toEqual([{ day: dayOf(Date.now()), country: "US", outcome: "started", count: 1 }]);
    expect(kept.rules).toEqual([]);
    expect((await stub.recent({ limit: 10 })).map((v) => v.id)).toEqual(["ve_new"]);

    // Only old data: the alarm empties the object completely.
    const lonely = env.INSIGHTS.get(env.INSIGHTS.idFromName(`${service}:1`)) as unknown as DurableObjectStub<Insights>;
    await lonely.record([event(40, "ve_ancient")]);
    expect(await runDurableObjectAlarm(lonely)).toBe(true);
    await runInDurableObject(lonely, async (_instance, state) => {
      expect(state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'").toArray()).toEqual([]);
      expect(await state.storage.getAlarm()).toBeNull();
    });
    expect(INSIGHTS_SHARDS).toBeGreaterThan(1);
  });
});
