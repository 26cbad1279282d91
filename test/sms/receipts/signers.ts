// Test-side signers: build each vendor's callback exactly as its documentation says it is signed,
// independently of src/ where possible (Twilio and Plivo by their documented string; Telnyx with a
// real Ed25519 key pair). Shared by the receipt suite and the end-to-end callback tests.
import type { CallbackRequest, ReceiptSecrets } from "../../../src/sms/receipts/index.ts";

export const PUBLIC_BASE_URL = "https://verify.example.test";

// Test-only Ed25519 key pair; the public half is TELNYX_PUBLIC_KEY in vitest.config.ts.
export const TELNYX_PUBLIC_KEY = "CGW5jGBy+SKsY85g8sa6Dhd0yfjRJ1NeSMJVu9Nl2w0=";
const TELNYX_PRIVATE_PKCS8 = "MC4CAQAwBQYDK2VwBCIEIE/f10dlWR1yT7ogqgRBrlLD+RHaheZP3SnpCSFv0cNt";

/** The receipt secrets the main vitest project runs with (vitest.config.ts). */
export const SECRETS: ReceiptSecrets = {
  twilioAuthToken: "fake-twilio-auth-token",
  vonageSignatureSecret: "vonage-signature-secret-for-tests",
  vonageSignatureMethod: "sha256",
  telnyxPublicKey: TELNYX_PUBLIC_KEY,
  plivoAuthToken: "plivo-auth-token-for-tests",
  sinchCallbackSecret: "sinch-callback-secret-for-tests",
  webhookSecret: "webhook-secret-for-tests-at-least-32-characters",
  callbackTokenKey: "receipt-url-token-key-for-tests",
};

const enc = new TextEncoder();
const b64 = (bytes: ArrayBuffer | Uint8Array) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

async function mac(hash: string, key: string, text: string): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey("raw", enc.encode(key), { name: "HMAC", hash }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, enc.encode(text));
}

export interface Signed extends CallbackRequest {}

const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";

export async function twilioCallback(url: string, params: Record<string, string>, authToken = SECRETS.twilioAuthToken): Promise<Signed> {
  const text = url + Object.keys(params).sort().map((k) => k + params[k]).join("");
  const headers = new Headers({ "content-type": FORM, "x-twilio-signature": b64(await mac("SHA-1", authToken, text)) });
  return { method: "POST", url, headers, body: form(params) };
}

/** Vonage: `sig` = HMAC-SHA256 over "&k=v" of the sorted params (values with & and = as _), hex. */
export async function vonageCallback(url: string, params: Record<string, string>, options: { secret?: string; nowSeconds?: number } = {}): Promise<Signed> {
  const fields: Record<string, string> = { ...params, timestamp: String(options.nowSeconds ?? Math.floor(Date.now() / 1000)), nonce: crypto.randomUUID() };
  const text = Object.keys(fields).sort().map((k) => `&${k}=${fields[k]!.replace(/[&=]/g, "_")}`).join("");
  const sig = hex(await mac("SHA-256", options.secret ?? SECRETS.vonageSignatureSecret, text)).toUpperCase();
  return { method: "POST", url, headers: new Headers({ "content-type": FORM }), body: form({ ...fields, sig }) };
}

