import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config.ts";
import { createSender } from "../../src/sms/index.ts";
import { SMS_PROVIDER_NAMES } from "../../src/sms/config.ts";
import type { FetchFn } from "../../src/sms/sender.ts";

const production = { API_KEYS: "ev_live_0123456789abcdef", CODE_SECRET: "a-real-code-secret-of-at-least-32-chars" };

// Everything each provider needs, so any provider can be selected alone or in a route.
const ALL_CREDENTIALS = {
  TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000001",
  TWILIO_AUTH_TOKEN: "t",
  TWILIO_FROM: "+15005550006",
  VONAGE_API_KEY: "k",
  VONAGE_API_SECRET: "s",
  VONAGE_FROM: "Acme",
  PLIVO_AUTH_ID: "MA1",
  PLIVO_AUTH_TOKEN: "t",
  PLIVO_FROM: "+14155550100",
  TELNYX_API_KEY: "k",
  TELNYX_FROM: "+13125550100",
  SINCH_SERVICE_PLAN_ID: "p",
  SINCH_API_TOKEN: "t",
  SINCH_REGION: "eu",
  INFOBIP_API_KEY: "k",
  INFOBIP_API_BASE: "https://xyz.api.infobip.com",
  MESSAGEBIRD_ACCESS_KEY: "k",
  MESSAGEBIRD_FROM: "Acme",
  SNS_ACCESS_KEY_ID: "AKIA0",
  SNS_SECRET_ACCESS_KEY: "s",
  SNS_REGION: "eu-west-1",
  MTA_API_KEY: "k",
  PORTATEXT_API_KEY: "k",
  PORTATEXT_FROM: "12223334444",
  SMS_WEBHOOK_URL: "https://gateway.example.com/sms",
  SMS_WEBHOOK_SECRET: "0123456789abcdef0123456789abcdef",
};

