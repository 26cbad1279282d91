// Carrier lookups as pure functions: when to look a number up, whether a cached answer is still
// fresh, and how an answer feeds the number-type rules. No I/O. No clock: `now` (epoch ms) is passed in.
// The vendors' own formats live in src/lookup/; this file only sees the normalised result.
import type { LineType } from "./phone.ts";
import { numberRuleHits, type RuleHit } from "./policy.ts";

/** Line types a lookup can answer, the same for every vendor. */
export type LookupLineType = "mobile" | "landline" | "voip" | "toll_free" | "premium" | "pager" | "other" | "unknown";

export const LOOKUP_LINE_TYPES: readonly LookupLineType[] = ["mobile", "landline", "voip", "toll_free", "premium", "pager", "other", "unknown"];

export type LookupVendor = "twilio" | "telnyx" | "plivo" | "vonage";

/** One vendor answer, normalised. Only successful answers have this shape; errors are never cached. */
export interface NormalisedLookup {
  lineType: LookupLineType;
  /** The carrier serving the number now, as the vendor names it; null when the vendor gave none. */
  carrier: string | null;
  /** Mobile country and network codes, only when the vendor gives real ones (digits, not a guess). */
  mcc: string | null;
  mnc: string | null;
  /** null: the vendor does not say (Twilio Line Type Intelligence never does). */
  ported: boolean | null;
  source: LookupVendor;
  /** Epoch ms, from the clock handed to the provider. */
  fetchedAt: number;
}

/** LOOKUP_MODE: `ambiguous` looks up only what the metadata cannot decide; `always` every start. */
export type LookupMode = "ambiguous" | "always";

/**
 * Metadata types a lookup can settle. libphonenumber answers `fixed_line_or_mobile` for every
 * US/CA number, and `unknown` when its tables have no pattern for the range.
 */
const AMBIGUOUS: ReadonlySet<LineType> = new Set(["fixed_line_or_mobile", "unknown"]);

/**
 * Whether a start should ask the carrier. `requested` is the caller's per-request ask (`lookup:
 * true`, MTA's `realtime`): it looks up whatever the mode. Without a provider nothing is looked up.
 */
export function shouldLookUp(metadataLineType: LineType, mode: LookupMode | "off", requested: boolean): boolean {
  if (mode === "off") return false;
  if (requested || mode === "always") return true;
  return AMBIGUOUS.has(metadataLineType);
}

const HOUR_MS = 3_600_000;

/** A cached answer is used while younger than LOOKUP_CACHE_HOURS; 0 hours disables the cache. */
export function isFresh(cached: NormalisedLookup | null, now: number, cacheHours: number): cached is NormalisedLookup {
  if (!cached || cacheHours <= 0) return false;
  // A fetchedAt in the future (clock skew between isolates) is not trusted for longer than the window.
  return cached.fetchedAt <= now && now - cached.fetchedAt < cacheHours * HOUR_MS;
}

/** What a lookup attempt left behind: an answer, or a failure reason that is never stored. */
export type LookupOutcome = { ok: true; result: NormalisedLookup } | { ok: false; reason: string };

/** The entry to store after a lookup: only answers; errors and rate limits keep the old entry. */
export function cacheEntryAfter(previous: NormalisedLookup | null, outcome: LookupOutcome): NormalisedLookup | null {
  return outcome.ok ? outcome.result : previous;
}

/** How a lookup line type reads as a metadata line type, so the existing rules apply unchanged. */
const AS_METADATA: Record<LookupLineType, LineType | null> = {
  mobile: "mobile",
  landline: "fixed_line",
  voip: "voip",
  toll_free: "toll_free",
  premium: "premium_rate",
  pager: "pager",
  // A type the vendor knows and we have no rule for (personal, voicemail, UAN): the metadata stays.
  other: null,
  unknown: null,
};

export interface EffectiveLineType {
  lineType: LineType;
  /** Where the type came from; named in refusals when it was the carrier. */
  source: "metadata" | { lookup: LookupVendor };
}

/** The line type the rules judge: the carrier's answer where it says something, else the metadata. */
export function effectiveLineType(metadataLineType: LineType, lookup: NormalisedLookup | null): EffectiveLineType {
  const fromLookup = lookup ? AS_METADATA[lookup.lineType] : null;
  if (!lookup || !fromLookup) return { lineType: metadataLineType, source: "metadata" };
  return { lineType: fromLookup, source: { lookup: lookup.source } };
}

/**
 * numberRuleHits on the effective line type. Line-type hits found through a lookup name it
 * ("to: landline numbers are not accepted (carrier lookup: twilio)"), so an operator can tell a
 * carrier's verdict from the metadata's; metadata refusals read as before.
 */
export function lookupRuleHits(
  number: { lineType: LineType; countryCode: string },
  lookup: NormalisedLookup | null,
  allowedCountries: ReadonlySet<string> | null,
): RuleHit[] {
  const effective = effectiveLineType(number.lineType, lookup);
  const hits = numberRuleHits({ lineType: effective.lineType, countryCode: number.countryCode }, allowedCountries);
  if (effective.source === "metadata") return hits;
  const suffix = ` (carrier lookup: ${effective.source.lookup})`;
  return hits.map((hit) => (hit.rule === "country_allowlist" ? hit : { ...hit, message: hit.message + suffix }));
}

/** What clients see of a number's type and carrier (the verification's `lookup`). */
export interface LookupView {
  countryCode: string;
  /** The type the rules judged, in the metadata's vocabulary: the carrier's answer where it said something. */
  lineType: LineType;
  carrier: string | null;
  mcc: string | null;
  mnc: string | null;
  ported: boolean | null;
  /** "metadata" (libphonenumber) or the lookup vendor that answered. */
  source: "metadata" | LookupVendor;
}

export function lookupView(number: { countryCode: string; lineType: LineType }, lookup: NormalisedLookup | null | undefined): LookupView {
  const effective = effectiveLineType(number.lineType, lookup ?? null);
  return {
    countryCode: number.countryCode,
    lineType: effective.lineType,
    carrier: lookup?.carrier ?? null,
    mcc: lookup?.mcc ?? null,
    mnc: lookup?.mnc ?? null,
    ported: lookup?.ported ?? null,
    source: lookup ? lookup.source : "metadata",
  };
}

/**
 * Whether a number can receive SMS, as far as we know: MTA's `deliverable` and `reason`. A number
 * the carrier calls a landline, toll-free, premium or pager line cannot; a deny-list entry from
 * delivery reports says why it stopped receiving.
 */
export function deliverabilityOf(view: Pick<LookupView, "lineType">, denyReason: string | null): { deliverable: boolean; reason: string } {
  if (denyReason) return { deliverable: false, reason: denyReason };
  switch (view.lineType) {
    case "fixed_line":
      return { deliverable: false, reason: "landline" };
    case "toll_free":
    case "premium_rate":
    case "pager":
      return { deliverable: false, reason: view.lineType };
    default:
      return { deliverable: true, reason: "" };
  }
}
