// Code bindings appended to an SMS body: the WebOTP origin-bound line (WICG "Origin-bound one-time
// codes delivered via SMS") and the Android SMS Retriever app hash. Pure: validation and text only.
import { invalidArgument } from "./errors.ts";
import { isWellFormedCode } from "./codes.ts";

export interface CodeBindings {
  /** Host the code is bound to, e.g. "example.com": the `@example.com #123456` last line. */
  webOtpDomain?: string;
  /** Host of a cross-origin iframe that asks for the code (Chrome 91+), written ` @bank.example` after the code. */
  webOtpEmbeddedDomain?: string;
  /** Android SMS Retriever hash: 11 characters of base64 derived from the app's package and signing key. */
  appHash?: string;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A lowercase DNS host name of at least two labels, letters, digits and hyphens only (IDNs in
 * their punycode `xn--` form). Refused, not repaired: a scheme, port, path, trailing dot, upper
 * case or an IP address means the operator configured something other than what they think.
 */
export function validateWebOtpDomain(value: string, field = "webOtpDomain"): string {
  if (value.length === 0) throw invalidArgument(field, "must not be empty");
  if (value.length > 253) throw invalidArgument(field, "must be at most 253 characters");
  if (/[:/?#@\s]/.test(value)) throw invalidArgument(field, "must be a bare host name like example.com: no scheme, port, path or spaces");
  if (/[^\x21-\x7e]/.test(value)) throw invalidArgument(field, "must be ASCII: write an internationalised domain in its punycode (xn--) form");
  if (value !== value.toLowerCase()) throw invalidArgument(field, "must be lowercase");
  const labels = value.split(".");
  if (labels.length < 2) throw invalidArgument(field, "must be a fully qualified host name like example.com");
  for (const label of labels) {
    if (!LABEL.test(label)) {
      throw invalidArgument(field, "each dot-separated label must be 1-63 letters, digits or hyphens, not starting or ending with a hyphen");
    }
  }
  // An all-digit last label is an IPv4 address, never a site WebOTP can bind to.
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) throw invalidArgument(field, "must be a host name, not an IP address");
  return value;
}

const APP_HASH = /^[A-Za-z0-9+/]{11}$/;

/** Exactly 11 characters of the standard base64 alphabet (the truncated SHA-256 Google computes). */
export function validateAppHash(value: string, field = "appHash"): string {
  if (!APP_HASH.test(value)) {
    throw invalidArgument(field, "must be the 11-character Android app hash: letters, digits, + and /");
  }
  return value;
}

/** Validates every binding present; the fields named are the `CodeBindings` keys. */
export function validateCodeBindings(bindings: CodeBindings): CodeBindings {
  const out: CodeBindings = {};
  if (bindings.webOtpEmbeddedDomain !== undefined && bindings.webOtpDomain === undefined) {
    throw invalidArgument("webOtpEmbeddedDomain", "needs webOtpDomain, the top-level site the iframe is embedded in");
  }
  if (bindings.webOtpDomain !== undefined) out.webOtpDomain = validateWebOtpDomain(bindings.webOtpDomain);
  if (bindings.webOtpEmbeddedDomain !== undefined) {
    out.webOtpEmbeddedDomain = validateWebOtpDomain(bindings.webOtpEmbeddedDomain, "webOtpEmbeddedDomain");
  }
  if (bindings.appHash !== undefined) out.appHash = validateAppHash(bindings.appHash);
  return out;
}

/**
 * Appends the bindings to a rendered body: the app hash on its own line, then the WebOTP line,
 * which the spec requires to be the last line. Inputs are re-validated here because the code
 * and hosts end up on that last line: a newline or space in any of them would let text move
 * the binding or change which code the browser autofills.
 */
export function appendCodeBindings(body: string, code: string, bindings: CodeBindings): string {
  const valid = validateCodeBindings(bindings);
  if (!isWellFormedCode(code)) throw new Error("appendCodeBindings: the code must be 4 to 10 digits");
  let out = body;
  if (valid.appHash !== undefined) out += `\n${valid.appHash}`;
  if (valid.webOtpDomain !== undefined) {
    out += `\n@${valid.webOtpDomain} #${code}`;
    // Chrome parses the iframe's host with an "@" sigil; the spec draft's text uses "%". See docs/templates.md.
    if (valid.webOtpEmbeddedDomain !== undefined) out += ` @${valid.webOtpEmbeddedDomain}`;
  }
  return out;
}
