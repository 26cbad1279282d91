import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config.ts";
import { createLookupProvider } from "../../src/lookup/index.ts";
import { parseIntelligenceConfig, parseLookupConfig } from "../../src/lookup/config.ts";
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

describe("parseIntelligenceConfig", () => {
  it("has the documented defaults", () => {
    expect(parseIntelligenceConfig({})).toEqual({
      deliverability: { undeliverableAfter: 3, windowMs: 30 * 24 * 3_600_000 },
      conversionGuard: { minRate: 0.2, blockMinutes: 60, rangeMinStarts: 8, countryMinStarts: 200, rangeMode: "enforce", countryMode: "monitor" },
    });
  });

  it("reads every setting; the country scope is never stricter than the rule", () => {
    const config = parseIntelligenceConfig({
      UNDELIVERABLE_AFTER: "5",
      CONVERSION_GUARD_MIN_RATE: "0.35",
      CONVERSION_GUARD_BLOCK_MINUTES: "15",
      CONVERSION_GUARD_RANGE_MIN_STARTS: "6",
      CONVERSION_GUARD_COUNTRY_MIN_STARTS: "1000",
      CONVERSION_GUARD_COUNTRY_MODE: "enforce",
    });
    expect(config.deliverability.undeliverableAfter).toBe(5);
    expect(config.conversionGuard).toEqual({ minRate: 0.35, blockMinutes: 15, rangeMinStarts: 6, countryMinStarts: 1000, rangeMode: "enforce", countryMode: "enforce" });
    expect(parseIntelligenceConfig({ RULE_CONVERSION_GUARD: "monitor", CONVERSION_GUARD_COUNTRY_MODE: "enforce" }).conversionGuard).toMatchObject({ rangeMode: "monitor", countryMode: "monitor" });
    expect(parseIntelligenceConfig({ RULE_CONVERSION_GUARD: "off" }).conversionGuard).toMatchObject({ rangeMode: "off", countryMode: "off" });
  });

  it.each([
    [{ UNDELIVERABLE_AFTER: "0" }, /UNDELIVERABLE_AFTER must be an integer from 1/],
    [{ CONVERSION_GUARD_MIN_RATE: "20%" }, /CONVERSION_GUARD_MIN_RATE must be a number above 0 and at most 1/],
    [{ CONVERSION_GUARD_MIN_RATE: "1.5" }, /CONVERSION_GUARD_MIN_RATE must be a number above 0 and at most 1/],
    [{ CONVERSION_GUARD_BLOCK_MINUTES: "0" }, /CONVERSION_GUARD_BLOCK_MINUTES must be an integer/],
    [{ CONVERSION_GUARD_RANGE_MIN_STARTS: "many" }, /CONVERSION_GUARD_RANGE_MIN_STARTS must be an integer/],
    [{ RULE_CONVERSION_GUARD: "block" }, /RULE_CONVERSION_GUARD must be enforce, monitor or off/],
    [{ CONVERSION_GUARD_COUNTRY_MODE: "maybe" }, /CONVERSION_GUARD_COUNTRY_MODE must be enforce, monitor or off/],
  ])("refuses %o with a message naming the variable", (env, message) => {
    expect(() => parseIntelligenceConfig(env)).toThrow(ConfigError);
    expect(() => parseIntelligenceConfig(env)).toThrow(message);
  });
});
