// What every receipt verifier shares: the request as the vendor sent it, its parameters, keyed
// hashes, encodings, and a constant-time comparison. Nothing here knows any vendor's format.
import type { DeliveryStatus } from "../../core/delivery.ts";
import { toBase64Url } from "../../core/ids.ts";

/** A callback as received, with the URL the vendor called (built from PUBLIC_BASE_URL when set). */
export interface CallbackRequest {
  method: string;
  /** The absolute URL the vendor signed: our public base + path + query, exactly as we handed it out. */
  url: string;
  headers: Headers;
  /** The raw body: signatures cover bytes, never a re-serialised parse. */
  body: string;
}

/** Secrets and keys that verify receipts; each empty when not configured (that vendor is refused). */
export interface ReceiptSecrets {
  twilioAuthToken: string;
  vonageSignatureSecret: string;
  vonageSignatureMethod: VonageSignatureMethod;
  /** Telnyx account public key (base64, 32 bytes Ed25519). */
  telnyxPublicKey: string;
  plivoAuthToken: string;
  sinchCallbackSecret: string;
  webhookSecret: string;
  /** Key for the per-verification URL tokens of vendors that do not sign (Infobip). */
  callbackTokenKey: string;
}

export type VonageSignatureMethod = "md5hash" | "md5" | "sha1" | "sha256" | "sha512";

/** One receipt read from a callback. `status: null` is a vendor status we do not map (e.g. "unknown"). */
export interface ParsedReceipt {
  messageId: string;
  status: DeliveryStatus | null;
  errorCode: string;
  /** The verification id, when the vendor echoes our reference in the body (Vonage `client-ref`). */
  reference?: string;
}

export interface ReceiptVendor {
  /** The name in the callback path. */
  readonly provider: string;
  /** Provider names (as recorded on verifications) whose messages this vendor's receipts cover. */
  readonly covers: readonly string[];
  /** Whether this deployment holds what verifying the vendor's receipts needs. */
  configured(secrets: ReceiptSecrets): boolean;
  /** The URL handed to the vendor for one verification's message. */
  callbackUrl(base: string, verificationId: string, secrets: ReceiptSecrets): Promise<string>;
  /** True only for a request the vendor signed (or that carries our token). `nowMs` for freshness. */
  verify(request: CallbackRequest, secrets: ReceiptSecrets, nowMs: number): Promise<boolean>;
  /** The receipts in a verified request; null when it is not the vendor's receipt format. */
  parse(request: CallbackRequest): ParsedReceipt[] | null;
}

/** Timestamped schemes refuse a signature older (or newer) than this: a captured callback goes stale. */
export const TIMESTAMP_TOLERANCE_MS = 5 * 60_000;

export function freshSeconds(timestamp: string | null, nowMs: number): boolean {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  return Math.abs(nowMs - Number(timestamp) * 1000) <= TIMESTAMP_TOLERANCE_MS;
}

export function defaultCallbackUrl(base: string, provider: string, verificationId: string): string {
  return `${base}/v1/callbacks/${provider}?v=${encodeURIComponent(verificationId)}`;
}

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export async function hmac(hash: "SHA-1" | "SHA-256" | "SHA-512", key: string | Uint8Array, data: string): Promise<Uint8Array> {
  const raw = typeof key === "string" ? utf8(key) : key;
  const imported = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", imported, utf8(data)));
}

/** MD5 (workerd's WebCrypto has it as a non-standard digest) for Vonage's legacy signature methods. */
export async function md5(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("MD5", data));
}

/** HMAC-MD5 (RFC 2104) on top of the MD5 digest: WebCrypto offers no HMAC-MD5 key. */
export async function hmacMd5(key: string, data: string): Promise<Uint8Array> {
  let k = utf8(key);
  if (k.length > 64) k = await md5(k);
  const inner = new Uint8Array(64 + utf8(data).length);
  const outer = new Uint8Array(64 + 16);
  for (let i = 0; i < 64; i++) {
    inner[i] = (k[i] ?? 0) ^ 0x36;
    outer[i] = (k[i] ?? 0) ^ 0x5c;
  }
  inner.set(utf8(data), 64);
  outer.set(await md5(inner), 64);
  return md5(outer);
}

/**
 * The per-verification token a callback URL carries where the vendor's signature does not cover
 * the query: base64url(HMAC-SHA256(key, "<vendor>:" + verification id)). The vendor label keeps one
 * vendor's URL from vouching for another's.
 */
export async function urlToken(key: string, vendor: string, verificationId: string): Promise<string> {
  return toBase64Url(await hmac("SHA-256", key, `${vendor}:${verificationId}`));
}

/** Whether `t` in the URL is the token for its `v`, compared in constant time. */
export async function hasUrlToken(request: CallbackRequest, key: string, vendor: string): Promise<boolean> {
  const url = new URL(request.url);
  const id = url.searchParams.get("v");
  const token = url.searchParams.get("t");
  if (!key || !id || !token) return false;
  return bytesEqual(utf8(token), utf8(await urlToken(key, vendor, id)));
}

/** Whether any of the comma-separated base64 signatures in a header is `expected`. */
export function anySignatureMatches(header: string, expected: Uint8Array): boolean {
  let matched = false;
  // No early exit: the time taken does not say which candidate matched.
  for (const candidate of header.split(",")) {
    const given = fromBase64(candidate);
    if (given && bytesEqual(given, expected)) matched = true;
  }
  return matched;
}

/** Constant-time equality; different lengths are unequal without comparing contents. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  return crypto.subtle.timingSafeEqual(a, b);
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(text: string): Uint8Array | null {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(text)) return null;
  return Uint8Array.from(text.match(/../g)!, (pair) => parseInt(pair, 16));
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array | null {
  const normalised = text.trim().replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(normalised)) return null;
  try {
    return Uint8Array.from(atob(normalised), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** Form parameters of a form-encoded body, in order, duplicates kept. */
export function formParams(request: CallbackRequest): [string, string][] {
  const type = request.headers.get("content-type") ?? "";
  if (request.method === "GET") return [...new URL(request.url).searchParams];
  if (!type.startsWith("application/x-www-form-urlencoded")) return [];
  return [...new URLSearchParams(request.body)];
}

export function jsonBody(request: CallbackRequest): unknown {
  try {
    return JSON.parse(request.body) as unknown;
  } catch {
    return null;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A vendor error code as text; "" for none (zero, empty, missing). */
export function errorCodeOf(value: unknown): string {
  if (typeof value === "number") return value === 0 ? "" : String(value);
  if (typeof value !== "string") return "";
  const trimmed = value.trim();
  return /^0*$/.test(trimmed) ? "" : trimmed.slice(0, 64);
}
