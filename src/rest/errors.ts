// The REST error renderer: every refusal reason → Connect code name + HTTP status, in one
// exhaustive switch, and the one function that turns anything thrown into a REST answer. Body:
// {"code": "...", "message": "...", "details": [...]}, messages naming the field at fault.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { unmappedReason, type RefusalReason, type VerifyError } from "../core/errors.ts";
import { rateLimitFields } from "../core/ratelimit-fields.ts";
import { refusalOf } from "../errors.ts";

export type WireCode =
  | "invalid_argument"
  | "unauthenticated"
  | "not_found"
  | "failed_precondition"
  | "permission_denied"
  | "aborted"
  | "resource_exhausted"
  | "unavailable"
  | "internal";

export function wireCodeFor(reason: RefusalReason): { code: WireCode; status: ContentfulStatusCode } {
  switch (reason) {
    case "invalid_argument":
      return { code: "invalid_argument", status: 400 };
    case "body_too_large":
      return { code: "invalid_argument", status: 413 };
    case "unauthenticated":
      return { code: "unauthenticated", status: 401 };
    case "not_found":
      return { code: "not_found", status: 404 };
    case "already_approved":
    case "verification_failed":
    case "lookups_off":
      return { code: "failed_precondition", status: 400 };
    case "resend_too_soon":
    case "limit_reached":
    case "locked":
      return { code: "resource_exhausted", status: 429 };
    case "rule_refused":
      return { code: "permission_denied", status: 403 };
    case "idempotency_key_reused":
      return { code: "invalid_argument", status: 422 };
    case "idempotency_in_progress":
      return { code: "aborted", status: 409 };
    case "unavailable":
    case "misconfigured":
      return { code: "unavailable", status: 503 };
    default:
      return unmappedReason(reason);
  }
}

export interface ErrorBody {
  code: WireCode;
  message: string;
  details: Record<string, unknown>[];
}

export function errorBody(error: VerifyError): { body: ErrorBody; status: ContentfulStatusCode; headers: Record<string, string> } {
  const { code, status } = wireCodeFor(error.reason);
  const detail: Record<string, unknown> = { reason: error.reason };
  if (error.details.field) detail.field = error.details.field;
  if (error.details.rule) detail.rule = error.details.rule;
  // A refusal by a number's limit says where each of them stands (RateLimit-Policy, RateLimit).
  const headers: Record<string, string> = rateLimitFields(error.details.rateLimits);
  if (error.details.retryAfterSeconds !== undefined) {
    detail.retryAfterSeconds = error.details.retryAfterSeconds;
    headers["retry-after"] = String(error.details.retryAfterSeconds);
  }
  return { body: { code, message: error.message, details: [detail] }, status, headers };
}

/** The body of an error that is not a refusal: nothing of the error reaches the client. */
const INTERNAL_ERROR: { body: ErrorBody; status: ContentfulStatusCode } = { body: { code: "internal", message: "internal error", details: [] }, status: 500 };

/** The REST answer to anything a route throws (and to a route that does not exist). */
export function restErrorResponse(c: Context, error: unknown): Response {
  const refusal = refusalOf(error, c.req.path);
  if (!refusal) return c.json(INTERNAL_ERROR.body, INTERNAL_ERROR.status);
  const { body, status, headers } = errorBody(refusal);
  return c.json(body, status, headers);
}
