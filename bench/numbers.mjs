// Distinct, valid US numbers (+1 415 NXX XXXX) checked with the same libphonenumber-js metadata
// the Worker uses, handed out without repeats so every pass of a run reaches fresh objects.
import { parsePhoneNumberWithError } from "libphonenumber-js/max";

export function createNumberSource() {
  let k = 0;
  let skipped = 0;
  return {
    /** The next `count` numbers never handed out before in this run. */
    take(count) {
      const numbers = [];
      while (numbers.length < count) {
        const exchange = 200 + (k % 800);
        const line = Math.floor(k / 800);
        k++;
        if (line > 9999) throw new Error("number space exhausted");
        const e164 = `+1415${exchange}${String(line).padStart(4, "0")}`;
        const parsed = parsePhoneNumberWithError(e164);
        if (parsed.isValid() && parsed.country === "US") numbers.push(e164);
        else skipped++;
      }
      return numbers;
    },
    skipped: () => skipped,
  };
}
