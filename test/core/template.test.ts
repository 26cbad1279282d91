import { describe, expect, it } from "vitest";
import { BUILT_IN_TEMPLATES } from "../../src/core/locales.ts";
import { compileTemplate, DEFAULT_TEMPLATE, readsAsLink, renderTemplate, validateServiceName } from "../../src/core/template.ts";

describe("templates", () => {
  it("renders placeholders", () => {
    const t = compileTemplate("{{code}} is your {{serviceName}} code ({{ttlMinutes}} min)");
    expect(renderTemplate(t, { code: "123456", serviceName: "Acme", ttlMinutes: 10 })).toBe("123456 is your Acme code (10 min)");
  });

  it("inserts values literally: a placeholder inside a value stays text", () => {
    const t = compileTemplate("{{serviceName}}: {{code}}");
    expect(renderTemplate(t, { code: "1234", serviceName: "{{code}}", ttlMinutes: 1 })).toBe("{{code}}: 1234");
  });

  it.each([
    ["no code here", /exactly once \(found 0\)/],
    ["{{code}} {{code}}", /exactly once \(found 2\)/],
    ["{{code}} {{user}}", /unknown placeholder \{\{user\}\}/],
  ])("refuses %j", (source, message) => {
    expect(() => compileTemplate(source, "MESSAGE_TEMPLATE")).toThrow(message);
  });

  it("the default template is valid", () => {
    expect(compileTemplate(DEFAULT_TEMPLATE).parts.length).toBeGreaterThan(1);
  });

  it.each([
    ["Acme", true],
    ["Café Zoë", true],
    ["x".repeat(30), true],
    ["x".repeat(31), false],
    ["evil.com", false],
    ["https://x", false],
    ["www.acme", false],
    ["Acme\u202eknaB", false],
    ["Acme\tBank", false],
    ["   ", false],
  ])("service name %j ok=%s", (name, ok) => {
    if (ok) expect(validateServiceName(name)).toBe(name.trim());
    else expect(() => validateServiceName(name)).toThrow(/^serviceName: /);
  });
});

