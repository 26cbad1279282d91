// The soak's traffic shape: many numbers in many ranges over several countries, client IPs that
// are mostly distinct, and small hot subsets (a few numbers, one or two IPs, one or two ranges, one
// small tenant) that meet the limits, so the limits are reached by the hot subset and not by
// everyone, as in production.
import { getExampleNumber, parsePhoneNumberWithError } from "libphonenumber-js/max";
import examples from "libphonenumber-js/examples.mobile.json";

/** Ranges per country for a pool of 100 ranges (scaled to the plan's count). */
const COUNTRY_WEIGHTS = { US: 30, GB: 10, DE: 8, FR: 8, BR: 8, IN: 8, CA: 7, AU: 5, MX: 5, ES: 5, NG: 6 };
const SENDABLE = new Set(["MOBILE", "FIXED_LINE_OR_MOBILE"]);

/**
 * Ranges (a number without its last 4 digits, as src/core/policy.ts rangeOf) of one country, each
 * of `perRange` valid mobile numbers: the country's example mobile number with its 3 digits before
 * the last 4 varied, lines spread over the range.
 */
function* rangesOf(country, perRange) {
  const example = getExampleNumber(country, examples).number;
  const stem = example.slice(0, -7);
  for (let block = 100; block < 1000; block++) {
    const range = `${stem}${block}`;
    const numbers = [];
    for (let line = 1000; numbers.length < perRange && line < 9999; line += 37) {
      const e164 = range + line;
      let ok = false;
      try {
        const parsed = parsePhoneNumberWithError(e164);
        ok = parsed.isValid() && parsed.country === country && SENDABLE.has(parsed.getType());
      } catch {}
      if (ok) numbers.push(e164);
      else if (numbers.length === 0) break; // not a mobile block: the next one
    }
    if (numbers.length === perRange) yield numbers;
  }
}

/**
 * The numbers a run uses, disjoint by range: `pool` (ordinary traffic, `ranges` ranges over the
 * countries), `hotNumbers` (each alone in its range, so the per-number limits and not the range
 * cap refuse them), `hotRanges` (a pumping attack on a few ranges), `carry` (the restart probes:
 * numbers nobody else uses, and one range of its own for the range probe).
 */
export function numberPlan({ ranges, perRange, hotNumbers, hotRanges, carryNumbers, carryRangeSize }) {
  const total = Object.values(COUNTRY_WEIGHTS).reduce((a, b) => a + b, 0);
  const sources = Object.fromEntries(Object.keys(COUNTRY_WEIGHTS).map((c) => [c, rangesOf(c, Math.max(perRange, carryRangeSize))]));
  const take = (country) => {
    const next = sources[country].next();
    if (next.done) throw new Error(`soak: not enough ${country} ranges`);
    return next.value;
  };
  const pool = [];
  const countries = {};
  for (const [country, weight] of Object.entries(COUNTRY_WEIGHTS)) {
    const n = Math.max(1, Math.round((ranges * weight) / total));
    countries[country] = n;
    for (let i = 0; i < n; i++) pool.push(...take(country).slice(0, perRange));
  }
  const hot = Array.from({ length: hotNumbers }, () => take("US")[0]);
  const hotRangeNumbers = Array.from({ length: hotRanges }, () => take("US")).flat();
  // One number a range: the probes' own limits, never a range cap, decide what they meet.
  const carry = Array.from({ length: carryNumbers }, (_, i) => take(i % 2 ? "GB" : "FR")[0]);
  const carryRange = take("DE").slice(0, carryRangeSize);
  return { pool, hot, hotRangeNumbers, carry, carryRange, countries, rangeCount: pool.length / perRange };
}

/** A client IP nobody else sends from (IPv4, or an IPv6 /64 of its own one time in five). */
export function distinctIp(random) {
  const byte = () => Math.floor(random() * 256);
  if (random() < 0.2) {
    const group = () => Math.floor(random() * 65_536).toString(16);
    return `2001:db8:${group()}:${group()}::${group()}`;
  }
  return `${11 + Math.floor(random() * 200)}.${byte()}.${byte()}.${1 + Math.floor(random() * 254)}`;
}

/** A number's country (ISO 3166-1 alpha-2), as the country caps count it. */
export function countryOf(e164) {
  return parsePhoneNumberWithError(e164).country;
}
