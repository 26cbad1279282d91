import { describe, expect, it } from "vitest";
import { analyzeSms, gsmSeptets, isGsm7 } from "../../src/core/sms-encoding.ts";

const gsm = (n: number): string => "a".repeat(n);
const ucs = (n: number): string => "ж".repeat(n);
const EMOJI = "😀"; // U+1F600: a surrogate pair, 2 UTF-16 units

describe("analyzeSms: GSM-7", () => {
  it.each([
    [1, 1, 1, 160],
    [160, 160, 1, 160],
    [161, 161, 2, 153],
    [306, 306, 2, 153],
    [307, 307, 3, 153],
    [459, 459, 3, 153],
    [460, 460, 4, 153],
  ])("%i basic characters → %i septets, %i segment(s)", (length, units, segments, perSegment) => {
    expect(analyzeSms(gsm(length))).toEqual({ encoding: "GSM-7", units, segments, perSegment });
  });

  it("counts every extension character as 2 septets", () => {
    for (const char of ["^", "{", "}", "\\", "[", "~", "]", "|", "€", "\f"]) {
      expect(gsmSeptets(char), JSON.stringify(char)).toBe(2);
      expect(analyzeSms(`a${char}`)).toMatchObject({ encoding: "GSM-7", units: 3, segments: 1 });
    }
  });

  it("accepts the whole basic alphabet, including Greek capitals and accented letters", () => {
    const sample = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà";
    expect(isGsm7(sample)).toBe(true);
    expect(analyzeSms(sample).units).toBe([...sample].length);
  });

  it("switches to UCS-2 for one character outside the alphabet", () => {
    for (const char of ["ç", "á", "ó", "ł", "ş", "`", "α", "\t", "’"]) {
      expect(isGsm7(`Code ${char}`), char).toBe(false);
      expect(analyzeSms(`Code ${char}`).encoding).toBe("UCS-2");
    }
  });

  it("€ at the single-segment boundary: 158 + € = 160 fits, 159 + € = 161 does not", () => {
    expect(analyzeSms(`${gsm(158)}€`)).toMatchObject({ units: 160, segments: 1 });
    expect(analyzeSms(`${gsm(159)}€`)).toMatchObject({ units: 161, segments: 2 });
  });

  it("never splits an escape sequence: € straddling the 153rd septet moves to the next segment", () => {
    // 152 + € (2) would need septets 153-154: the escape pair moves whole to segment 2.
    // 152 + 2 + 152 = 306 septets, but segment 1 holds only 152, so 154 remain for segment 2: 3 parts.
    expect(analyzeSms(`${gsm(152)}€${gsm(152)}`)).toMatchObject({ units: 306, segments: 3 });
    // Same total with the € placed where it does not straddle: 2 parts.
    expect(analyzeSms(`${gsm(151)}€${gsm(153)}`)).toMatchObject({ units: 306, segments: 2 });
  });
});

describe("analyzeSms: UCS-2", () => {
  it.each([
    [1, 1, 70],
    [70, 1, 70],
    [71, 2, 67],
    [134, 2, 67],
    [135, 3, 67],
  ])("%i BMP characters → %i segment(s)", (length, segments, perSegment) => {
    expect(analyzeSms(ucs(length))).toEqual({ encoding: "UCS-2", units: length, segments, perSegment });
  });

  it("counts an emoji as 2 UTF-16 units", () => {
    expect(analyzeSms(EMOJI)).toEqual({ encoding: "UCS-2", units: 2, segments: 1, perSegment: 70 });
    expect(analyzeSms(`${ucs(68)}${EMOJI}`)).toMatchObject({ units: 70, segments: 1 });
    expect(analyzeSms(`${ucs(69)}${EMOJI}`)).toMatchObject({ units: 71, segments: 2 });
  });

  it("never splits a surrogate pair across segments", () => {
    // 66 + 2 would need units 67-68: the pair moves whole to segment 2.
    expect(analyzeSms(`${ucs(66)}${EMOJI}${ucs(66)}`)).toMatchObject({ units: 134, segments: 3 });
    expect(analyzeSms(`${ucs(65)}${EMOJI}${ucs(67)}`)).toMatchObject({ units: 134, segments: 2 });
  });

  it("one non-GSM character makes the whole message UCS-2, so 71 ASCII characters take 2 segments", () => {
    expect(analyzeSms(`${gsm(69)}ç`)).toMatchObject({ encoding: "UCS-2", units: 70, segments: 1 });
    expect(analyzeSms(`${gsm(70)}ç`)).toMatchObject({ encoding: "UCS-2", units: 71, segments: 2 });
  });
});
