// Refusals that cross the verifier boundary: a stable snake_case reason, a message that names the
// field, and optional details. Each transport maps `reason` to its wire code in one switch.

/**
 * Every reason a refusal carries, each produced somewhere. Each wire format maps them in one
 * exhaustive switch (src/rest/errors.ts, src/rpc/errors.ts, src/compat/twilio.ts,
 * src/compat/mta.ts, src/compat/camara.ts), and their tests iterate this list.
 */
export const REFUSAL_REASONS = [
  "invalid_argument",
  // A body larger than any its route takes (delivery receipts).
  "body_too_large",
  "unauthenticated",
  "not_found",
  "already_approved",
  "verification_failed",
  "resend_too_soon",
  "limit_reached",
  "locked",
  "rule_refused",
  "idempotency_key_reused",
  "idempotency_in_progress",
  // A dependency (the number's storage, a carrier lookup) is briefly unavailable: retry.
  "unavailable",
  // The deployment's configuration is invalid and it fails closed (src/errors.ts makes it).
  "misconfigured",
  // A carrier lookup was asked for and LOOKUP_PROVIDER is off.
  "lookups_off",
] as const;

export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** The `default` of a switch over reasons: a reason the switch leaves out does not compile. */
export function unmappedReason(reason: never): never {
  throw new Error(`refusal reason without a wire code: ${String(reason)}`);
}

/** Policy names of the number's limits, the same words as a refusal's `rule`. */
export type RateLimitPolicy = "resend_cooldown" | "sends_per_10_minutes" | "sends_per_day" | "failed_checks_per_day" | "check_attempts";

/**
 * One quota policy and its service limit now: an item of the `RateLimit-Policy` and `RateLimit`
 * response fields (src/core/ratelimit-fields.ts makes and serialises them).
 */
export interface RateLimitItem {
  policy: RateLimitPolicy;
  /** `q`: units the policy allows per window (codes sent, or wrong codes). */
  quota: number;
  /** `w`: the window in seconds; absent for a verification's attempts, which no window renews. */
  windowSeconds?: number;
  /** `r`: units left now. */
  remaining: number;
  /** `t`: seconds within which no more than `remaining` can be used; absent when none ever can. */
  resetSeconds?: number;
}

export interface RefusalDetails {
  /** The request field at fault, in camelCase (proto JSON name). */
  field?: string;
  /** When a retry can succeed, in whole seconds. */
  retryAfterSeconds?: number;
  /** Which rule refused (abuse rules). */
  rule?: string;
  /** The number's limits behind a refusal by one of them, as the answer's RateLimit fields. */
  rateLimits?: RateLimitItem[];
}

/** A refusal as plain data, as the Durable Object returns it over RPC. */
export interface Refusal extends RefusalDetails {
  reason: RefusalReason;
  message: string;
}

/** Thrown by the verifier and input parsing; never carries a code or a full phone number. */
export class VerifyError extends Error {
  readonly reason: RefusalReason;
  readonly details: RefusalDetails;
  constructor(reason: RefusalReason, message: string, details: RefusalDetails = {}) {
    super(message);
    this.name = "VerifyError";
    this.reason = reason;
    this.details = details;
  }

  static from(refusal: Refusal): VerifyError {
    const { reason, message, ...details } = refusal;
    return new VerifyError(reason, message, details);
  }
}

export function invalidArgument(field: string, message: string): VerifyError {
  return new VerifyError("invalid_argument", `${field}: ${message}`, { field });
}

/** What a number's object answers: the value, or the refusal (an outcome, never a failure). */
export type DoResult<T> = { ok: true; value: T; replayed?: boolean; rateLimits?: RateLimitItem[] } | { ok: false; refusal: Refusal };

/** A refusal as a number's object answers it. */
export function refused(reason: Refusal["reason"], message: string, field: string): { ok: false; refusal: Refusal } {
  return { ok: false, refusal: { reason, message, field } };
}

/** An unknown verification (or none pending for a number): the same answer for forged and unknown ids. */
export function notFound(message: string): { ok: false; refusal: Refusal } {
  return refused("not_found", message, message.startsWith("to:") ? "to" : "verificationId");
}
