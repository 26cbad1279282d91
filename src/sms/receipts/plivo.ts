// Plivo message status callbacks (`url` on the send), checked with `X-Plivo-Signature-V3`:
// base64(HMAC-SHA256(auth token, URL without query + "?" + sorted query + "." + sorted POST params
// as name+value + "." + nonce)) with the nonce in `X-Plivo-Signature-V3-Nonce`, as Plivo's server SDK
// (plivo-node validateV3Signature) computes it. https://www.plivo.com/docs/sms/concepts/callbacks
import type { DeliveryStatus } from "../../core/delivery.ts";
import { bytesEqual, defaultCallbackUrl, errorCodeOf, formParams, fromBase64, hmac, type CallbackRequest, type ReceiptVendor } from "./shared.ts";

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

export const plivoReceipts: ReceiptVendor = {
  provider: "plivo",
  covers: ["plivo"],
  configured: (secrets) => secrets.plivoAuthToken !== "",
  callbackUrl: async (base, id) => defaultCallbackUrl(base, "plivo", id),
  async verify(request, secrets) {
    const nonce = request.headers.get("x-plivo-signature-v3-nonce");
    const header = request.headers.get("x-plivo-signature-v3");
    if (!secrets.plivoAuthToken || !nonce || !header || request.method !== "POST") return false;
    const expected = await hmac("SHA-256", secrets.plivoAuthToken, `${plivoSignedText(request, formParams(request))}.${nonce}`);
    // The header may list several signatures (one per auth token during a rotation).
    let matched = false;
    for (const candidate of header.split(",")) {
      const given = fromBase64(candidate);
      if (given && bytesEqual(given, expected)) matched = true;
    }
    return matched;
  },
  parse(request) {
    const params = new Map(formParams(request));
    const messageId = params.get("MessageUUID");
    const status = params.get("Status");
    if (!messageId || !status) return null;
    return [{ messageId, status: STATUS[status] ?? null, errorCode: errorCodeOf(params.get("ErrorCode")) }];
  },
};