// Issue 17, item 3: the old check only saw a domain followed by `/:?#`, whitespace or the end, in
// ASCII, so punctuation, brackets, fullwidth and ideographic dots and zero-width characters let a
// link into the SMS. Each row is a name as a caller could send it.
describe("links in service names are judged as a phone or a reader sees them", () => {
  const LINK = /^serviceName: must not contain a URL or domain name$/;
  it.each([
    // Punctuation, brackets and quotes around or after the domain.
    ["(evil.com)"],
    ["evil.com!"],
    ["Visit evil.com."],
    ["evil.com,"],
    ['"evil.com"'],
    ["[evil.com]"],
    ["evil.com's"],
    ["EVIL.COM"],
    ["evil.co.uk"],
    ["evil.com1"],
    ["Mr.Smith"], // reads as a domain: .smith is no TLD today, but any word may become one
    ["Node.js"],
    // Look-alike letters and dots; NFKC folds some, others are mapped.
    ["ｅｖｉｌ．ｃｏｍ"], // fullwidth letters and FF0E
    ["evil。com"], // U+3002 ideographic full stop (a label separator in IDNA)
    ["evil｡com"], // U+FF61, folds to U+3002
    ["evil．com"], // U+FF0E, folds to "."
    ["evil﹒com"], // U+FE52 small full stop, folds to "."
    ["evil․com"], // U+2024 one dot leader, folds to "."
    ["evil︒com"], // U+FE12 vertical ideographic full stop, folds to U+3002
    ["evil꘎com"], // U+A60E Vai full stop: not folded, mapped
    ["evilꓸcom"], // U+A4F8 Lisu tone mark: not folded, mapped
    ["evil٠com"], // U+0660 Arabic-Indic zero, a dot to the eye
    ["𝐞𝐯𝐢𝐥.𝐜𝐨𝐦"], // mathematical bold, folded by NFKC
    ["ⓔⓥⓘⓛ.ⓒⓞⓜ"],
    // Invisible format characters between the parts.
    ["evil\u200b.com"],
    ["evil.\u200bcom"],
    ["ev\u00adil.c\u2060om"],
    ["evil\ufeff.com"],
    ["e\u200dvil.c\u200com"],
    ["evil.\u034fcom"], // combining grapheme joiner: default-ignorable, not Cf
    // Internationalised domains and their ASCII form.
    ["пример.рф"],
    ["楽天.com"],
    ["楽天。com"], // an ideographic stop before a Latin top-level domain
    ["例子.中国"],
    ["evil.xn--p1ai"],
    // Schemes, www and IP addresses.
    ["https://x"],
    ["http:evil"],
    ["HTTPS:x"],
    ["//evil"],
    ["see tel:+15550100"],
    ["www.acme"],
    ["Visit www."],
    ["www。acme"],
    ["1.2.3.4"],
    ["at 10.0.0.1!"],
    ["１０．０．０．１"],
    ["1。2。3。4"],
  ])("refuses %j", (name) => {
    expect(readsAsLink(name)).toBe(true);
    expect(() => validateServiceName(name)).toThrow(LINK);
  });

  it.each([
    ["Acme"],
    ["Acme Inc."],
    ["Dr. Smith"],
    ["v2.0"],
    ["Release 1.2.3"],
    ["St. Louis Bank"],
    ["A.B. Corp"],
    ["U.S. Bank"],
    ["e.g. Acme"],
    ["No.1 Bank"],
    ["Acme Co., Ltd."],
    ["3.5G Mobile"],
    ["Yahoo! Japan"],
    ["AT&T"],
    ["Motel: Check-in"], // "tel:" only counts as a scheme on its own
    ["Re:Zero Shop"],
    ["Col·legi"], // Catalan middle dot: not a dot look-alike
    ["Acme 👨\u200d👩\u200d👧"], // ZWJ in an emoji sequence: dropped only for the judgement
    ["楽天。ログイン"], // an ideographic full stop between CJK text is a sentence end
    ["ООО Ромашка"],
  ])("accepts %j", (name) => {
    expect(readsAsLink(name)).toBe(false);
    expect(validateServiceName(name)).toBe(name);
  });
});

describe("links in templates", () => {
  const LINK = /^MESSAGE_TEMPLATE: must not contain a URL or domain name$/;
  it.each([
    ["{{code}} is your code. Visit evil.com"],
    ["{{code}} is your code (evil.com)"],
    ["Code {{code}}. https://x"],
    ["{{code}} ｅｖｉｌ．ｃｏｍ"],
    ["{{code}}. evil。com"],
    ["{{code}} evil\u200b.com"],
    ["{{code}} www.acme"],
    // A placeholder next to literal text: the rendered message would read "Acme.com", "edge-verify.com".
    ["{{serviceName}}.com: {{code}}"],
    ["go to www.{{serviceName}} {{code}}"],
    ["login.{{serviceName}} {{code}}"],
    ["{{code}}.com"],
  ])("refuses %j", (source) => {
    expect(() => compileTemplate(source, "MESSAGE_TEMPLATE")).toThrow(LINK);
  });

  it.each([
    [DEFAULT_TEMPLATE],
    ["{{serviceName}}: {{code}}. Valid {{ttlMinutes}} min."],
    ["{{code}} ist Ihr Code. Gültig {{ttlMinutes}} Min."],
    ["{{serviceName}}.{{code}}"],
    ["{{code}}です。有効期限は{{ttlMinutes}}分です。"],
    ["コード：{{code}}。有効期限は{{ttlMinutes}}分"],
    ...Object.values(BUILT_IN_TEMPLATES).map((source) => [source]),
  ])("accepts %j", (source) => {
    expect(compileTemplate(source, "MESSAGE_TEMPLATE").source).toBe(source);
  });
});
