// previewTemplate (src/core/template-preview.ts), pure: what the console shows for a template. The
// route, and that a refusal reads exactly as saving the template answers it, are tested through
// the admin API in test/rest/service-data.test.ts ("template preview").
import { describe, expect, it } from "vitest";
import { VerifyError } from "../../src/core/errors.ts";
import { BUILT_IN_TEMPLATES } from "../../src/core/locales.ts";
import { SAMPLE_CODE, SAMPLE_SERVICE_NAME, previewTemplate } from "../../src/core/template-preview.ts";

function refusal(fn: () => unknown): { reason: string; field: string | undefined; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof VerifyError) return { reason: error.reason, field: error.details.field, message: error.message };
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("previewTemplate", () => {
  it("renders at the worst case: a 10-digit code and a 30-character service name", () => {
    expect(SAMPLE_CODE).toHaveLength(10);
    expect(SAMPLE_SERVICE_NAME).toHaveLength(30);
    const preview = previewTemplate({ locale: "en", template: "{{code}} for {{serviceName}}, {{ttlMinutes}} min" });
    expect(preview).toMatchObject({ builtIn: false, body: `${SAMPLE_CODE} for ${SAMPLE_SERVICE_NAME}, 60 min`, encoding: "GSM-7", segments: 1, error: null });
    expect(preview.units).toBe(preview.body.length);
  });

  it("uses the given service name instead of the sample, validated as a request's", () => {
    expect(previewTemplate({ locale: "en", template: "{{code}} {{serviceName}}", serviceName: "  Acme  " }).body).toBe(`${SAMPLE_CODE} Acme`);
    expect(refusal(() => previewTemplate({ locale: "en", serviceName: "x".repeat(31) }))).toMatchObject({ reason: "invalid_argument", field: "serviceName" });
    expect(refusal(() => previewTemplate({ locale: "en", serviceName: "evil.com" }))).toMatchObject({ reason: "invalid_argument", field: "serviceName" });
  });

  it("without a template, previews the built-in one the locale resolves to", () => {
    expect(previewTemplate({ locale: "pt-br" })).toMatchObject({ locale: "pt-BR", builtIn: true, template: BUILT_IN_TEMPLATES["pt-BR"] });
    expect(previewTemplate({ locale: "pt-PT" })).toMatchObject({ locale: "pt-PT", builtIn: true, template: BUILT_IN_TEMPLATES.pt });
    expect(previewTemplate({ locale: "en-GB", template: null })).toMatchObject({ builtIn: true, template: BUILT_IN_TEMPLATES.en });
  });

  it("names the direction of the locale's script", () => {
    expect(previewTemplate({ locale: "ar-EG" }).direction).toBe("rtl");
    expect(previewTemplate({ locale: "HE-il" })).toMatchObject({ locale: "he-IL", direction: "rtl", template: BUILT_IN_TEMPLATES.he });
    expect(previewTemplate({ locale: "de" }).direction).toBe("ltr");
  });

  it("a template saving would refuse is reported with the field saving names, not thrown", () => {
    expect(previewTemplate({ locale: "fr", template: "no code here" })).toMatchObject({
      body: "",
      encoding: null,
      units: 0,
      segments: 0,
      worstCase: null,
      error: { field: "templates.fr", message: expect.stringMatching(/^templates\.fr: must contain \{\{code\}\}/) },
    });
  });

  it("a template too long for one segment at the worst case is still rendered, with its refusal", () => {
    const long = `{{code}} is your {{serviceName}} code. ${"Do not share it with anyone. ".repeat(4)}`;
    const preview = previewTemplate({ locale: "en", template: long });
    expect(preview.body).toContain(SAMPLE_CODE);
    expect(preview.segments).toBeGreaterThan(1);
    expect(preview.worstCase!.segments).toBeGreaterThan(1);
    expect(preview.error).toMatchObject({ field: "templates.en", message: expect.stringMatching(/^templates\.en: needs \d SMS segments at the worst case/) });
  });

  it("measures the worst case apart from the sample: a Unicode service name can cost a GSM-7 template a segment", () => {
    const preview = previewTemplate({ locale: "en", template: `{{code}} is your {{serviceName}} code, valid ${"for a while ".repeat(5)}` });
    expect(preview.encoding).toBe("GSM-7");
    expect(preview.worstCase).toMatchObject({ encoding: "GSM-7", segments: 1 });
    expect(preview.worstCase!.segmentsWithUnicodeServiceName).toBeGreaterThan(preview.worstCase!.segments);
  });

  it("refuses a malformed request: not an object, no locale, a bad locale, a template that is not a string or too long", () => {
    expect(refusal(() => previewTemplate(null as never))).toMatchObject({ field: "body" });
    expect(refusal(() => previewTemplate({ template: "{{code}}" }))).toMatchObject({ field: "locale" });
    expect(refusal(() => previewTemplate({ locale: "not a locale" }))).toMatchObject({ field: "locale" });
    expect(refusal(() => previewTemplate({ locale: "en", template: 5 }))).toMatchObject({ field: "template", message: "template: must be a string of at most 1000 characters" });
    expect(refusal(() => previewTemplate({ locale: "en", template: `{{code}}${"x".repeat(1_000)}` }))).toMatchObject({ field: "template" });
  });
});
