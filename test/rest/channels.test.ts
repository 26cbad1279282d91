// Channels: WhatsApp and voice through Twilio, and the SMS → call fallback workflow on the alarm.
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CLIENTS } from "../clients.ts";
import { call, json, latestCode, messagesTo, timeTravel, uniqueNumber } from "../helpers.ts";

const stubFor = (to: string) => env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`default:${to}`));

describe("channels", () => {
  it("whatsapp goes through Twilio's WhatsApp sender", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to, channel: "whatsapp" }));
    expect(v).toMatchObject({ status: "pending", channel: "whatsapp", provider: "twilio-whatsapp", channels: ["whatsapp"] });
    const [message] = await messagesTo(to);
    expect(message).toMatchObject({ channel: "whatsapp", from: "whatsapp:+14155238886" });
    const code = await latestCode(to);
    expect((await json(await call("POST", "/v1/verifications/check", { verificationId: v.id, code }))).status).toBe("approved");
  });

  it("call places a Twilio call whose TwiML reads the digits slowly, twice, in the locale's language", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to, channel: "call", locale: "es", serviceName: "Acme" }));
    expect(v).toMatchObject({ channel: "call", provider: "twilio-voice", messageId: expect.stringMatching(/^CA/) });
    const [placed] = await messagesTo(to);
    expect(placed!.channel).toBe("call");
    expect(placed!.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Response>/);
    expect(placed!.body).toContain('language="es');
    expect(placed!.body).toContain("<Pause");
    const code = await latestCode(to);
    expect(placed!.body.match(/<Say[^>]*>\d<\/Say>/g)).toHaveLength(code.length * 2);
    expect((await json(await call("POST", "/v1/verifications/check", { verificationId: v.id, code }))).status).toBe("approved");
  });

  it.each([
    [{ channel: "pigeon" }, "channel"],
    [{ channels: ["sms", "sms"] }, "channels"],
    [{ channels: ["sms", "fax"] }, "channels[1]"],
    [{ channels: "sms" }, "channels"],
    [{ channel: "call", channels: ["sms", "call"] }, "channel"],
    [{ fallbackAfterSeconds: 60 }, "fallbackAfterSeconds"],
    [{ channels: ["sms", "call"], fallbackAfterSeconds: 10 }, "fallbackAfterSeconds"],
  ])("refuses %j naming %s", async (extra, field) => {
    const to = uniqueNumber();
    const response = await call("POST", "/v1/verifications", { to, ...extra });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ details: [{ field }] });
    expect(await messagesTo(to)).toHaveLength(0);
  });
});

describe("fallback workflow", () => {
  for (const client of CLIENTS) {
    it(`${client.name}: SMS, then a call if not approved after fallbackAfterSeconds; both codes work`, async () => {
      const to = uniqueNumber();
      const started = await client.start({ to, channels: client.name === "REST" ? ["sms", "call"] : [1, 3], fallbackAfterSeconds: 45 });
      expect(started.code).toBe("ok");
      const smsCode = await latestCode(to);
      // Not yet due: the alarm (if it runs) sends nothing.
      await runDurableObjectAlarm(stubFor(to));
      expect(await messagesTo(to)).toHaveLength(1);

      await timeTravel(to, 45_000);
      expect(await runDurableObjectAlarm(stubFor(to))).toBe(true);
      const messages = await messagesTo(to);
      expect(messages.map((m) => m.channel)).toEqual(["sms", "call"]);
      const callCode = await latestCode(to);
      const v = await json(await call("GET", `/v1/verifications/${started.id}`));
      expect(v).toMatchObject({ channel: "call", sendAttempts: 2, channels: ["sms", "call"], nextChannelTime: null });

      // The SMS that arrived late still works (and so would the call's code).
      const check = await client.check({ verificationId: started.id, code: callCode === smsCode ? callCode : smsCode });
      expect(check.status).toBe("approved");
    });
  }

  it("an approval before the fallback time cancels the call", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to, channels: ["sms", "call"], fallbackAfterSeconds: 30 }));
    await call("POST", "/v1/verifications/check", { verificationId: v.id, code: await latestCode(to) });
    await timeTravel(to, 31_000);
    await runDurableObjectAlarm(stubFor(to));
    expect((await messagesTo(to)).map((m) => m.channel)).toEqual(["sms"]);
  });

  it("the fallback send counts against the per-number limits", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to, channels: ["sms", "call"], fallbackAfterSeconds: 30 }));
    await timeTravel(to, 30_000);
    await runDurableObjectAlarm(stubFor(to));
    expect(await messagesTo(to)).toHaveLength(2);
    // Two sends on record: the next resend waits the second step of the ladder (60 s).
    const resend = await call("POST", "/v1/verifications", { to });
    expect(resend.status).toBe(429);
    expect(Number(resend.headers.get("retry-after"))).toBe(60);
    expect(v.id).toBeTruthy();
  });
});

