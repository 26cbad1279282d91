import { describe, expect, it } from "vitest";
import {
  BUILT_IN_TEMPLATES,
  RTL_LOCALES,
  canonicalizeLocale,
  createTemplateCatalog,
  parseCustomTemplates,
  resolveLocale,
} from "../../src/core/locales.ts";
import { renderMessage } from "../../src/core/message.ts";
import { analyzeSms, isGsm7 } from "../../src/core/sms-encoding.ts";
import { compileTemplate, renderTemplate, DEFAULT_TEMPLATE } from "../../src/core/template.ts";
import { VerifyError } from "../../src/core/errors.ts";

const REQUIRED = [
  "en", "es", "pt", "pt-BR", "fr", "de", "it", "nl", "sv", "da", "nb", "fi", "pl", "cs", "ro", "hu", "el", "tr",
  "ru", "uk", "ar", "he", "hi", "bn", "ja", "zh-Hans", "zh-Hant", "ko", "th", "vi", "id", "ms", "tl",
];
const LOCALES = Object.keys(BUILT_IN_TEMPLATES);
const CODE = "8406139257"; // 10 digits: the longest code
const count = (haystack: string, needle: string): number => haystack.split(needle).length - 1;

// The costliest 30-unit service name that keeps the template's own encoding.
function worstServiceName(source: string): string {
  const literal = source.replace(/\{\{\w+\}\}/g, "");
  return isGsm7(literal) ? "€".repeat(30) : "ж".repeat(30);
}

describe("built-in templates", () => {
  it("cover at least 25 languages, including every required one", () => {
    expect(LOCALES.length).toBeGreaterThanOrEqual(25);
    expect(LOCALES).toEqual(expect.arrayContaining(REQUIRED));
  });

  it("keep English identical to the default template", () => {
    expect(BUILT_IN_TEMPLATES.en).toBe(DEFAULT_TEMPLATE);
  });

  it.each(LOCALES)("%s: {{code}} exactly once, names the service, renders the code once", (locale) => {
    const source = BUILT_IN_TEMPLATES[locale]!;
    expect(count(source, "{{code}}")).toBe(1);
    expect(source).toContain("{{serviceName}}");
    const body = renderTemplate(compileTemplate(source), { code: CODE, serviceName: "Acme", ttlMinutes: 10 });
    expect(count(body, CODE)).toBe(1);
    expect(body).toContain("Acme");
    expect(body).not.toMatch(/\{\{|\}\}/);
    expect(body.normalize("NFC")).toBe(body);
  });

  it.each(LOCALES)("%s: one segment with a 10-digit code, a 30-unit worst-case service name and 60 minutes", (locale) => {
    const source = BUILT_IN_TEMPLATES[locale]!;
    const serviceName = worstServiceName(source);
    expect(serviceName.length).toBe(30);
    const message = renderMessage(compileTemplate(source), { code: CODE, serviceName, ttlMinutes: 60 });
    const analysis = analyzeSms(message.body);
    expect(analysis.segments).toBe(1);
    expect(analysis.units).toBeLessThanOrEqual(analysis.encoding === "GSM-7" ? 160 : 70);
    expect(message).toMatchObject({ encoding: analysis.encoding, segments: 1 });
  });

  it("are translations, not copies: every template is distinct", () => {
    const texts = Object.values(BUILT_IN_TEMPLATES);
    expect(new Set(texts).size).toBe(texts.length);
  });

  it.each([
    ["ar", /\p{Script=Arabic}/u],
    ["he", /\p{Script=Hebrew}/u],
    ["ja", /\p{Script=Hiragana}/u],
    ["zh-Hans", /验证码/],
    ["zh-Hant", /驗證碼/],
    ["ko", /\p{Script=Hangul}/u],
    ["th", /\p{Script=Thai}/u],
    ["hi", /\p{Script=Devanagari}/u],
    ["bn", /\p{Script=Bengali}/u],
    ["el", /\p{Script=Greek}/u],
    ["ru", /\p{Script=Cyrillic}/u],
    ["uk", /[іїєґ]/u],
  ])("%s is written in its own script", (locale, script) => {
    expect(BUILT_IN_TEMPLATES[locale]).toMatch(script);
  });

  it("marks exactly the right-to-left locales", () => {
    expect([...RTL_LOCALES].sort()).toEqual(["ar", "he"]);
    for (const locale of LOCALES) {
      const rtl = /[\p{Script=Arabic}\p{Script=Hebrew}]/u.test(BUILT_IN_TEMPLATES[locale]!);
      expect(RTL_LOCALES.has(locale), locale).toBe(rtl);
    }
  });

  it("stay in GSM-7 where the language allows it", () => {
    for (const locale of ["en", "fr", "de", "it", "nl", "sv", "da", "nb", "fi", "id", "ms", "tl"]) {
      expect(isGsm7(BUILT_IN_TEMPLATES[locale]!.replace(/\{\{\w+\}\}/g, "")), locale).toBe(true);
    }
  });
});

