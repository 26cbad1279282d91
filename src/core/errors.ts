// Refusals that cross the verifier boundary: a stable snake_case reason, a message that names the
// field, and optional details. Each transport maps `reason` to its wire code in one switch.

export type RefusalReason =
  | "invalid_argument"
  | "unauthenticated"
  | "not_found"
  | "already_approved"
  | "verification_failed"
  | "resend_too_soon"
  | "limit_reached"
  | "locked"
  | "rule_refused"
  | "idempotency_key_reused"
  | "idempotency_in_progress"
  | "unavailable"
  | "misconfigured"
  /** A carrier lookup was asked for and LOOKUP_PROVIDER is off. */
  | "lookups_off";

export interface RefusalDetails {
  /** The request field at fault, in camelCase (proto JSON name). */
  field?: string;
  /** When a retry can succeed, in whole seconds. */
  retryAfterSeconds?: number;
  /** Which rule refused (abuse rules). */
  rule?: string;
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
export type DoResult<T> = { ok: true; value: T; replayed?: boolean } | { ok: false; refusal: Refusal };

/** A refusal as a number's object answers it. */
export function refused(reason: Refusal["reason"], message: string, field: string): { ok: false; refusal: Refusal } {
  return { ok: false, refusal: { reason, message, field } };
}

/** An unknown verification (or none pending for a number): the same answer for forged and unknown ids. */
export function notFound(message: string): { ok: false; refusal: Refusal } {
  return refused("not_found", message, message.startsWith("to:") ? "to" : "verificationId");
}
