// Twilio Verify v2 compatibility, driven by the official `twilio` package. Its request building,
// response parsing and error handling are the real ones; only the transport is swapped (a custom
// `httpClient`, as twilio-node supports), so requests reach this Worker instead of Twilio's API.
import { createExecutionContext, env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import twilio from "twilio";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { twilioErrorFor } from "../../src/compat/twilio.ts";
import { REFUSAL_REASONS, VerifyError, type RefusalReason } from "../../src/core/errors.ts";
import { ACCOUNT_SID, client, defaultFetch, failure, SERVICE_SID, seen, workerHttpClient, type Fetch } from "./twilio-sdk.ts";
import { DEV_KEY, fakeTwilioBehaviour, latestCode, messagesTo, resetOnce, timeTravel, uniqueNumber, wrongCode } from "../helpers.ts";

const strictApp = createApp();
const strictEnv = { ...env, TWILIO_STRICT: "true" };
const strictFetch: Fetch = async (request) => strictApp.fetch(request, strictEnv, createExecutionContext());

describe("Twilio Verify v2 with the twilio client", () => {
  it("create → wrong code → right code → fetch → check again", async () => {
    const to = uniqueNumber();
    const service = client();
    const created = await service.verifications.create({ to, channel: "sms", locale: "en", customFriendlyName: "Acme" });
    expect(seen.at(-1)).toMatchObject({ method: "post", url: `https://verify.twilio.com/v2/Services/${SERVICE_SID}/Verifications` });
    expect(seen.at(-1)!.contentType).toBe("application/x-www-form-urlencoded");
    expect(created).toMatchObject({ serviceSid: SERVICE_SID, accountSid: ACCOUNT_SID, to, channel: "sms", status: "pending", valid: false, amount: null, payee: null, sna: null });
    expect(created.sid).toMatch(/^VE[0-9a-f]{32}$/);
    expect(created.url).toBe(`http://edge-verify.test/v2/Services/${SERVICE_SID}/Verifications/${created.sid}`);
    expect(created.dateCreated).toBeInstanceOf(Date);
    expect(created.sendCodeAttempts).toEqual([{ attempt_sid: expect.stringMatching(/^VL[0-9a-f]{32}$/), channel: "sms", time: expect.any(String) }]);
    expect(created.lookup).toEqual({ carrier: null });

    const messages = await messagesTo(to);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.body).toMatch(/is your Acme verification code/);
    const code = await latestCode(to);

    const wrong = await service.verificationChecks.create({ to, code: wrongCode(code) });
    expect(wrong).toMatchObject({ sid: created.sid, status: "pending", valid: false, to, channel: "sms" });
    expect(JSON.stringify(wrong.toJSON())).not.toContain(code);

    const right = await service.verificationChecks.create({ verificationSid: created.sid, code });
    expect(right).toMatchObject({ sid: created.sid, serviceSid: SERVICE_SID, accountSid: ACCOUNT_SID, status: "approved", valid: true });
    expect(right.snaAttemptsErrorCodes).toEqual([]);

    const fetched = await service.verifications(created.sid).fetch();
    expect(fetched).toMatchObject({ sid: created.sid, status: "approved", valid: true });

    // Default mode explains instead of answering 404: the code was already used.
    const again = await failure(service.verificationChecks.create({ verificationSid: created.sid, code }));
    expect(again).toMatchObject({ status: 400, code: 60200, moreInfo: "https://www.twilio.com/docs/errors/60200" });
    expect(again.message).toMatch(/already approved/);
    // By number there is no pending verification left.
    expect(await failure(service.verificationChecks.create({ to, code }))).toMatchObject({ status: 404, code: 20404 });
  });

  it("cancel by update, then its error paths", async () => {
    const to = uniqueNumber();
    const service = client();
    const created = await service.verifications.create({ to, channel: "sms" });
    const canceled = await service.verifications(created.sid).update({ status: "canceled" });
    expect(canceled).toMatchObject({ sid: created.sid, status: "canceled", valid: false });
    expect(seen.at(-1)).toMatchObject({ method: "post", url: `https://verify.twilio.com/v2/Services/${SERVICE_SID}/Verifications/${created.sid}` });

    const check = await service.verificationChecks.create({ verificationSid: created.sid, code: "123456" });
    expect(check).toMatchObject({ status: "canceled", valid: false });

    // Approval without a code would bypass verification: refused.
    const approve = await failure(service.verifications(created.sid).update({ status: "approved" }));
    expect(approve).toMatchObject({ status: 400, code: 60200 });
    expect(approve.message).toMatch(/^Invalid parameter `Status`: approved is refused/);
    expect(await failure(service.verifications(created.sid).update({ status: "bogus" as "canceled" }))).toMatchObject({ status: 400, code: 60200 });

    const unknown = "VE" + "0".repeat(32);
    const missing = await failure(service.verifications(unknown).fetch());
    expect(missing).toMatchObject({ status: 404, code: 20404, moreInfo: "https://www.twilio.com/docs/errors/20404" });
    expect(missing.message).toContain(`The requested resource /Services/${SERVICE_SID}/Verifications/${unknown} was not found`);
    expect(await failure(service.verifications("VEnot-a-sid").update({ status: "canceled" }))).toMatchObject({ status: 404, code: 20404 });
  });

  it("refuses what it cannot honour, by parameter name, and sends nothing", async () => {
    const to = uniqueNumber();
    const service = client();
    const cases: [Record<string, unknown>, string][] = [
      [{ to, channel: "sms", customCode: "123456" }, "CustomCode"],
      [{ to, channel: "call" }, "Channel"],
      [{ to, channel: "whatsapp" }, "Channel"],
      [{ to, channel: "sms", customMessage: "hi" }, "CustomMessage"],
      [{ to, channel: "sms", appHash: "He42w354ol9" }, "AppHash"],
      [{ to, channel: "sms", riskCheck: "disable" }, "RiskCheck"],
      [{ to: "+1555", channel: "sms" }, "To"],
      [{ to, channel: "sms", locale: "not a locale" }, "Locale"],
      [{ to, channel: "sms", deviceIp: "fe80::1%eth0" }, "DeviceIp"],
      [{ to, channel: "sms", deviceIp: "192.0.2.1:443" }, "DeviceIp"],
      [{ to, channel: "sms", deviceIp: "::ffff:192.0.2.01" }, "DeviceIp"],
    ];
    for (const [params, parameter] of cases) {
      const error = await failure(service.verifications.create(params as never));
      expect(error, parameter).toMatchObject({ status: 400, code: 60200 });
      expect(error.message).toContain(`\`${parameter}\``);
    }
    expect(await failure(service.verificationChecks.create({ to, code: "12ab" }))).toMatchObject({ status: 400, code: 60200 });
    expect(await messagesTo(to)).toHaveLength(0);
  });

  it("a CustomFriendlyName that reads as a link is Twilio's 400 (60200), and nothing is sent", async () => {
    const to = uniqueNumber();
    const service = client();
    for (const name of ["(evil.com)", "evil.com!", "ｅｖｉｌ．ｃｏｍ", "evil。com", "evil\u200b.com"]) {
      const error = await failure(service.verifications.create({ to, channel: "sms", customFriendlyName: name }));
      expect(error, name).toMatchObject({ status: 400, code: 60200 });
      expect(error.message).toBe("Invalid parameter `CustomFriendlyName`: must not contain a URL or domain name");
    }
    expect(await messagesTo(to)).toHaveLength(0);
  });

  it("maps abuse rules to Twilio's codes", async () => {
    const service = client();
    // A London landline: SMS cannot reach it (60205).
    const landline = await failure(service.verifications.create({ to: "+442079460123", channel: "sms" }));
    expect(landline).toMatchObject({ status: 400, code: 60205 });

    const to = uniqueNumber();
    await service.verifications.create({ to, channel: "sms" });
    const tooSoon = await failure(service.verifications.create({ to, channel: "sms" }));
    expect(tooSoon).toMatchObject({ status: 429, code: 60203 });
  });

  it("a send the provider refused for good is an error, not a 201", async () => {
    const to = uniqueNumber();
    await fakeTwilioBehaviour(to, { status: 400, body: { code: 21211, message: "The 'To' number is not a valid phone number.", status: 400 }, times: 1 });
    const error = await failure(client().verifications.create({ to, channel: "sms" }));
    expect(error).toMatchObject({ status: 400, code: 60200 });
    expect(error.message).toBe("Invalid parameter `To`: the code could not be delivered (invalid_number)");
  });

  it("authenticates with the account sid and an API key; unknown services are 404", async () => {
    const to = uniqueNumber();
    const wrongKey = await failure(client({ key: "not-a-key-at-all-123" }).verifications.create({ to, channel: "sms" }));
    expect(wrongKey).toMatchObject({ status: 401, code: 20003, moreInfo: "https://www.twilio.com/docs/errors/20003" });
    const wrongAccount = await failure(client({ accountSid: "AC" + "1".repeat(32) }).verifications.create({ to, channel: "sms" }));
    expect(wrongAccount).toMatchObject({ status: 401, code: 20003 });

    const twilioClient = twilio(ACCOUNT_SID, DEV_KEY, { httpClient: workerHttpClient(defaultFetch) as never });
    const unknownService = await failure(twilioClient.verify.v2.services("VA" + "2".repeat(32)).verifications.create({ to, channel: "sms" }));
    expect(unknownService).toMatchObject({ status: 404, code: 20404 });
    expect(await messagesTo(to)).toHaveLength(0);

    const raw = await exports.default.fetch(new Request(`http://edge-verify.test/v2/Services/${SERVICE_SID}/Verifications`, { method: "POST" }));
    expect(raw.status).toBe(401);
    expect(raw.headers.get("www-authenticate")).toMatch(/^Basic /);
    expect(await raw.json()).toEqual({ code: 20003, message: "Authenticate", more_info: "https://www.twilio.com/docs/errors/20003", status: 401 });
  });

  it("expiry and max attempts answer explicit statuses by default", async () => {
    const service = client();
    const to = uniqueNumber();
    const created = await service.verifications.create({ to, channel: "sms" });
    await timeTravel(to, 601_000);
    expect(await service.verificationChecks.create({ verificationSid: created.sid, code: "123456" })).toMatchObject({ status: "expired", valid: false });
    expect(await service.verifications(created.sid).fetch()).toMatchObject({ status: "expired" });

    const other = uniqueNumber();
    const second = await service.verifications.create({ to: other, channel: "sms" });
    const code = await latestCode(other);
    const statuses: string[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await service.verificationChecks.create({ to: other, code: wrongCode(code) })).status);
    expect(statuses).toEqual(["pending", "pending", "pending", "pending", "max_attempts_reached"]);
    // A further check, even with the right code, is Twilio's 60202 (HTTP 429): the SDK throws.
    for (const params of [{ verificationSid: second.sid, code }, { to: other, code }]) {
      const error = await failure(service.verificationChecks.create(params));
      expect(error).toBeInstanceOf(twilio.RestException);
      expect(error).toMatchObject({ status: 429, code: 60202, message: "Max check attempts reached" });
    }
    expect(await service.verifications(second.sid).fetch()).toMatchObject({ status: "max_attempts_reached" });
  });

  it("Twilio-strict mode: a check after the attempts are used up is 429 / 60202 too", async () => {
    const service = client({ fetch: strictFetch });
    const to = uniqueNumber();
    const created = await service.verifications.create({ to, channel: "sms" });
    const code = await latestCode(to);
    for (let i = 0; i < 5; i++) await service.verificationChecks.create({ verificationSid: created.sid, code: wrongCode(code) });
    const error = await failure(service.verificationChecks.create({ verificationSid: created.sid, code }));
    expect(error).toBeInstanceOf(twilio.RestException);
    expect(error).toMatchObject({ status: 429, code: 60202 });
  });

  it("Twilio-strict mode (TWILIO_STRICT=true): finished verifications are gone (20404)", async () => {
    const service = client({ fetch: strictFetch });
    const to = uniqueNumber();
    const created = await service.verifications.create({ to, channel: "sms" });
    const code = await latestCode(to);
    expect(await service.verificationChecks.create({ to, code })).toMatchObject({ status: "approved", valid: true });
    expect(await failure(service.verificationChecks.create({ verificationSid: created.sid, code }))).toMatchObject({ status: 404, code: 20404 });
    const gone = await failure(service.verifications(created.sid).fetch());
    expect(gone).toMatchObject({ status: 404, code: 20404 });
    expect(gone.message).toBe(`The requested resource /Services/${SERVICE_SID}/Verifications/${created.sid} was not found`);
    expect(await failure(service.verifications(created.sid).update({ status: "canceled" }))).toMatchObject({ status: 404, code: 20404 });

    const later = uniqueNumber();
    const expiring = await service.verifications.create({ to: later, channel: "sms" });
    await timeTravel(later, 601_000);
    expect(await failure(service.verificationChecks.create({ verificationSid: expiring.sid, code: "123456" }))).toMatchObject({ status: 404, code: 20404 });
  });
});

