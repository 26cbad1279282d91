// Small helpers the vendor files share: one call with a deadline, tolerant body reading, and the
// two failure shapes (vendor refused vs outcome unknown). Nothing here knows any vendor's format.
import { reasonForStatus, SmsSendError, type FetchFn, type SmsFailureReason } from "./sender.ts";

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Joins a configured base URL (with or without a trailing slash or a path prefix) and an API path. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

/** "+447400123456" → "447400123456", for vendors whose docs want the country code without "+". */
export function withoutPlus(e164: string): string {
  return e164.replace(/^\+/, "");
}

/**
 * Sends one request and reads its whole body under one deadline. (A deadline that ends when the
 * headers arrive lets a vendor that stalls mid-body hold the Durable Object forever.) A timeout or
 * a dropped connection is an unknown outcome: `unavailable`, not definite. The result is a
 * buffered copy, so callers may read the body freely.
 */
export async function call(provider: string, fetchFn: FetchFn, request: Request, timeoutMs: number): Promise<Response> {
  const controller = new AbortController();
  const deadline = new Promise<never>((_, reject) => {
    controller.signal.addEventListener("abort", () => reject(new Error("deadline")));
  });
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response: Response | undefined;
  try {
    response = await Promise.race([fetchFn(request, { signal: controller.signal }), deadline]);
    const text = await Promise.race([response.text(), deadline]);
    // 204/205/304 may not carry a body, even an empty one. Only the content type is kept: the body
    // is already decoded, so a copied content-encoding would describe it wrongly.
    const contentType = response.headers.get("content-type");
    return new Response(text === "" ? null : text, { status: response.status, headers: contentType ? { "content-type": contentType } : {} });
  } catch {
    response?.body?.cancel().catch(() => undefined);
    // The error's own text stays out: it can hold the URL, and some vendors put account ids there.
    const what = controller.signal.aborted ? `timed out after ${timeoutMs} ms` : "was unreachable";
    throw new SmsSendError("unavailable", `${provider} ${what}`, { definite: false, provider });
  } finally {
    clearTimeout(timer);
  }
}

/** The body as JSON, or null when it is empty or not JSON (a proxy's HTML error page, say). */
export async function readJson(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => "");
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/**
 * The vendor answered that it did not take the message. The message names the vendor and its code
 * only: vendor error texts can echo the destination or the message body, so they stay out.
 */
export function refused(
  provider: string,
  reason: SmsFailureReason,
  details: { status: number; code?: string | number; definite?: boolean },
): SmsSendError {
  const code = details.code === undefined || details.code === "" ? "" : String(details.code);
  return new SmsSendError(reason, `${provider} refused the message (HTTP ${details.status}${code ? `, code ${code}` : ""})`, {
    // A 5xx may have been processed; a 4xx or an explicit error status was not.
    definite: details.definite ?? details.status < 500,
    providerCode: code || String(details.status),
    provider,
  });
}

/** An HTTP failure with no vendor code we recognise: the status alone decides. */
export function refusedByStatus(provider: string, status: number, code?: string | number): SmsSendError {
  return refused(provider, reasonForStatus(status), { status, code });
}

/** 2xx without the id the docs promise: the message may be on its way, so the outcome is unknown. */
export function acceptedUnreadable(provider: string, status: number): SmsSendError {
  return new SmsSendError("unavailable", `${provider} answered HTTP ${status} without a readable message id`, {
    definite: false,
    providerCode: String(status),
    provider,
  });
}

/** A random id for vendors that echo a client reference instead of issuing one. */
export function clientReference(): string {
  return crypto.randomUUID();
}
