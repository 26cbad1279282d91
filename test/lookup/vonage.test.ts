import { describe, expect, it } from "vitest";
import { createVonageLookup } from "../../src/lookup/vonage.ts";
import { LOOKUP_TO, runLookupContract } from "./contract.ts";
import { json } from "./fakes/kit.ts";
import { fakeVonageLookup, VONAGE_LOOKUP } from "./fakes/vonage.ts";

runLookupContract({
  name: "vonage",
  create: (apiBase, fetchFn, o) => createVonageLookup({ ...VONAGE_LOOKUP, apiBase, ...o }, fetchFn),
  createWithWrongCredentials: (apiBase, fetchFn, o) => createVonageLookup({ ...VONAGE_LOOKUP, apiSecret: "wrong", apiBase, ...o }, fetchFn),
  fake: fakeVonageLookup,
  lineTypes: [
    ["mobile", "mobile"],
    ["landline", "landline"],
    ["landline_premium", "premium"],
    ["landline_tollfree", "toll_free"],
    ["virtual", "voip"],
    ["pager", "pager"],
    ["unknown", "unknown"],
  ],
  mobile: "mobile",
  landline: "landline",
  reportsPorting: true,
  secrets: [VONAGE_LOOKUP.apiSecret, btoa(`${VONAGE_LOOKUP.apiKey}:${VONAGE_LOOKUP.apiSecret}`)],
});

describe("vonage lookup quirks", () => {
  it("sends the number as digits and splits network_code into MCC and a 2- or 3-digit MNC", async () => {
    const fake = fakeVonageLookup("https://api.nexmo.com");
    fake.numbers.set(LOOKUP_TO, { type: "mobile", mcc: "310", mnc: "004", carrier: "Verizon" });
    const result = await createVonageLookup({ ...VONAGE_LOOKUP, now: () => 1 }, fake.fetch).lookup(LOOKUP_TO);
    const url = new URL(fake.requests[0]!.url);
    expect(url.searchParams.get("number")).toBe("14155550123");
    // The secret travels in the Authorization header, never in the URL.
    expect(url.search).not.toContain(VONAGE_LOOKUP.apiSecret);
    expect(result).toMatchObject({ mcc: "310", mnc: "004" });
  });

  it("a status it does not document is unavailable, not definite", async () => {
    const provider = createVonageLookup({ ...VONAGE_LOOKUP, now: () => 1 }, async () => json(200, { status: 99, status_message: "new" }));
    await expect(provider.lookup(LOOKUP_TO)).rejects.toMatchObject({ reason: "unavailable", definite: false });
  });
});
