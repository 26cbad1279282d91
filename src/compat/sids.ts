// Twilio-shaped identifiers and the Twilio compatibility settings. Twilio sids are a two-letter
// prefix and 32 hex digits (128 bits); our verification ids carry a 256-bit Durable Object id plus
// 128 random bits, so a sid cannot *be* an id. A verification's sid is instead a hash of its id
// (stable across resends, computable without storage) and TwilioSidIndex maps it back.
import { ConfigError, type Config } from "../config.ts";

export interface TwilioCompatSettings {
  /** `AC` + 32 hex: the HTTP Basic username Twilio clients send. */
  accountSid: string;
  /** `VA` + 32 hex: the built-in default service's sid, in `/v2/Services/{ServiceSid}`. */
  defaultServiceSid: string;
  /** Twilio-strict mode: finished verifications answer 404 (20404) as Twilio's do. */
  strict: boolean;
}

const ACCOUNT_SID = /^AC[0-9a-f]{32}$/;
const SERVICE_SID = /^VA[0-9a-f]{32}$/;
export const VERIFICATION_SID = /^VE[0-9a-fA-F]{32}$/;

const settingsCache = new WeakMap<Config, Promise<TwilioCompatSettings>>();

/**
 * Reads `ACCOUNT_SID`, `DEFAULT_SERVICE_SID` and `TWILIO_STRICT`. Unset sids are derived from
 * `CODE_SECRET` with HMAC (stable across API-key rotation, and revealing nothing about any key);
 * a malformed value is a ConfigError, so the deployment fails closed like every other setting.
 */
export function twilioSettings(env: object, config: Config): Promise<TwilioCompatSettings> {
  let settings = settingsCache.get(config);
  if (!settings) {
    settings = parseSettings(env as Record<string, unknown>, config);
    settingsCache.set(config, settings);
  }
  return settings;
}

async function parseSettings(env: Record<string, unknown>, config: Config): Promise<TwilioCompatSettings> {
  const text = (name: string): string => (typeof env[name] === "string" ? (env[name] as string).trim() : "");
  const accountSid = text("ACCOUNT_SID");
  if (accountSid && !ACCOUNT_SID.test(accountSid)) throw new ConfigError('ACCOUNT_SID must be "AC" and 32 lowercase hex digits');
  const serviceSid = text("DEFAULT_SERVICE_SID");
  if (serviceSid && !SERVICE_SID.test(serviceSid)) throw new ConfigError('DEFAULT_SERVICE_SID must be "VA" and 32 lowercase hex digits');
  const strict = text("TWILIO_STRICT") || "false";
  if (strict !== "true" && strict !== "false") throw new ConfigError(`TWILIO_STRICT must be true or false (got "${strict}")`);
  return {
    accountSid: accountSid || "AC" + (await derive(config.codeSecret, "account")),
    defaultServiceSid: serviceSid || "VA" + (await derive(config.codeSecret, "service:default")),
    strict: strict === "true",
  };
}

/** First 128 bits of HMAC-SHA256(CODE_SECRET, "edge-verify/twilio-sid/" + label), as hex. */
async function derive(secret: string, label: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`edge-verify/twilio-sid/${label}`));
  return hex(new Uint8Array(mac).subarray(0, 16));
}

/** The Twilio sid of a verification: `VE` + the first 128 bits of SHA-256 over its id. */
export async function verificationSid(verificationId: string): Promise<string> {
  return "VE" + (await hash128(`verification\0${verificationId}`));
}

/** The sid of the n-th send attempt (1-based) of a verification: `VL` + 32 hex. */
export async function attemptSid(verificationId: string, attempt: number): Promise<string> {
  return "VL" + (await hash128(`attempt\0${verificationId}\0${attempt}`));
}

async function hash128(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`edge-verify/twilio-sid/${text}`));
  return hex(new Uint8Array(digest).subarray(0, 16));
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
