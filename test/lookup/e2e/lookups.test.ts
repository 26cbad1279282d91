// The standalone lookup (POST /v1/lookups, Connect PhoneNumberService.LookupPhoneNumber): the same
// per-number cache a start uses, within the service's LOOKUPS_PER_DAY (4 in project "lookups").
// The tests of this file run in order and share that budget; each says how many units it spends.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, json, uniqueNumber } from "../../helpers.ts";

const fake = (env as unknown as { FAKE_TWILIO_URL: string }).FAKE_TWILIO_URL;
const lookupsOf = async (number: string) => ((await (await fetch(`${fake}/_lookups?number=${encodeURIComponent(number)}`)).json()) as { count: number }).count;
const answerLookup = (number: string, answer: Record<string, unknown>) => fetch(`${fake}/_lookup`, { method: "POST", body: JSON.stringify({ number, ...answer }) });
const lookup = (body: unknown) => call("POST", "/v1/lookups", body);

describe("standalone lookups", () => {
  it("answer from the carrier, then from the cache (1 unit)", async () => {
    const phoneNumber = uniqueNumber();
    const first = await lookup({ phoneNumber });
    expect(first.status).toBe(200);
    const body = await json(first);
    expect(body).toMatchObject({ phoneNumber, cached: false, lookup: { lineType: "mobile", carrier: "Fake Mobile", mcc: "310", mnc: "260", source: "twilio" } });
    expect(Date.parse(body.fetchTime)).toBeGreaterThan(0);
    const again = await json(await lookup({ phoneNumber }));
    expect(again).toMatchObject({ cached: true, fetchTime: body.fetchTime });
    expect(await lookupsOf(phoneNumber)).toBe(1);
  });

  it("over Connect (1 unit), and a start then reuses the cached answer", async () => {
    const phoneNumber = uniqueNumber();
    const response = await call("POST", "/verify.v1.PhoneNumberService/LookupPhoneNumber", { phoneNumber });
    expect(response.status).toBe(200);
    const body = await json(response);
    // Proto JSON leaves out defaults: `cached: false` and an unknown `ported` are absent.
    expect(body).toMatchObject({ phoneNumber, lookup: { countryCode: "US", lineType: "mobile", carrier: "Fake Mobile", mcc: "310", mnc: "260", source: "twilio" } });
    expect(body.cached).toBeUndefined();
    expect(body.lookup.ported).toBeUndefined();
    const started = await call("POST", "/v1/verifications", { to: phoneNumber });
    expect((await json(started)).lookup.carrier).toBe("Fake Mobile");
    expect(await lookupsOf(phoneNumber)).toBe(1);
  });

  it("bad input is refused with the field named, and spends nothing", async () => {
    for (const [body, field] of [
      [{}, "phoneNumber"],
      [{ phoneNumber: "12345" }, "phoneNumber"],
      [{ phoneNumber: "+1415555" }, "phoneNumber"],
      [{ phoneNumber: uniqueNumber(), extra: 1 }, "extra"],
      [[], "body"],
    ] as const) {
      const refused = await lookup(body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect((await json(refused)).details[0]).toMatchObject({ reason: "invalid_argument", field });
    }
  });

  it("a vendor failure answers 503 and gives its unit back; the budget then refuses with 429 (2 units)", async () => {
    const failing = uniqueNumber();
    await answerLookup(failing, { status: 500, times: 1 });
    const failed = await lookup({ phoneNumber: failing });
    expect(failed.status).toBe(503);
    expect((await json(failed)).details[0]).toMatchObject({ reason: "unavailable", field: "phoneNumber" });
    // Units so far: 2 of 4. The failed one came back, so two more go through...
    expect((await lookup({ phoneNumber: failing })).status).toBe(200);
    expect((await lookup({ phoneNumber: uniqueNumber() })).status).toBe(200);
    // ...and the fifth vendor call of the day is refused before the vendor is asked.
    const over = uniqueNumber();
    const refused = await lookup({ phoneNumber: over });
    expect(refused.status).toBe(429);
    expect((await json(refused)).details[0]).toMatchObject({ reason: "limit_reached", rule: "lookup_budget", field: "phoneNumber" });
    expect(await lookupsOf(over)).toBe(0);
    // A cached answer still comes back: it costs nothing.
    expect((await json(await lookup({ phoneNumber: failing })))).toMatchObject({ cached: true });
    // The console's route does the same as the service, with the admin token (an API key is refused).
    const ADMIN = { authorization: "Bearer ev_dev_admin_token" };
    const { services } = await json(await call("GET", "/v1/services", undefined, ADMIN));
    const builtIn = (services as { id: string; builtIn: boolean }[]).find((s) => s.builtIn)!.id;
    const admin = await call("POST", `/v1/services/${builtIn}/lookups`, { phoneNumber: failing }, ADMIN);
    expect(admin.status).toBe(200);
    expect(await json(admin)).toMatchObject({ phoneNumber: failing, cached: true, lookup: { source: "twilio" } });
    expect((await call("POST", `/v1/services/${builtIn}/lookups`, { phoneNumber: failing })).status).toBe(401);
    expect((await call("POST", `/v1/services/${builtIn}/lookups`, { phoneNumber: uniqueNumber() }, ADMIN)).status).toBe(429);
  });
});
