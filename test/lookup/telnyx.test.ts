import { describe, expect, it } from "vitest";
import { createTelnyxLookup } from "../../src/lookup/telnyx.ts";
import { LOOKUP_TO, runLookupContract } from "./contract.ts";
import { json } from "./fakes/kit.ts";
import { fakeTelnyxLookup, TELNYX_LOOKUP } from "./fakes/telnyx.ts";

runLookupContract({
  name: "telnyx",
  create: (apiBase, fetchFn, o) => createTelnyxLookup({ ...TELNYX_LOOKUP, apiBase, ...o }, fetchFn),
  createWithWrongCredentials: (apiBase, fetchFn, o) => createTelnyxLookup({ apiKey: "KEYWRONG", apiBase, ...o }, fetchFn),
  fake: fakeTelnyxLookup,
  lineTypes: [
    ["mobile", "mobile"],
    ["fixed line", "landline"],
    ["voip", "voip"],
    ["toll free", "toll_free"],
    ["premium rate", "premium"],
    ["shared cost", "premium"],
    ["pager", "pager"],
    ["personal number", "other"],
    ["voicemail", "other"],
    ["uan", "other"],
    ["fixed line or mobile", "unknown"],
  ],
  mobile: "mobile",
  landline: "fixed line",
  reportsPorting: true,
  secrets: [TELNYX_LOOKUP.apiKey],
});

describe("telnyx lookup quirks", () => {
  it("a 422 without a code it documents (a Canadian number on a US-only account) is invalid_number", async () => {
    const provider = createTelnyxLookup({ ...TELNYX_LOOKUP, now: () => 1 }, async () => json(422, { errors: [{ title: "is a Canadian number" }] }));
    await expect(provider.lookup(LOOKUP_TO)).rejects.toMatchObject({ reason: "invalid_number", definite: true });
  });

  it("valid_number: false is invalid_number", async () => {
    const provider = createTelnyxLookup({ ...TELNYX_LOOKUP, now: () => 1 }, async () => json(200, { data: { valid_number: false, carrier: {} } }));
    await expect(provider.lookup(LOOKUP_TO)).rejects.toMatchObject({ reason: "invalid_number" });
  });
});
