// The Connect error renderer: every refusal reason → Connect code, in one exhaustive switch; the
// conversion of anything thrown into a ConnectError; and its answer in the caller's protocol for
// errors raised before a handler runs (configuration, an undecodable body).
import { Code, ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc-web";
import { unmappedReason, VerifyError, type RefusalReason } from "../core/errors.ts";
import { rateLimitFields } from "../core/ratelimit-fields.ts";
import { refusalOf } from "../errors.ts";

export function codeFor(reason: RefusalReason): Code {
  switch (reason) {
    case "invalid_argument":
    case "body_too_large":
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
    default:
      return unmappedReason(reason);
  }
}

/**
 * Our errors as ConnectErrors: a refusal with its mapped code and its details as `x-verify-*`
 * metadata; anything unknown becomes Internal without its message. connect-es's own errors pass.
 */
export function toConnectError(error: unknown, path: string): ConnectError {
  if (error instanceof ConnectError) return error;
  const refusal = refusalOf(error, path);
  if (!refusal) return new ConnectError("internal error", Code.Internal);
  return refusalError(refusal);
}

function refusalError(error: VerifyError): ConnectError {
  const metadata = new Headers(rateLimitFields(error.details.rateLimits));
  if (error.details.retryAfterSeconds !== undefined) metadata.set("retry-after", String(error.details.retryAfterSeconds));
  metadata.set("x-verify-reason", error.reason);
  if (error.details.rule) metadata.set("x-verify-rule", error.details.rule);
  if (error.details.field) metadata.set("x-verify-field", error.details.field);
  return new ConnectError(error.message, codeFor(error.reason), metadata);
}

/**
 * The error answer to a Connect or gRPC-Web request that no handler ran for: gRPC-Web as a
 * trailers-only response (status in the headers, no body), Connect as its unary JSON error.
 */
export function connectErrorResponse(error: unknown, request: Request): Response {
  const connectError = toConnectError(error, new URL(request.url).pathname);
  const contentType = request.headers.get("content-type") ?? "";
  if (contentType.startsWith("application/grpc-web")) {
    const headers = new Headers({ "content-type": contentType.startsWith("application/grpc-web+json") ? "application/grpc-web+json" : "application/grpc-web+proto" });
    return new Response(null, { status: 200, headers: setTrailerStatus(headers, connectError) });
  }
  const headers = new Headers(connectError.metadata);
  headers.set("content-type", "application/json");
  return new Response(errorToJsonBytes(connectError, {}), { status: codeToHttpStatus(connectError.code), headers });
}
