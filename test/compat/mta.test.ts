// Mobile Text Alerts compatibility: /v3/verify/sms/send-code and /check-code as MTA documents them.
import { describe, expect, it } from "vitest";
import { mtaErrorFor } from "../../src/compat/mta.ts";
import { REFUSAL_REASONS, type RefusalReason } from "../../src/core/errors.ts";
import { validatorFor } from "../../src/rest/validate.ts";
import { call, fakeTwilioBehaviour, json, latestCode, messagesTo, timeTravel, uniqueNumber, wrongCode } from "../helpers.ts";

const sendCode = (body: unknown, headers: Record<string, string> = {}) => call("POST", "/v3/verify/sms/send-code", body, headers);
const checkCode = (body: unknown, headers: Record<string, string> = {}) => call("POST", "/v3/verify/sms/check-code", body, headers);

describe("Mobile Text Alerts /v3/verify/sms", () => {
  it("send-code → check-code: MTA's fields, defaults and envelope", async () => {
    const to = uniqueNumber();
    const sent = await sendCode({ to, serviceName: "Acme", externalId: "user-7", tags: { flow: "login" } });
    expect(sent.status).toBe(200);
    const body = await json(sent);
    const data = {
      to,
      timeoutSeconds: 300,
      type: "sms",
      status: "PENDING",
      messageId: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      verificationId: expect.stringMatching(/^ve_/),
      deliverable: true,
      reason: "",
      carrier: "",
      lineType: "unknown",
    };
    expect(body).toEqual({ success: true, message: "Verification code sent.", data, ...data });
    expect(body).not.toHaveProperty("risk");

    const messages = await messagesTo(to);
    expect(messages).toHaveLength(1);
    // MTA's defaults: 6 digits, 5 minutes.
    expect(messages[0]!.body).toMatch(/^\d{6} is your Acme verification code\. It expires in 5 minutes\.$/);
    const code = await latestCode(to);

    const wrong = await checkCode({ verificationId: body.verificationId, code: wrongCode(code) });
    expect(wrong.status).toBe(200);
    expect(await json(wrong)).toMatchObject({ success: true, to, verificationId: body.verificationId, status: "INVALID", data: { status: "INVALID" } });

    // By number alone; the answer still carries the verificationId.
    const right = await checkCode({ to, code });
    expect(await json(right)).toMatchObject({ to, verificationId: body.verificationId, status: "APPROVED" });

    // A used code never approves again.
    const again = await checkCode({ verificationId: body.verificationId, code });
    expect(again.status).toBe(400);
    expect(await json(again)).toMatchObject({ success: false, error: "BadRequestError", reason: "already_approved" });
  });

  it("codeLength and timeoutSeconds within MTA's bounds", async () => {
    const to = uniqueNumber();
    const sent = await json(await sendCode({ to, serviceName: "Acme", codeLength: 8, timeoutSeconds: 120 }));
    expect(sent).toMatchObject({ timeoutSeconds: 120, status: "PENDING" });
    expect((await messagesTo(to))[0]!.body).toMatch(/^\d{8} is your Acme verification code\. It expires in 2 minutes\.$/);
  });

  it("a code checked after timeoutSeconds is EXPIRED", async () => {
    const to = uniqueNumber();
    const sent = await json(await sendCode({ to, serviceName: "Acme" }));
    const code = await latestCode(to);
    await timeTravel(to, 301_000);
    const checked = await checkCode({ verificationId: sent.verificationId, to, code });
    expect(checked.status).toBe(200);
    expect(await json(checked)).toMatchObject({ status: "EXPIRED", verificationId: sent.verificationId });
  });

  it("a repeated X-Request-Id answers 409 and sends nothing", async () => {
    const to = uniqueNumber();
    const headers = { "x-request-id": `req${crypto.randomUUID().replace(/-/g, "")}` };
    const first = await sendCode({ to, serviceName: "Acme" }, headers);
    expect(first.status).toBe(200);
    const duplicate = await sendCode({ to, serviceName: "Acme" }, headers);
    expect(duplicate.status).toBe(409);
    expect(await json(duplicate)).toEqual({ success: false, error: "ConflictError", message: "X-Request-Id: duplicate request; nothing was sent", reason: "duplicate_request" });
    // The same id with another body is a duplicate too.
    const reused = await sendCode({ to, serviceName: "Other" }, headers);
    expect(reused.status).toBe(409);
    expect(await messagesTo(to)).toHaveLength(1);
  });

  it("bad input is a 400 naming the field, and nothing is sent", async () => {
    const to = uniqueNumber();
    const cases: [unknown, string][] = [
      [{ to, codeLength: 9 }, "codeLength"],
      [{ to, codeLength: 3 }, "codeLength"],
      [{ to, codeLength: "6" }, "codeLength"],
      [{ to, timeoutSeconds: 5 }, "timeoutSeconds"],
      [{ to, bypass: "yes" }, "bypass"],
      [{ to, longcodeId: "x" }, "longcodeId"],
      [{ to: "415-555-0100" }, "to"],
      [{}, "to"],
      [{ to, serviceName: "visit https://evil.example" }, "serviceName"],
      [{ to, serviceName: "(evil.com)" }, "serviceName"],
      [{ to, serviceName: "evil\u200b.com" }, "serviceName"],
      [{ to, tags: ["a"] }, "tags"],
      ["[1, 2]", "body"],
      ["{not json", "body"],
    ];
    for (const [body, field] of cases) {
      const response = await sendCode(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const error = await json(response);
      expect(error).toMatchObject({ success: false, error: "BadRequestError", reason: "invalid_argument" });
      expect(error.message.startsWith(`${field}:`), error.message).toBe(true);
    }
    const badHeader = await sendCode({ to }, { "x-request-id": "has space" });
    expect(badHeader.status).toBe(400);
    expect((await json(badHeader)).message).toMatch(/^X-Request-Id:/);
    expect(await messagesTo(to)).toHaveLength(0);

    const noCode = await checkCode({ to });
    expect(noCode.status).toBe(400);
    expect((await json(noCode)).message).toMatch(/^code:/);
    const noTarget = await checkCode({ code: "123456" });
    expect(noTarget.status).toBe(400);
    const unknown = await checkCode({ to, code: "123456" });
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toMatchObject({ success: false, error: "NotFoundError" });
  });

  it("bypass reports risk; operator rules still apply", async () => {
    const to = uniqueNumber();
    const sent = await json(await sendCode({ to, serviceName: "Acme", bypass: true, realtime: true, poolId: 3 }));
    expect(sent).toMatchObject({ status: "PENDING", risk: null, data: { risk: null } });

    const landline = await sendCode({ to: "+442079460123", serviceName: "Acme", bypass: true });
    expect(landline.status).toBe(403);
    expect(await json(landline)).toMatchObject({ success: false, error: "ForbiddenError", reason: "landline" });
  });

  it("a code the provider refused to deliver is a 400 with deliverable: false", async () => {
    const to = uniqueNumber();
    await fakeTwilioBehaviour(to, { status: 400, body: { code: 21211, message: "The 'To' number is not a valid phone number.", status: 400 }, times: 1 });
    const response = await sendCode({ to, serviceName: "Acme", bypass: true });
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body).toMatchObject({ success: false, error: "BadRequestError", deliverable: false, reason: "invalid_number", risk: "unknown" });
    expect(body.message).toBe("to: the code could not be delivered (invalid_number)");
    expect(validatorFor("MtaSendCodeFailed").validate(body).errors).toEqual([]);
  });

  it("needs a valid Bearer API key", async () => {
    const to = uniqueNumber();
    for (const authorization of ["", "Bearer wrong-key-wrong-key", "Basic ZXZfZGV2X2xvY2FsX29ubHlfa2V5Og=="]) {
      const response = await sendCode({ to }, { authorization });
      expect(response.status).toBe(401);
      expect(await json(response)).toMatchObject({ success: false, error: "UnauthorizedError" });
      expect((await checkCode({ to, code: "123456" }, { authorization })).status).toBe(401);
    }
    expect(await messagesTo(to)).toHaveLength(0);
  });
});

describe("mtaErrorFor", () => {
  const EXPECTED: Record<RefusalReason, [number, string]> = {
    invalid_argument: [400, "BadRequestError"],
    body_too_large: [400, "BadRequestError"],
    already_approved: [400, "BadRequestError"],
    verification_failed: [400, "BadRequestError"],
    lookups_off: [400, "BadRequestError"],
    unauthenticated: [401, "UnauthorizedError"],
    rule_refused: [403, "ForbiddenError"],
    not_found: [404, "NotFoundError"],
    idempotency_key_reused: [409, "ConflictError"],
    idempotency_in_progress: [409, "ConflictError"],
    resend_too_soon: [429, "TooManyRequestsError"],
    limit_reached: [429, "TooManyRequestsError"],
    locked: [429, "TooManyRequestsError"],
    unavailable: [503, "ServiceUnavailableError"],
    misconfigured: [503, "ServiceUnavailableError"],
  };

  it("the table names every reason there is, and nothing else", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...REFUSAL_REASONS].sort());
  });

  it.each(REFUSAL_REASONS)("%s", (reason) => {
    const [status, error] = EXPECTED[reason];
    expect(mtaErrorFor(reason)).toEqual({ status, error });
  });
});