export async function telnyxCallback(url: string, payload: unknown, options: { nowSeconds?: number; pkcs8?: string } = {}): Promise<Signed> {
  const body = JSON.stringify(payload);
  const timestamp = String(options.nowSeconds ?? Math.floor(Date.now() / 1000));
  const pkcs8 = Uint8Array.from(atob(options.pkcs8 ?? TELNYX_PRIVATE_PKCS8), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
  const signature = await crypto.subtle.sign({ name: "Ed25519" }, key, enc.encode(`${timestamp}|${body}`));
  return { method: "POST", url, headers: new Headers({ "content-type": JSON_TYPE, "telnyx-signature-ed25519": b64(signature), "telnyx-timestamp": timestamp }), body };
}

/** Plivo V3 as plivo-node computes it: base?sortedQuery.sortedPostParams.nonce, HMAC-SHA256, base64. */
export async function plivoCallback(url: string, params: Record<string, string>, authToken = SECRETS.plivoAuthToken, nonce = "12345678901234567890"): Promise<Signed> {
  const u = new URL(url);
  const query = [...u.searchParams].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join("&");
  const post = Object.keys(params).sort().map((k) => k + params[k]).join("");
  const text = `${u.protocol}//${u.host}${u.pathname}?${query}${query && post ? "." : ""}${post}.${nonce}`;
  const headers = new Headers({ "content-type": FORM, "x-plivo-signature-v3": b64(await mac("SHA-256", authToken, text)), "x-plivo-signature-v3-nonce": nonce });
  return { method: "POST", url, headers, body: form(params) };
}

/**
 * Plivo V2 as Plivo's messaging "Validating requests" page and plivo-node `validateSignature`
 * compute it: base64(HMAC-SHA256(auth token, the URL with its query cut off + nonce)), no separator.
 */
export async function plivoV2Callback(url: string, params: Record<string, string>, authToken = SECRETS.plivoAuthToken, nonce = "05429567804466091622"): Promise<Signed> {
  const text = url.split("?")[0]! + nonce;
  const headers = new Headers({ "content-type": FORM, "x-plivo-signature-v2": b64(await mac("SHA-256", authToken, text)), "x-plivo-signature-v2-nonce": nonce });
  return { method: "POST", url, headers, body: form(params) };
}

export async function sinchCallback(url: string, payload: unknown, options: { secret?: string; nowSeconds?: number } = {}): Promise<Signed> {
  const body = JSON.stringify(payload);
  const nonce = crypto.randomUUID();
  const timestamp = String(options.nowSeconds ?? Math.floor(Date.now() / 1000));
  const signature = b64(await mac("SHA-256", options.secret ?? SECRETS.sinchCallbackSecret, `${body}.${nonce}.${timestamp}`));
  const headers = new Headers({
    "content-type": JSON_TYPE,
    "x-sinch-webhook-signature": signature,
    "x-sinch-webhook-signature-nonce": nonce,
    "x-sinch-webhook-signature-timestamp": timestamp,
    "x-sinch-webhook-signature-algorithm": "HmacSHA256",
  });
  return { method: "POST", url, headers, body };
}

/** Infobip is not signed: the URL we handed out (with its token) is the credential. */
export function infobipCallback(url: string, payload: unknown): Signed {
  return { method: "POST", url, headers: new Headers({ "content-type": JSON_TYPE }), body: JSON.stringify(payload) };
}

export async function webhookCallback(url: string, payload: unknown, options: { secret?: string; nowSeconds?: number } = {}): Promise<Signed> {
  const body = JSON.stringify(payload);
  const timestamp = String(options.nowSeconds ?? Math.floor(Date.now() / 1000));
  const signature = `v1=${hex(await mac("SHA-256", options.secret ?? SECRETS.webhookSecret, `${timestamp}.${body}`))}`;
  return { method: "POST", url, headers: new Headers({ "content-type": JSON_TYPE, "x-edge-verify-timestamp": timestamp, "x-edge-verify-signature": signature }), body };
}

/** Each vendor's receipt for one message with one vendor status, signed; the URL as we hand it out. */
export interface VendorCase {
  provider: string;
  /** The callback URL for a verification, as `callbackUrl` of the vendor builds it. */
  sign(url: string, messageId: string, vendorStatus: string, options?: { errorCode?: string; verificationId?: string }): Promise<Signed>;
  /** Vendor status → ours (null = not mapped). */
  statuses: Record<string, string | null>;
  /** Headers whose removal must make the request unsigned. */
  signatureHeaders: string[];
  /** Whether the scheme carries a timestamp that goes stale. */
  timestamped: boolean;
  /** Signs like `sign` but with someone else's key. */
  forge(url: string, messageId: string, vendorStatus: string): Promise<Signed>;
  /** The verification id travels in the body (Vonage client-ref) rather than in the URL. */
  referenceInBody?: boolean;
  /** The body is not covered by the signature (Infobip's URL token, Plivo V2): tampering goes unseen. */
  bodyUnsigned?: boolean;
  /** Which of the vendor's signature schemes this case signs with, when it has several. */
  scheme?: string;
}

/** "plivo (V2)" for a vendor with several schemes, else the provider name. */
export const caseTitle = (c: VendorCase): string => (c.scheme ? `${c.provider} (${c.scheme})` : c.provider);

const WRONG = "not-the-configured-secret-for-tests";
const PLIVO_STATUSES = { queued: "queued", sent: "sent", delivered: "delivered", undelivered: "undelivered", failed: "failed", rejected: "failed", received: null };
const OTHER_TELNYX_PKCS8 = "MC4CAQAwBQYDK2VwBCIEILFAdKX9nFcl35TyGtv+I6wBCqS++jdmKXs+dbnbO0y9";

export const VENDOR_CASES: VendorCase[] = [
  {
    provider: "twilio",
    sign: (url, id, status, { errorCode: error = "" } = {}) =>
      twilioCallback(url, { MessageSid: id, MessageStatus: status, ErrorCode: error, AccountSid: "AC00000000000000000000000000000000", To: "+14155550100" }),
    forge: (url, id, status) => twilioCallback(url, { MessageSid: id, MessageStatus: status }, WRONG),
    statuses: { accepted: "queued", queued: "queued", sending: "sent", sent: "sent", delivered: "delivered", read: "delivered", undelivered: "undelivered", failed: "failed", canceled: "failed", receiving: null },
    signatureHeaders: ["x-twilio-signature"],
    timestamped: false,
  },
  {
    provider: "vonage",
    sign: (url, id, status, { errorCode: error = "0", verificationId = "" } = {}) =>
      vonageCallback(url, { messageId: id, status, "err-code": error, msisdn: "447700900000", "client-ref": verificationId, "message-timestamp": "2026-11-22 01:00:00" }),
    forge: (url, id, status) => vonageCallback(url, { messageId: id, status }, { secret: WRONG }),
    statuses: { accepted: "sent", buffered: "sent", delivered: "delivered", expired: "undelivered", failed: "undelivered", rejected: "failed", unknown: null },
    signatureHeaders: [],
    timestamped: true,
    referenceInBody: true,
  },
  {
    provider: "telnyx",
    sign: (url, id, status, { errorCode: error } = {}) =>
      telnyxCallback(url, {
        data: {
          event_type: "message.finalized",
          id: crypto.randomUUID(),
          payload: { id, to: [{ phone_number: "+14155550100", status }], errors: error ? [{ code: error, title: "x" }] : [] },
        },
      }),
    forge: (url, id, status) => telnyxCallback(url, { data: { payload: { id, to: [{ status }] } } }, { pkcs8: OTHER_TELNYX_PKCS8 }),
    statuses: { queued: "queued", sending: "sent", sent: "sent", delivery_unconfirmed: "sent", delivered: "delivered", delivery_failed: "undelivered", sending_failed: "failed", webhook_weird: null },
    signatureHeaders: ["telnyx-signature-ed25519", "telnyx-timestamp"],
    timestamped: true,
  },
  {
    provider: "plivo",
    scheme: "V3",
    sign: (url, id, status, { errorCode: error = "" } = {}) => plivoCallback(url, { MessageUUID: id, Status: status, ErrorCode: error, To: "14155550100", From: "14155550199" }),
    forge: (url, id, status) => plivoCallback(url, { MessageUUID: id, Status: status }, WRONG),
    statuses: PLIVO_STATUSES,
    signatureHeaders: ["x-plivo-signature-v3", "x-plivo-signature-v3-nonce"],
    timestamped: false,
  },
  {
    provider: "plivo",
    scheme: "V2",
    sign: (url, id, status, { errorCode: error = "" } = {}) => plivoV2Callback(url, { MessageUUID: id, Status: status, ErrorCode: error, To: "14155550100", From: "14155550199" }),
    forge: (url, id, status) => plivoV2Callback(url, { MessageUUID: id, Status: status }, WRONG),
    statuses: PLIVO_STATUSES,
    signatureHeaders: ["x-plivo-signature-v2", "x-plivo-signature-v2-nonce"],
    timestamped: false,
    bodyUnsigned: true,
  },
  {
    provider: "sinch",
    sign: (url, id, status, { errorCode: error } = {}) =>
      sinchCallback(url, { type: "recipient_delivery_report_sms", batch_id: id, recipient: "14155550100", code: error ? Number(error) : 0, status, at: "2026-11-22T01:00:00Z" }),
    forge: (url, id, status) => sinchCallback(url, { type: "recipient_delivery_report_sms", batch_id: id, status, code: 0 }, { secret: WRONG }),
    statuses: { Queued: "queued", Dispatched: "sent", Delivered: "delivered", Expired: "undelivered", Failed: "undelivered", Rejected: "failed", Aborted: "failed", Cancelled: "failed", Deleted: "failed", Unknown: null },
    signatureHeaders: ["x-sinch-webhook-signature"],
    timestamped: true,
  },
  {
    provider: "infobip",
    sign: async (url, id, status, { errorCode: error } = {}) => {
      const [groupName, name] = status.split("/");
      return infobipCallback(url, {
        results: [{ messageId: id, to: "14155550100", status: { groupId: 3, groupName, name, id: 5 }, error: error ? { id: 1, name: error, groupName: "HANDSET_ERRORS", permanent: true } : { id: 0, name: "NO_ERROR" } }],
      });
    },
    // Unsigned vendor: a forgery is a request without (or with a wrong) URL token.
    forge: async (url, id, status) => {
      const u = new URL(url);
      u.searchParams.set("t", "AAAA" + (u.searchParams.get("t") ?? "").slice(4));
      return infobipCallback(u.href, { results: [{ messageId: id, status: { groupName: status } }] });
    },
    statuses: {
      "PENDING/PENDING_ACCEPTED": "queued",
      "PENDING/PENDING_WAITING_DELIVERY": "sent",
      "DELIVERED/DELIVERED_TO_OPERATOR": "sent",
      "DELIVERED/DELIVERED_TO_HANDSET": "delivered",
      "UNDELIVERABLE/UNDELIVERABLE_NOT_DELIVERED": "undelivered",
      "EXPIRED/EXPIRED_EXPIRED": "undelivered",
      "REJECTED/REJECTED_NETWORK": "failed",
      "SOMETHING/NEW": null,
    },
    signatureHeaders: [],
    timestamped: false,
    bodyUnsigned: true,
  },
  {
    provider: "webhook",
    sign: (url, id, status, { errorCode: error } = {}) => webhookCallback(url, { messageId: id, status, ...(error ? { errorCode: error } : {}) }),
    forge: (url, id, status) => webhookCallback(url, { messageId: id, status }, { secret: WRONG }),
    statuses: { queued: "queued", sent: "sent", delivered: "delivered", undelivered: "undelivered", failed: "failed" },
    signatureHeaders: ["x-edge-verify-signature", "x-edge-verify-timestamp"],
    timestamped: true,
  },
];
