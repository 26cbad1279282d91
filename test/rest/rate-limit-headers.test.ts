// RateLimit-Policy and RateLimit response fields end to end: the values follow the number's sends
// and wrong codes as they are used, a 429's Retry-After is the refusing policy's `t`, and every
// door that starts or checks (REST, Connect, Twilio- and MTA-compatible) carries them.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, DEV_KEY, json, latestCode, timeTravel, uniqueNumber, wrongCode } from "../helpers.ts";

const ADMIN = { authorization: "Bearer ev_dev_admin_token" };

interface Limit {
  r: number;
  t?: number;
}

/** `"name";r=1;t=2, …` → { name: { r, t } }: the RateLimit field as a client reads it. */
function limits(response: Response): Record<string, Limit> {
  const field = response.headers.get("ratelimit");
  if (field === null) throw new Error(`no RateLimit field (status ${response.status})`);
  const out: Record<string, Limit> = {};
  for (const item of field.split(", ")) {
    const [name, ...params] = item.split(";");
    expect(name).toMatch(/^"[a-z0-9_]+"$/);
    const values = Object.fromEntries(params.map((p) => p.split("=")).map(([k, v]) => [k, Number(v)]));
    out[JSON.parse(name!) as string] = { r: values.r!, ...(values.t === undefined ? {} : { t: values.t }) };
  }
  return out;
}

/** `t` within a second or two of `expected`: the answer is computed a few ms after the event. */
const about = (expected: number) => expect.closeTo(expected, -0.5);

async function serviceWith(settings: Record<string, unknown>): Promise<{ id: string; auth: Record<string, string> }> {
  const created = await call("POST", "/v1/services", { friendlyName: "Shop", ...settings }, ADMIN);
  expect(created.status).toBe(201);
  const service = await json(created);
  const key = await json(await call("POST", `/v1/services/${service.id}/keys`, { name: "backend" }, ADMIN));
  return { id: service.id, auth: { authorization: `Bearer ${key.secret}` } };
}

