// Every edge-verify answer the app can get, in plain words for the page: one switch for check
// outcomes, one for refused or failed calls. Nothing here depends on whether a number is
// registered, so no message can tell a visitor that.
import { VerifyClientError } from "@edge-verify/client";

/**
 * A check's answer (`{ status, verification }`) → what the page says. Attempts left are the
 * deployment's MAX_CHECK_ATTEMPTS less the verification's `checkAttempts`.
 */
export function checkMessage({ status, verification }, { maxCheckAttempts }) {
  const attemptsLeft = Math.max(0, maxCheckAttempts - verification.checkAttempts);
  switch (status) {
    case "approved":
      return null;
    case "invalid":
      // The last allowed wrong code answers `invalid` and ends the verification (its status says
      // so, whatever limit the service set): "0 attempts left" would send the user to try again.
      if (verification.status === "max_attempts_reached" || attemptsLeft === 0) return "That code is not right, and that was the last try. Ask for a new code.";
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
      return { text: `${limitWords(error)} Try again in ${duration(wait)}.`, retryAfterSeconds: wait };
    case "locked":
      return { text: `Too many wrong codes. This number is locked for ${duration(wait)}.`, retryAfterSeconds: wait };
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
      return { text: `Too many attempts. Try again in ${duration(wait)}.`, retryAfterSeconds: wait };
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

/**
 * A `limit_reached` refusal names what it counted in `rule` (and whose input in `field`); the page
 * says that, so a limit on the visitor's connection or on the service never reads as a problem with
 * the number. A rule this app does not know yet falls back on the field.
 */
const LIMIT_WORDS = {
  velocity_ip: "Too many codes were requested from this connection or device.",
  sends_per_10_minutes: "Too many codes were sent to this number.",
  sends_per_day: "Too many codes were sent to this number today.",
  velocity_range: "We are not sending codes to numbers like this one right now.",
  conversion_guard: "We are not sending codes to numbers like this one right now.",
  velocity_country: "We are not sending codes to this country right now.",
  budget: "We cannot send more codes today.",
};

function limitWords({ rule, field }) {
  if (Object.hasOwn(LIMIT_WORDS, rule)) return LIMIT_WORDS[rule];
  return field === "clientIp" ? LIMIT_WORDS.velocity_ip : "Too many codes were requested just now.";
}

function duration(seconds) {
  if (!seconds) return "a while";
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.ceil(seconds / 60)} min`;
  return `${Math.ceil(seconds / 3600)} h`;
}
