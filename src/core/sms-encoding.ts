// SMS encoding and segment arithmetic (3GPP TS 23.038 / GSM 03.38, TS 23.040 concatenation).
// Pure: tells what a body costs before it is sent, so templates can be held to one segment.
// No national language shift tables: provider and handset support for them is uneven.

export type SmsEncoding = "GSM-7" | "UCS-2";

export interface SmsAnalysis {
  encoding: SmsEncoding;
  /** Septets for GSM-7 (an extension character is 2), UTF-16 code units for UCS-2. */
  units: number;
  segments: number;
  /** Units one segment of this message holds: 160/153 for GSM-7, 70/67 for UCS-2. */
  perSegment: number;
}

/** Capacity of one segment: a single message, or each part of a concatenated one (the UDH takes 6 octets). */
export const SEGMENT_LIMITS = {
  "GSM-7": { single: 160, multipart: 153 },
  "UCS-2": { single: 70, multipart: 67 },
} as const satisfies Record<SmsEncoding, { single: number; multipart: number }>;

// The GSM 03.38 default alphabet, in code order (0x1B, the escape to the extension table, is left
// out). 0x09 is the capital C-cedilla the 3GPP table shows; small ç is not in the alphabet, so it
// forces UCS-2 here. Counting it as UCS-2 can only over-count, never under-count, segments.
const GSM_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
// The extension table: each is sent as ESC + character, so it costs 2 septets.
const GSM_EXTENDED = "\f^{}\\[~]|€";

const BASIC: ReadonlySet<string> = new Set(GSM_BASIC);
const EXTENDED: ReadonlySet<string> = new Set(GSM_EXTENDED);

/** Septets a character costs in GSM-7: 1, 2 (extension table), or undefined when not encodable. */
export function gsmSeptets(char: string): 1 | 2 | undefined {
  if (BASIC.has(char)) return 1;
  if (EXTENDED.has(char)) return 2;
  return undefined;
}

export function isGsm7(text: string): boolean {
  for (const char of text) {
    if (gsmSeptets(char) === undefined) return false;
  }
  return true;
}

/**
 * Encoding, size and segment count of an SMS body. Multipart packing never splits an escape
 * sequence (ESC + extension character) or a UTF-16 surrogate pair across two segments, so a
 * two-unit character that does not fit at the end of a segment moves whole to the next one.
 */
export function analyzeSms(text: string): SmsAnalysis {
  const encoding: SmsEncoding = isGsm7(text) ? "GSM-7" : "UCS-2";
  // Iterating a string yields code points: a surrogate pair comes as one 2-unit string.
  const costs: number[] = [];
  for (const char of text) costs.push(encoding === "GSM-7" ? (gsmSeptets(char) as number) : char.length);
  const units = costs.reduce((sum, cost) => sum + cost, 0);
  const limits = SEGMENT_LIMITS[encoding];
  if (units <= limits.single) {
    // An empty body is still one (empty) PDU.
    return { encoding, units, segments: 1, perSegment: limits.single };
  }
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > limits.multipart) {
      segments++;
      used = 0;
    }
    used += cost;
  }
  return { encoding, units, segments, perSegment: limits.multipart };
}
