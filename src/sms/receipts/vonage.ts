// Vonage SMS API delivery receipts (DLRs), signed when "signed webhooks" is enabled on the account:
// a `sig` parameter over every other parameter, sorted by name, as "&name=value" with "&" and "="
// in values replaced by "_"; md5hash = MD5(text + secret), otherwise HMAC(secret, text), hex.
// https://developer.vonage.com/en/getting-started/concepts/signing-messages
import type { DeliveryStatus } from "../../core/delivery.ts";
import {
  bytesEqual,
  errorCodeOf,
  formParams,
  freshSeconds,
  fromHex,
  hmac,
  hmacMd5,
  isObject,
  jsonBody,
  md5,
  utf8,
  type CallbackRequest,
  type ReceiptSecrets,
  type ReceiptVendor,
} from "./shared.ts";

// DLR `status` values. "unknown" maps to nothing: it says nothing new.
const STATUS: Record<string, DeliveryStatus> = {
  accepted: "sent",
  buffered: "sent",
  delivered: "delivered",
  expired: "undelivered",
  failed: "undelivered",
  rejected: "failed",
};

/** The DLR's parameters: form or query (GET), or a flat JSON object (POST-JSON). */
function params(request: CallbackRequest): [string, string][] {
  if ((request.headers.get("content-type") ?? "").startsWith("application/json")) {
    const body = jsonBody(request);
    if (!isObject(body)) return [];
    return Object.entries(body).flatMap(([k, v]) => (v === null || typeof v === "object" ? [] : [[k, String(v)] as [string, string]]));
  }
  return formParams(request);
}

/** The expected `sig` for `fields` (without `sig`), lowercase hex. */
export async function vonageSignature(fields: readonly [string, string][], secret: string, method: ReceiptSecrets["vonageSignatureMethod"]): Promise<string> {
  const text = [...fields]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `&${name}=${value.replace(/[&=]/g, "_")}`)
    .join("");
  let mac: Uint8Array;
  if (method === "md5hash") mac = await md5(utf8(text + secret));
  else if (method === "md5") mac = await hmacMd5(secret, text);
  else mac = await hmac(method === "sha1" ? "SHA-1" : method === "sha256" ? "SHA-256" : "SHA-512", secret, text);
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

export const vonageReceipts: ReceiptVendor = {
  provider: "vonage",
  covers: ["vonage"],
  configured: (secrets) => secrets.vonageSignatureSecret !== "",
  // No `?v=`: the verification id travels in `client-ref`, which the signature covers.
  callbackUrl: async (base) => `${base}/v1/callbacks/vonage`,
  async verify(request, secrets, nowMs) {
    if (!secrets.vonageSignatureSecret) return false;
    const all = params(request);
    const sig = all.find(([name]) => name === "sig")?.[1];
    const given = sig ? fromHex(sig) : null;
    const fields = all.filter(([name]) => name !== "sig");
    // The signed timestamp stops a captured DLR from being replayed later.
    if (!given || !freshSeconds(fields.find(([name]) => name === "timestamp")?.[1] ?? null, nowMs)) return false;
    const expected = fromHex(await vonageSignature(fields, secrets.vonageSignatureSecret, secrets.vonageSignatureMethod))!;
    return bytesEqual(given, expected);
  },
  parse(request) {
    const fields = new Map(params(request));
    const messageId = fields.get("messageId");
    const status = fields.get("status");
    if (!messageId || !status) return null;
    return [{ messageId, status: STATUS[status] ?? null, errorCode: errorCodeOf(fields.get("err-code")), reference: fields.get("client-ref") || undefined }];
  },
};
