// The Connect error map: every refusal reason → Connect code, in one switch.
import { Code, ConnectError } from "@connectrpc/connect";
import type { RefusalReason } from "../core/errors.ts";
import { VerifyError } from "../core/errors.ts";
import { ConfigError } from "../config.ts";

function codeFor(reason: RefusalReason): Code {
  switch (reason) {
    case "invalid_argument":
      return Code.InvalidArgument;
    case "unauthenticated":
      return Code.Unauthenticated;
    case "not_found":
      return Code.NotFound;
    case "already_approved":
    case "verification_failed":
    case "lookups_off":
      return Code.FailedPrecondition;
    case "resend_too_soon":
    case "limit_reached":
    case "locked":
      return Code.ResourceExhausted;
    case "rule_refused":
      return Code.PermissionDenied;
    case "idempotency_key_reused":
      return Code.InvalidArgument;
    case "idempotency_in_progress":
      return Code.Aborted;
    case "unavailable":
    case "misconfigured":
      return Code.Unavailable;
  }
}

/** Converts our errors to ConnectError; anything unknown becomes Internal without its message. */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof VerifyError) {
    const metadata = new Headers();
    if (error.details.retryAfterSeconds !== undefined) metadata.set("retry-after", String(error.details.retryAfterSeconds));
    metadata.set("x-verify-reason", error.reason);
    if (error.details.rule) metadata.set("x-verify-rule", error.details.rule);
    if (error.details.field) metadata.set("x-verify-field", error.details.field);
    return new ConnectError(error.message, codeFor(error.reason), metadata);
  }
  if (error instanceof ConfigError) return new ConnectError("service is not configured", Code.Unavailable);
  return new ConnectError("internal error", Code.Internal);
}
