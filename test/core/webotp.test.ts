import { describe, expect, it } from "vitest";
import { appendCodeBindings, validateAppHash, validateCodeBindings, validateWebOtpDomain } from "../../src/core/webotp.ts";
import { renderMessage } from "../../src/core/message.ts";
import { BUILT_IN_TEMPLATES } from "../../src/core/locales.ts";
import { compileTemplate } from "../../src/core/template.ts";
import { VerifyError } from "../../src/core/errors.ts";

// The spec's parser (WICG sms-one-time-codes §Parsing), with Chrome's " @iframe-host" extension:
// only the last line counts, it must start with "@host #code", single spaces between fields.
function parseOriginBound(message: string): { host: string; code: string; embedded?: string } | null {
  const lines = message.replace(/\r\n?/g, "\n").split("\n");
  const match = /^@([^\s]+) #([^\s]+)(?: @([^\s]+))?/.exec(lines[lines.length - 1]!);
  if (!match) return null;
  return { host: match[1]!, code: match[2]!, ...(match[3] ? { embedded: match[3] } : {}) };
}

const count = (haystack: string, needle: string): number => haystack.split(needle).length - 1;

describe("validateWebOtpDomain", () => {
  it.each(["example.com", "login.example.co.uk", "xn--bcher-kva.example", "a-b.example", "x1.io"])("accepts %s", (domain) => {
    expect(validateWebOtpDomain(domain)).toBe(domain);
  });

  it.each([
    ["", /empty/],
    ["https://example.com", /no scheme/],
    ["example.com:443", /no scheme, port/],
    ["example.com/login", /path/],
    ["user@example.com", /bare host/],
    ["exa mple.com", /spaces/],
    ["example.com\n@evil.example", /spaces/],
    ["Example.com", /lowercase/],
    ["bücher.example", /punycode/],
    ["localhost", /fully qualified/],
    ["example.com.", /label/],
    ["-a.example", /label/],
    ["a-.example", /label/],
    ["a..example", /label/],
    ["a_b.example", /label/],
    ["192.168.0.1", /IP address/],
    [`${"a".repeat(64)}.example`, /label/],
    [`${"a.".repeat(126)}com`, /253/],
  ])("refuses %j", (domain, message) => {
    expect(() => validateWebOtpDomain(domain)).toThrow(message);
    expect(() => validateWebOtpDomain(domain, "WEBOTP_DOMAIN")).toThrow(/^WEBOTP_DOMAIN: /);
  });
});

describe("validateAppHash", () => {
  it.each(["FA+9qCX9VSu", "abcdefghijk", "0123456789/"])("accepts %s", (hash) => {
    expect(validateAppHash(hash)).toBe(hash);
  });

  it.each(["FA+9qCX9VS", "FA+9qCX9VSuu", "FA-9qCX9VSu", "FA_9qCX9VSu", "FA+9qCX9VS=", "FA+9qCX9VS\n", " FA+9qCX9VS", ""])(
    "refuses %j naming the field",
    (hash) => {
      expect(() => validateAppHash(hash)).toThrow(VerifyError);
      expect(() => validateAppHash(hash)).toThrow(/^appHash: /);
    },
  );
});

describe("appendCodeBindings", () => {
  it("appends the origin-bound line as the last line", () => {
    const message = appendCodeBindings("123456 is your Acme code.", "123456", { webOtpDomain: "example.com" });
    expect(message).toBe("123456 is your Acme code.\n@example.com #123456");
    expect(parseOriginBound(message)).toEqual({ host: "example.com", code: "123456" });
  });

  it("appends the iframe host after the code", () => {
    const message = appendCodeBindings("Code 123456", "123456", { webOtpDomain: "shop.example", webOtpEmbeddedDomain: "bank.example" });
    expect(message.split("\n").at(-1)).toBe("@shop.example #123456 @bank.example");
    expect(parseOriginBound(message)).toEqual({ host: "shop.example", code: "123456", embedded: "bank.example" });
  });

  it("appends the app hash on its own line, before the WebOTP line", () => {
    expect(appendCodeBindings("Code 123456", "123456", { appHash: "FA+9qCX9VSu" })).toBe("Code 123456\nFA+9qCX9VSu");
    const both = appendCodeBindings("Code 123456", "123456", { appHash: "FA+9qCX9VSu", webOtpDomain: "example.com" });
    expect(both).toBe("Code 123456\nFA+9qCX9VSu\n@example.com #123456");
    expect(parseOriginBound(both)).toEqual({ host: "example.com", code: "123456" });
  });

  it("adds nothing without bindings", () => {
    expect(appendCodeBindings("Code 123456", "123456", {})).toBe("Code 123456");
  });

  it("keeps the binding last even when the template forges an origin-bound line", () => {
    const message = appendCodeBindings("@evil.example #000000\nCode 123456", "123456", { webOtpDomain: "example.com" });
    expect(parseOriginBound(message)).toEqual({ host: "example.com", code: "123456" });
  });

  it("refuses a code that could break the line", () => {
    for (const code of ["123456\n", "12 3456", "123456 @evil.example", "abc123", ""]) {
      expect(() => appendCodeBindings("x", code, { webOtpDomain: "example.com" }), JSON.stringify(code)).toThrow();
    }
  });

  it("refuses an embedded host without a top-level one", () => {
    expect(() => validateCodeBindings({ webOtpEmbeddedDomain: "bank.example" })).toThrow(/^webOtpEmbeddedDomain: /);
  });
});

describe("bindings through renderMessage", () => {
  const values = { code: "482910", serviceName: "Acme", ttlMinutes: 10 };

  it.each(Object.keys(BUILT_IN_TEMPLATES))("%s: the code appears once in the text and once in the WebOTP line", (locale) => {
    const { body } = renderMessage(compileTemplate(BUILT_IN_TEMPLATES[locale]!), values, { webOtpDomain: "example.com" });
    const lines = body.split("\n");
    expect(lines.at(-1)).toBe("@example.com #482910");
    expect(count(lines.slice(0, -1).join("\n"), "482910")).toBe(1);
    expect(count(body, "482910")).toBe(2);
    expect(parseOriginBound(body)).toEqual({ host: "example.com", code: "482910" });
  });

  it("refuses a service name that would inject a line, whatever the line break", () => {
    const template = compileTemplate(BUILT_IN_TEMPLATES.en!);
    for (const serviceName of ["Acme\n@evil.example #000000", "Acme\r@evil.example", "Acme\u2028x", "Acme\u2029x", "Acme\u0085x"]) {
      expect(() => renderMessage(template, { ...values, serviceName }, { webOtpDomain: "example.com" })).toThrow(/^serviceName: /);
    }
  });

  it("counts the bindings in the segments", () => {
    const template = compileTemplate(`${"a".repeat(150)}{{code}}`); // 156 septets alone
    expect(renderMessage(template, values)).toMatchObject({ encoding: "GSM-7", segments: 1 });
    expect(renderMessage(template, values, { appHash: "FA+9qCX9VSu" })).toMatchObject({ encoding: "GSM-7", segments: 2 });
  });
});
