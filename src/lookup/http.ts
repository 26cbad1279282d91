// What the lookup vendor files share on top of src/sms/http.ts: a GET under one deadline that also
// honours the caller's signal, the error shapes, and the small parsers for vendor fields.
import { call } from "../sms/http.ts";
import { SmsSendError, type FetchFn } from "../sms/sender.ts";
import type { LookupVendor } from "../core/lookup.ts";
import { LookupError, type LookupFailureReason } from "./provider.ts";

export { isObject, joinUrl, readJson, withoutPlus, type JsonObject } from "../sms/http.ts";

/**
 * One GET with its whole body read under `timeoutMs` (sms/http.ts `call`), ended early by the
 * caller's `signal`. Any failure to get an answer is `unavailable`, not definite.
 */
export async function get(provider: LookupVendor, fetchFn: FetchFn, request: Request, timeoutMs: number, signal?: AbortSignal): Promise<Response> {
  const unavailable = (what: string) => new LookupError("unavailable", `${provider} lookup ${what}`, { definite: false, provider });
  if (signal?.aborted) throw unavailable("was canceled");
  let onAbort = () => {};
  const canceled = new Promise<never>((_, reject) => {
    onAbort = () => reject(unavailable("was canceled"));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  // The caller's abort also reaches the fetch itself, so the connection is dropped, not left open.
  const linked: FetchFn = signal
    ? (input, init) => fetchFn(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal })
    : fetchFn;
  try {
    return await Promise.race([call(`${provider} lookup`, linked, request, timeoutMs), canceled]);
  } catch (error) {
    if (error instanceof LookupError) throw error;
    // call() reports "<provider> lookup timed out after N ms" / "was unreachable": our words only.
    if (error instanceof SmsSendError) throw new LookupError("unavailable", error.message, { definite: false, provider });
    throw unavailable("failed");
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/** The vendor answered with an error: its code is kept for the operator, its text never is. */
export function lookupRefused(provider: LookupVendor, reason: LookupFailureReason, status: number, code?: string | number): LookupError {
  const shown = code === undefined || code === "" ? "" : String(code);
  return new LookupError(reason, `${provider} lookup refused (HTTP ${status}${shown ? `, code ${shown}` : ""})`, {
    // A 5xx answer says nothing about the number: try again later.
    definite: status < 500 && reason !== "unavailable",
    provider,
    providerCode: shown || String(status),
  });
}

/** An HTTP failure with no vendor code we recognise: the status alone decides. */
export function reasonForLookupStatus(status: number): LookupFailureReason {
  if (status === 401 || status === 403) return "auth_failed";
  if (status === 404) return "not_found";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "unavailable";
  return "invalid_number";
}

/** 2xx without the fields the docs promise: we know nothing about the number. */
export function unreadable(provider: LookupVendor, status: number): LookupError {
  return new LookupError("unavailable", `${provider} lookup answered HTTP ${status} without a readable result`, {
    definite: false,
    provider,
    providerCode: String(status),
  });
}

/** A non-empty trimmed string, else null. */
export function text(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
}

/** An MCC is three digits; anything else (a region code, "N/A", "") is not one. */
export function mccOf(value: unknown): string | null {
  const s = typeof value === "number" && Number.isInteger(value) ? String(value) : text(value);
  return s && /^\d{3}$/.test(s) ? s : null;
}

/** An MNC is two or three digits. */
export function mncOf(value: unknown): string | null {
  const s = typeof value === "number" && Number.isInteger(value) ? String(value).padStart(2, "0") : text(value);
  return s && /^\d{2,3}$/.test(s) ? s : null;
}

/** Vendor type names vary in case and separators ("tollFree", "toll free", "toll-free"): one key. */
export function typeKey(value: unknown): string {
  return typeof value === "string" ? value.toLowerCase().replace(/[\s_-]+/g, "") : "";
}

/**
 * MCC and MNC together or not at all: half a network id names no network, and a vendor that fills
 * one with something else (Telnyx's examples put "US" and an area code there) gives neither.
 */
export function networkOf(mcc: unknown, mnc: unknown): { mcc: string | null; mnc: string | null } {
  const country = mccOf(mcc);
  const network = mncOf(mnc);
  return country && network ? { mcc: country, mnc: network } : { mcc: null, mnc: null };
}
