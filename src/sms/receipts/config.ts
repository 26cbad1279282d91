// Receipt settings from the environment: PUBLIC_BASE_URL (where vendors call back) and the secrets
// that verify each vendor's callbacks. All optional; a vendor without its secret gets no callback.
import { ConfigError } from "../../config-error.ts";
import type { ReceiptSecrets, VonageSignatureMethod } from "./shared.ts";

export type ReceiptConfig = Omit<ReceiptSecrets, "callbackTokenKey">;

const VONAGE_METHODS: readonly VonageSignatureMethod[] = ["md5hash", "md5", "sha1", "sha256", "sha512"];

function text(env: Record<string, unknown>, name: string): string {
  const value = env[name];
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") throw new ConfigError(`${name} must be a string`);
  return value.trim();
}

/** PUBLIC_BASE_URL as an origin without a trailing slash, or null when unset. */
export function parsePublicBaseUrl(env: Record<string, unknown>, development: boolean): string | null {
  const raw = text(env, "PUBLIC_BASE_URL");
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("PUBLIC_BASE_URL must be an absolute URL like https://verify.example.com");
  }
  // Vendors sign the exact URL they call; an origin keeps ours reproducible from the request path.
  if (url.pathname !== "/" || url.search || url.hash || url.username || url.password) {
    throw new ConfigError("PUBLIC_BASE_URL must be an origin only (scheme and host), like https://verify.example.com");
  }
  if (url.protocol !== "https:" && !(development && url.protocol === "http:")) throw new ConfigError("PUBLIC_BASE_URL must be an https:// URL");
  return url.origin;
}

export function parseReceiptConfig(env: Record<string, unknown>): ReceiptConfig {
  const method = text(env, "VONAGE_SIGNATURE_METHOD") || "md5hash";
  if (!(VONAGE_METHODS as readonly string[]).includes(method)) throw new ConfigError(`VONAGE_SIGNATURE_METHOD must be one of ${VONAGE_METHODS.join(", ")}`);
  const telnyxPublicKey = text(env, "TELNYX_PUBLIC_KEY");
  if (telnyxPublicKey && !/^[A-Za-z0-9+/]{43}=$/.test(telnyxPublicKey)) throw new ConfigError("TELNYX_PUBLIC_KEY must be the account's base64 Ed25519 public key (44 characters)");
  return {
    twilioAuthToken: text(env, "TWILIO_AUTH_TOKEN"),
    vonageSignatureSecret: text(env, "VONAGE_SIGNATURE_SECRET"),
    vonageSignatureMethod: method as VonageSignatureMethod,
    telnyxPublicKey,
    plivoAuthToken: text(env, "PLIVO_AUTH_TOKEN"),
    sinchCallbackSecret: text(env, "SINCH_CALLBACK_SECRET"),
    webhookSecret: text(env, "SMS_WEBHOOK_SECRET"),
  };
}
