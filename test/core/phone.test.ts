import { describe, expect, it } from "vitest";
import { VerifyError } from "../../src/core/errors.ts";
import { maskPhoneNumber, parsePhoneNumber } from "../../src/core/phone.ts";

describe("parsePhoneNumber", () => {
  it.each([
    ["+14155552671", "+14155552671", "US", "fixed_line_or_mobile"],
    ["+1 (415) 555-2671", "+14155552671", "US", "fixed_line_or_mobile"],
    ["+1 876 555 0123", "+18765550123", "JM", "mobile"],
    ["+33 6 12 34 56 78", "+33612345678", "FR", "mobile"],
    ["+49 151 12345678", "+4915112345678", "DE", "mobile"],
    ["+1 900 555 0123", "+19005550123", "US", "premium_rate"],
    ["+1 800 555 0199", "+18005550199", "US", "toll_free"],
  ])("%s → %s (%s, %s)", (input, e164, countryCode, lineType) => {
    expect(parsePhoneNumber(input)).toMatchObject({ e164, countryCode, lineType });
  });

  it.each([[""], ["4155552671"], ["+1415"], ["+999 1234567"], ["+1 415 CALL NOW"], ["+44 7700 900123"], [12345], [null], ["+" + "1".repeat(40)]])(
    "refuses %j naming the field",
    (input) => {
      try {
        parsePhoneNumber(input, "to");
        throw new Error("accepted");
      } catch (error) {
        expect(error).toBeInstanceOf(VerifyError);
        expect((error as VerifyError).reason).toBe("invalid_argument");
        expect((error as VerifyError).details.field).toBe("to");
        expect((error as VerifyError).message).toMatch(/^to: /);
      }
    },
  );

  it("masks numbers for logs", () => {
    expect(maskPhoneNumber("+14155550100")).toBe("+1415****100");
    expect(maskPhoneNumber("+4915112345678")).toBe("+4915****678");
  });
});
