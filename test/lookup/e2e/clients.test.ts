// What clients of the drop-in endpoints see of a carrier lookup (project "lookups"): the official
// Twilio SDK reads `lookup.carrier`, and a service whose VoIP rule is in monitor mode lets a VoIP
// number through with the risk (enforce refuses it: start.test.ts).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { client } from "../../compat/twilio-sdk.ts";
import { call, json, messagesTo, uniqueNumber } from "../../helpers.ts";

const fake = (env as unknown as { FAKE_TWILIO_URL: string }).FAKE_TWILIO_URL;
const answerLookup = (number: string, answer: Record<string, unknown>) => fetch(`${fake}/_lookup`, { method: "POST", body: JSON.stringify({ number, ...answer }) });
const lookupsOf = async (number: string) => ((await (await fetch(`${fake}/_lookups?number=${encodeURIComponent(number)}`)).json()) as { count: number }).count;
const ADMIN = { authorization: "Bearer ev_dev_admin_token" };

describe("lookups as clients see them", () => {
  it("the official Twilio SDK reads lookup.carrier (name, type, MCC/MNC)", async () => {
    const to = uniqueNumber();
    const created = await client().verifications.create({ to, channel: "sms" });
    expect(created.status).toBe("pending");
    expect((created.lookup as { carrier: Record<string, unknown> }).carrier).toEqual({
      error_code: null,
      name: "Fake Mobile",
      mobile_country_code: "310",
      mobile_network_code: "260",
      type: "mobile",
    });
  });

  it("a service with twilioLookup asks the carrier on every Twilio start, even where the metadata decides", async () => {
    const service = await json(await call("POST", "/v1/services", { friendlyName: "Lookup on Twilio", twilioLookup: true }, ADMIN));
    expect(service.settings.twilioLookup).toBe(true);
    const { secret } = await json(await call("POST", `/v1/services/${service.id}/keys`, { name: "backend" }, ADMIN));
    const decided = "+447400" + String(100000 + Math.floor(Math.random() * 899999));
    await answerLookup(decided, { type: "mobile", carrier: "Fake UK Mobile" });
    const created = await client({ key: secret, serviceSid: service.id }).verifications.create({ to: decided, channel: "sms" });
    expect((created.lookup as { carrier: { name: string; type: string } }).carrier).toMatchObject({ name: "Fake UK Mobile", type: "mobile" });
    expect(await lookupsOf(decided)).toBe(1);
    // The built-in service has it off: a number the metadata decides is not looked up there.
    const other = "+447400" + String(100000 + Math.floor(Math.random() * 899999));
    await client().verifications.create({ to: other, channel: "sms" });
    expect(await lookupsOf(other)).toBe(0);
  });

  it("a service whose VoIP rule is in monitor mode lets a VoIP number (by lookup) through with the risk", async () => {
    // A service whose VoIP rule only reports.
    const service = await json(await call("POST", "/v1/services", { friendlyName: "Monitor VoIP", ruleModes: { voip: "monitor" } }, ADMIN));
    const { secret } = await json(await call("POST", `/v1/services/${service.id}/keys`, { name: "backend" }, ADMIN));
    const to = uniqueNumber();
    await answerLookup(to, { type: "nonFixedVoip", carrier: "Fake VoIP" });
    const started = await call("POST", "/v1/verifications", { to }, { authorization: `Bearer ${secret}` });
    expect(started.status).toBe(201);
    const body = await json(started);
    expect(body.risk).toContain("voip");
    expect(body.lookup).toMatchObject({ lineType: "voip", carrier: "Fake VoIP", source: "twilio" });
    expect(await messagesTo(to)).toHaveLength(1);
  });
});
