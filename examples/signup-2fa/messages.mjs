// Every edge-verify answer the app can get, in plain words for the page: one switch for check
// outcomes, one for refused or failed calls. Nothing here depends on whether a number is
// registered, so no message can tell a visitor that.
import { VerifyClientError } from "@edge-verify/client";

/**
 * A check's `status` → what the page says. `attemptsLeft` comes from the verification's
 * `checkAttempts` and the deployment's MAX_CHECK_ATTEMPTS.
 */
export function checkMessage(status, attemptsLeft) {
  switch (status) {
    case "approved":
      return null;
    case "invalid":
      return attemptsLeft === 1 ? "That code is not right. 1 attempt left." : `That code is not right. ${attemptsLeft} attempts left.`;
    case "expired":
      return "That code has expired. Ask for a new code.";
    case "max_attempts_reached":
      return "Too many wrong codes for this one. Ask for a new code.";
    case "canceled":
      return "That code was replaced or canceled. Ask for a new code.";
    default:
      return "That code could not be checked. Ask for a new code.";
  }
}

/**
 * A refused or failed call → `{ text, retryAfterSeconds? }`. Unknown failures get a generic
 * sentence; the caller logs them.
 */
export function errorMessage(error) {
  if (!(error instanceof VerifyClientError)) return { text: "Something went wrong on our side. Try again in a minute.", unexpected: true };
  const wait = error.retryAfterSeconds;
  switch (error.reason) {
    case "resend_too_soon":
      return { text: `A code was sent a moment ago. You can ask for a new one in ${wait ?? 30} s.`, retryAfterSeconds: wait ?? 30 };
    case "limit_reached":
      return { text: `Too many codes were sent to this number. Try again in ${minutes(wait)}.`, retryAfterSeconds: wait };
    case "locked":
      return { text: `Too many wrong codes. This number is locked for ${minutes(wait)}.`, retryAfterSeconds: wait };
    case "rule_refused":
      return { text: "We cannot send codes to this number. Use a mobile number you own." };
    case "already_approved":
      return { text: "That code was already used. Ask for a new code." };
    case "verification_failed":
      // The provider refused the message for this number (not a mobile, unreachable, opted out).
      return { text: "The text message to this number could not be delivered. Check the number or use another one." };
    case "unavailable":
      // Every configured SMS provider failed: an outage, not the user's fault.
      return { text: "We could not send the text message just now. Try again in a minute." };
    case "network_error":
      return { text: "We could not reach our verification service. Try again in a minute." };
  }
  switch (error.code) {
    case "invalid_argument":
      if (error.field === "to") return { text: "That does not look like a mobile number. Write it in international form, e.g. +14155552671." };
      if (error.field === "code") return { text: "Codes are digits only. Check the text message and try again." };
      return { text: "Something in the form is not right. Check it and try again." };
    case "resource_exhausted":
      return { text: `Too many attempts. Try again in ${minutes(wait)}.`, retryAfterSeconds: wait };
    case "permission_denied":
      return { text: "We cannot send codes to this number. Use a mobile number you own." };
    case "not_found":
    case "failed_precondition":
      return { text: "That code is no longer valid. Ask for a new code." };
    case "unavailable":
    case "deadline_exceeded":
      // The provider did not take the message (outage, refusal) or the service is unreachable.
      return { text: "We could not send the text message just now. Try again in a minute." };
    default:
      return { text: "Something went wrong on our side. Try again in a minute.", unexpected: true };
  }
}

function minutes(seconds) {
  if (!seconds) return "a while";
  if (seconds < 90) return `${seconds} s`;
  return `${Math.ceil(seconds / 60)} min`;
}
