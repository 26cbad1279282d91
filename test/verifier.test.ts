// The verifier on its own: createVerifier called directly in workerd with typed requests (made by
// core/requests.ts's validators, as every transport makes them), against the real Durable Objects
// and the fake Twilio. Start, check, get and cancel paths, the lists, erasure and lookups, and each
// refusal as a VerifyError with its reason, field and rule, before any wire format is involved.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { authenticate } from "../src/auth.ts";
import { loadConfig, type Config } from "../src/config.ts";
import { VerifyError, type RefusalReason } from "../src/core/errors.ts";
import { validateCheckRequest, validateListChange, validateListPage, validateStartRequest, validateVerificationId } from "../src/core/requests.ts";
import { createVerifier, type Verifier } from "../src/verifier.ts";
import { DEV_KEY, latestCode, messagesTo, uniqueNumber, wrongCode } from "./helpers.ts";

async function verifierFor(adjust: (config: Config) => Config = (c) => c): Promise<Verifier> {
  const config = loadConfig(env);
  const principal = await authenticate(`Bearer ${DEV_KEY}`, env, config);
  return createVerifier({ env, config: adjust(config), principal: principal! });
}

/** The refusal `call` ends in, as the fields a transport renders. */
async function refusal(call: Promise<unknown>): Promise<{ reason: RefusalReason; field?: string; rule?: string; message: string; retryAfterSeconds?: number }> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof VerifyError)) throw error;
    return { reason: error.reason, message: error.message, ...error.details };
  }
  throw new Error("the call was not refused");
}

const start = (to: string, fields: Parameters<typeof validateStartRequest>[0] = {}) => validateStartRequest({ to, ...fields });

describe("start → check → get", () => {
  it("sends a code, refuses a wrong one, approves the right one once", async () => {
    const verifier = await verifierFor();
    const to = uniqueNumber();
    const { verification, replayed } = await verifier.start(start(to, { codeLength: 8, externalId: "user-7", tags: { flow: "login" } }));
    expect(replayed).toBe(false);
    expect(verification).toMatchObject({ to, status: "pending", channel: "sms", sendAttempts: 1, externalId: "user-7", tags: { flow: "login" }, test: false });
    expect(verification.id).toMatch(/^ve_/);
    const code = await latestCode(to);
    expect(code).toMatch(/^\d{8}$/);

    const wrong = await verifier.check(validateCheckRequest({ verificationId: verification.id, code: wrongCode(code) }));
    expect(wrong).toMatchObject({ status: "invalid", replayed: false, verification: { status: "pending", checkAttempts: 1 } });
    // By number: the number's latest pending verification.
    const right = await verifier.check(validateCheckRequest({ to, code }));
    expect(right).toMatchObject({ status: "approved", verification: { id: verification.id, status: "approved" } });
    expect(await verifier.get(validateVerificationId(verification.id))).toMatchObject({ id: verification.id, status: "approved" });

    expect(await refusal(verifier.check(validateCheckRequest({ verificationId: verification.id, code })))).toMatchObject({ reason: "already_approved", field: "verificationId" });
  });

  it("a second start too soon is refused with when to retry; nothing more is sent", async () => {
    const verifier = await verifierFor();
    const to = uniqueNumber();
    await verifier.start(start(to));
    const again = await refusal(verifier.start(start(to)));
    expect(again).toMatchObject({ reason: "resend_too_soon", field: "to" });
    expect(again.retryAfterSeconds).toBeGreaterThan(0);
    expect(await messagesTo(to)).toHaveLength(1);
  });

  it("a test number gets its fixed code and no message", async () => {
    const verifier = await verifierFor();
    const { verification } = await verifier.start(start("+15005550100"));
    expect(verification).toMatchObject({ test: true, status: "pending" });
    expect(await messagesTo("+15005550100")).toHaveLength(0);
    expect(await verifier.check(validateCheckRequest({ verificationId: verification.id, code: "123456" }))).toMatchObject({ status: "approved" });
  });
});

describe("cancel", () => {
  it("cancels a pending verification (again: the same answer); a check then says canceled", async () => {
    const verifier = await verifierFor();
    const to = uniqueNumber();
    const { verification } = await verifier.start(start(to));
    const id = validateVerificationId(verification.id);
    expect((await verifier.cancel(id)).verification.status).toBe("canceled");
    expect((await verifier.cancel(id)).verification.status).toBe("canceled");
    expect((await verifier.check(validateCheckRequest({ verificationId: id, code: await latestCode(to) }))).status).toBe("canceled");
  });

  it("an approved verification cannot be canceled", async () => {
    const verifier = await verifierFor();
    const to = uniqueNumber();
    const { verification } = await verifier.start(start(to));
    await verifier.check(validateCheckRequest({ to, code: await latestCode(to) }));
    expect(await refusal(verifier.cancel(validateVerificationId(verification.id)))).toEqual({
      reason: "invalid_argument",
      field: "verificationId",
      message: "verificationId: only a pending verification can be canceled (it is approved)",
    });
  });
});