describe("resolveLocale", () => {
  const available = LOCALES;
  it.each([
    ["en", "en"],
    ["pt-BR", "pt-BR"],
    ["pt-br", "pt-BR"],
    ["PT_br", "pt-BR"],
    ["pt-PT", "pt"],
    ["pt", "pt"],
    ["es-419", "es"],
    ["es-MX", "es"],
    ["fr-CA", "fr"],
    ["de-AT", "de"],
    ["en-GB", "en"],
    ["zh", "zh-Hans"],
    ["zh-CN", "zh-Hans"],
    ["zh-SG", "zh-Hans"],
    ["zh-Hans-CN", "zh-Hans"],
    ["zh-TW", "zh-Hant"],
    ["zh-HK", "zh-Hant"],
    ["zh-MO", "zh-Hant"],
    ["zh-hant", "zh-Hant"],
    ["zh-Hant-TW", "zh-Hant"],
    ["iw", "he"],
    ["iw-IL", "he"],
    ["he-IL", "he"],
    ["no", "nb"],
    ["nb-NO", "nb"],
    ["nn", "nb"],
    ["in", "id"],
    ["fil", "tl"],
    ["ar-EG", "ar"],
    ["ja-JP", "ja"],
    ["en-US-u-ca-gregory", "en"],
    ["de-DE-x-private", "de"],
    ["sw", "en"],
    ["xx-YY", "en"],
    ["", "en"],
  ])("%j → %s", (requested, expected) => {
    expect(resolveLocale(requested, available)).toBe(expected);
  });

  it("returns the spelling of the available list and honours the fallback option", () => {
    expect(resolveLocale("PT-BR", ["pt-br", "en"])).toBe("pt-br");
    expect(resolveLocale("sw", ["de", "fr"], { fallback: "fr" })).toBe("fr");
    expect(resolveLocale("pt-BR", ["pt", "en"])).toBe("pt");
  });

  it("prefers an exact regional entry over the script-level one", () => {
    expect(resolveLocale("zh-TW", ["zh-Hant", "zh-TW", "en"])).toBe("zh-TW");
    expect(resolveLocale("zh", ["zh", "zh-Hans"])).toBe("zh");
  });
});

describe("canonicalizeLocale", () => {
  it.each([
    ["PT-br", "pt-BR"],
    ["zh-hant-tw", "zh-Hant-TW"],
    ["es-419", "es-419"],
    ["en_us", "en-US"],
  ])("%s → %s", (tag, expected) => {
    expect(canonicalizeLocale(tag)).toBe(expected);
  });

  it("refuses what is not a tag, naming the field", () => {
    expect(() => canonicalizeLocale("en US", "MESSAGE_TEMPLATES")).toThrow(/MESSAGE_TEMPLATES/);
    expect(() => canonicalizeLocale("")).toThrow(VerifyError);
  });
});

