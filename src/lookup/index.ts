// Builds the configured carrier lookup provider; the number's object calls it on a cache miss.
import type { LookupConfig } from "./config.ts";
import { createPlivoLookup } from "./plivo.ts";
import type { FetchFn, LookupProvider } from "./provider.ts";
import { createTelnyxLookup } from "./telnyx.ts";
import { createTwilioLookup } from "./twilio.ts";
import { createVonageLookup } from "./vonage.ts";

export { LookupError, type LookupFailureReason, type LookupProvider } from "./provider.ts";
export { parseLookupConfig, type LookupConfig } from "./config.ts";

/** The provider LOOKUP_PROVIDER names, or null when lookups are off. */
export function createLookupProvider(config: LookupConfig, now: () => number, fetchFn: FetchFn = fetch): LookupProvider | null {
  const common = { now, timeoutMs: config.timeoutMs };
  switch (config.provider) {
    case "off":
      return null;
    case "twilio":
      return createTwilioLookup({ ...common, ...config.twilio }, fetchFn);
    case "telnyx":
      return createTelnyxLookup({ ...common, ...config.telnyx }, fetchFn);
    case "plivo":
      return createPlivoLookup({ ...common, ...config.plivo }, fetchFn);
    case "vonage":
      return createVonageLookup({ ...common, ...config.vonage }, fetchFn);
  }
}
