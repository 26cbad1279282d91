// Builds the configured SmsSender. Providers get `fetch` injected so tests and the bench can
// point them at local fakes through the configured API base URL.
import type { Config } from "../config.ts";
import { createConsoleSender } from "./console.ts";
import { createTwilioSender } from "./twilio.ts";
import type { FetchFn, SmsSender } from "./sender.ts";

export function createSender(config: Config, fetchFn: FetchFn = fetch): SmsSender {
  switch (config.smsProvider) {
    case "console":
      return createConsoleSender();
    case "twilio":
      return createTwilioSender(
        {
          accountSid: config.twilio.accountSid,
          authToken: config.twilio.authToken,
          from: config.twilio.from || undefined,
          messagingServiceSid: config.twilio.messagingServiceSid || undefined,
          apiBase: config.twilio.apiBase,
          timeoutMs: config.smsTimeoutMs,
        },
        fetchFn,
      );
  }
}
