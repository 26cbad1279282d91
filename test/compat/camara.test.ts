// CAMARA One Time Password SMS v1: /one-time-password-sms/v1/send-code and /validate-code, held to
// the scenarios of the spec's test definitions (camaraproject/OTPValidation,
// code/Test_definitions/one-time-password-sms-{sendCode,validateCode}.feature), tag by tag:
//
// sendCode                                          here
//   otp_send_code_01 success                        "send-code → validate-code"
//   otp_send_code_02 success without x-correlator   "without x-correlator"
//   otp_send_code_400.1-400.6 (no body, {}, bad     "send-code: bad input"
//     number, no message, no {{code}}, > 160)
//   otp_send_code_401.1-401.3 (none, expired,       "401"
//     invalid token; expired = a revoked key)
//   otp_send_code_403.1 max OTP codes               "MAX_OTP_CODES_EXCEEDED"
//   otp_send_code_403.2 cannot receive SMS          "PHONE_NUMBER_NOT_ALLOWED" (number type, provider)
//   otp_send_code_403.3 landline                    "PHONE_NUMBER_NOT_ALLOWED" (FR fixed line)
//   otp_send_code_403.4 SMS barring                 "PHONE_NUMBER_BLOCKED" (deny list, provider)
//   otp_send_code_404.1 not the operator's number   not applicable: any number is served
//   (429, "not easily tested" there)                "429"
// validateCode
//   otp_validate_code_01, _02 success (± x-corr.)   "send-code → validate-code", "without x-correlator"
//   otp_validate_code_400.1-400.4, 400.10 (no body, "validate-code: bad input"
//     {}, no authenticationId, code > 10, no code)
//   otp_validate_code_400.5 INVALID_OTP             "send-code → validate-code"
//   otp_validate_code_400.6 expired (time)          "VERIFICATION_EXPIRED: past its lifetime"
//   otp_validate_code_400.7 expired (a new send)    "VERIFICATION_EXPIRED: superseded"
//   otp_validate_code_400.8 expired (already used)  "send-code → validate-code"
//   otp_validate_code_400.9 VERIFICATION_FAILED     "VERIFICATION_FAILED"
//   otp_validate_code_401.1-401.3                   "401"
//   otp_validate_code_404 unknown authenticationId  "404"
// Every response checks the x-correlator echo (errors included) and the error body's schema.
import { describe, expect, it } from "vitest";
import { camaraCheckError, camaraErrorFor, type CamaraOperation } from "../../src/compat/camara.ts";
import { REFUSAL_REASONS, VerifyError, type RefusalReason } from "../../src/core/errors.ts";
import type { CheckStatus } from "../../src/core/verification.ts";
import { validatorFor } from "../../src/rest/validate.ts";
import { call, fakeTwilioBehaviour, json, latestCode, messagesTo, timeTravel, uniqueNumber, wrongCode } from "../helpers.ts";

const BASE = "/one-time-password-sms/v1";
const ADMIN = { authorization: "Bearer ev_dev_admin_token" };
const MESSAGE = "{{code}} is your short code to authenticate with Cool App via SMS";

/** A fresh valid x-correlator per request, so an echo cannot come from another test. */
const correlator = () => crypto.randomUUID();
const sendCode = (body: unknown, headers: Record<string, string> = {}) => call("POST", `${BASE}/send-code`, body, headers);
const validateCode = (body: unknown, headers: Record<string, string> = {}) => call("POST", `${BASE}/validate-code`, body, headers);

/** Asserts a CAMARA error answer: status, code, the body's schema, a message, and the echo. */
async function expectError(response: Response, status: number, code: string, sent?: string): Promise<{ status: number; code: string; message: string }> {
  const body = await json(response);
  expect({ httpStatus: response.status, ...body }).toMatchObject({ httpStatus: status, status, code });
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(validatorFor("CamaraError").validate(body).errors).toEqual([]);
  expect(body.message.length).toBeGreaterThan(0);
  expect(response.headers.get("x-correlator")).toBe(sent ?? null);
  return body;
}

