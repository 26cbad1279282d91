import { describe, expect, it } from "vitest";
import { compileTemplate, DEFAULT_TEMPLATE, renderTemplate, validateServiceName } from "../../src/core/template.ts";

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