describe("the sid index through object resets (found by the soak)", () => {
  const withReset = (method: string): Fetch => {
    const app = createApp();
    const resetEnv = { ...env, TWILIO_SIDS: resetOnce("TWILIO_SIDS", method) };
    return async (request) => app.fetch(request, resetEnv, createExecutionContext());
  };

  it("a create whose sid write is cut by a reset answers 201 (its code went out), and the sid resolves", async () => {
    const to = uniqueNumber();
    const created = await client({ fetch: withReset("put") }).verifications.create({ to, channel: "sms" });
    expect(created.status).toBe("pending");
    expect(await messagesTo(to)).toHaveLength(1);
    expect((await client().verifications(created.sid).fetch()).to).toBe(to);
  });

  it("a fetch whose sid lookup is cut by a reset answers the verification, not 500", async () => {
    const to = uniqueNumber();
    const created = await client().verifications.create({ to, channel: "sms" });
    expect((await client({ fetch: withReset("get") }).verifications(created.sid).fetch()).sid).toBe(created.sid);
  });
});

describe("twilioErrorFor", () => {
  const cases: [RefusalReason, string | undefined, boolean, number, number][] = [
    ["invalid_argument", undefined, false, 400, 60200],
    ["unauthenticated", undefined, false, 401, 20003],
    ["not_found", undefined, false, 404, 20404],
    ["already_approved", undefined, false, 400, 60200],
    ["already_approved", undefined, true, 404, 20404],
    ["resend_too_soon", undefined, false, 429, 60203],
    ["limit_reached", "sends_per_day", false, 429, 60203],
    ["limit_reached", "max_check_attempts", false, 429, 60202],
    ["limit_reached", "max_check_attempts", true, 429, 60202],
    ["locked", undefined, false, 429, 60202],
    ["rule_refused", "landline", false, 400, 60205],
    ["rule_refused", "country_allowlist", false, 403, 60605],
    ["rule_refused", "deny_list", false, 403, 60605],
    ["rule_refused", "line_type", false, 400, 60205],
    ["body_too_large", undefined, false, 400, 60200],
    ["verification_failed", undefined, false, 400, 60200],
    ["lookups_off", undefined, false, 400, 60200],
    ["idempotency_key_reused", undefined, false, 400, 60200],
    ["idempotency_in_progress", undefined, false, 429, 60212],
    ["unavailable", undefined, false, 503, 20503],
    ["misconfigured", undefined, false, 503, 20503],
  ];
  it.each(cases)("%s (%s, strict %s) → HTTP %i, code %i", (reason, rule, strict, status, code) => {
    expect(twilioErrorFor(new VerifyError(reason, "x", { rule }), strict)).toEqual({ status, code });
  });

  it("the table names every reason there is", () => {
    expect([...new Set(cases.map(([reason]) => reason))].sort()).toEqual([...REFUSAL_REASONS].sort());
  });
});

describe("Twilio Verify with a service's own key", () => {
  it("the service's sid and key work together; another service's sid answers 20404", async () => {
    const admin = { authorization: "Bearer ev_dev_admin_token", "content-type": "application/json" };
    const created = await exports.default.fetch(
      new Request("http://x/v1/services", { method: "POST", headers: admin, body: JSON.stringify({ friendlyName: "Twilio shop" }) }),
    );
    const service = (await created.json()) as { id: string };
    const keyResponse = await exports.default.fetch(new Request(`http://x/v1/services/${service.id}/keys`, { method: "POST", headers: admin, body: "{}" }));
    const { secret } = (await keyResponse.json()) as { secret: string };
    const own = twilio(ACCOUNT_SID, secret, { httpClient: workerHttpClient(defaultFetch) as never });
    const to = uniqueNumber();
    const verification = await own.verify.v2.services(service.id).verifications.create({ to, channel: "sms" });
    expect(verification).toMatchObject({ status: "pending", serviceSid: service.id });
    const wrongService = await failure(own.verify.v2.services(SERVICE_SID).verifications.create({ to: uniqueNumber(), channel: "sms" }));
    expect(wrongService).toMatchObject({ status: 404, code: 20404 });
  });
});