/** A send-code that succeeds; its authenticationId and the code the SMS carried. */
async function sent(to = uniqueNumber(), headers: Record<string, string> = {}): Promise<{ to: string; authenticationId: string; code: string }> {
  const response = await sendCode({ phoneNumber: to, message: MESSAGE }, headers);
  expect(response.status).toBe(200);
  const { authenticationId } = await json(response);
  return { to, authenticationId, code: await latestCode(to) };
}

async function newService(settings: Record<string, unknown> = {}): Promise<{ id: string; auth: Record<string, string>; keyId: string }> {
  const service = await json(await call("POST", "/v1/services", { friendlyName: "Cool App", ...settings }, ADMIN));
  const key = await json(await call("POST", `/v1/services/${service.id}/keys`, { name: "camara" }, ADMIN));
  return { id: service.id, auth: { authorization: `Bearer ${key.secret}` }, keyId: key.id };
}

describe("CAMARA one-time-password-sms v1", () => {
  it("send-code → validate-code: 200 with an authenticationId, the message as the SMS, INVALID_OTP, 204, then VERIFICATION_EXPIRED", async () => {
    const to = uniqueNumber();
    const xc = correlator();
    const response = await sendCode({ phoneNumber: to, message: MESSAGE }, { "x-correlator": xc });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-correlator")).toBe(xc);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = await json(response);
    expect(validatorFor("CamaraSendCodeResponse").validate(body).errors).toEqual([]);
    expect(body.authenticationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(body.authenticationId.length).toBeLessThanOrEqual(36);

    // The caller's message is the SMS, `{{code}}` filled in with the deployment's 6 digits.
    const messages = await messagesTo(to);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.body).toMatch(/^\d{6} is your short code to authenticate with Cool App via SMS$/);
    const code = await latestCode(to);

    const wrongXc = correlator();
    const wrong = await validateCode({ authenticationId: body.authenticationId, code: wrongCode(code) }, { "x-correlator": wrongXc });
    await expectError(wrong, 400, "ONE_TIME_PASSWORD_SMS.INVALID_OTP", wrongXc);

    const rightXc = correlator();
    const right = await validateCode({ authenticationId: body.authenticationId, code }, { "x-correlator": rightXc });
    expect(right.status).toBe(204);
    expect(await right.text()).toBe("");
    expect(right.headers.get("x-correlator")).toBe(rightXc);

    // otp_validate_code_400.8: an authenticationId already used is no longer valid.
    const again = await validateCode({ authenticationId: body.authenticationId, code });
    const error = await expectError(again, 400, "ONE_TIME_PASSWORD_SMS.VERIFICATION_EXPIRED");
    expect(error.message).toMatch(/^authenticationId: /);
  });

  it("without x-correlator: 200 and 204, and none is invented", async () => {
    const { authenticationId, code } = await sent();
    const right = await validateCode({ authenticationId, code });
    expect(right.status).toBe(204);
    expect(right.headers.get("x-correlator")).toBeNull();
  });

  it("an authenticationId is the same for the same send, and upper case names it too", async () => {
    const { authenticationId, code } = await sent();
    const right = await validateCode({ authenticationId: authenticationId.toUpperCase(), code });
    expect(right.status).toBe(204);
  });

  it("send-code: bad input is INVALID_ARGUMENT naming the field, echoes x-correlator, and sends nothing", async () => {
    const to = uniqueNumber();
    const cases: [unknown, string][] = [
      [undefined, "body"], // otp_send_code_400.1
      ["{not json", "body"],
      ["[1, 2]", "body"],
      [{}, "phoneNumber"], // otp_send_code_400.2
      [{ phoneNumber: "3301", message: MESSAGE }, "phoneNumber"], // otp_send_code_400.3
      [{ phoneNumber: "+1 415 555 2671", message: MESSAGE }, "phoneNumber"],
      [{ phoneNumber: "+19999999999", message: MESSAGE }, "phoneNumber"], // matches the pattern, no such number
      [{ phoneNumber: 14155552671, message: MESSAGE }, "phoneNumber"],
      [{ phoneNumber: to }, "message"], // otp_send_code_400.4
      [{ phoneNumber: to, message: "" }, "message"],
      [{ phoneNumber: to, message: "message without code" }, "message"], // otp_send_code_400.5
      [{ phoneNumber: to, message: `${"x".repeat(154)}{{code}}` }, "message"], // otp_send_code_400.6: 162
      [{ phoneNumber: to, message: `${"é".repeat(153)}{{code}}` }, "message"], // 161 characters
      // Our template rules, as for every template: no link, {{code}} once, known placeholders only.
      [{ phoneNumber: to, message: "{{code}} — log in at https://cool.example" }, "message"],
      [{ phoneNumber: to, message: "{{code}} is your code for coolapp.com" }, "message"],
      [{ phoneNumber: to, message: "{{code}} or {{code}}" }, "message"],
      [{ phoneNumber: to, message: "Hi {{name}}, {{code}}" }, "message"],
      [{ phoneNumber: to, message: "{{code}}\u202e is your code" }, "message"],
      [{ phoneNumber: to, message: 42 }, "message"],
      // Properties the spec does not list are refused, not ignored.
      [{ phoneNumber: to, message: MESSAGE, codeLength: 8 }, "codeLength"],
      [{ phoneNumber: to, message: MESSAGE, to }, "to"],
    ];
    for (const [body, field] of cases) {
      const xc = correlator();
      const response = await sendCode(body, { "x-correlator": xc });
      const error = await expectError(response, 400, "INVALID_ARGUMENT", xc);
      expect(error.message.startsWith(`${field}: `), `${JSON.stringify(body)} → ${error.message}`).toBe(true);
    }
    expect(await messagesTo(to)).toHaveLength(0);
  });

  it("a message may span lines and use every placeholder; 160 characters is the limit, whatever the segments", async () => {
    const to = uniqueNumber();
    const message = `Cool App\nCode: {{code}} ({{ttlMinutes}} min, {{serviceName}}) ${"x".repeat(98)}`;
    expect([...message].length).toBe(160);
    expect((await sendCode({ phoneNumber: to, message })).status).toBe(200);
    expect((await messagesTo(to))[0]!.body).toMatch(/^Cool App\nCode: \d{6} \(10 min, edge-verify\) x{98}$/);
  });

  it("validate-code: bad input is INVALID_ARGUMENT naming the field, and costs no attempt", async () => {
    const { authenticationId, code } = await sent();
    const cases: [unknown, string][] = [
      [undefined, "body"], // otp_validate_code_400.1
      [{}, "authenticationId"], // otp_validate_code_400.2
      [{ code }, "authenticationId"], // otp_validate_code_400.3
      [{ authenticationId }, "code"], // otp_validate_code_400.10
      [{ authenticationId, code: "thisCodeExceedsTenCharacters" }, "code"], // otp_validate_code_400.4
      [{ authenticationId, code: "12345678901" }, "code"],
      [{ authenticationId, code: "AJY3" }, "code"], // ours are digits
      [{ authenticationId, code: 123456 }, "code"],
      [{ authenticationId: "x".repeat(37), code }, "authenticationId"],
      [{ authenticationId, code, phoneNumber: "+14155552671" }, "phoneNumber"],
    ];
    for (const [body, field] of cases) {
      const xc = correlator();
      const error = await expectError(await validateCode(body, { "x-correlator": xc }), 400, "INVALID_ARGUMENT", xc);
      expect(error.message.startsWith(`${field}: `), `${JSON.stringify(body)} → ${error.message}`).toBe(true);
    }
    // None of that counted as a wrong code: the right one still approves.
    expect((await validateCode({ authenticationId, code })).status).toBe(204);
  });

  it("VERIFICATION_EXPIRED: past its lifetime (otp_validate_code_400.6)", async () => {
    const { to, authenticationId, code } = await sent();
    await timeTravel(to, 601_000);
    await expectError(await validateCode({ authenticationId, code }), 400, "ONE_TIME_PASSWORD_SMS.VERIFICATION_EXPIRED");
  });

  it("VERIFICATION_EXPIRED: superseded by a later send-code to the number, even with the new code (otp_validate_code_400.7)", async () => {
    const first = await sent();
    await timeTravel(first.to, 31_000); // the resend cooldown
    const second = await sent(first.to);
    expect(second.authenticationId).not.toBe(first.authenticationId);
    expect(second.code).not.toBe(first.code);
    const xc = correlator();
    await expectError(await validateCode({ authenticationId: first.authenticationId, code: first.code }, { "x-correlator": xc }), 400, "ONE_TIME_PASSWORD_SMS.VERIFICATION_EXPIRED", xc);
    // The superseded id approves nothing, whatever code it is given, and counts no attempt.
    await expectError(await validateCode({ authenticationId: first.authenticationId, code: second.code }), 400, "ONE_TIME_PASSWORD_SMS.VERIFICATION_EXPIRED");
    expect((await validateCode({ authenticationId: second.authenticationId, code: second.code })).status).toBe(204);
  });

  it("VERIFICATION_FAILED: the wrong code that uses the last attempt, and every check after it (otp_validate_code_400.9)", async () => {
    const { authenticationId, code } = await sent();
    for (let attempt = 1; attempt < 5; attempt++) {
      await expectError(await validateCode({ authenticationId, code: wrongCode(code) }), 400, "ONE_TIME_PASSWORD_SMS.INVALID_OTP");
    }
    const xc = correlator();
    await expectError(await validateCode({ authenticationId, code: wrongCode(code) }, { "x-correlator": xc }), 400, "ONE_TIME_PASSWORD_SMS.VERIFICATION_FAILED", xc);
    await expectError(await validateCode({ authenticationId, code }), 400, "ONE_TIME_PASSWORD_SMS.VERIFICATION_FAILED");
  });

  it("404: an unknown, malformed or another service's authenticationId (otp_validate_code_404)", async () => {
    const { authenticationId, code } = await sent();
    for (const id of [crypto.randomUUID(), "not-an-id", "00000000-0000-8000-8000-000000000000"]) {
      const xc = correlator();
      const error = await expectError(await validateCode({ authenticationId: id, code: "123456" }, { "x-correlator": xc }), 404, "NOT_FOUND", xc);
      expect(error.message).toBe("authenticationId: no such authenticationId");
    }
    const other = await newService();
    await expectError(await validateCode({ authenticationId, code }, other.auth), 404, "NOT_FOUND");
    // The owner's id still works.
    expect((await validateCode({ authenticationId, code })).status).toBe(204);
  });

  it("401: no, invalid or revoked API key, x-correlator echoed; nothing sent (otp_*_401.1-401.3)", async () => {
    const to = uniqueNumber();
    const revoked = await newService();
    expect((await call("DELETE", `/v1/services/${revoked.id}/keys/${revoked.keyId}`, undefined, ADMIN)).status).toBe(200);
    for (const authorization of ["", "Bearer wrong-key-wrong-key", "Basic ZXZfZGV2X2xvY2FsX29ubHlfa2V5Og==", revoked.auth.authorization!]) {
      const xc = correlator();
      const response = await sendCode({ phoneNumber: to, message: MESSAGE }, { authorization, "x-correlator": xc });
      await expectError(response, 401, "UNAUTHENTICATED", xc);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      await expectError(await validateCode({ authenticationId: crypto.randomUUID(), code: "123456" }, { authorization, "x-correlator": xc }), 401, "UNAUTHENTICATED", xc);
    }
    expect(await messagesTo(to)).toHaveLength(0);
  });

  it("an x-correlator outside the spec's pattern is INVALID_ARGUMENT and is not echoed", async () => {
    const to = uniqueNumber();
    for (const bad of ["has space", "x".repeat(257), "quote\"d", "ünïcode", "pipe|d"]) {
      const response = await sendCode({ phoneNumber: to, message: MESSAGE }, { "x-correlator": bad });
      const error = await expectError(response, 400, "INVALID_ARGUMENT");
      expect(error.message).toMatch(/^x-correlator: /);
    }
    expect(await messagesTo(to)).toHaveLength(0);
    // The longest valid one, and Commonalities' wider characters, are echoed.
    for (const good of ["a-".repeat(128), "urn:req;7/<a>{b}_c.d"]) {
      expect((await sendCode({ phoneNumber: uniqueNumber(), message: MESSAGE }, { "x-correlator": good })).headers.get("x-correlator")).toBe(good);
    }
  });

  it("MAX_OTP_CODES_EXCEEDED: a resend within the cooldown, and past the number's send caps (otp_send_code_403.1)", async () => {
    const { id, auth } = await newService({ limits: { sendsPer10Minutes: 2 } });
    const to = uniqueNumber();
    expect((await sendCode({ phoneNumber: to, message: MESSAGE }, auth)).status).toBe(200);
    const xc = correlator();
    const soon = await sendCode({ phoneNumber: to, message: MESSAGE }, { ...auth, "x-correlator": xc });
    const cooldown = await expectError(soon, 403, "ONE_TIME_PASSWORD_SMS.MAX_OTP_CODES_EXCEEDED", xc);
    expect(cooldown.message).toMatch(/^phoneNumber: /);
    expect(Number(soon.headers.get("retry-after"))).toBeGreaterThan(0);
    await timeTravel(to, 31_000, id);
    expect((await sendCode({ phoneNumber: to, message: MESSAGE }, auth)).status).toBe(200);
    await timeTravel(to, 61_000, id);
    const capped = await sendCode({ phoneNumber: to, message: MESSAGE }, auth);
    expect((await expectError(capped, 403, "ONE_TIME_PASSWORD_SMS.MAX_OTP_CODES_EXCEEDED")).message).toBe("phoneNumber: at most 2 codes per number per 10 minutes");
    expect(await messagesTo(to)).toHaveLength(2);
  });

  it("the same number's object as every other API: a native start inside the cooldown is refused too", async () => {
    const { to } = await sent();
    const native = await call("POST", "/v1/verifications", { to });
    expect(native.status).toBe(429);
    expect(await json(native)).toMatchObject({ details: [{ reason: "resend_too_soon" }] });
  });

  it("PHONE_NUMBER_NOT_ALLOWED: a landline, a number type the rules refuse, a number the provider calls invalid (otp_send_code_403.2, 403.3)", async () => {
    const landline = `+3314000${String(Math.floor(Math.random() * 10_000)).padStart(4, "0")}`; // FR fixed line
    for (const phoneNumber of [landline, "+18005550199" /* toll free */]) {
      const xc = correlator();
      await expectError(await sendCode({ phoneNumber, message: MESSAGE }, { "x-correlator": xc }), 403, "ONE_TIME_PASSWORD_SMS.PHONE_NUMBER_NOT_ALLOWED", xc);
      expect(await messagesTo(phoneNumber)).toHaveLength(0);
    }
    const to = uniqueNumber();
    await fakeTwilioBehaviour(to, { status: 400, body: { code: 21614, message: "'To' number is not a valid mobile number", status: 400 }, times: 1 });
    const refused = await sendCode({ phoneNumber: to, message: MESSAGE });
    expect((await expectError(refused, 403, "ONE_TIME_PASSWORD_SMS.PHONE_NUMBER_NOT_ALLOWED")).message).toBe("phoneNumber: the code could not be delivered (invalid_number)");
  });

  it("PHONE_NUMBER_BLOCKED: a number on the deny list, or one the provider reports unsubscribed (otp_send_code_403.4)", async () => {
    const denied = uniqueNumber();
    expect((await call("PUT", `/v1/lists/deny/${encodeURIComponent(denied)}`, {})).status).toBe(200);
    const xc = correlator();
    const error = await expectError(await sendCode({ phoneNumber: denied, message: MESSAGE }, { "x-correlator": xc }), 403, "ONE_TIME_PASSWORD_SMS.PHONE_NUMBER_BLOCKED", xc);
    expect(error.message).toBe("phoneNumber: this number is on the deny list");
    expect(await messagesTo(denied)).toHaveLength(0);

    const stopped = uniqueNumber();
    await fakeTwilioBehaviour(stopped, { status: 400, body: { code: 21610, message: "Attempt to send to unsubscribed recipient", status: 400 }, times: 1 });
    await expectError(await sendCode({ phoneNumber: stopped, message: MESSAGE }), 403, "ONE_TIME_PASSWORD_SMS.PHONE_NUMBER_BLOCKED");
  });

  it("429: a shared rate (the number range) is TOO_MANY_REQUESTS, the SMS budget QUOTA_EXCEEDED, with Retry-After", async () => {
    const ranged = await newService({ limits: { rangeSendsPerHour: 1 } });
    const first = uniqueNumber();
    const neighbour = `${first.slice(0, -4)}${String((Number(first.slice(-4)) + 1) % 10_000).padStart(4, "0")}`;
    expect((await sendCode({ phoneNumber: first, message: MESSAGE }, ranged.auth)).status).toBe(200);
    const xc = correlator();
    const refused = await sendCode({ phoneNumber: neighbour, message: MESSAGE }, { ...ranged.auth, "x-correlator": xc });
    await expectError(refused, 429, "TOO_MANY_REQUESTS", xc);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await messagesTo(neighbour)).toHaveLength(0);

    const budgeted = await newService({ limits: { smsDailyLimit: 1 } });
    expect((await sendCode({ phoneNumber: uniqueNumber(), message: MESSAGE }, budgeted.auth)).status).toBe(200);
    await expectError(await sendCode({ phoneNumber: uniqueNumber(), message: MESSAGE }, budgeted.auth), 429, "QUOTA_EXCEEDED");
  });

  it("an unknown route under the prefix is NOT_FOUND in CAMARA's shape", async () => {
    const xc = correlator();
    await expectError(await call("POST", `${BASE}/verify-code`, {}, { "x-correlator": xc }), 404, "NOT_FOUND", xc);
    await expectError(await call("GET", `${BASE}/send-code`), 404, "NOT_FOUND");
  });
});