// Issue 17, hole 1: every message, whatever starts it, takes the start's cross-number counters
// (range, country, budget, IP) all-or-none before it is sent; a test number never sends.
describe("a channel fallback takes the same caps as a start", () => {
  const ADMIN = { authorization: "Bearer ev_dev_admin_token" };
  async function serviceWith(settings: Record<string, unknown>): Promise<{ id: string; auth: Record<string, string> }> {
    const created = await call("POST", "/v1/services", { friendlyName: "Shop", ...settings }, ADMIN);
    expect(created.status).toBe(201);
    const service = await json(created);
    const key = await json(await call("POST", `/v1/services/${service.id}/keys`, { name: "backend" }, ADMIN));
    return { id: service.id, auth: { authorization: `Bearer ${key.secret}` } };
  }
  const stubOf = (service: string, to: string) => env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`${service}:${to}`));
  async function fallbackDue(service: string, to: string): Promise<void> {
    await timeTravel(to, 30_000, service);
    expect(await runDurableObjectAlarm(stubOf(service, to))).toBe(true);
  }

  it("the service's daily budget: a fallback past it is not sent, and the verification says why", async () => {
    const { id, auth } = await serviceWith({ limits: { smsDailyLimit: 1 } });
    const to = uniqueNumber();
    const started = await call("POST", "/v1/verifications", { to, channels: ["sms", "call"], fallbackAfterSeconds: 30 }, auth);
    expect(started.status).toBe(201);
    const v = await json(started);
    // The budget of one is spent: another number is refused...
    const other = await call("POST", "/v1/verifications", { to: uniqueNumber() }, auth);
    expect(other.status).toBe(429);
    expect(await json(other)).toMatchObject({ details: [{ rule: "budget" }] });
    // ...and so is the first number's call.
    await fallbackDue(id, to);
    expect((await messagesTo(to)).map((m) => m.channel)).toEqual(["sms"]);
    const after = await json(await call("GET", `/v1/verifications/${v.id}`, undefined, auth));
    expect(after).toMatchObject({ status: "pending", channel: "sms", sendAttempts: 1, nextChannelTime: null, fallbackRefusal: "budget" });
    // The SMS's code still works.
    const check = await call("POST", "/v1/verifications/check", { verificationId: v.id, code: await latestCode(to) }, auth);
    expect((await json(check)).status).toBe("approved");
  });

  it("the range cap: a fallback counts as a send to the range", async () => {
    const { id, auth } = await serviceWith({ limits: { rangeSendsPerHour: 2 } });
    const first = uniqueNumber();
    const neighbour = `${first.slice(0, -4)}${String((Number(first.slice(-4)) + 1) % 10_000).padStart(4, "0")}`;
    expect((await call("POST", "/v1/verifications", { to: first, channels: ["sms", "call"], fallbackAfterSeconds: 30 }, auth)).status).toBe(201);
    await fallbackDue(id, first);
    expect((await messagesTo(first)).map((m) => m.channel)).toEqual(["sms", "call"]);
    // Two messages to the range: the cap of 2 is reached.
    const refused = await call("POST", "/v1/verifications", { to: neighbour }, auth);
    expect(refused.status).toBe(429);
    expect(await json(refused)).toMatchObject({ details: [{ rule: "velocity_range" }] });
    expect(await messagesTo(neighbour)).toHaveLength(0);
  });

  it("the client IP's cap: a fallback counts against the IP of the start that asked for it", async () => {
    const { id, auth } = await serviceWith({ limits: { ipStartsPerHour: 2 } });
    const to = uniqueNumber();
    const clientIp = "198.51.100.77";
    expect((await call("POST", "/v1/verifications", { to, clientIp, channels: ["sms", "call"], fallbackAfterSeconds: 30 }, auth)).status).toBe(201);
    await fallbackDue(id, to);
    expect(await messagesTo(to)).toHaveLength(2);
    const refused = await call("POST", "/v1/verifications", { to: uniqueNumber(), clientIp }, auth);
    expect(refused.status).toBe(429);
    expect(await json(refused)).toMatchObject({ details: [{ rule: "velocity_ip" }] });
  });

  it("a number deny-listed while its fallback is pending gets no fallback", async () => {
    const { id, auth } = await serviceWith({});
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to, channels: ["sms", "call"], fallbackAfterSeconds: 30 }, auth));
    expect((await call("PUT", `/v1/lists/deny/${encodeURIComponent(to)}`, {}, auth)).status).toBeLessThan(300);
    await fallbackDue(id, to);
    expect((await messagesTo(to)).map((m) => m.channel)).toEqual(["sms"]);
    expect(await json(await call("GET", `/v1/verifications/${v.id}`, undefined, auth))).toMatchObject({ sendAttempts: 1, fallbackRefusal: "deny_list" });
  });

  it("a test number never sends anything on any channel", async () => {
    const to = uniqueNumber();
    const { id, auth } = await serviceWith({ testNumbers: { [to]: "424242" } });
    const v = await json(await call("POST", "/v1/verifications", { to, channels: ["sms", "call"], fallbackAfterSeconds: 30 }, auth));
    expect(v).toMatchObject({ test: true, nextChannelTime: null });
    await timeTravel(to, 30_000, id);
    await runDurableObjectAlarm(stubOf(id, to));
    expect(await messagesTo(to)).toHaveLength(0);
    const after = await json(await call("GET", `/v1/verifications/${v.id}`, undefined, auth));
    expect(after).toMatchObject({ sendAttempts: 1, channel: "sms", test: true });
    expect((await json(await call("POST", "/v1/verifications/check", { verificationId: v.id, code: "424242" }, auth))).status).toBe("approved");
  });
});