describe("RateLimit fields over REST", () => {
  it("a start declares the number's send policies and what is left; a resend within the cooldown is 429 with Retry-After = t", async () => {
    const to = uniqueNumber();
    const first = await call("POST", "/v1/verifications", { to });
    expect(first.status).toBe(201);
    expect(first.headers.get("ratelimit-policy")).toBe('"resend_cooldown";q=1;w=30, "sends_per_10_minutes";q=5;w=600, "sends_per_day";q=10;w=86400, "failed_checks_per_day";q=20;w=86400');
    expect(limits(first)).toEqual({
      resend_cooldown: { r: 0, t: about(30) },
      sends_per_10_minutes: { r: 4, t: about(600) },
      sends_per_day: { r: 9, t: about(86_400) },
      failed_checks_per_day: { r: 20, t: 86_400 },
    });

    const refused = await call("POST", "/v1/verifications", { to });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(limits(refused).resend_cooldown).toEqual({ r: 0, t: retryAfter });
    expect(await json(refused)).toMatchObject({ details: [{ rule: "resend_cooldown", retryAfterSeconds: retryAfter }] });
    // The refusal counted nothing.
    expect(limits(refused).sends_per_10_minutes!.r).toBe(4);

    await timeTravel(to, 31_000);
    const second = await call("POST", "/v1/verifications", { to });
    expect(second.status).toBe(201);
    expect(second.headers.get("ratelimit-policy")).toContain('"resend_cooldown";q=1;w=60');
    expect(limits(second)).toMatchObject({
      resend_cooldown: { r: 0, t: about(60) },
      sends_per_10_minutes: { r: 3, t: about(569) },
      sends_per_day: { r: 8, t: about(86_369) },
    });
  });

  it("a check says how many wrong codes are left to the verification and to the number, and an approval ends the first", async () => {
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to, timeoutSeconds: 300 }));
    const code = await latestCode(to);
    const wrong = await call("POST", "/v1/verifications/check", { verificationId: v.id, code: wrongCode(code) });
    expect(wrong.headers.get("ratelimit-policy")).toBe('"check_attempts";q=5, "failed_checks_per_day";q=20;w=86400');
    expect(limits(wrong)).toEqual({ check_attempts: { r: 4, t: about(300) }, failed_checks_per_day: { r: 19, t: about(86_400) } });
    const again = await call("POST", "/v1/verifications/check", { verificationId: v.id, code: wrongCode(code) });
    expect(limits(again)).toEqual({ check_attempts: { r: 3, t: about(300) }, failed_checks_per_day: { r: 18, t: about(86_400) } });
    const approved = await call("POST", "/v1/verifications/check", { verificationId: v.id, code });
    expect((await json(approved)).status).toBe("approved");
    expect(limits(approved)).toEqual({ check_attempts: { r: 0 }, failed_checks_per_day: { r: 20, t: 86_400 } });
  });

  it("the wrong code that locks the number says none is left; the next check is 429 with Retry-After = that t", async () => {
    const { id, auth } = await serviceWith({ limits: { failedChecksPerDay: 2 } });
    const to = uniqueNumber();
    const v = await json(await call("POST", "/v1/verifications", { to }, auth));
    const code = await latestCode(to);
    expect(limits(await call("POST", "/v1/verifications/check", { verificationId: v.id, code: wrongCode(code) }, auth)).failed_checks_per_day).toEqual({ r: 1, t: about(86_400) });
    await timeTravel(to, 60_000, id);
    const locking = await call("POST", "/v1/verifications/check", { verificationId: v.id, code: wrongCode(code) }, auth);
    // The lock lasts until the older wrong code leaves the day.
    expect(limits(locking).failed_checks_per_day).toEqual({ r: 0, t: about(86_340) });
    const locked = await call("POST", "/v1/verifications/check", { verificationId: v.id, code }, auth);
    expect(locked.status).toBe(429);
    expect(limits(locked).failed_checks_per_day).toEqual({ r: 0, t: Number(locked.headers.get("retry-after")) });
    // A start is refused by the same lock, and says so the same way.
    await timeTravel(to, 31_000, id);
    const start = await call("POST", "/v1/verifications", { to }, auth);
    expect(start.status).toBe(429);
    expect(limits(start).failed_checks_per_day).toEqual({ r: 0, t: Number(start.headers.get("retry-after")) });
  });

  it("the 10-minute cap: the last send leaves none, and the refused start's Retry-After is when the oldest send leaves the window", async () => {
    const { id, auth } = await serviceWith({ limits: { sendsPer10Minutes: 2 } });
    const to = uniqueNumber();
    expect(limits(await call("POST", "/v1/verifications", { to }, auth)).sends_per_10_minutes).toEqual({ r: 1, t: about(600) });
    await timeTravel(to, 31_000, id);
    expect(limits(await call("POST", "/v1/verifications", { to }, auth)).sends_per_10_minutes).toEqual({ r: 0, t: about(569) });
    await timeTravel(to, 61_000, id);
    const refused = await call("POST", "/v1/verifications", { to }, auth);
    expect(refused.status).toBe(429);
    expect(await json(refused)).toMatchObject({ details: [{ rule: "sends_per_10_minutes" }] });
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toEqual(about(508));
    expect(limits(refused)).toMatchObject({ resend_cooldown: { r: 1 }, sends_per_10_minutes: { r: 0, t: retryAfter } });
  });

  it("a replay carries no RateLimit fields: its numbers would be the original call's", async () => {
    const to = uniqueNumber();
    const key = { "idempotency-key": `rl-${to}` };
    const first = await call("POST", "/v1/verifications", { to }, key);
    expect(first.headers.get("ratelimit")).not.toBeNull();
    const replay = await call("POST", "/v1/verifications", { to }, key);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("ratelimit")).toBeNull();
    expect(replay.headers.get("ratelimit-policy")).toBeNull();
  });

  it("a refusal that is not a number's limit carries none (bad input, a cross-number counter's 429 carries only Retry-After)", async () => {
    const bad = await call("POST", "/v1/verifications", { to: "nope" });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("ratelimit")).toBeNull();
    // A client IP's counter is shared by every number: its state is not this number's to tell.
    const { auth } = await serviceWith({ limits: { ipStartsPerHour: 1 } });
    const clientIp = "198.51.100.91";
    expect((await call("POST", "/v1/verifications", { to: uniqueNumber(), clientIp }, auth)).status).toBe(201);
    const shared = await call("POST", "/v1/verifications", { to: uniqueNumber(), clientIp }, auth);
    expect(shared.status).toBe(429);
    expect(await json(shared)).toMatchObject({ details: [{ rule: "velocity_ip" }] });
    expect(Number(shared.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(shared.headers.get("ratelimit")).toBeNull();
  });
});