describe("createTemplateCatalog", () => {
  it("serves built-ins by resolved locale, compiled once", () => {
    const catalog = createTemplateCatalog();
    expect(catalog.locales.length).toBe(LOCALES.length);
    const first = catalog.lookup("pt-PT");
    expect(first).toMatchObject({ locale: "pt", custom: false });
    expect(first.template.source).toBe(BUILT_IN_TEMPLATES.pt);
    expect(catalog.lookup("pt").template).toBe(first.template);
    expect(catalog.lookup("klingon").locale).toBe("en");
  });

  it("lets configured templates override a built-in and add a locale", () => {
    const catalog = createTemplateCatalog({
      custom: { "PT-br": "Seu código {{serviceName}}: {{code}}", ca: "El teu codi de {{serviceName}} és {{code}}." },
    });
    expect(catalog.lookup("pt-BR")).toMatchObject({ locale: "pt-BR", custom: true });
    expect(catalog.lookup("pt-BR").template.source).toBe("Seu código {{serviceName}}: {{code}}");
    expect(catalog.lookup("ca-ES")).toMatchObject({ locale: "ca", custom: true });
    expect(catalog.lookup("pt-PT")).toMatchObject({ locale: "pt", custom: false });
    expect(catalog.locales).toContain("ca");
  });

  it("inserts values literally: a service name that looks like a placeholder stays text", () => {
    const { template } = createTemplateCatalog().lookup("en");
    const body = renderTemplate(template, { code: "123456", serviceName: "{{code}}", ttlMinutes: 5 });
    expect(body).toBe("123456 is your {{code}} verification code. It expires in 5 minutes.");
  });

  it("refuses a custom template over one segment, naming the locale's field", () => {
    const long = `${"x".repeat(100)} {{code}} {{serviceName}}`;
    let error: unknown;
    try {
      createTemplateCatalog({ custom: { de: long }, field: "MESSAGE_TEMPLATES" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(VerifyError);
    expect((error as VerifyError).reason).toBe("invalid_argument");
    expect((error as VerifyError).details.field).toBe("MESSAGE_TEMPLATES.de");
    expect((error as VerifyError).message).toMatch(/2 SMS segments/);
    expect(createTemplateCatalog({ custom: { de: long }, allowMultiSegment: true }).lookup("de").template.source).toBe(long);
  });

  it("measures custom templates with the configured bindings", () => {
    const fitsAlone = `${"x".repeat(85)} {{code}}{{serviceName}}`; // 86 + 10 + 60 = 156 septets
    expect(() => createTemplateCatalog({ custom: { en: fitsAlone } })).not.toThrow();
    expect(() => createTemplateCatalog({ custom: { en: fitsAlone }, bindings: { webOtpDomain: "example.com" } })).toThrow(/segments/);
  });

  it("refuses bad placeholders, duplicate locales, bad tags and an unknown default locale", () => {
    expect(() => createTemplateCatalog({ custom: { fr: "{{code}} {{nom}}" } })).toThrow(/templates\.fr: unknown placeholder/);
    expect(() => createTemplateCatalog({ custom: { fr: "pas de code" } })).toThrow(/exactly once/);
    expect(() => createTemplateCatalog({ custom: { "pt-br": "{{code}}", "pt-BR": "{{code}} " } })).toThrow(/given twice/);
    expect(() => createTemplateCatalog({ custom: { "not a tag": "{{code}}" } })).toThrow(/BCP 47/);
    expect(() => createTemplateCatalog({ defaultLocale: "sw" })).toThrow(/no template/);
    expect(createTemplateCatalog({ defaultLocale: "de" }).lookup("sw").locale).toBe("de");
  });
});

describe("parseCustomTemplates", () => {
  it("reads a JSON object of locale to template; empty means none", () => {
    expect(parseCustomTemplates('{"pt-BR": "Seu código {{serviceName}}: {{code}}"}')).toEqual({ "pt-BR": "Seu código {{serviceName}}: {{code}}" });
    expect(parseCustomTemplates("  ")).toEqual({});
  });

  it.each([
    ["{not json", /^MESSAGE_TEMPLATES: must be a JSON object/],
    ['["{{code}}"]', /^MESSAGE_TEMPLATES: must be a JSON object/],
    ["null", /^MESSAGE_TEMPLATES: must be a JSON object/],
    ['{"de": 5}', /^MESSAGE_TEMPLATES\.de: must be a string/],
  ])("refuses %j", (text, message) => {
    expect(() => parseCustomTemplates(text)).toThrow(message);
  });

  it("feeds the catalog, which refuses a __proto__ key as a locale", () => {
    expect(() => createTemplateCatalog({ custom: parseCustomTemplates('{"__proto__": "{{code}}"}') })).toThrow(/BCP 47/);
  });
});
