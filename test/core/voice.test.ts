import { describe, expect, it } from "vitest";
import { escapeXml, renderVoiceTwiml, VOICE_LANGUAGES, VOICE_PHRASES } from "../../src/core/voice.ts";
import { BUILT_IN_TEMPLATES } from "../../src/core/locales.ts";

const sayTexts = (twiml: string): string[] => [...twiml.matchAll(/<Say language="[^"]*">([^<]*)<\/Say>/g)].map((m) => m[1]!);

describe("renderVoiceTwiml", () => {
  it("says the intro, then the digits one per <Say>, twice, with pauses", () => {
    const { twiml, locale, language } = renderVoiceTwiml({ locale: "en-GB", code: "482910", serviceName: "Acme" });
    expect(locale).toBe("en");
    expect(language).toBe("en-US");
    expect(twiml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        '<Say language="en-US">Your Acme verification code is</Say><Pause length="1"/>' +
        '<Say language="en-US">4</Say><Say language="en-US">8</Say><Say language="en-US">2</Say>' +
        '<Say language="en-US">9</Say><Say language="en-US">1</Say><Say language="en-US">0</Say>' +
        '<Pause length="2"/><Say language="en-US">Again, your code is</Say><Pause length="1"/>' +
        '<Say language="en-US">4</Say><Say language="en-US">8</Say><Say language="en-US">2</Say>' +
        '<Say language="en-US">9</Say><Say language="en-US">1</Say><Say language="en-US">0</Say>' +
        "</Response>",
    );
  });

  it.each([
    ["pt-BR", "pt-BR", "pt-BR"],
    ["pt-PT", "pt", "pt-PT"],
    ["zh-TW", "zh-Hant", "zh-TW"],
    ["zh-CN", "zh-Hans", "zh-CN"],
    ["iw", "he", "he-IL"],
    ["fil", "tl", "fil-PH"],
    ["ar", "ar", "ar-XA"],
    ["sw", "en", "en-US"],
  ])("%s speaks %s with <Say language=%j>", (requested, locale, language) => {
    const voice = renderVoiceTwiml({ locale: requested, code: "1234", serviceName: "Acme" });
    expect(voice).toMatchObject({ locale, language });
    expect(voice.twiml).toContain(`<Say language="${language}">`);
    expect(sayTexts(voice.twiml)[0]).toBe(VOICE_PHRASES[locale]!.intro.replace("{{serviceName}}", "Acme"));
  });

  it("has phrases and a voice language for every SMS locale", () => {
    expect(Object.keys(VOICE_PHRASES).sort()).toEqual(Object.keys(BUILT_IN_TEMPLATES).sort());
    expect(Object.keys(VOICE_LANGUAGES).sort()).toEqual(Object.keys(BUILT_IN_TEMPLATES).sort());
    for (const [locale, phrases] of Object.entries(VOICE_PHRASES)) {
      expect(phrases.intro.split("{{serviceName}}").length, locale).toBe(2);
    }
  });

  it("reads each digit exactly twice", () => {
    const texts = sayTexts(renderVoiceTwiml({ locale: "de", code: "9081726354", serviceName: "Acme" }).twiml);
    const digits = texts.filter((text) => /^\d$/.test(text));
    expect(digits.join("")).toBe("90817263549081726354");
  });

  it("escapes the service name so it cannot add TwiML verbs", () => {
    const { twiml } = renderVoiceTwiml({ locale: "en", code: "1234", serviceName: `A&B <Dial>+15550100</Dial> "x" 'y'` });
    expect(twiml).not.toContain("<Dial>");
    expect(twiml).toContain("A&amp;B &lt;Dial&gt;+15550100&lt;/Dial&gt; &quot;x&quot; &apos;y&apos;");
    expect(twiml.match(/<Say /g)).toHaveLength(2 + 2 * 4);
  });

  it("inserts the service name literally", () => {
    const { twiml } = renderVoiceTwiml({ locale: "en", code: "1234", serviceName: "$& {{serviceName}}" });
    expect(sayTexts(twiml)[0]).toBe("Your $&amp; {{serviceName}} verification code is");
  });

  it("takes a language override, validated", () => {
    expect(renderVoiceTwiml({ locale: "es", code: "1234", serviceName: "Acme", language: "es-MX" }).twiml).toContain('<Say language="es-MX">');
    expect(() => renderVoiceTwiml({ locale: "es", code: "1234", serviceName: "Acme", language: 'es"><Hangup/' })).toThrow(/language tag/);
  });

  it("refuses a code that is not 4 to 10 digits", () => {
    for (const code of ["123", "12345678901", "12a4", ""]) {
      expect(() => renderVoiceTwiml({ locale: "en", code, serviceName: "Acme" }), code).toThrow(/4 to 10 digits/);
    }
  });
});

describe("escapeXml", () => {
  it("escapes markup and drops characters XML cannot carry", () => {
    expect(escapeXml(`<a href="x">&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
    expect(escapeXml("a\u0000b\u001bc\ud800d\ufffe")).toBe("abcd");
    expect(escapeXml("tab\tnew\nline 😀")).toBe("tab\tnew\nline 😀");
  });
});
