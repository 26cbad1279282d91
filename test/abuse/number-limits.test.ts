// Per-number limits: growing resend cooldown, sends per 10 minutes and per day, the 24-hour
// wrong-code lock-out, and which failed sends count.
import { describe, expect, it } from "vitest";
import { CLIENTS, rest } from "../clients.ts";
import { call, fakeTwilioBehaviour, json, latestCode, messagesTo, timeTravel, uniqueNumber, wrongCode } from "../helpers.ts";

describe("per-number send limits", () => {
  it("the cooldown grows 30 s, 60 s, 120 s, then 300 s, and a refusal carries Retry-After", async () => {
    const to = uniqueNumber();
    expect((await call("POST", "/v1/verifications", { to })).status).toBe(201);
    for (const wait of [30, 60, 120, 300, 300]) {
      const refused = await call("POST", "/v1/verifications", { to });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBe(wait);
      expect(await json(refused)).toMatchObject({
        code: "resource_exhausted",
        details: [{ reason: "resend_too_soon", rule: "resend_cooldown", retryAfterSeconds: wait, field: "to" }],
      });
      await timeTravel(to, (wait - 1) * 1000);
      expect((await call("POST", "/v1/verifications", { to })).status).toBe(429);
      await timeTravel(to, 1000);
      if (wait === 300) break; // a 5th send within 10 minutes would hit that limit instead
      expect((await call("POST", "/v1/verifications", { to })).status).toBe(201);
    }
  });

  it("at most 5 sends per 10 minutes and 10 per 24 hours", async () => {
    // Approvals restart the cooldown ladder, so these sends come back to back: only the window
    // limits can stop them.
    const to = uniqueNumber();
    const startAndApprove = async () => {
      const response = await call("POST", "/v1/verifications", { to });
      if (response.status !== 201) return response;
      const { id } = await json(response);
      expect(await json(await call("POST", "/v1/verifications/check", { verificationId: id, code: await latestCode(to) }))).toMatchObject({
        status: "approved",
      });
      return response;
    };
    for (let i = 0; i < 5; i++) expect((await startAndApprove()).status).toBe(201);
    const tenMinutes = await startAndApprove();
    expect(tenMinutes.status).toBe(429);
    expect(await json(tenMinutes)).toMatchObject({ details: [{ rule: "sends_per_10_minutes" }] });

    await timeTravel(to, 10 * 60_000);
    for (let i = 0; i < 5; i++) expect((await startAndApprove()).status).toBe(201);
    await timeTravel(to, 10 * 60_000);
    const day = await startAndApprove();
    expect(day.status).toBe(429);
    const body = await json(day);
    expect(body).toMatchObject({ details: [{ rule: "sends_per_day" }] });
    expect(body.details[0].retryAfterSeconds).toBeGreaterThan(23 * 3600);
    expect(await messagesTo(to)).toHaveLength(10);
  });

  it("a send the provider definitely refused does not use up the allowance", async () => {
    const to = uniqueNumber();
    await fakeTwilioBehaviour(to, { status: 400, body: { code: 21610, message: "unsubscribed", status: 400 }, times: 1 });
    const first = await json(await call("POST", "/v1/verifications", { to }));
    expect(first).toMatchObject({ status: "failed", failureReason: "unsubscribed", risk: ["unsubscribed"] });
    // No cooldown: the refused send was given back.
    const second = await call("POST", "/v1/verifications", { to });
    expect(second.status).toBe(201);
    expect(await json(second)).toMatchObject({ status: "pending", sendAttempts: 1 });
  });

  it("a send with an unknown outcome (timeout) counts", async () => {
    const to = uniqueNumber();
    await fakeTwilioBehaviour(to, { delayMs: 2500, times: 3 });
    const first = await json(await call("POST", "/v1/verifications", { to }));
    expect(first).toMatchObject({ status: "failed", failureReason: "unavailable" });
    expect((await call("POST", "/v1/verifications", { to })).status).toBe(429);
  }, 30_000);
});

describe("wrong codes per number per 24 hours", () => {
  for (const client of CLIENTS) {
    it(`20 wrong codes across verifications lock the number over ${client.name}; only an approval resets`, async () => {
      const to = uniqueNumber();
      let wrong = 0;
      let id = "";
      while (wrong < 20) {
        const started = await client.start({ to });
        expect(started.code).toBe("ok");
        id = started.id!;
        const code = await latestCode(to);
        for (let i = 0; i < 5 && wrong < 20; i++, wrong++) {
          expect((await client.check({ verificationId: id, code: wrongCode(code) })).status).toBe("invalid");
        }
        await timeTravel(to, 301_000);
        await timeTravel(to, 10 * 60_000); // clear the 10-minute send window between rounds
      }
      const locked = await client.start({ to });
      expect(locked).toMatchObject({ code: "resource_exhausted", rule: "failed_checks_per_day" });
      expect(locked.retryAfterSeconds).toBeGreaterThan(0);
      await timeTravel(to, 24 * 3600_000);
      expect((await client.start({ to })).code).toBe("ok");
    }, 30_000);
  }

  it("an approval resets the count; a new code does not", async () => {
    const to = uniqueNumber();
    const { id } = await rest.start({ to });
    const code = await latestCode(to);
    for (let i = 0; i < 4; i++) await rest.check({ verificationId: id, code: wrongCode(code) });
    expect((await rest.check({ verificationId: id, code })).status).toBe("approved");
    await timeTravel(to, 11 * 60_000);
    // 19 more wrong codes would lock had the 4 not been reset by the approval.
    let wrong = 0;
    while (wrong < 19) {
      const started = await rest.start({ to });
      const next = await latestCode(to);
      for (let i = 0; i < 4 && wrong < 19; i++, wrong++) await rest.check({ verificationId: started.id, code: wrongCode(next) });
      await timeTravel(to, 11 * 60_000);
    }
    expect((await rest.start({ to })).code).toBe("ok");
  }, 30_000);
});

describe("provider failures", () => {
  it("5xx is retried with backoff, one SMS goes out", async () => {
    const to = uniqueNumber();
    await fakeTwilioBehaviour(to, { status: 503, times: 2 });
    const v = await json(await call("POST", "/v1/verifications", { to }));
    expect(v).toMatchObject({ status: "pending", provider: "twilio" });
    expect(await messagesTo(to)).toHaveLength(1);
  });

  it("an outage with no fallback ends the verification failed, and gives the allowance back", async () => {
    const to = uniqueNumber();
    await fakeTwilioBehaviour(to, { status: 503, times: 3 });
    const v = await json(await call("POST", "/v1/verifications", { to }));
    expect(v).toMatchObject({ status: "failed", failureReason: "unavailable" });
    expect(await messagesTo(to)).toHaveLength(0);
    expect((await call("POST", "/v1/verifications", { to })).status).toBe(201);
  });

  it("a provider 4xx is not retried and is reported as risk", async () => {
    const to = uniqueNumber();
    await fakeTwilioBehaviour(to, { status: 400, body: { code: 21211, message: "invalid", status: 400 }, times: 1 });
    const v = await json(await call("POST", "/v1/verifications", { to }));
    expect(v).toMatchObject({ status: "failed", failureReason: "invalid_number", risk: ["invalid_number"] });
    // The next send goes out normally: the single refusal was not retried into a second attempt.
    expect((await call("POST", "/v1/verifications", { to })).status).toBe(201);
    expect(await messagesTo(to)).toHaveLength(1);
  });
});
