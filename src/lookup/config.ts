// Number intelligence settings from the environment: carrier lookups (validated only for the provider
// in use), deliverability memory and the conversion guard, failing closed with ConfigError. Pure; read
// by src/config.ts into Config.lookup and Config.intelligence.
import { ConfigError } from "../config-error.ts";
import { DEFAULT_CONVERSION_GUARD, type ConversionGuardSettings } from "../core/conversion-guard.ts";
import { DEFAULT_DELIVERABILITY, type DeliverabilitySettings } from "../core/deliverability.ts";
import type { LookupMode } from "../core/lookup.ts";
import type { RuleMode } from "../core/policy.ts";
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

export interface IntelligenceConfig {
  deliverability: DeliverabilitySettings;
  conversionGuard: ConversionGuardSettings;
}

function mode(env: Env, name: string, fallback: RuleMode): RuleMode {
  const raw = text(env, name, fallback).toLowerCase();
  if (raw !== "enforce" && raw !== "monitor" && raw !== "off") throw new ConfigError(`${name} must be enforce, monitor or off (got "${raw}")`);
  return raw;
}

function rate(env: Env, name: string, fallback: number): number {
  const raw = text(env, name);
  if (raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 1) throw new ConfigError(`${name} must be a number above 0 and at most 1 (got "${raw}")`);
  return value;
}

const STRICTNESS: Record<RuleMode, number> = { off: 0, monitor: 1, enforce: 2 };

/**
 * UNDELIVERABLE_AFTER and the conversion guard. RULE_CONVERSION_GUARD (enforce by default) is the
 * rule's mode and the range scope's; CONVERSION_GUARD_COUNTRY_MODE (monitor by default) can only be
 * as strict as the rule, so RULE_CONVERSION_GUARD=off turns both scopes off.
 */
export function parseIntelligenceConfig(env: Env): IntelligenceConfig {
  const rule = mode(env, "RULE_CONVERSION_GUARD", DEFAULT_CONVERSION_GUARD.rangeMode);
  const country = mode(env, "CONVERSION_GUARD_COUNTRY_MODE", DEFAULT_CONVERSION_GUARD.countryMode);
  return {
    deliverability: { ...DEFAULT_DELIVERABILITY, undeliverableAfter: int(env, "UNDELIVERABLE_AFTER", DEFAULT_DELIVERABILITY.undeliverableAfter, 1, 1_000) },
    conversionGuard: {
      minRate: rate(env, "CONVERSION_GUARD_MIN_RATE", DEFAULT_CONVERSION_GUARD.minRate),
      blockMinutes: int(env, "CONVERSION_GUARD_BLOCK_MINUTES", DEFAULT_CONVERSION_GUARD.blockMinutes, 1, 7 * 24 * 60),
      rangeMinStarts: int(env, "CONVERSION_GUARD_RANGE_MIN_STARTS", DEFAULT_CONVERSION_GUARD.rangeMinStarts, 1, 1_000_000),
      countryMinStarts: int(env, "CONVERSION_GUARD_COUNTRY_MIN_STARTS", DEFAULT_CONVERSION_GUARD.countryMinStarts, 1, 100_000_000),
      rangeMode: rule,
      countryMode: STRICTNESS[country] <= STRICTNESS[rule] ? country : rule,
    },
  };
}
