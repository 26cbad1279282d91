// Builds the configured SmsSenders. Providers get `fetch` injected so tests and the bench can
// point them at local fakes through the configured API base URL.
import type { Config, SmsProviderName } from "../config.ts";
import { createConsoleSender } from "./console.ts";
import { createTwilioSender } from "./twilio.ts";
import type { FetchFn, SmsSender } from "./sender.ts";

export function createSender(config: Config, fetchFn: FetchFn = fetch, name: SmsProviderName = config.smsProvider): SmsSender {
  switch (name) {
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

/** The primary provider, then the fallback provider if one is configured. */
export function createSenders(config: Config, fetchFn: FetchFn = fetch): SmsSender[] {
  const senders = [createSender(config, fetchFn)];
  const fallback = config.delivery.fallbackProvider;
  if (fallback && fallback !== config.smsProvider) senders.push(createSender(config, fetchFn, fallback));
  return senders;
}