describe("idempotency keys", () => {
  it("the same key and request replay the answer; another request under the key is refused", async () => {
    const verifier = await verifierFor();
    const to = uniqueNumber();
    const idempotencyKey = `k-${crypto.randomUUID()}`;
    const first = await verifier.start(start(to), { idempotencyKey });
    const replay = await verifier.start(start(to), { idempotencyKey });
    expect(replay).toMatchObject({ replayed: true, verification: { id: first.verification.id } });
    expect(await refusal(verifier.start(start(to, { locale: "de" }), { idempotencyKey }))).toMatchObject({
      reason: "idempotency_key_reused",
      field: "Idempotency-Key",
      message: "Idempotency-Key: already used with a different request",
    });
    expect(await messagesTo(to)).toHaveLength(1);
  });
});

describe("refusals before any object is asked", () => {
  it("a number the rules refuse: rule_refused, naming the rule", async () => {
    const verifier = await verifierFor();
    expect(await refusal(verifier.start(start("+442079460123")))).toMatchObject({ reason: "rule_refused", field: "to", rule: "landline" });
  });

  it("a number that is no number: invalid_argument on the field the request names", async () => {
    const verifier = await verifierFor();
    expect(await refusal(verifier.start(start("415-555-0100")))).toMatchObject({ reason: "invalid_argument", field: "to" });
    expect(await refusal(verifier.check(validateCheckRequest({ to: "+1415", code: "1234" })))).toMatchObject({ reason: "invalid_argument", field: "to" });
    expect(await refusal(verifier.erase("nope"))).toMatchObject({ reason: "invalid_argument", field: "phoneNumber" });
  });

  it("a channel or WebOTP domain this deployment does not offer", async () => {
    const verifier = await verifierFor((config) => ({ ...config, channels: { whatsapp: false, call: false }, webOtpDomains: new Set(["example.com"]) }));
    expect(await refusal(verifier.start(start(uniqueNumber(), { channel: "call" })))).toMatchObject({
      reason: "invalid_argument",
      field: "channel",
      message: "channel: call is not configured on this deployment",
    });
    expect(await refusal(verifier.start(start(uniqueNumber(), { channels: ["sms", "whatsapp"] })))).toMatchObject({ reason: "invalid_argument", field: "channels[1]" });
    expect(await refusal(verifier.start(start(uniqueNumber(), { webOtpDomain: "other.example" })))).toMatchObject({ reason: "invalid_argument", field: "webOtpDomain" });
  });

  it("an id that was never issued is not_found, as an unknown one", async () => {
    const verifier = await verifierFor();
    for (const id of ["ve_nope", "ve_" + "0".repeat(64)]) {
      expect(await refusal(verifier.get(validateVerificationId(id)))).toMatchObject({ reason: "not_found", field: "verificationId" });
      expect(await refusal(verifier.cancel(validateVerificationId(id)))).toMatchObject({ reason: "not_found", field: "verificationId" });
    }
  });

  it("a check for a number with nothing pending is not_found", async () => {
    const verifier = await verifierFor();
    expect(await refusal(verifier.check(validateCheckRequest({ to: uniqueNumber(), code: "123456" })))).toMatchObject({ reason: "not_found" });
  });

  it("a carrier lookup with LOOKUP_PROVIDER off: lookups_off", async () => {
    const verifier = await verifierFor();
    expect(await refusal(verifier.lookup({ phoneNumber: uniqueNumber() }))).toMatchObject({ reason: "lookups_off", field: "phoneNumber" });
  });
});

describe("lists and erasure", () => {
  it("a denied number is refused by rule; listed, paged, removed; erased", async () => {
    const verifier = await verifierFor();
    const to = uniqueNumber();
    const entry = await verifier.setListed(validateListChange({ list: "deny", phoneNumber: to, listed: true, note: "fraud" }));
    expect(entry).toMatchObject({ list: "deny", phoneNumber: to, note: "fraud" });
    expect(await refusal(verifier.start(start(to)))).toMatchObject({ reason: "rule_refused", rule: "deny_list" });
    const page = await verifier.listEntries(validateListPage({ list: "deny", pageSize: PAGE }));
    expect(page.entries.length).toBeLessThanOrEqual(PAGE);

    expect(await verifier.setListed(validateListChange({ list: "deny", phoneNumber: to, listed: false }))).toBeNull();
    const { verification } = await verifier.start(start(to));
    expect(verification.status).toBe("pending");
    expect(await verifier.erase(to)).toEqual({ phoneNumber: to, verificationsDeleted: 1 });
    expect(await refusal(verifier.get(validateVerificationId(verification.id)))).toMatchObject({ reason: "not_found" });
  });
});

const PAGE = 5;
