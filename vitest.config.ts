import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Tests run inside workerd with the dev environment's bindings, but SMS goes through the real
// Twilio sender to a local fake Twilio API (test/fakes/fake-twilio.mjs) started by global setup.
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml", environment: "dev" },
      miniflare: {
        bindings: {
          SMS_PROVIDER: "twilio",
          TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000000",
          TWILIO_AUTH_TOKEN: "fake-twilio-auth-token",
          TWILIO_FROM: "+15005550006",
          TWILIO_API_BASE: inject("fakeTwilioUrl"),
          FAKE_TWILIO_URL: inject("fakeTwilioUrl"),
          SMS_TIMEOUT_MS: "2000",
          SMS_RETRY_BACKOFF_MS: "5",
          // Cross-number limits high enough that parallel test files never meet each other's
          // counts; the limits themselves are tested in their own project (test/limits).
          COUNTRY_SENDS_PER_HOUR: "1000000",
          SMS_DAILY_LIMIT: "1000000",
        },
      },
    })),
  ],
  test: {
    globalSetup: ["./test/global-setup.ts"],
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    silent: "passed-only",
  },
});
