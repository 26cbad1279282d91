// acceptPreviousCodes end to end: a service that keeps k earlier codes valid after a resend (SMS
// can arrive out of order), read off the fake provider as a user reads them.
import { describe, expect, it } from "vitest";
import { call, json, latestCode, timeTravel, uniqueNumber, wrongCode } from "../helpers.ts";

const ADMIN = { authorization: "Bearer ev_dev_admin_token" };

async function serviceWith(settings: Record<string, unknown>): Promise<{ id: string; auth: Record<string, string> }> {
  const created = await call("POST", "/v1/services", { friendlyName: "Shop", ...settings }, ADMIN);
  expect(created.status).toBe(201);
  const service = await json(created);
  const key = await json(await call("POST", `/v1/services/${service.id}/keys`, { name: "backend" }, ADMIN));
  return { id: service.id, auth: { authorization: `Bearer ${key.secret}` } };
}

/** Starts, then re-sends `resends` times past each cooldown; the codes in the order they were sent. */
async function codesSent(service: { id: string; auth: Record<string, string> }, to: string, resends: number): Promise<{ id: string; codes: string[] }> {
  const first = await call("POST", "/v1/verifications", { to }, service.auth);
  expect(first.status).toBe(201);
  const { id } = await json(first);
  const codes = [await latestCode(to)];
  const cooldownsMs = [31_000, 61_000, 121_000];
  for (let i = 0; i < resends; i++) {
    await timeTravel(to, cooldownsMs[i]!, service.id);
    const again = await call("POST", "/v1/verifications", { to }, service.auth);
    expect(again.status).toBe(201);
    expect(await json(again)).toMatchObject({ id, sendAttempts: i + 2 });
    codes.push(await latestCode(to));
  }
  return { id, codes };
}

const check = (auth: Record<string, string>, verificationId: string, code: string) => call("POST", "/v1/verifications/check", { verificationId, code }, auth).then(json);

describe("acceptPreviousCodes", () => {
  it("1: after a resend the first code still approves, and once approved no code works", async () => {
    const service = await serviceWith({ acceptPreviousCodes: 1 });
    const to = uniqueNumber();
    const { id, codes } = await codesSent(service, to, 1);
    expect(await check(service.auth, id, codes[0]!)).toMatchObject({ status: "approved", verification: { checkAttempts: 0 } });
    for (const code of codes) expect(await check(service.auth, id, code)).toMatchObject({ code: "failed_precondition", details: [{ reason: "already_approved" }] });
  });

  it("0 (the default): a resend replaces the first code, which is a wrong code like any other", async () => {
    const service = await serviceWith({});
    const to = uniqueNumber();
    const { id, codes } = await codesSent(service, to, 1);
    expect(await check(service.auth, id, codes[0]!)).toMatchObject({ status: "invalid", verification: { checkAttempts: 1 } });
    expect(await check(service.auth, id, codes[1]!)).toMatchObject({ status: "approved" });
  });

  it("1: the oldest code beyond the one kept does not approve; the newest earlier one does", async () => {
    const service = await serviceWith({ acceptPreviousCodes: 1 });
    const to = uniqueNumber();
    const { id, codes } = await codesSent(service, to, 2);
    expect(await check(service.auth, id, codes[0]!)).toMatchObject({ status: "invalid", verification: { checkAttempts: 1 } });
    expect(await check(service.auth, id, codes[1]!)).toMatchObject({ status: "approved", verification: { checkAttempts: 1 } });
  });

  it("3: every kept code approves, and a wrong code compared against all four is one attempt", async () => {
    const service = await serviceWith({ acceptPreviousCodes: 3 });
    const to = uniqueNumber();
    const { id, codes } = await codesSent(service, to, 3);
    // A digit string none of the four codes is (each differs from the newest in every digit; a
    // collision with an older one is a one-in-a-million draw).
    const wrong = wrongCode(codes[3]!);
    expect(codes).not.toContain(wrong);
    expect(await check(service.auth, id, wrong)).toMatchObject({ status: "invalid", verification: { checkAttempts: 1 } });
    expect(await check(service.auth, id, codes[0]!)).toMatchObject({ status: "approved", verification: { checkAttempts: 1 } });
  });

  it("is validated naming the field, and cleared with null", async () => {
    for (const value of [4, -1, 1.5, "1", true]) {
      const response = await call("POST", "/v1/services", { friendlyName: "Shop", acceptPreviousCodes: value }, ADMIN);
      expect(response.status, JSON.stringify(value)).toBe(400);
      expect(await json(response)).toMatchObject({ code: "invalid_argument", details: [{ field: "acceptPreviousCodes" }] });
    }
    const { id } = await serviceWith({ acceptPreviousCodes: 2 });
    expect((await json(await call("GET", `/v1/services/${id}`, undefined, ADMIN))).settings).toMatchObject({ acceptPreviousCodes: 2 });
    const cleared = await json(await call("PATCH", `/v1/services/${id}`, { acceptPreviousCodes: null }, ADMIN));
    expect(cleared.settings).not.toHaveProperty("acceptPreviousCodes");
  });
});
