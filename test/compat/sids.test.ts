// Twilio-shaped identifiers and settings: derivation vectors, overrides, and fail-closed parsing.
import { describe, expect, it } from "vitest";
import { attemptSid, twilioSettings, verificationSid } from "../../src/compat/sids.ts";
import { ConfigError, parseConfig } from "../../src/config.ts";

const DEV = { ENVIRONMENT: "development", API_KEYS: "ev_dev_local_only_key", CODE_SECRET: "dev-only-code-secret-never-use-in-production", SMS_PROVIDER: "console" };

describe("twilioSettings", () => {
  it("derives the sids from CODE_SECRET (HMAC-SHA256, first 128 bits)", async () => {
    // printf 'edge-verify/twilio-sid/account' | openssl dgst -sha256 -hmac "$CODE_SECRET" | cut -c1-32
    expect(await twilioSettings(DEV, parseConfig(DEV))).toEqual({
      accountSid: "ACbcb37791863829aeee408acae65631cc",
      defaultServiceSid: "VA6958692bf045da6a5f3b37c8127048fd",
      strict: false,
    });
  });

  it("takes explicit values", async () => {
    const env = { ...DEV, ACCOUNT_SID: "AC" + "a".repeat(32), DEFAULT_SERVICE_SID: "VA" + "b".repeat(32), TWILIO_STRICT: "true" };
    expect(await twilioSettings(env, parseConfig(env))).toEqual({ accountSid: env.ACCOUNT_SID, defaultServiceSid: env.DEFAULT_SERVICE_SID, strict: true });
  });

  it.each([
    ["ACCOUNT_SID", "AC123"],
    ["ACCOUNT_SID", "VA" + "a".repeat(32)],
    ["DEFAULT_SERVICE_SID", "VA" + "A".repeat(32)],
    ["TWILIO_STRICT", "yes"],
  ])("refuses %s=%s (fails closed)", async (name, value) => {
    const env = { ...DEV, [name]: value };
    await expect(twilioSettings(env, parseConfig(env))).rejects.toBeInstanceOf(ConfigError);
  });
});

describe("verification and attempt sids", () => {
  it("are Twilio-shaped, stable per id, and distinct", async () => {
    const id = "ve_" + "A".repeat(64);
    const sid = await verificationSid(id);
    expect(sid).toMatch(/^VE[0-9a-f]{32}$/);
    expect(await verificationSid(id)).toBe(sid);
    expect(await verificationSid("ve_" + "B".repeat(64))).not.toBe(sid);
    expect(await attemptSid(id, 1)).toMatch(/^VL[0-9a-f]{32}$/);
    expect(await attemptSid(id, 2)).not.toBe(await attemptSid(id, 1));
  });
});