describe("camaraErrorFor", () => {
  const EXPECTED: Record<RefusalReason, [number, string]> = {
    invalid_argument: [400, "INVALID_ARGUMENT"],
    body_too_large: [400, "INVALID_ARGUMENT"],
    lookups_off: [400, "INVALID_ARGUMENT"],
    unauthenticated: [401, "UNAUTHENTICATED"],
    not_found: [404, "NOT_FOUND"],
    already_approved: [400, "ONE_TIME_PASSWORD_SMS.VERIFICATION_EXPIRED"],
    verification_failed: [400, "ONE_TIME_PASSWORD_SMS.VERIFICATION_EXPIRED"],
    rule_refused: [403, "ONE_TIME_PASSWORD_SMS.PHONE_NUMBER_NOT_ALLOWED"],
    resend_too_soon: [403, "ONE_TIME_PASSWORD_SMS.MAX_OTP_CODES_EXCEEDED"],
    limit_reached: [429, "TOO_MANY_REQUESTS"],
    locked: [429, "TOO_MANY_REQUESTS"],
    idempotency_key_reused: [409, "CONFLICT"],
    idempotency_in_progress: [409, "ABORTED"],
    unavailable: [503, "UNAVAILABLE"],
    misconfigured: [503, "UNAVAILABLE"],
  };

  it("the table names every reason there is, and nothing else", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...REFUSAL_REASONS].sort());
  });

  it.each(REFUSAL_REASONS)("%s (validate-code, no rule)", (reason) => {
    const [status, code] = EXPECTED[reason];
    expect(camaraErrorFor(new VerifyError(reason, "x"), "validateCode")).toEqual({ status, code });
  });

  const refined: [RefusalReason, string, CamaraOperation, number, string][] = [
    ["rule_refused", "deny_list", "sendCode", 403, "ONE_TIME_PASSWORD_SMS.PHONE_NUMBER_BLOCKED"],
    ["rule_refused", "landline", "sendCode", 403, "ONE_TIME_PASSWORD_SMS.PHONE_NUMBER_NOT_ALLOWED"],
    ["limit_reached", "sends_per_10_minutes", "sendCode", 403, "ONE_TIME_PASSWORD_SMS.MAX_OTP_CODES_EXCEEDED"],
    ["limit_reached", "sends_per_day", "sendCode", 403, "ONE_TIME_PASSWORD_SMS.MAX_OTP_CODES_EXCEEDED"],
    ["limit_reached", "budget", "sendCode", 429, "QUOTA_EXCEEDED"],
    ["limit_reached", "velocity_country", "sendCode", 429, "TOO_MANY_REQUESTS"],
    ["limit_reached", "conversion_guard", "sendCode", 429, "TOO_MANY_REQUESTS"],
    ["verification_failed", "blocked", "sendCode", 403, "ONE_TIME_PASSWORD_SMS.PHONE_NUMBER_BLOCKED"],
    ["verification_failed", "unsubscribed", "sendCode", 403, "ONE_TIME_PASSWORD_SMS.PHONE_NUMBER_BLOCKED"],
    ["verification_failed", "invalid_number", "sendCode", 403, "ONE_TIME_PASSWORD_SMS.PHONE_NUMBER_NOT_ALLOWED"],
    ["verification_failed", "unavailable", "sendCode", 503, "UNAVAILABLE"],
    ["verification_failed", "blocked", "validateCode", 400, "ONE_TIME_PASSWORD_SMS.VERIFICATION_EXPIRED"],
  ];
  it.each(refined)("%s with rule %s on %s → %i %s", (reason, rule, operation, status, code) => {
    expect(camaraErrorFor(new VerifyError(reason, "x", { rule }), operation)).toEqual({ status, code });
  });
});

describe("camaraCheckError", () => {
  const cases: [CheckStatus, string, number | null, string | null][] = [
    ["approved", "approved", null, null],
    ["invalid", "pending", 400, "ONE_TIME_PASSWORD_SMS.INVALID_OTP"],
    ["invalid", "max_attempts_reached", 400, "ONE_TIME_PASSWORD_SMS.VERIFICATION_FAILED"],
    ["expired", "pending", 400, "ONE_TIME_PASSWORD_SMS.VERIFICATION_EXPIRED"],
    ["expired", "expired", 400, "ONE_TIME_PASSWORD_SMS.VERIFICATION_EXPIRED"],
    ["canceled", "canceled", 400, "ONE_TIME_PASSWORD_SMS.VERIFICATION_EXPIRED"],
    ["max_attempts_reached", "max_attempts_reached", 400, "ONE_TIME_PASSWORD_SMS.VERIFICATION_FAILED"],
  ];
  it.each(cases)("%s (verification %s) → %s %s", (status, verification, httpStatus, code) => {
    const error = camaraCheckError(status, { status: verification as "pending" });
    expect(error && { status: error.status, code: error.code }).toEqual(httpStatus === null ? null : { status: httpStatus, code });
  });
});
