import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { ConfigError, DEV_API_KEY, DEV_CODE_SECRET, parseConfig } from "../src/config.ts";

const production = {
  ENVIRONMENT: "production",
  API_KEYS: "ev_live_0123456789abcdef",
  CODE_SECRET: "a-real-secret-of-at-least-32-characters!",
  SMS_PROVIDER: "twilio",
  TWILIO_ACCOUNT_SID: "AC123",
  TWILIO_AUTH_TOKEN: "token",
  TWILIO_FROM: "+15005550006",
};

describe("configuration fails closed", () => {
  it("accepts a complete production configuration with documented defaults", () => {
    const config = parseConfig(production);
    expect(config).toMatchObject({
      development: false,
      defaultCodeLength: 6,
      defaultTimeoutSeconds: 600,
      maxCheckAttempts: 5,
      smsProvider: "twilio",
    });
    expect(config.twilio.apiBase).toBe("https://api.twilio.com");
    expect(config.webhookUrls).toEqual({ development: false, internalHosts: new Set() });
  });

  it.each([
    ["no API keys", { API_KEYS: "" }, /API_KEYS is not set/],
    ["the dev API key", { API_KEYS: DEV_API_KEY }, /public dev key/],
    ["a short API key", { API_KEYS: "short" }, /at least 16/],
    ["no code secret", { CODE_SECRET: undefined }, /CODE_SECRET is not set/],
    ["the dev code secret", { CODE_SECRET: DEV_CODE_SECRET }, /public dev secret/],
    ["a short code secret", { CODE_SECRET: "short" }, /at least 32/],
    ["the console provider", { SMS_PROVIDER: "console" }, /local development only/],
    ["an unknown provider", { SMS_PROVIDER: "carrier-pigeon" }, /SMS_PROVIDER must be/],
    ["Twilio without credentials", { TWILIO_AUTH_TOKEN: "" }, /TWILIO_AUTH_TOKEN/],
    ["Twilio without a sender", { TWILIO_FROM: "" }, /TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID/],
    ["a template without {{code}}", { MESSAGE_TEMPLATE: "hello {{serviceName}}" }, /MESSAGE_TEMPLATE/],
    ["a template with a link", { MESSAGE_TEMPLATE: "{{code}} is your code (evil.com)" }, /MESSAGE_TEMPLATE\.en: must not contain a URL or domain name/],
    ["a default service name with a link", { DEFAULT_SERVICE_NAME: "ｅｖｉｌ．ｃｏｍ" }, /DEFAULT_SERVICE_NAME: must not contain a URL or domain name/],
    ["a bad code length", { DEFAULT_CODE_LENGTH: "12" }, /DEFAULT_CODE_LENGTH must be an integer from 4 to 10/],
    ["an environment typo is production", { ENVIRONMENT: "dev", API_KEYS: "" }, /API_KEYS is not set/],
    ["a public host as an internal webhook host", { WEBHOOK_INTERNAL_HOSTS: "hooks.example.com" }, /WEBHOOK_INTERNAL_HOSTS: "hooks.example.com" is not an internal address/],
    ["a port in an internal webhook host", { WEBHOOK_INTERNAL_HOSTS: "10.0.0.5:8443" }, /WEBHOOK_INTERNAL_HOSTS: "10.0.0.5:8443" must be a host name or IP address/],
  ])("refuses %s", (_name, override, message) => {
    expect(() => parseConfig({ ...production, ...override })).toThrow(ConfigError);
    expect(() => parseConfig({ ...production, ...override })).toThrow(message);
  });

  it("a deployed worker without secrets answers 503 to every API call and sends nothing", async () => {
    const app = createApp();
    const broken = { ...env, ENVIRONMENT: "production", API_KEYS: undefined, CODE_SECRET: undefined };
    for (const [path, contentType] of [
      ["/v1/verifications", "application/json"],
      ["/verify.v1.VerificationService/StartVerification", "application/json"],
    ] as const) {
      const response = await app.fetch(
        new Request(`http://x${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${DEV_API_KEY}`, "content-type": contentType },
          body: JSON.stringify({ to: "+14155552671" }),
        }),
        broken,
      );
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ code: "unavailable", message: "service is not configured" });
    }
  });
});

describe("templates configuration", () => {
  it("accepts per-locale templates and falls back by language", () => {
    const config = parseConfig({ ...production, MESSAGE_TEMPLATES: JSON.stringify({ de: "Ihr {{serviceName}}-Code: {{code}}", "pt-BR": "Código {{serviceName}}: {{code}}" }) });
    expect(config.templates.lookup("de-AT")).toMatchObject({ locale: "de", custom: true });
    expect(config.templates.lookup("pt-BR")).toMatchObject({ locale: "pt-BR", custom: true });
    expect(config.templates.lookup("pt-PT")).toMatchObject({ locale: "pt", custom: false });
  });

  it.each([
    [{ MESSAGE_TEMPLATES: JSON.stringify({ en: "no code" }) }, /exactly once/],
    [{ MESSAGE_TEMPLATES: JSON.stringify({ en: "{{code}} {{user}}" }) }, /unknown placeholder/],
    [{ MESSAGE_TEMPLATES: "{not json" }, /MESSAGE_TEMPLATES/],
    [{ MESSAGE_TEMPLATES: JSON.stringify({ en: "{{code}} " + "x".repeat(150) }) }, /segment/],
    [{ WEBOTP_DOMAINS: "https://bad" }, /WEBOTP_DOMAINS/],
  ])("refuses %j", (override, message) => {
    expect(() => parseConfig({ ...production, ...override })).toThrow(message);
  });

  it("a long template is allowed with ALLOW_MULTI_SEGMENT_SMS=true", () => {
    expect(() =>
      parseConfig({ ...production, ALLOW_MULTI_SEGMENT_SMS: "true", MESSAGE_TEMPLATES: JSON.stringify({ en: "{{code}} " + "x".repeat(150) }) }),
    ).not.toThrow();
  });
});
