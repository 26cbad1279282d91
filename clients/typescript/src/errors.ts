// Typed errors: every failed call becomes a VerifyClientError carrying the server's reason, rule,
// retry-after and field (sent as x-verify-* / retry-after headers on Connect errors).
import { Code, ConnectError } from "@connectrpc/connect";

/** Connect code names as the server spells them (`resource_exhausted`, `invalid_argument`, ...). */
export type VerifyErrorCode =
  | "canceled"
  | "unknown"
  | "invalid_argument"
  | "deadline_exceeded"
  | "not_found"
  | "already_exists"
  | "permission_denied"
  | "resource_exhausted"
  | "failed_precondition"
  | "aborted"
  | "out_of_range"
  | "unimplemented"
  | "internal"
  | "unavailable"
  | "data_loss"
  | "unauthenticated";

export interface VerifyClientErrorInit {
  code: VerifyErrorCode;
  message: string;
  reason?: string | undefined;
  rule?: string | undefined;
  retryAfterSeconds?: number | undefined;
  field?: string | undefined;
  cause?: unknown;
}

/**
 * A refused or failed call. `reason` is the server's stable refusal reason (`resend_too_soon`,
 * `limit_reached`, `locked`, `rule_refused`, `idempotency_key_reused`, ...) or `network_error`
 * when no answer arrived; `rule` names the rule behind a limit (`resend_cooldown`, `velocity_ip`).
 */
export class VerifyClientError extends Error {
  readonly code: VerifyErrorCode;
  readonly reason: string | undefined;
  readonly rule: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly field: string | undefined;

  constructor(init: VerifyClientErrorInit) {
    super(init.message, { cause: init.cause });
    this.name = "VerifyClientError";
    this.code = init.code;
    this.reason = init.reason;
    this.rule = init.rule;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.field = init.field;
  }
}

/** Thrown by the client's fetch wrapper when no response arrived at all (DNS, reset, offline). */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super(`network error: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "NetworkError";
  }
}

export function toVerifyClientError(error: unknown, now: number = Date.now()): VerifyClientError {
  if (error instanceof VerifyClientError) return error;
  const e = ConnectError.from(error);
  const network = findNetworkError(e);
  if (network) return new VerifyClientError({ code: "unavailable", message: network.message, reason: "network_error", cause: e });
  return new VerifyClientError({
    code: codeName(e.code),
    message: e.rawMessage,
    reason: e.metadata.get("x-verify-reason") ?? undefined,
    rule: e.metadata.get("x-verify-rule") ?? undefined,
    retryAfterSeconds: parseRetryAfter(e.metadata.get("retry-after"), now),
    field: e.metadata.get("x-verify-field") ?? undefined,
    cause: e,
  });
}

function findNetworkError(error: ConnectError): NetworkError | undefined {
  for (let cause: unknown = error.cause, depth = 0; cause !== undefined && depth < 5; depth++) {
    if (cause instanceof NetworkError) return cause;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return undefined;
}

function codeName(code: Code): VerifyErrorCode {
  // Code.ResourceExhausted → "resource_exhausted"
  const name = Code[code] ?? "Unknown";
  return name.replace(/(?<!^)([A-Z])/g, "_$1").toLowerCase() as VerifyErrorCode;
}

/** `Retry-After` is delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
