import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config.ts";
import { parsePublicBaseUrl, parseReceiptConfig } from "../../src/sms/receipts/config.ts";

describe("PUBLIC_BASE_URL", () => {
  it("is an origin: a trailing slash is dropped, anything after the host is refused", () => {
    expect(parsePublicBaseUrl({}, false)).toBeNull();
    expect(parsePublicBaseUrl({ PUBLIC_BASE_URL: "https://verify.example.com/" }, false)).toBe("https://verify.example.com");
    for (const bad of ["https://verify.example.com/api", "https://verify.example.com/?x=1", "https://user:pw@verify.example.com", "verify.example.com"]) {
      expect(() => parsePublicBaseUrl({ PUBLIC_BASE_URL: bad }, false)).toThrow(ConfigError);
    }
  });

  it("is https outside development", () => {
    expect(() => parsePublicBaseUrl({ PUBLIC_BASE_URL: "http://verify.example.com" }, false)).toThrow(/https/);
    expect(parsePublicBaseUrl({ PUBLIC_BASE_URL: "http://localhost:8787" }, true)).toBe("http://localhost:8787");
  });
});

describe("receipt secrets", () => {
  it("are all optional; Vonage's method defaults to md5hash", () => {
    expect(parseReceiptConfig({})).toEqual({
      twilioAuthToken: "",
      vonageSignatureSecret: "",
      vonageSignatureMethod: "md5hash",
      telnyxPublicKey: "",
      plivoAuthToken: "",
      sinchCallbackSecret: "",
      webhookSecret: "",
    });
  });

  it("refuses an unknown Vonage method and a Telnyx key that is not a base64 Ed25519 key", () => {
    expect(() => parseReceiptConfig({ VONAGE_SIGNATURE_METHOD: "sha384" })).toThrow(ConfigError);
    expect(() => parseReceiptConfig({ TELNYX_PUBLIC_KEY: "not-a-key" })).toThrow(ConfigError);
    expect(parseReceiptConfig({ TELNYX_PUBLIC_KEY: "CGW5jGBy+SKsY85g8sa6Dhd0yfjRJ1NeSMJVu9Nl2w0=" }).telnyxPublicKey).toHaveLength(44);
  });
});
