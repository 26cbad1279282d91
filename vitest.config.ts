import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
// @ts-expect-error: a plain .mjs script without types
import { buildAssets } from "./scripts/build-assets.mjs";

// wrangler.toml's [assets] directory must exist before workerd starts, however vitest is invoked.
buildAssets();

// Tests run inside workerd with the dev environment's bindings, but SMS goes through the real
// Twilio sender to a local fake Twilio API (test/fakes/fake-twilio.mjs) started by global setup.
// Cross-number limits are deployment-wide, so each configuration of them gets its own project
// (its own workerd and storage) instead of leaking counts into unrelated tests.
const TWILIO_FAKE = (url: string) => ({
  SMS_PROVIDER: "twilio",
  TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000000",
  TWILIO_AUTH_TOKEN: "fake-twilio-auth-token",
  TWILIO_FROM: "+15005550006",
  TWILIO_WHATSAPP_FROM: "+14155238886",
  TWILIO_API_BASE: url,
  // Lookup v2 on the same fake; used only by projects that set LOOKUP_PROVIDER=twilio.
  TWILIO_LOOKUP_API_BASE: url,
  FAKE_TWILIO_URL: url,
  SMS_TIMEOUT_MS: "2000",
  SMS_RETRY_BACKOFF_MS: "5",
  // A second key, to show idempotency keys are scoped per API key.
  API_KEYS: "ev_dev_local_only_key,ev_test_second_key_0001",
});

// Delivery receipts: where vendors call back, and a secret per vendor (test/sms/receipts/signers.ts
// signs with the same values; the Telnyx key is a test-only Ed25519 public key).
const RECEIPTS = {
  PUBLIC_BASE_URL: "https://verify.example.test",
  VONAGE_SIGNATURE_SECRET: "vonage-signature-secret-for-tests",
  VONAGE_SIGNATURE_METHOD: "sha256",
  TELNYX_PUBLIC_KEY: "CGW5jGBy+SKsY85g8sa6Dhd0yfjRJ1NeSMJVu9Nl2w0=",
  PLIVO_AUTH_TOKEN: "plivo-auth-token-for-tests",
  SINCH_CALLBACK_SECRET: "sinch-callback-secret-for-tests",
  SMS_WEBHOOK_SECRET: "webhook-secret-for-tests-at-least-32-characters",
};

function workerProject(name: string, include: string[], bindings: Record<string, string>, exclude: string[] = []) {
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: "./wrangler.toml", environment: "dev" },
        miniflare: { bindings: { ...TWILIO_FAKE(inject("fakeTwilioUrl")), ...bindings } },
      })),
    ],
    test: { name, include, exclude, globalSetup: ["./test/global-setup.ts"], testTimeout: 20_000 },
  };
}

export default defineConfig({
  test: {
    silent: "passed-only",
    projects: [
      workerProject(
        "main",
        ["test/**/*.test.ts"],
        { COUNTRY_SENDS_PER_HOUR: "1000000", SMS_DAILY_LIMIT: "1000000", ...RECEIPTS },
        ["test/limits/**", "test/lookup/e2e/**", "test/core/number/**"],
      ),
      // The number's functional core runs in plain Node: proof that it needs no workerd, no I/O.
      { test: { name: "core", include: ["test/core/number/**/*.test.ts"], environment: "node" } },
      // Carrier lookups against the fake Twilio's Lookup v2 (the same fake server as SMS).
      workerProject("lookups", ["test/lookup/e2e/**/*.test.ts"], {
        COUNTRY_SENDS_PER_HOUR: "1000000",
        SMS_DAILY_LIMIT: "1000000",
        LOOKUP_PROVIDER: "twilio",
        LOOKUPS_PER_DAY: "4",
        TEST_NUMBERS: '{"+15005550100":"123456"}',
      }),
      workerProject("limits-enforce", ["test/limits/enforce.test.ts"], {
        IP_STARTS_PER_HOUR: "3",
        RANGE_SENDS_PER_HOUR: "3",
        COUNTRY_SENDS_PER_HOUR: "5",
        COUNTRY_SHARDS: "1",
        SMS_DAILY_LIMIT: "1000000",
        ALLOWED_COUNTRIES: "US,CA,GB,FR,DE,JM,NL,BE",
      }),
      workerProject("limits-budget", ["test/limits/budget.test.ts"], {
        COUNTRY_SENDS_PER_HOUR: "1000000",
        RANGE_SENDS_PER_HOUR: "1000000",
        SMS_DAILY_LIMIT: "20",
        BUDGET_SHARDS: "4",
        // 80 new numbers in three ranges and no approvals: the conversion guard would rightly
        // block them before the budget is spent, and this project is about the budget.
        RULE_CONVERSION_GUARD: "off",
        // 80 concurrent sends on a loaded machine: a timed-out send keeps its budget unit (the
        // outcome is unknown), which this test would misread as unused budget.
        SMS_TIMEOUT_MS: "15000",
      }),
      workerProject("limits-monitor", ["test/limits/monitor.test.ts"], {
        IP_STARTS_PER_HOUR: "1",
        RANGE_SENDS_PER_HOUR: "1",
        COUNTRY_SENDS_PER_HOUR: "1",
        COUNTRY_SHARDS: "1",
        SMS_DAILY_LIMIT: "1",
        BUDGET_SHARDS: "1",
        ALLOWED_COUNTRIES: "US",
        RULE_DENY_LIST: "monitor",
        RULE_LINE_TYPE: "monitor",
        RULE_LANDLINE: "monitor",
        RULE_VOIP: "monitor",
        RULE_COUNTRY_ALLOWLIST: "monitor",
        RULE_VELOCITY_IP: "monitor",
        RULE_VELOCITY_RANGE: "monitor",
        RULE_VELOCITY_COUNTRY: "monitor",
        RULE_BUDGET: "monitor",
        RULE_CONVERSION_GUARD: "monitor",
        CONVERSION_GUARD_RANGE_MIN_STARTS: "2",
        SMS_FALLBACK_PROVIDER: "console",
      }),
    ],
  },
});
