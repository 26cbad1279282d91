import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config.ts";
import { createLookupProvider } from "../../src/lookup/index.ts";
import { parseLookupConfig } from "../../src/lookup/config.ts";
import { fakeTwilioLookup, TWILIO_LOOKUP } from "./fakes/twilio.ts";

describe("parseLookupConfig", () => {
  it("is off by default, with the documented defaults for the rest", () => {
    expect(parseLookupConfig({})).toEqual({ provider: "off", mode: "ambiguous", cacheHours: 168, lookupsPerDay: null, failClosed: false, timeoutMs: 5_000 });
  });

  it("reads each vendor's credentials and default base URL", () => {
    expect(parseLookupConfig({ LOOKUP_PROVIDER: "twilio", TWILIO_ACCOUNT_SID: "AC1", TWILIO_AUTH_TOKEN: "t" })).toMatchObject({
      provider: "twilio",
      twilio: { accountSid: "AC1", authToken: "t", apiBase: "https://lookups.twilio.com" },
    });
    expect(parseLookupConfig({ LOOKUP_PROVIDER: "telnyx", TELNYX_API_KEY: "KEY" })).toMatchObject({ telnyx: { apiKey: "KEY", apiBase: "https://api.telnyx.com" } });
    expect(parseLookupConfig({ LOOKUP_PROVIDER: "plivo", PLIVO_AUTH_ID: "MA", PLIVO_AUTH_TOKEN: "t" })).toMatchObject({
      plivo: { authId: "MA", authToken: "t", apiBase: "https://lookup.plivo.com" },
    });
    expect(parseLookupConfig({ LOOKUP_PROVIDER: "vonage", VONAGE_API_KEY: "k", VONAGE_API_SECRET: "s" })).toMatchObject({
      vonage: { apiKey: "k", apiSecret: "s", apiBase: "https://api.nexmo.com" },
    });
  });

  it("reads mode, cache hours, the daily budget, fail-closed and a base URL override", () => {
    const config = parseLookupConfig({
      LOOKUP_PROVIDER: "Twilio",
      LOOKUP_MODE: "always",
      LOOKUP_CACHE_HOURS: "0",
      LOOKUPS_PER_DAY: "500",
      LOOKUP_FAIL_CLOSED: "true",
      TWILIO_ACCOUNT_SID: "AC1",
      TWILIO_AUTH_TOKEN: "t",
      TWILIO_LOOKUP_API_BASE: "https://proxy.example/twilio-lookup",
    });
    expect(config).toMatchObject({ provider: "twilio", mode: "always", cacheHours: 0, lookupsPerDay: 500, failClosed: true });
    expect(config.provider === "twilio" && config.twilio.apiBase).toBe("https://proxy.example/twilio-lookup");
  });

  it.each([
    [{ LOOKUP_PROVIDER: "numverify" }, /LOOKUP_PROVIDER must be one of off, twilio, telnyx, plivo, vonage/],
    [{ LOOKUP_MODE: "sometimes" }, /LOOKUP_MODE must be ambiguous or always/],
    [{ LOOKUP_CACHE_HOURS: "-1" }, /LOOKUP_CACHE_HOURS must be an integer/],
    [{ LOOKUP_CACHE_HOURS: "1.5" }, /LOOKUP_CACHE_HOURS must be an integer/],
    [{ LOOKUPS_PER_DAY: "lots" }, /LOOKUPS_PER_DAY must be an integer/],
    [{ LOOKUP_FAIL_CLOSED: "yes please" }, /LOOKUP_FAIL_CLOSED must be true or false/],
    [{ LOOKUP_PROVIDER: "twilio", TWILIO_ACCOUNT_SID: "AC1" }, /LOOKUP_PROVIDER=twilio needs TWILIO_AUTH_TOKEN/],
    [{ LOOKUP_PROVIDER: "telnyx" }, /needs TELNYX_API_KEY/],
    [{ LOOKUP_PROVIDER: "plivo", PLIVO_AUTH_TOKEN: "t" }, /needs PLIVO_AUTH_ID/],
    [{ LOOKUP_PROVIDER: "vonage", VONAGE_API_KEY: "k" }, /needs VONAGE_API_SECRET/],
    [{ LOOKUP_PROVIDER: "telnyx", TELNYX_API_KEY: "k", TELNYX_LOOKUP_API_BASE: "http://plain.example" }, /TELNYX_LOOKUP_API_BASE must be an https:\/\/ URL/],
    [{ LOOKUP_PROVIDER: "telnyx", TELNYX_API_KEY: "k", TELNYX_LOOKUP_API_BASE: "not a url" }, /TELNYX_LOOKUP_API_BASE must be an absolute URL/],
  ])("refuses %o with a message naming the variable", (env, message) => {
    expect(() => parseLookupConfig(env)).toThrow(ConfigError);
    expect(() => parseLookupConfig(env)).toThrow(message);
  });

  it("allows a plain-http base URL (a local fake) only in development", () => {
    const env = { LOOKUP_PROVIDER: "telnyx", TELNYX_API_KEY: "k", TELNYX_LOOKUP_API_BASE: "http://127.0.0.1:8788" };
    expect(() => parseLookupConfig(env)).toThrow(ConfigError);
    expect(parseLookupConfig({ ...env, ENVIRONMENT: "development" })).toMatchObject({ telnyx: { apiBase: "http://127.0.0.1:8788" } });
  });
});

describe("createLookupProvider", () => {
  it("is null when lookups are off, and builds the named vendor pointed at its configured base", async () => {
    expect(createLookupProvider(parseLookupConfig({}), () => 0)).toBeNull();
    const fake = fakeTwilioLookup("https://lookups.fake.test/prefix");
    fake.numbers.set("+14155550123", { type: "nonFixedVoip", carrier: "Example VoIP" });
    const config = parseLookupConfig({ LOOKUP_PROVIDER: "twilio", ...twilioEnv(), TWILIO_LOOKUP_API_BASE: "https://lookups.fake.test/prefix" });
    const provider = createLookupProvider(config, () => 42, fake.fetch)!;
    expect(provider.name).toBe("twilio");
    expect(await provider.lookup("+14155550123")).toMatchObject({ lineType: "voip", carrier: "Example VoIP", source: "twilio", fetchedAt: 42 });
  });
});

function twilioEnv() {
  return { TWILIO_ACCOUNT_SID: TWILIO_LOOKUP.accountSid, TWILIO_AUTH_TOKEN: TWILIO_LOOKUP.authToken };
}
