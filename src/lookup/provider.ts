// The one interface every carrier lookup vendor implements, and the typed error they all throw.
// A vendor file knows its API's quirks (auth, path, field names, error body) and nothing else.
import type { LookupVendor, NormalisedLookup } from "../core/lookup.ts";
import type { FetchFn } from "../sms/sender.ts";

export type { FetchFn } from "../sms/sender.ts";
export type { LookupLineType, LookupVendor, NormalisedLookup } from "../core/lookup.ts";

export interface LookupOptions {
  /** Ends the lookup early (the caller's own deadline); the result is `unavailable`, not definite. */
  signal?: AbortSignal;
}

export interface LookupProvider {
  readonly name: LookupVendor;
  /** `e164` is already validated and normalised ("+14155550100"). */
  lookup(e164: string, options?: LookupOptions): Promise<NormalisedLookup>;
}

/** What every vendor file takes besides its credentials. */
export interface LookupProviderCommon {
  apiBase?: string;
  timeoutMs?: number;
  /** Stamps `fetchedAt`; injected so tests and the cache share one clock. */
  now: () => number;
}

export type LookupFailureReason = "invalid_number" | "not_found" | "rate_limited" | "auth_failed" | "unavailable";

/**
 * A failed lookup. `definite` is true when the vendor answered the question (the number is invalid,
 * our credentials are wrong, slow down); false when we do not know (timeout, dropped connection,
 * 5xx, an unreadable 2xx). The message names the vendor and its code only, never vendor text.
 * None of these is cached.
 */
export class LookupError extends Error {
  readonly reason: LookupFailureReason;
  readonly definite: boolean;
  readonly provider: LookupVendor;
  /** The vendor's own code (or the HTTP status), for the operator's logs. */
  readonly providerCode: string;
  constructor(reason: LookupFailureReason, message: string, options: { definite: boolean; provider: LookupVendor; providerCode?: string }) {
    super(message);
    this.name = "LookupError";
    this.reason = reason;
    this.definite = options.definite;
    this.provider = options.provider;
    this.providerCode = options.providerCode ?? "";
  }
}

