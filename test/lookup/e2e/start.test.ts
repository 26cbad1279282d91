// Carrier lookups on the request path (project "lookups": LOOKUP_PROVIDER=twilio against the fake
// Twilio's Lookup v2). The number's object asks the carrier when the metadata cannot decide, caches
// the answer, feeds it to the landline/VoIP/line-type rules and shows it to clients.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, json, messagesTo, uniqueNumber } from "../../helpers.ts";

const fake = (env as unknown as { FAKE_TWILIO_URL: string }).FAKE_TWILIO_URL;

async function answerLookup(number: string, answer: { type?: string; carrier?: string; status?: number; times?: number }): Promise<void> {
  await fetch(`${fake}/_lookup`, { method: "POST", body: JSON.stringify({ number, ...answer }) });
}

async function lookupsOf(number: string): Promise<number> {
  return ((await (await fetch(`${fake}/_lookups?number=${encodeURIComponent(number)}`)).json()) as { count: number }).count;
}

const start = (body: Record<string, unknown>) => call("POST", "/v1/verifications", body);

const ADMIN = { authorization: "Bearer ev_dev_admin_token" };
/** The built-in service's lookup counts for the fake's vendor (twilio), from the console's insights. */
async function lookupCounts(): Promise<{ fetched: number; cached: number; failed: number }> {
  const { services } = await json(await call("GET", "/v1/services", undefined, ADMIN));
  const builtIn = (services as { id: string; builtIn: boolean }[]).find((s) => s.builtIn)!.id;
  const report = await json(await call("GET", `/v1/services/${builtIn}/insights`, undefined, ADMIN));
  return (report.byLookup as { source: string; fetched: number; cached: number; failed: number }[]).find((l) => l.source === "twilio") ?? { fetched: 0, cached: 0, failed: 0 };
}

describe("carrier lookups on start", () => {
  it("an ambiguous US number is looked up once; the answer is cached and shown", async () => {
    const to = uniqueNumber();
    const first = await start({ to });
    expect(first.status).toBe(201);
    const body = await json(first);
    expect(body.lookup).toEqual({ countryCode: "US", lineType: "mobile", carrier: "Fake Mobile", mcc: "310", mnc: "260", ported: null, source: "twilio" });
    expect(await lookupsOf(to)).toBe(1);
    // A second start inside the cache window asks nobody (its cooldown refusal aside).
    expect((await start({ to })).status).toBe(429);
    expect(await lookupsOf(to)).toBe(1);
    // The stored verification shows the same answer.
    expect((await json(await call("GET", `/v1/verifications/${body.id}`))).lookup.carrier).toBe("Fake Mobile");
  });

  it("lookups and cache hits are counted in the service's insights", async () => {
    const before = await lookupCounts();
    const to = uniqueNumber();
    expect((await start({ to })).status).toBe(201);
    expect((await start({ to })).status).toBe(429); // the cooldown, after a cache hit
    // Insights leave with the isolate's report batch, about a second later.
    await expect
      .poll(async () => {
        const after = await lookupCounts();
        return { fetched: after.fetched - before.fetched >= 1, cached: after.cached - before.cached >= 1 };
      }, { timeout: 5_000 })
      .toEqual({ fetched: true, cached: true });
  });

  it("a landline by carrier lookup is refused, names its source, sends nothing and counts nothing", async () => {
    const to = uniqueNumber();
    await answerLookup(to, { type: "landline", carrier: "Fake Telco" });
    const refused = await start({ to });
    expect(refused.status).toBe(403);
    const error = await json(refused);
    expect(error.message).toBe("to: landline numbers are not accepted (carrier lookup: twilio)");
    expect(error.details[0]).toMatchObject({ reason: "rule_refused", field: "to", rule: "landline" });
    expect(await messagesTo(to)).toHaveLength(0);
    expect(await lookupsOf(to)).toBe(1);
    // The answer is cached: a repeat is refused the same way without asking the carrier again,
    // and (no send was counted) with the same 403, not a cooldown 429.
    expect((await start({ to })).status).toBe(403);
    expect(await lookupsOf(to)).toBe(1);
  });

  it("VoIP by carrier lookup is refused by the VoIP rule", async () => {
    const to = uniqueNumber();
    await answerLookup(to, { type: "nonFixedVoip", carrier: "Fake VoIP" });
    const refused = await start({ to });
    expect(refused.status).toBe(403);
    expect((await json(refused)).message).toBe("to: VoIP numbers are not accepted (carrier lookup: twilio)");
    expect(await messagesTo(to)).toHaveLength(0);
  });

  it("a failed lookup never blocks: the start goes on with the metadata, risk says lookup_unavailable, nothing is cached", async () => {
    const to = uniqueNumber();
    await answerLookup(to, { status: 503, times: 1 });
    const started = await start({ to });
    expect(started.status).toBe(201);
    const body = await json(started);
    expect(body.risk).toContain("lookup_unavailable");
    expect(body.lookup).toMatchObject({ lineType: "fixed_line_or_mobile", carrier: null, source: "metadata" });
    expect(await messagesTo(to)).toHaveLength(1);
    // Not cached: the next start asks again (and is refused only by the cooldown).
    await start({ to });
    expect(await lookupsOf(to)).toBe(2);
  });

  it("a number the metadata decides is not looked up, unless the request asks", async () => {
    const decided = "+447400" + String(100000 + Math.floor(Math.random() * 899999));
    const plain = await start({ to: decided });
    expect(plain.status).toBe(201);
    expect((await json(plain)).lookup).toMatchObject({ lineType: "mobile", source: "metadata" });
    expect(await lookupsOf(decided)).toBe(0);
    const asked = "+447400" + String(100000 + Math.floor(Math.random() * 899999));
    const started = await start({ to: asked, lookup: true });
    expect((await json(started)).lookup).toMatchObject({ source: "twilio", carrier: "Fake Mobile" });
    expect(await lookupsOf(asked)).toBe(1);
  });

  it("`lookup` must be a boolean", async () => {
    const refused = await start({ to: uniqueNumber(), lookup: "yes" });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await json(refused))).toContain("lookup");
  });

  it("test numbers are never looked up", async () => {
    const started = await start({ to: "+15005550100" });
    expect(started.status).toBe(201);
    expect(await lookupsOf("+15005550100")).toBe(0);
  });

  it("MTA realtime answers carrier, lineType and deliverable from the lookup", async () => {
    const to = "+447400" + String(100000 + Math.floor(Math.random() * 899999));
    await answerLookup(to, { type: "mobile", carrier: "Fake UK Mobile" });
    const sent = await call("POST", "/v3/verify/sms/send-code", { to, realtime: true });
    expect(sent.status).toBe(200);
    expect(await json(sent)).toMatchObject({ carrier: "Fake UK Mobile", lineType: "mobile", deliverable: true });
    expect(await lookupsOf(to)).toBe(1);
  });
});