describe("RateLimit fields on the other doors", () => {
  it("Connect: response headers on a start, and on its resource_exhausted refusal", async () => {
    const to = uniqueNumber();
    const rpc = (method: string, body: unknown) =>
      exports.default.fetch(
        new Request(`http://edge-verify.test/verify.v1.VerificationService/${method}`, {
          method: "POST",
          headers: { authorization: `Bearer ${DEV_KEY}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
      );
    const started = await rpc("StartVerification", { to });
    expect(started.status).toBe(200);
    expect(limits(started)).toMatchObject({ resend_cooldown: { r: 0, t: about(30) }, sends_per_10_minutes: { r: 4 } });
    const refused = await rpc("StartVerification", { to });
    expect(refused.status).toBe(429);
    expect(limits(refused).resend_cooldown).toEqual({ r: 0, t: Number(refused.headers.get("retry-after")) });
    const { verification } = await json(started);
    const checked = await rpc("CheckVerification", { verificationId: verification.id, code: wrongCode(await latestCode(to)) });
    expect(limits(checked)).toMatchObject({ check_attempts: { r: 4 }, failed_checks_per_day: { r: 19 } });
  });

  it("Twilio-compatible: on Verifications and VerificationCheck, and on a 429", async () => {
    const to = uniqueNumber();
    const basic = { authorization: `Basic ${btoa(`ACbcb37791863829aeee408acae65631cc:${DEV_KEY}`)}`, "content-type": "application/x-www-form-urlencoded" };
    const base = "/v2/Services/VA6958692bf045da6a5f3b37c8127048fd";
    const started = await call("POST", `${base}/Verifications`, new URLSearchParams({ To: to, Channel: "sms" }).toString(), basic);
    expect(started.status).toBe(201);
    expect(limits(started)).toMatchObject({ resend_cooldown: { r: 0 }, sends_per_day: { r: 9 } });
    const refused = await call("POST", `${base}/Verifications`, new URLSearchParams({ To: to, Channel: "sms" }).toString(), basic);
    expect(refused.status).toBe(429);
    expect(limits(refused).resend_cooldown).toEqual({ r: 0, t: Number(refused.headers.get("retry-after")) });
    const checked = await call("POST", `${base}/VerificationCheck`, new URLSearchParams({ To: to, Code: wrongCode(await latestCode(to)) }).toString(), basic);
    expect(checked.status).toBe(200);
    expect(limits(checked)).toMatchObject({ check_attempts: { r: 4 }, failed_checks_per_day: { r: 19 } });
  });

  it("MTA-compatible: on send-code and check-code", async () => {
    const to = uniqueNumber();
    const sent = await call("POST", "/v3/verify/sms/send-code", { to });
    expect(sent.status).toBe(200);
    expect(limits(sent)).toMatchObject({ resend_cooldown: { r: 0 }, sends_per_10_minutes: { r: 4 } });
    const refused = await call("POST", "/v3/verify/sms/send-code", { to });
    expect(refused.status).toBe(429);
    expect(limits(refused).resend_cooldown).toEqual({ r: 0, t: Number(refused.headers.get("retry-after")) });
    const checked = await call("POST", "/v3/verify/sms/check-code", { to, code: wrongCode(await latestCode(to)) });
    expect(limits(checked)).toMatchObject({ check_attempts: { r: 4 } });
  });
});
