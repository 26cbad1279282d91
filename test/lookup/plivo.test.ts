import { describe, expect, it } from "vitest";
import { createPlivoLookup } from "../../src/lookup/plivo.ts";
import { LOOKUP_TO, runLookupContract } from "./contract.ts";
import { fakePlivoLookup, PLIVO_LOOKUP } from "./fakes/plivo.ts";

runLookupContract({
  name: "plivo",
  create: (apiBase, fetchFn, o) => createPlivoLookup({ ...PLIVO_LOOKUP, apiBase, ...o }, fetchFn),
  createWithWrongCredentials: (apiBase, fetchFn, o) => createPlivoLookup({ ...PLIVO_LOOKUP, authToken: "wrong", apiBase, ...o }, fetchFn),
  fake: fakePlivoLookup,
  lineTypes: [
    ["mobile", "mobile"],
    ["fixed", "landline"],
    ["voip", "voip"],
    ["toll-free", "toll_free"],
    ["unknown", "unknown"],
  ],
  mobile: "mobile",
  landline: "fixed",
  reportsPorting: true,
  secrets: [PLIVO_LOOKUP.authToken, btoa(`${PLIVO_LOOKUP.authId}:${PLIVO_LOOKUP.authToken}`)],
});

describe("plivo lookup quirks", () => {
  it("defaults to https://lookup.plivo.com", async () => {
    const fake = fakePlivoLookup("https://lookup.plivo.com");
    fake.numbers.set(LOOKUP_TO, { type: "mobile" });
    await createPlivoLookup({ ...PLIVO_LOOKUP, now: () => 1 }, fake.fetch).lookup(LOOKUP_TO);
    expect(fake.requests[0]!.url).toBe("https://lookup.plivo.com/v1/Number/%2B14155550123?type=carrier");
  });
});
