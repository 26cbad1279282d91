import { describe, expect, it } from "vitest";
import { cacheEntryAfter, effectiveLineType, isFresh, lookupRuleHits, shouldLookUp, type NormalisedLookup } from "../../src/core/lookup.ts";
import type { LineType } from "../../src/core/phone.ts";
import { numberRuleHits } from "../../src/core/policy.ts";

const T = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const answer = (lineType: NormalisedLookup["lineType"], fetchedAt = T): NormalisedLookup => ({
  lineType,
  carrier: "Example",
  mcc: null,
  mnc: null,
  ported: null,
  source: "twilio",
  fetchedAt,
});

describe("shouldLookUp", () => {
  it.each<[LineType, "ambiguous" | "always" | "off", boolean, boolean]>([
    ["fixed_line_or_mobile", "ambiguous", false, true],
    ["unknown", "ambiguous", false, true],
    ["mobile", "ambiguous", false, false],
    ["fixed_line", "ambiguous", false, false],
    ["voip", "ambiguous", false, false],
    ["mobile", "always", false, true],
    ["mobile", "ambiguous", true, true],
    ["fixed_line_or_mobile", "off", true, false],
    ["fixed_line_or_mobile", "off", false, false],
  ])("%s under %s (requested: %s) → %s", (lineType, mode, requested, expected) => {
    expect(shouldLookUp(lineType, mode, requested)).toBe(expected);
  });
});

describe("cache freshness", () => {
  it("an answer is fresh for LOOKUP_CACHE_HOURS and stale from then on", () => {
    expect(isFresh(answer("mobile"), T + 167 * HOUR, 168)).toBe(true);
    expect(isFresh(answer("mobile"), T + 168 * HOUR - 1, 168)).toBe(true);
    expect(isFresh(answer("mobile"), T + 168 * HOUR, 168)).toBe(false);
  });

  it("no entry, a zero-hour cache, or a fetchedAt in the future is not fresh", () => {
    expect(isFresh(null, T, 168)).toBe(false);
    expect(isFresh(answer("mobile"), T, 0)).toBe(false);
    expect(isFresh(answer("mobile", T + HOUR), T, 168)).toBe(false);
  });

  it("errors and rate limits never replace or create an entry", () => {
    const old = answer("mobile");
    expect(cacheEntryAfter(old, { ok: false, reason: "rate_limited" })).toBe(old);
    expect(cacheEntryAfter(null, { ok: false, reason: "unavailable" })).toBeNull();
    const fresh = answer("voip", T + HOUR);
    expect(cacheEntryAfter(old, { ok: true, result: fresh })).toBe(fresh);
  });
});

describe("a lookup feeds the number-type rules", () => {
  const us = { lineType: "fixed_line_or_mobile" as LineType, countryCode: "US" };

  it("the carrier's type replaces the metadata's where it says something", () => {
    expect(effectiveLineType("fixed_line_or_mobile", answer("landline"))).toEqual({ lineType: "fixed_line", source: { lookup: "twilio" } });
    expect(effectiveLineType("fixed_line_or_mobile", answer("voip"))).toEqual({ lineType: "voip", source: { lookup: "twilio" } });
    expect(effectiveLineType("fixed_line_or_mobile", answer("premium"))).toEqual({ lineType: "premium_rate", source: { lookup: "twilio" } });
    expect(effectiveLineType("mobile", answer("unknown"))).toEqual({ lineType: "mobile", source: "metadata" });
    expect(effectiveLineType("mobile", answer("other"))).toEqual({ lineType: "mobile", source: "metadata" });
    expect(effectiveLineType("voip", null)).toEqual({ lineType: "voip", source: "metadata" });
  });

  it("a refusal found through a lookup names its source", () => {
    expect(lookupRuleHits(us, answer("landline"), null)).toEqual([
      { rule: "landline", risk: "landline", message: "to: landline numbers are not accepted (carrier lookup: twilio)" },
    ]);
    expect(lookupRuleHits(us, { ...answer("voip"), source: "telnyx" }, null)).toEqual([
      { rule: "voip", risk: "voip", message: "to: VoIP numbers are not accepted (carrier lookup: telnyx)" },
    ]);
    expect(lookupRuleHits(us, answer("toll_free"), null)[0]).toMatchObject({ rule: "line_type", message: "to: toll-free numbers are not accepted (carrier lookup: twilio)" });
  });

  it("a mobile answer lets a US number through; the country rule keeps its own wording", () => {
    expect(lookupRuleHits(us, answer("mobile"), null)).toEqual([]);
    expect(lookupRuleHits(us, answer("mobile"), new Set(["GB"]))).toEqual([
      { rule: "country_allowlist", risk: "country_not_allowed", message: "to: numbers from US are not accepted" },
    ]);
  });

  it("without a lookup the metadata rules read exactly as before", () => {
    const gbLandline = { lineType: "fixed_line" as LineType, countryCode: "GB" };
    expect(lookupRuleHits(gbLandline, null, null)).toEqual(numberRuleHits(gbLandline, null));
    expect(lookupRuleHits(us, null, null)).toEqual([]);
  });
});
