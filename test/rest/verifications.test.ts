import { describe, expect, it } from "vitest";
import { call, json, latestCode, messagesTo, timeTravel, uniqueNumber, wrongCode, fakeTwilioBehaviour } from "../helpers.ts";

describe("REST /v1/verifications", () => {
  it("a property the request does not have is refused with 400 naming it, and sends nothing", async () => {
    const to = uniqueNumber();
    const typo = await call("POST", "/v1/verifications", { to, timeoutSecond: 60 });
    expect(typo.status).toBe(400);
    expect(await json(typo)).toMatchObject({ code: "invalid_argument", message: "timeoutSecond: is not a field of a start request", details: [{ field: "timeoutSecond" }] });
    expect(await messagesTo(to)).toHaveLength(0);
    // The number's limits were not touched: a real start goes through at once.
    const started = await json(await call("POST", "/v1/verifications", { to }));
    const code = await latestCode(to);
    const extra = await call("POST", "/v1/verifications/check", { verificationId: started.id, code, phone: to });
    expect(extra.status).toBe(400);
    expect(await json(extra)).toMatchObject({ code: "invalid_argument", details: [{ field: "phone" }] });
    // Nothing counted: the right code still approves on the first attempt.
    expect(await json(await call("POST", "/v1/verifications/check", { verificationId: started.id, code }))).toMatchObject({ status: "approved", verification: { checkAttempts: 0 } });
  });

  it("start → SMS → wrong code → right code → reuse refused", async () => {
    const to = uniqueNumber();
    const started = await call("POST", "/v1/verifications", { to, serviceName: "Acme", externalId: "user-42", tags: { flow: "signup" } });
    expect(started.status).toBe(201);
    const startText = await started.text();
    const verification = JSON.parse(startText);
    expect(verification).toMatchObject({
      to,
      channel: "sms",
      status: "pending",
      sendAttempts: 1,
      checkAttempts: 0,
      externalId: "user-42",
      tags: { flow: "signup" },
      lookup: { countryCode: "US", lineType: "fixed_line_or_mobile" },
    });
    expect(verification.id).toMatch(/^ve_[A-Za-z0-9_-]{64}$/);
    expect(verification.messageId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(Date.parse(verification.expireTime) - Date.parse(verification.createTime)).toBe(600_000);

    const messages = await messagesTo(to);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.body).toMatch(/^\d{6} is your Acme verification code\. It expires in 10 minutes\.$/);
    const code = await latestCode(to);
    expect(startText).not.toContain(code);

    const wrong = await call("POST", "/v1/verifications/check", { verificationId: verification.id, code: wrongCode(code) });
    expect(wrong.status).toBe(200);
    const wrongBody = await wrong.text();
    expect(JSON.parse(wrongBody)).toMatchObject({ status: "invalid", verification: { status: "pending", checkAttempts: 1 } });
    expect(wrongBody).not.toContain(code);

    const right = await call("POST", "/v1/verifications/check", { verificationId: verification.id, code });
    const rightBody = await right.text();
    expect(right.status).toBe(200);
    expect(JSON.parse(rightBody)).toMatchObject({ status: "approved", verification: { status: "approved" } });
    expect(rightBody).not.toContain(code);

    const reuse = await call("POST", "/v1/verifications/check", { verificationId: verification.id, code });
    expect(reuse.status).toBe(400);
    expect(await json(reuse)).toMatchObject({ code: "failed_precondition", details: [{ reason: "already_approved" }] });

    const fetched = await json(await call("GET", `/v1/verifications/${verification.id}`));
    expect(fetched).toMatchObject({ id: verification.id, status: "approved", checkAttempts: 1 });
    expect(JSON.stringify(fetched)).not.toContain(code);
  });

  it("checks by number: the latest pending verification", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to, codeLength: 8 }));
    const code = await latestCode(to);
    expect(code).toHaveLength(8);
    const result = await json(await call("POST", "/v1/verifications/check", { to, code }));
    expect(result).toMatchObject({ status: "approved", verification: { id: v.id } });
  });

  it("checks by number after the attempts are used up answer max_attempts_reached, as by id; after expiry, no pending", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to }));
    const code = await latestCode(to);
    for (let i = 0; i < 5; i++) await call("POST", "/v1/verifications/check", { to, code: wrongCode(code) });
    const byNumber = await call("POST", "/v1/verifications/check", { to, code });
    expect(byNumber.status).toBe(200);
    expect(await json(byNumber)).toMatchObject({ status: "max_attempts_reached", verification: { id: v.id, status: "max_attempts_reached", checkAttempts: 5 } });
    await timeTravel(to, 601_000);
    expect((await call("POST", "/v1/verifications/check", { to, code })).status).toBe(404);
  });

  it("the README's development test number +15005550100 answers test: true and takes 123456", async () => {
    const started = await call("POST", "/v1/verifications", { to: "+15005550100" });
    expect(started.status).toBe(201);
    const v = await json(started);
    expect(v).toMatchObject({ test: true, status: "pending" });
    expect(await messagesTo("+15005550100")).toHaveLength(0);
    expect(await json(await call("POST", "/v1/verifications/check", { verificationId: v.id, code: "123456" }))).toMatchObject({ status: "approved" });
  });

  it("refuses a check whose number does not match the verification", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to }));
    const code = await latestCode(to);
    const response = await call("POST", "/v1/verifications/check", { verificationId: v.id, to: uniqueNumber(), code });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ code: "invalid_argument", details: [{ field: "to" }] });
    // The refusal consumed nothing: the right code still works.
    expect(await json(await call("POST", "/v1/verifications/check", { verificationId: v.id, code }))).toMatchObject({
      status: "approved",
      verification: { checkAttempts: 0 },
    });
  });

  it("a second start while pending keeps the id, sends a new code, and keeps the failure count", async () => {
    const to = uniqueNumber();
    const first = await json(await call("POST", "/v1/verifications", { to }));
    const oldCode = await latestCode(to);
    await call("POST", "/v1/verifications/check", { verificationId: first.id, code: wrongCode(oldCode) });
    await timeTravel(to, 31_000); // past the first resend cooldown
    const second = await json(await call("POST", "/v1/verifications", { to }));
    expect(second).toMatchObject({ id: first.id, sendAttempts: 2, checkAttempts: 1, status: "pending" });
    expect(await messagesTo(to)).toHaveLength(2);
    const newCode = await latestCode(to);
    if (newCode !== oldCode) {
      const old = await json(await call("POST", "/v1/verifications/check", { verificationId: first.id, code: oldCode }));
      expect(old).toMatchObject({ status: "invalid", verification: { checkAttempts: 2 } });
    }
    expect(await json(await call("POST", "/v1/verifications/check", { verificationId: first.id, code: newCode }))).toMatchObject({
      status: "approved",
    });
  });

  it("five wrong codes end the verification; even the right code then fails", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to }));
    const code = await latestCode(to);
    const statuses: string[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await json(await call("POST", "/v1/verifications/check", { verificationId: v.id, code: wrongCode(code) }))).status);
    }
    expect(statuses).toEqual(["invalid", "invalid", "invalid", "invalid", "invalid", "max_attempts_reached"]);
    const right = await json(await call("POST", "/v1/verifications/check", { verificationId: v.id, code }));
    expect(right).toMatchObject({ status: "max_attempts_reached", verification: { status: "max_attempts_reached", checkAttempts: 5 } });
  });

  it("cancel ends the verification; its code stops working", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to }));
    const code = await latestCode(to);
    const canceled = await call("POST", `/v1/verifications/${v.id}/cancel`);
    expect(canceled.status).toBe(200);
    expect(await json(canceled)).toMatchObject({ id: v.id, status: "canceled" });
    expect(await json(await call("POST", "/v1/verifications/check", { verificationId: v.id, code }))).toMatchObject({ status: "canceled" });
    // A cancel does not lift the resend cooldown (or cancel + start would bypass it)...
    const tooSoon = await call("POST", "/v1/verifications", { to });
    expect(tooSoon.status).toBe(429);
    // ...and once it has passed, a new start is a new verification.
    await timeTravel(to, 31_000);
    const response = await call("POST", "/v1/verifications", { to });
    expect(response.status).toBe(201);
    expect((await json(response)).id).not.toBe(v.id);
  });

  it("unknown and malformed ids answer 404 alike", async () => {
    const v = await json(await call("POST", "/v1/verifications", { to: uniqueNumber() }));
    const forged = v.id.slice(0, -4) + (v.id.endsWith("AAAA") ? "BBBB" : "AAAA");
    for (const id of [forged, "ve_nope", "not-an-id"]) {
      const response = await call("GET", `/v1/verifications/${id}`);
      expect(response.status).toBe(404);
      expect(await json(response)).toMatchObject({ code: "not_found" });
    }
  });

  it("a provider refusal leaves the verification failed with a mapped reason", async () => {
    const to = uniqueNumber();
    await fakeTwilioBehaviour(to, { status: 400, body: { code: 21211, message: "The 'To' number is not a valid phone number.", status: 400 }, times: 1 });
    const response = await call("POST", "/v1/verifications", { to });
    expect(response.status).toBe(201);
    const v = await json(response);
    expect(v).toMatchObject({ status: "failed", failureReason: "invalid_number", messageId: "" });
    expect(JSON.stringify(v)).not.toContain("21211");
  });
});

