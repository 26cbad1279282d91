// What every receipt verifier shares (src/sms/receipts/shared.ts): keyed hashes against published
// vectors, the per-verification URL token, freshness, constant-time comparison, encodings, and
// reading the request. Each vendor's use of them is in test/sms/receipts.test.ts.
import { describe, expect, it } from "vitest";
import {
  anySignatureMatches,
  bytesEqual,
  defaultCallbackUrl,
  errorCodeOf,
  formParams,
  freshSeconds,
  fromBase64,
  fromHex,
  hasUrlToken,
  hmac,
  hmacMd5,
  isObject,
  jsonBody,
  md5,
  TIMESTAMP_TOLERANCE_MS,
  toBase64,
  toHex,
  urlToken,
  utf8,
  type CallbackRequest,
} from "../../../src/sms/receipts/shared.ts";

// RFC 2202 / RFC 4231 test case 2.
const JEFE = { key: "Jefe", data: "what do ya want for nothing?" };

const request = (overrides: Partial<CallbackRequest>): CallbackRequest => ({ method: "POST", url: "https://verify.example.test/v1/callbacks/x", headers: new Headers(), body: "", ...overrides });

describe("keyed hashes", () => {
  it("HMAC-SHA1, -SHA256 and -SHA512 match the RFC vectors", async () => {
    expect(toHex(await hmac("SHA-1", JEFE.key, JEFE.data))).toBe("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    expect(toHex(await hmac("SHA-256", JEFE.key, JEFE.data))).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    expect(toHex(await hmac("SHA-512", utf8(JEFE.key), JEFE.data))).toBe(
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    );
  });

  it("MD5 and HMAC-MD5 (built on it) match known answers, a key longer than a block hashed first", async () => {
    expect(toHex(await md5(utf8("")))).toBe("d41d8cd98f00b204e9800998ecf8427e");
    expect(toHex(await md5(utf8("abc")))).toBe("900150983cd24fb0d6963f7d28e17f72");
    expect(toHex(await hmacMd5(JEFE.key, JEFE.data))).toBe("750c783e6ab0b503eaa86e310a5db738");
    // Python's hmac.new(b"k" * 80, b"Test Using Larger Than Block-Size Key", md5).
    expect(toHex(await hmacMd5("k".repeat(80), "Test Using Larger Than Block-Size Key"))).toBe("592133f8b544f41d0716a2a278dbea2f");
    // Key and data are UTF-8: hmac.new("clé".encode(), "dataé".encode(), md5).
    expect(toHex(await hmacMd5("clé", "dataé"))).toBe("77222a0342aa16f0f105aafbdce2c376");
  });
});

describe("URL tokens", () => {
  const KEY = "token-key";
  const withToken = (url: string) => request({ url });

  it("are base64url HMAC-SHA256 of '<vendor>:<verification id>'", async () => {
    expect(await urlToken(KEY, "infobip", "ve_1")).toBe("s2-1qFI6Vl-7-1IJWQ_OWMg-VhDdl-9z7p4bAK6SCsw");
  });

  it("vouch for their own verification and vendor only", async () => {
    const token = await urlToken(KEY, "infobip", "ve_1");
    const base = "https://verify.example.test/v1/callbacks/infobip";
    expect(await hasUrlToken(withToken(`${base}?v=ve_1&t=${token}`), KEY, "infobip")).toBe(true);
    expect(await hasUrlToken(withToken(`${base}?v=ve_2&t=${token}`), KEY, "infobip")).toBe(false);
    expect(await hasUrlToken(withToken(`${base}?v=ve_1&t=${token}`), KEY, "plivo")).toBe(false);
    expect(await hasUrlToken(withToken(`${base}?v=ve_1&t=${token}`), "other-key", "infobip")).toBe(false);
    expect(await hasUrlToken(withToken(`${base}?v=ve_1&t=${token.slice(0, -1)}`), KEY, "infobip")).toBe(false);
  });

  it("are refused when the key, the id or the token is missing", async () => {
    const token = await urlToken(KEY, "infobip", "ve_1");
    const base = "https://verify.example.test/v1/callbacks/infobip";
    expect(await hasUrlToken(withToken(`${base}?v=ve_1&t=${token}`), "", "infobip")).toBe(false);
    expect(await hasUrlToken(withToken(`${base}?t=${token}`), KEY, "infobip")).toBe(false);
    expect(await hasUrlToken(withToken(`${base}?v=ve_1`), KEY, "infobip")).toBe(false);
    expect(await hasUrlToken(withToken(`${base}?v=ve_1&t=`), KEY, "infobip")).toBe(false);
  });
});

