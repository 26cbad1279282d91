// Carrier lookup settings from the environment, validated only for the provider in use and failing
// closed with ConfigError. Pure: not yet read by src/config.ts (wired in with the storage redesign).
import { ConfigError } from "../config.ts";
import type { LookupMode } from "../core/lookup.ts";
import { int, text, url, type Env } from "../sms/config.ts";

export const LOOKUP_PROVIDERS = ["off", "twilio", "telnyx", "plivo", "vonage"] as const;
export type LookupProviderName = (typeof LOOKUP_PROVIDERS)[number];

interface LookupCommon {
  mode: LookupMode;
  /** How long an answer is reused; 0 disables the cache (every start that qualifies looks up). */
  cacheHours: number;
  /** Standalone lookups (POST /v1/lookups) per service per day; null: no budget of its own. */
  lookupsPerDay: number | null;
  /** A failed lookup refuses the start (`lookup_unavailable`) instead of going on with metadata. */
  failClosed: boolean;
  timeoutMs: number;
}

export type LookupConfig = LookupCommon &
  (
    | { provider: "off" }
    | { provider: "twilio"; twilio: { accountSid: string; authToken: string; apiBase: string } }
    | { provider: "telnyx"; telnyx: { apiKey: string; apiBase: string } }
    | { provider: "plivo"; plivo: { authId: string; authToken: string; apiBase: string } }
    | { provider: "vonage"; vonage: { apiKey: string; apiSecret: string; apiBase: string } }
  );

export const DEFAULT_LOOKUP_CACHE_HOURS = 168;

function required(env: Env, provider: string, names: readonly string[]): void {
  const missing = names.filter((name) => text(env, name) === "");
  if (missing.length > 0) throw new ConfigError(`LOOKUP_PROVIDER=${provider} needs ${missing.join(", ")}`);
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name).toLowerCase();
  if (raw === "") return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new ConfigError(`${name} must be true or false (got "${raw}")`);
}

/** Parses LOOKUP_* and the chosen vendor's credentials. Defaults: off; once set, mode `ambiguous`, 168 h cache, fail open. */
export function parseLookupConfig(env: Env): LookupConfig {
  const development = text(env, "ENVIRONMENT", "production") === "development";
  const provider = text(env, "LOOKUP_PROVIDER", "off").toLowerCase();
  if (!(LOOKUP_PROVIDERS as readonly string[]).includes(provider)) {
    throw new ConfigError(`LOOKUP_PROVIDER must be one of ${LOOKUP_PROVIDERS.join(", ")} (got "${provider}")`);
  }
  const mode = text(env, "LOOKUP_MODE", "ambiguous").toLowerCase();
  if (mode !== "ambiguous" && mode !== "always") throw new ConfigError(`LOOKUP_MODE must be ambiguous or always (got "${mode}")`);
  const perDay = text(env, "LOOKUPS_PER_DAY");
  const common: LookupCommon = {
    mode,
    cacheHours: int(env, "LOOKUP_CACHE_HOURS", DEFAULT_LOOKUP_CACHE_HOURS, 0, 24 * 366),
    lookupsPerDay: perDay === "" ? null : int(env, "LOOKUPS_PER_DAY", 0, 0, 10_000_000),
    failClosed: bool(env, "LOOKUP_FAIL_CLOSED", false),
    timeoutMs: int(env, "LOOKUP_TIMEOUT_MS", 5_000, 100, 30_000),
  };
  const base = (name: string, fallback: string) => url(name, text(env, name, fallback), { allowHttp: development });
  switch (provider as LookupProviderName) {
    case "off":
      return { ...common, provider: "off" };
    case "twilio":
      required(env, "twilio", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"]);
      return {
        ...common,
        provider: "twilio",
        twilio: { accountSid: text(env, "TWILIO_ACCOUNT_SID"), authToken: text(env, "TWILIO_AUTH_TOKEN"), apiBase: base("TWILIO_LOOKUP_API_BASE", "https://lookups.twilio.com") },
      };
    case "telnyx":
      required(env, "telnyx", ["TELNYX_API_KEY"]);
      return { ...common, provider: "telnyx", telnyx: { apiKey: text(env, "TELNYX_API_KEY"), apiBase: base("TELNYX_LOOKUP_API_BASE", "https://api.telnyx.com") } };
    case "plivo":
      required(env, "plivo", ["PLIVO_AUTH_ID", "PLIVO_AUTH_TOKEN"]);
      return {
        ...common,
        provider: "plivo",
        plivo: { authId: text(env, "PLIVO_AUTH_ID"), authToken: text(env, "PLIVO_AUTH_TOKEN"), apiBase: base("PLIVO_LOOKUP_API_BASE", "https://lookup.plivo.com") },
      };
    case "vonage":
      required(env, "vonage", ["VONAGE_API_KEY", "VONAGE_API_SECRET"]);
      return {
        ...common,
        provider: "vonage",
        vonage: { apiKey: text(env, "VONAGE_API_KEY"), apiSecret: text(env, "VONAGE_API_SECRET"), apiBase: base("VONAGE_LOOKUP_API_BASE", "https://api.nexmo.com") },
      };
  }
}
