import { describe, expect, it } from "vitest";
import { createTwilioLookup } from "../../src/lookup/twilio.ts";
import { LOOKUP_TO, runLookupContract } from "./contract.ts";
import { fakeTwilioLookup, TWILIO_LOOKUP } from "./fakes/twilio.ts";
import { json } from "./fakes/kit.ts";

runLookupContract({
  name: "twilio",
  create: (apiBase, fetchFn, o) => createTwilioLookup({ ...TWILIO_LOOKUP, apiBase, ...o }, fetchFn),
  createWithWrongCredentials: (apiBase, fetchFn, o) => createTwilioLookup({ ...TWILIO_LOOKUP, authToken: "wrong", apiBase, ...o }, fetchFn),
  fake: fakeTwilioLookup,
  lineTypes: [
    ["mobile", "mobile"],
    ["landline", "landline"],
    ["tollFree", "toll_free"],
    ["fixedVoip", "voip"],
    ["nonFixedVoip", "voip"],
    ["personal", "other"],
    ["premium", "premium"],
    ["voicemail", "other"],
    ["sharedCost", "premium"],
    ["uan", "other"],
    ["pager", "pager"],
    ["unknown", "unknown"],
  ],
  mobile: "mobile",
  landline: "landline",
  reportsPorting: false,
  secrets: [TWILIO_LOOKUP.authToken, btoa(`${TWILIO_LOOKUP.accountSid}:${TWILIO_LOOKUP.authToken}`)],
});

describe("twilio lookup quirks", () => {
  it("defaults to https://lookups.twilio.com and asks for line_type_intelligence only", async () => {
    const urls: string[] = [];
    const provider = createTwilioLookup({ ...TWILIO_LOOKUP, now: () => 1 }, async (input) => {
      urls.push(new Request(input).url);
      return json(200, { valid: true, line_type_intelligence: { type: "mobile", carrier_name: "X", mobile_country_code: "310", mobile_network_code: "260", error_code: null } });
    });
    await provider.lookup(LOOKUP_TO);
    expect(urls).toEqual([`https://lookups.twilio.com/v2/PhoneNumbers/%2B14155550123?Fields=line_type_intelligence`]);
  });

  it("an answer with error_code set and no type (60600, out of coverage) is a result with an unknown type", async () => {
    const provider = createTwilioLookup({ ...TWILIO_LOOKUP, now: () => 1 }, async () =>
      json(200, { valid: true, line_type_intelligence: { type: null, carrier_name: null, mobile_country_code: null, mobile_network_code: null, error_code: 60600 } }),
    );
    expect(await provider.lookup(LOOKUP_TO)).toMatchObject({ lineType: "unknown", carrier: null, mcc: null, mnc: null });
  });

  it("refuses to build without credentials", () => {
    expect(() => createTwilioLookup({ accountSid: "", authToken: "x", now: () => 1 })).toThrow(/TWILIO_ACCOUNT_SID/);
  });
});