describe("freshSeconds", () => {
  const NOW_MS = 1_800_000_000_000;
  const seconds = (ms: number) => String(Math.floor(ms / 1000));

  it("accepts a timestamp within 5 minutes either side, the bounds included", () => {
    expect(freshSeconds(seconds(NOW_MS), NOW_MS)).toBe(true);
    expect(freshSeconds(seconds(NOW_MS - TIMESTAMP_TOLERANCE_MS), NOW_MS)).toBe(true);
    expect(freshSeconds(seconds(NOW_MS + TIMESTAMP_TOLERANCE_MS), NOW_MS)).toBe(true);
    expect(freshSeconds(seconds(NOW_MS - TIMESTAMP_TOLERANCE_MS - 1_000), NOW_MS)).toBe(false);
    expect(freshSeconds(seconds(NOW_MS + TIMESTAMP_TOLERANCE_MS + 1_000), NOW_MS)).toBe(false);
    expect(TIMESTAMP_TOLERANCE_MS).toBe(300_000);
  });

  it("refuses what is not whole seconds: missing, milliseconds, signs, fractions, words", () => {
    for (const timestamp of [null, "", String(NOW_MS), "-1", "1800000000.5", "1e9", " 1800000000", "now"]) expect(freshSeconds(timestamp, NOW_MS), String(timestamp)).toBe(false);
  });
});

describe("comparisons", () => {
  it("bytesEqual: equal bytes only; different lengths and empty inputs are unequal", () => {
    expect(bytesEqual(utf8("abc"), utf8("abc"))).toBe(true);
    expect(bytesEqual(utf8("abc"), utf8("abd"))).toBe(false);
    expect(bytesEqual(utf8("abc"), utf8("abcd"))).toBe(false);
    expect(bytesEqual(new Uint8Array(), new Uint8Array())).toBe(false);
  });

  it("anySignatureMatches: any one of comma-separated base64 (or base64url) signatures", () => {
    const expected = new Uint8Array([0xfb, 0xff, 0x01, 0x02]);
    const standard = toBase64(expected); // "+/8BAg=="
    expect(standard).toBe("+/8BAg==");
    expect(anySignatureMatches(standard, expected)).toBe(true);
    expect(anySignatureMatches(`AAAA,${standard}`, expected)).toBe(true);
    expect(anySignatureMatches(`not base64!, ${standard}`, expected)).toBe(true);
    expect(anySignatureMatches("-_8BAg", expected)).toBe(true);
    expect(anySignatureMatches("AAAA,BBBB", expected)).toBe(false);
    expect(anySignatureMatches("", expected)).toBe(false);
  });
});

describe("encodings", () => {
  it("hex both ways; odd lengths and non-hex are null", () => {
    const bytes = new Uint8Array([0, 1, 0xab, 0xff]);
    expect(toHex(bytes)).toBe("0001abff");
    expect(fromHex("0001abff")).toEqual(bytes);
    expect(fromHex("0001ABFF")).toEqual(bytes);
    for (const bad of ["", "0", "0g", "00 11"]) expect(fromHex(bad), bad).toBeNull();
  });

  it("base64 both ways, url-safe letters and surrounding space accepted; anything else is null", () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0x01]);
    expect(toBase64(bytes)).toBe("+/8B");
    expect(fromBase64("+/8B")).toEqual(bytes);
    expect(fromBase64("-_8B")).toEqual(bytes);
    expect(fromBase64(" +/8B\n")).toEqual(bytes);
    for (const bad of ["", "!!!!", "AA=A", "AAA==="]) expect(fromBase64(bad), bad).toBeNull();
  });

  it("defaultCallbackUrl puts the verification id in v, encoded", () => {
    expect(defaultCallbackUrl("https://verify.example.test", "telnyx", "ve_a+b")).toBe("https://verify.example.test/v1/callbacks/telnyx?v=ve_a%2Bb");
  });
});

describe("reading a callback", () => {
  it("formParams: a GET's query, a form body in order with duplicates, nothing for other bodies", () => {
    expect(formParams(request({ method: "GET", url: "https://x.test/cb?v=ve_1&Status=delivered" }))).toEqual([["v", "ve_1"], ["Status", "delivered"]]);
    const form = request({ headers: new Headers({ "content-type": "application/x-www-form-urlencoded; charset=utf-8" }), body: "b=2&a=1&b=3" });
    expect(formParams(form)).toEqual([["b", "2"], ["a", "1"], ["b", "3"]]);
    expect(formParams(request({ headers: new Headers({ "content-type": "application/json" }), body: "b=2" }))).toEqual([]);
    expect(formParams(request({ body: "b=2" }))).toEqual([]);
  });

  it("jsonBody is null for a body that is not JSON; isObject only for plain objects", () => {
    expect(jsonBody(request({ body: '{"a":1}' }))).toEqual({ a: 1 });
    expect(jsonBody(request({ body: "<html>" }))).toBeNull();
    expect(jsonBody(request({ body: "" }))).toBeNull();
    expect([isObject({}), isObject([]), isObject(null), isObject("x")]).toEqual([true, false, false, false]);
  });

  it("errorCodeOf: a vendor code as trimmed text of at most 64 characters; zero, blank and other types are none", () => {
    expect(errorCodeOf(30003)).toBe("30003");
    expect(errorCodeOf(" 30003 ")).toBe("30003");
    expect(errorCodeOf("EC_UNKNOWN_SUBSCRIBER")).toBe("EC_UNKNOWN_SUBSCRIBER");
    expect(errorCodeOf("x".repeat(100))).toBe("x".repeat(64));
    for (const none of [0, "0", "000", "", "  ", null, undefined, true, { code: 1 }]) expect(errorCodeOf(none), JSON.stringify(none)).toBe("");
  });
});
