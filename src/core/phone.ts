// Phone-number parsing and normalisation with libphonenumber-js (full metadata, for line types).
// Pure: no I/O. Numbers must carry a "+" country code; we never guess a default region.
import { parsePhoneNumberWithError, ParseError, type NumberType } from "libphonenumber-js/max";
import { invalidArgument } from "./errors.ts";

export type LineType =
  | "mobile"
  | "fixed_line"
  | "fixed_line_or_mobile"
  | "voip"
  | "toll_free"
  | "premium_rate"
  | "shared_cost"
  | "personal_number"
  | "pager"
  | "uan"
  | "voicemail"
  | "unknown";

export interface PhoneNumberInfo {
  /** E.164, e.g. "+14155550100". */
  e164: string;
  /** ISO 3166-1 alpha-2 region of the number ("JM" for +1 876, not "US"). */
  countryCode: string;
  /** Country calling code without "+", e.g. "1". */
  callingCode: string;
  lineType: LineType;
}

const LINE_TYPES: Record<NonNullable<NumberType>, LineType> = {
  MOBILE: "mobile",
  FIXED_LINE: "fixed_line",
  FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
  VOIP: "voip",
  TOLL_FREE: "toll_free",
  PREMIUM_RATE: "premium_rate",
  SHARED_COST: "shared_cost",
  PERSONAL_NUMBER: "personal_number",
  PAGER: "pager",
  UAN: "uan",
  VOICEMAIL: "voicemail",
};

/**
 * Parses `input` (E.164, or "+" and digits with common separators) into a normalised number.
 * Throws an invalid_argument VerifyError naming `field` when it is not a valid, dialable number.
 */
export function parsePhoneNumber(input: unknown, field = "to"): PhoneNumberInfo {
  if (typeof input !== "string" || input.trim() === "") {
    throw invalidArgument(field, "a phone number in E.164 format is required, e.g. +14155550100");
  }
  const text = input.trim();
  if (text.length > 32 || !/^\+[0-9 ().-]+$/.test(text)) {
    throw invalidArgument(field, "must be a phone number with a + country code, e.g. +14155550100");
  }
  let parsed;
  try {
    parsed = parsePhoneNumberWithError(text);
  } catch (error) {
    if (error instanceof ParseError) {
      throw invalidArgument(field, "is not a valid phone number");
    }
    throw error;
  }
  if (!parsed.isValid() || !parsed.country) {
    throw invalidArgument(field, "is not a valid phone number for any region");
  }
  const type = parsed.getType();
  return {
    e164: parsed.number,
    countryCode: parsed.country,
    callingCode: parsed.countryCallingCode,
    lineType: type ? LINE_TYPES[type] : "unknown",
  };
}

/** "+14155550100" → "+1415****100": enough to debug routing, not enough to identify a person. */
export function maskPhoneNumber(e164: string): string {
  if (e164.length <= 8) return `${e164.slice(0, 2)}****`;
  return `${e164.slice(0, 5)}****${e164.slice(-3)}`;
}
