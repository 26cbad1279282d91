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
