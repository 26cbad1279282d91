// Plivo message status callbacks (`url` on the send). Plivo signs with the auth token in one of two
// schemes, both as plivo-node computes them; a receipt is accepted when either header verifies:
// - V3 (`X-Plivo-Signature-V3`, `-V3-Nonce`; validateV3Signature): base64(HMAC-SHA256(URL without
//   query + "?" + sorted query + "." + sorted POST params as name+value + "." + nonce)).
// - V2 (`X-Plivo-Signature-V2`, `-V2-Nonce`; validateSignature), the one Plivo's messaging pages name:
//   base64(HMAC-SHA256(URL without query + nonce)). It covers neither our `?v=` nor the body, and one
//   captured pair stays valid for every request to the path, so V2 counts only on a URL that also
//   carries our per-verification token (`t`, as for Infobip): it then binds to that verification.
// https://www.plivo.com/docs/sms/concepts/callbacks, https://docs.plivo.com/docs/messaging/concepts/signature-validation
import type { DeliveryStatus } from "../../core/delivery.ts";
import { anySignatureMatches, defaultCallbackUrl, errorCodeOf, formParams, hasUrlToken, hmac, urlToken, type CallbackRequest, type ReceiptSecrets, type ReceiptVendor } from "./shared.ts";

const STATUS: Record<string, DeliveryStatus> = {
  queued: "queued",
  sent: "sent",
  delivered: "delivered",
  undelivered: "undelivered",
  failed: "failed",
  rejected: "failed",
};

function grouped(pairs: readonly [string, string][]): [string, string[]][] {
  const map = new Map<string, string[]>();
  for (const [k, v] of pairs) map.set(k, [...(map.get(k) ?? []), v]);
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, vs]) => [k, [...vs].sort()]);
}

/** The text Plivo signs for a POST callback (before ".<nonce>"). */
export function plivoSignedText(request: CallbackRequest, postParams: readonly [string, string][]): string {
  const url = new URL(request.url);
  let text = `${url.protocol}//${url.host}${url.pathname}`;
  const query = grouped([...url.searchParams]).flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`)).join("&");
  if (query || postParams.length > 0) text += `?${query}`;
  if (query && postParams.length > 0) text += ".";
  return text + grouped(postParams).flatMap(([k, vs]) => vs.map((v) => k + v)).join("");
}

/** The text Plivo signs for V2: the URL up to its query, then the nonce, with no separator. */
export function plivoV2SignedText(request: CallbackRequest, nonce: string): string {
  const url = new URL(request.url);
  return `${url.protocol}//${url.host}${url.pathname}${nonce}`;
}

/** The signature header (comma-separated candidates) and nonce of one scheme; null when not both sent. */
function signed(request: CallbackRequest, version: "v2" | "v3"): { header: string; nonce: string } | null {
  const header = request.headers.get(`x-plivo-signature-${version}`);
  const nonce = request.headers.get(`x-plivo-signature-${version}-nonce`);
  return header && nonce ? { header, nonce } : null;
}

async function v3Valid(request: CallbackRequest, secrets: ReceiptSecrets): Promise<boolean> {
  const v3 = signed(request, "v3");
  if (!v3) return false;
  const expected = await hmac("SHA-256", secrets.plivoAuthToken, `${plivoSignedText(request, formParams(request))}.${v3.nonce}`);
  // The header may list several signatures (one per auth token during a rotation).
  return anySignatureMatches(v3.header, expected);
}

async function v2Valid(request: CallbackRequest, secrets: ReceiptSecrets): Promise<boolean> {
  const v2 = signed(request, "v2");
  if (!v2 || !(await hasUrlToken(request, secrets.callbackTokenKey, "plivo"))) return false;
  const expected = await hmac("SHA-256", secrets.plivoAuthToken, plivoV2SignedText(request, v2.nonce));
  // plivo-node compares V2 as one value; a list is accepted as for V3 (base64 has no comma).
  return anySignatureMatches(v2.header, expected);
}

export const plivoReceipts: ReceiptVendor = {
  provider: "plivo",
  covers: ["plivo"],
  configured: (secrets) => secrets.plivoAuthToken !== "",
  // The token is added whenever its key exists: V3 signs it along with the query, V2 needs it.
  callbackUrl: async (base, id, secrets) =>
    secrets.callbackTokenKey ? `${defaultCallbackUrl(base, "plivo", id)}&t=${await urlToken(secrets.callbackTokenKey, "plivo", id)}` : defaultCallbackUrl(base, "plivo", id),
  async verify(request, secrets) {
    // We ask Plivo for POST callbacks only (src/sms/plivo.ts); V3's signed text depends on it.
    if (!secrets.plivoAuthToken || request.method !== "POST") return false;
    // Either scheme is enough: an invalid V3 beside a valid V2 proves no more than V2 alone would,
    // since a forger could drop the V3 headers.
    return (await v3Valid(request, secrets)) || (await v2Valid(request, secrets));
  },
  parse(request) {
    const params = new Map(formParams(request));
    const messageId = params.get("MessageUUID");
    const status = params.get("Status");
    if (!messageId || !status) return null;
    return [{ messageId, status: STATUS[status] ?? null, errorCode: errorCodeOf(params.get("ErrorCode")) }];
  },
};
