import { describe, expect, it } from "vitest";
import { renderMessage, validateTemplate, WORST_CASE } from "../../src/core/message.ts";
import { compileTemplate, DEFAULT_TEMPLATE, validateServiceName } from "../../src/core/template.ts";
import { VerifyError } from "../../src/core/errors.ts";

function refusal(run: () => unknown): VerifyError {
  try {
    run();
  } catch (error) {
    if (error instanceof VerifyError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("validateTemplate", () => {
  it("measures the worst case: 10-digit code, 30-unit service name, 60 minutes", () => {
    expect(WORST_CASE).toEqual({ codeLength: 10, serviceNameLength: 30, ttlMinutes: 60 });
    // GSM-7: worst service name is 30 extension characters = 60 septets.
    expect(validateTemplate("{{code}}{{serviceName}}{{ttlMinutes}}", { allowMultiSegment: false })).toMatchObject({
      encoding: "GSM-7",
      units: 10 + 60 + 2,
      segments: 1,
    });
    // UCS-2 (the "ж" in the text): 30 units.
    expect(validateTemplate("ж{{code}}{{serviceName}}{{ttlMinutes}}", { allowMultiSegment: false })).toMatchObject({
      encoding: "UCS-2",
      units: 1 + 10 + 30 + 2,
      segments: 1,
    });
  });

  it("GSM-7 boundary: 90 literal septets fit exactly, 91 do not", () => {
    expect(validateTemplate(`${"a".repeat(90)}{{code}}{{serviceName}}`, { allowMultiSegment: false })).toMatchObject({
      units: 160,
      segments: 1,
    });
    const error = refusal(() => validateTemplate(`${"a".repeat(91)}{{code}}{{serviceName}}`, { allowMultiSegment: false }));
    expect(error.reason).toBe("invalid_argument");
    expect(error.details.field).toBe("template");
    expect(error.message).toMatch(/^template: needs 2 SMS segments at the worst case: 161 GSM-7 septets of 160/);
  });

  it("an extension character in the template costs 2 septets", () => {
    expect(() => validateTemplate(`${"a".repeat(88)}€{{code}}{{serviceName}}`, { allowMultiSegment: false })).not.toThrow();
    expect(() => validateTemplate(`${"a".repeat(89)}€{{code}}{{serviceName}}`, { allowMultiSegment: false })).toThrow(/161 GSM-7 septets/);
  });

  it("UCS-2 boundary: 30 literal units fit exactly, 31 do not", () => {
    expect(validateTemplate(`${"ж".repeat(30)}{{code}}{{serviceName}}`, { allowMultiSegment: false })).toMatchObject({
      encoding: "UCS-2",
      units: 70,
      segments: 1,
    });
    expect(() => validateTemplate(`${"ж".repeat(31)}{{code}}{{serviceName}}`, { allowMultiSegment: false, field: "MESSAGE_TEMPLATES.ru" })).toThrow(
      /^MESSAGE_TEMPLATES\.ru: needs 2 SMS segments at the worst case: 71 UCS-2 units of 70/,
    );
  });

  it("accepts a longer template when multi-segment messages are allowed, and says how many", () => {
    const report = validateTemplate(`${"a".repeat(200)}{{code}}`, { allowMultiSegment: true });
    expect(report).toMatchObject({ encoding: "GSM-7", units: 210, segments: 2 });
    expect(report.template.source).toBe(`${"a".repeat(200)}{{code}}`);
  });

  it("reports what a non-GSM service name would cost a GSM-7 template", () => {
    const report = validateTemplate(DEFAULT_TEMPLATE, { allowMultiSegment: false });
    expect(report).toMatchObject({ encoding: "GSM-7", segments: 1, segmentsWithUnicodeServiceName: 2 });
    const short = validateTemplate("{{code}} {{serviceName}}", { allowMultiSegment: false });
    expect(short.segmentsWithUnicodeServiceName).toBe(1);
  });

  it("counts bindings: a template that fits alone can be refused with a WebOTP line", () => {
    const source = `${"a".repeat(80)}{{code}}{{serviceName}}`; // 150 septets
    expect(() => validateTemplate(source, { allowMultiSegment: false })).not.toThrow();
    expect(() => validateTemplate(source, { allowMultiSegment: false, bindings: { webOtpDomain: "example.com" } })).toThrow(/segments/);
    expect(() => validateTemplate(source, { allowMultiSegment: false, bindings: { webOtpDomain: "Example.com" } })).toThrow(
      /^webOtpDomain: must be lowercase/,
    );
  });

  it("keeps compile errors, naming the field", () => {
    expect(() => validateTemplate("no code here", { allowMultiSegment: true, field: "MESSAGE_TEMPLATE" })).toThrow(/^MESSAGE_TEMPLATE: must contain \{\{code\}\} exactly once/);
    expect(() => validateTemplate("{{code}} {{code}}", { allowMultiSegment: true })).toThrow(/found 2/);
  });
});

describe("renderMessage", () => {
  it("returns the body, its encoding and segment count", () => {
    const template = compileTemplate(DEFAULT_TEMPLATE);
    expect(renderMessage(template, { code: "123456", serviceName: "Acme", ttlMinutes: 10 })).toEqual({
      body: "123456 is your Acme verification code. It expires in 10 minutes.",
      encoding: "GSM-7",
      segments: 1,
    });
    expect(renderMessage(template, { code: "123456", serviceName: "Łódź Bikes", ttlMinutes: 10 })).toMatchObject({
      encoding: "UCS-2",
      segments: 1,
    });
  });

  it("inserts values literally", () => {
    const template = compileTemplate("{{serviceName}}: {{code}}");
    expect(renderMessage(template, { code: "123456", serviceName: "{{code}}", ttlMinutes: 1 }).body).toBe("{{code}}: 123456");
  });
});

describe("validateServiceName counts UTF-16 units", () => {
  it("accepts 30 units and refuses 31, so 15 emoji are the most", () => {
    expect(validateServiceName("a".repeat(30))).toHaveLength(30);
    expect(() => validateServiceName("a".repeat(31))).toThrow(/at most 30/);
    expect(validateServiceName("😀".repeat(15))).toHaveLength(30);
    expect(() => validateServiceName("😀".repeat(16))).toThrow(/at most 30/);
  });
});