const refusal = (env: Record<string, string>) => {
  try {
    parseConfig({ ...production, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
};

describe("SMS provider configuration", () => {
  it("builds every provider by name from its variables", () => {
    for (const name of SMS_PROVIDER_NAMES.filter((n) => n !== "console")) {
      const config = parseConfig({ ...production, ...ALL_CREDENTIALS, SMS_PROVIDER: name });
      expect(createSender(config).name).toBe(name);
    }
  });

  it("fails closed when the selected provider lacks credentials, naming the variables but no values", () => {
    expect(refusal({ SMS_PROVIDER: "vonage", VONAGE_API_KEY: "k" })).toBe("SMS provider vonage needs VONAGE_API_SECRET, VONAGE_FROM");
    expect(refusal({ SMS_PROVIDER: "sns", SNS_ACCESS_KEY_ID: "AKIA0", SNS_SECRET_ACCESS_KEY: "s" })).toContain("SNS_REGION");
    expect(refusal({ SMS_PROVIDER: "telnyx", TELNYX_API_KEY: "k" })).toContain("TELNYX_FROM or TELNYX_MESSAGING_PROFILE_ID");
    expect(refusal({ SMS_PROVIDER: "webhook", SMS_WEBHOOK_URL: "https://x.example", SMS_WEBHOOK_SECRET: "short-secret" })).toContain("32 characters");
    expect(refusal({ SMS_PROVIDER: "carrier-pigeon" })).toContain("SMS_PROVIDER must be one of");
  });

  it("does not ask for credentials of providers that are not in use", () => {
    expect(() => parseConfig({ ...production, SMS_PROVIDER: "plivo", PLIVO_AUTH_ID: "a", PLIVO_AUTH_TOKEN: "b", PLIVO_FROM: "+14155550100" })).not.toThrow();
  });

  it("refuses a plain-http API base outside development: credentials would travel in clear", () => {
    expect(refusal({ ...ALL_CREDENTIALS, SMS_PROVIDER: "vonage", VONAGE_API_BASE: "http://rest.nexmo.com" })).toContain("https://");
  });

  it("parses SMS_ROUTES, and checks the credentials of every provider a route names", () => {
    const config = parseConfig({ ...production, ...ALL_CREDENTIALS, SMS_PROVIDER: "routes", SMS_ROUTES: '{"default":["twilio","vonage"],"BR":["infobip","twilio"]}' });
    expect(config.sms.routes).toEqual({ default: ["twilio", "vonage"], BR: ["infobip", "twilio"] });
    expect(createSender(config).name).toBe("routes");
    const withoutInfobip = { ...ALL_CREDENTIALS, INFOBIP_API_KEY: "" };
    expect(refusal({ ...withoutInfobip, SMS_PROVIDER: "routes", SMS_ROUTES: '{"default":["twilio"],"BR":["infobip"]}' })).toContain("INFOBIP_API_KEY");
  });

  it("refuses malformed or ambiguous routing instead of guessing", () => {
    const routes = (value: string) => refusal({ ...ALL_CREDENTIALS, SMS_PROVIDER: "routes", SMS_ROUTES: value });
    expect(routes("not json")).toContain("must be JSON");
    expect(routes('{"BR":["infobip"]}')).toContain('"default"');
    expect(routes('{"default":["twilio"],"brazil":["infobip"]}')).toContain("ISO country codes");
    expect(routes('{"default":["twilio","twilio"]}')).toContain("twice");
    expect(routes('{"default":["console"]}')).toContain("console");
    expect(routes('{"default":[]}')).toContain("non-empty");
    expect(refusal({ ...ALL_CREDENTIALS, SMS_PROVIDER: "twilio", SMS_ROUTES: '{"default":["twilio"]}' })).toContain("SMS_PROVIDER=routes");
    expect(refusal({ ...ALL_CREDENTIALS, SMS_PROVIDER: "routes" })).toContain("needs SMS_ROUTES");
  });
});

describe("createSender with SMS_PROVIDER=routes, end to end through vendor fakes", () => {
  it("fails over from a provider answering 5xx to the next one, and says which one sent", async () => {
    const { fakeVonage, VONAGE } = await import("./fakes/vonage.ts");
    const { fakePlivo, PLIVO } = await import("./fakes/plivo.ts");
    const vonage = fakeVonage("https://vonage.fake.test");
    const plivo = fakePlivo("https://plivo.fake.test");
    const byHost: FetchFn = (input, init) => {
      const host = new URL(input instanceof Request ? input.url : String(input)).host;
      return (host === "vonage.fake.test" ? vonage : plivo).fetch(input, init);
    };
    const config = parseConfig({
      ...production,
      SMS_PROVIDER: "routes",
      SMS_ROUTES: '{"default":["vonage","plivo"],"US":["plivo"]}',
      VONAGE_API_KEY: VONAGE.apiKey,
      VONAGE_API_SECRET: VONAGE.apiSecret,
      VONAGE_FROM: VONAGE.from,
      VONAGE_API_BASE: "https://vonage.fake.test",
      PLIVO_AUTH_ID: PLIVO.authId,
      PLIVO_AUTH_TOKEN: PLIVO.authToken,
      PLIVO_FROM: PLIVO.from,
      PLIVO_API_BASE: "https://plivo.fake.test",
    });
    const sender = createSender(config, byHost);
    vonage.failNext("server_error");
    const result = await sender.send({ to: "+33612345678", body: "123456 is your code" });
    expect(result.provider).toBe("plivo");
    expect(vonage.requests).toHaveLength(1);
    expect(plivo.sent).toEqual([{ to: "+33612345678", body: "123456 is your code", messageId: result.messageId }]);
    // A US number takes the US route straight to Plivo; a French one goes to Vonage first again.
    expect(await sender.send({ to: "+14155550100", body: "654321 is your code" })).toMatchObject({ provider: "plivo" });
    expect(vonage.requests).toHaveLength(1);
    expect(await sender.send({ to: "+33612345678", body: "111111 is your code" })).toMatchObject({ provider: "vonage" });
  });
});