describe("REST bad input: 4xx naming the field, nothing sent", () => {
  const cases: Array<[string, unknown, string]> = [
    ["missing number", {}, "to"],
    ["malformed number", { to: "12345" }, "to"],
    ["letters", { to: "+1415CALLNOW" }, "to"],
    ["invalid for its region", { to: "+1415555" }, "to"],
    ["number as a JSON number", { to: 14155550100 }, "to"],
    ["code length too short", { to: "+14155550100", codeLength: 3 }, "codeLength"],
    ["code length too long", { to: "+14155550100", codeLength: 11 }, "codeLength"],
    ["code length as string", { to: "+14155550100", codeLength: "6" }, "codeLength"],
    ["timeout too short", { to: "+14155550100", timeoutSeconds: 59 }, "timeoutSeconds"],
    ["timeout too long", { to: "+14155550100", timeoutSeconds: 3601 }, "timeoutSeconds"],
    ["service name too long", { to: "+14155550100", serviceName: "x".repeat(31) }, "serviceName"],
    ["service name with URL", { to: "+14155550100", serviceName: "go to evil.com now" }, "serviceName"],
    // Issue 17, item 3: these were sent ("060909 is your (evil.com) verification code…").
    ["service name with a bracketed domain", { to: "+14155550100", serviceName: "(evil.com)" }, "serviceName"],
    ["service name with a domain before punctuation", { to: "+14155550100", serviceName: "Visit evil.com." }, "serviceName"],
    ["service name with a fullwidth domain", { to: "+14155550100", serviceName: "ｅｖｉｌ．ｃｏｍ" }, "serviceName"],
    ["service name with an ideographic dot", { to: "+14155550100", serviceName: "evil。com" }, "serviceName"],
    ["service name split by a zero-width space", { to: "+14155550100", serviceName: "evil\u200b.com" }, "serviceName"],
    ["service name with control char", { to: "+14155550100", serviceName: "Acme\nBank" }, "serviceName"],
    ["tags not strings", { to: "+14155550100", tags: { a: 1 } }, "tags"],
    ["locale not a tag", { to: "+14155550100", locale: "english please" }, "locale"],
  ];
  for (const [name, body, field] of cases) {
    it(`start: ${name}`, async () => {
      const to = typeof (body as { to?: unknown }).to === "string" ? (body as { to: string }).to : "";
      const before = to ? (await messagesTo(to)).length : 0;
      const response = await call("POST", "/v1/verifications", body);
      expect(response.status).toBe(400);
      const error = await json(response);
      expect(error).toMatchObject({ code: "invalid_argument", details: [{ field }] });
      expect(error.message).toContain(field);
      if (to) expect(await messagesTo(to)).toHaveLength(before);
    });
  }

  it("malformed JSON is a 400, not a 500", async () => {
    const response = await call("POST", "/v1/verifications", "{not json");
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ code: "invalid_argument", details: [{ field: "body" }] });
  });

  it("a JSON array body is a 400", async () => {
    const response = await call("POST", "/v1/verifications", "[1,2]");
    expect(response.status).toBe(400);
  });

  it("check: malformed code and missing id are refused without using an attempt", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to }));
    for (const [body, field] of [
      [{ verificationId: v.id, code: "12ab56" }, "code"],
      [{ verificationId: v.id, code: 123456 }, "code"],
      [{ verificationId: v.id }, "code"],
      [{ code: "123456" }, "verificationId"],
      [{ to: "not a number", code: "123456" }, "to"],
    ] as const) {
      const response = await call("POST", "/v1/verifications/check", body);
      expect(response.status).toBe(400);
      expect(await json(response)).toMatchObject({ code: "invalid_argument", details: [{ field }] });
    }
    expect(await json(await call("GET", `/v1/verifications/${v.id}`))).toMatchObject({ checkAttempts: 0, status: "pending" });
  });

  it("missing or wrong API key: 401 and nothing sent", async () => {
    const to = uniqueNumber();
    for (const authorization of ["", "Bearer wrong-key", "Basic ev_dev_local_only_key", "Bearer"]) {
      const response = await call("POST", "/v1/verifications", { to }, { authorization });
      expect(response.status).toBe(401);
      expect(await json(response)).toMatchObject({ code: "unauthenticated" });
    }
    expect(await messagesTo(to)).toHaveLength(0);
  });

  it("unknown routes answer a JSON 404", async () => {
    const response = await call("GET", "/v1/nothing-here");
    expect(response.status).toBe(404);
    expect(await json(response)).toMatchObject({ code: "not_found" });
  });
});
