// SMS provider settings from the environment: one block of variables per vendor, validated only for
// the providers in use (SMS_PROVIDER, or every name in SMS_ROUTES), failing closed with ConfigError.
// Twilio's own variables are parsed in src/config.ts; here they are only checked when a route uses Twilio.
import { ConfigError } from "../config-error.ts";
import type { InfobipSenderOptions } from "./infobip.ts";
import type { MessageBirdSenderOptions } from "./messagebird.ts";
import type { MobileTextAlertsSenderOptions } from "./mobile-text-alerts.ts";
import type { PlivoSenderOptions } from "./plivo.ts";
import type { PortaTextSenderOptions } from "./portatext.ts";
import { SINCH_REGIONS, type SinchRegion, type SinchSenderOptions } from "./sinch.ts";
import type { SnsSenderOptions } from "./sns.ts";
import type { TelnyxSenderOptions } from "./telnyx.ts";
import type { VonageSenderOptions } from "./vonage.ts";
import type { WebhookSenderOptions } from "./webhook.ts";

/** Providers that send one message themselves. */
export const SMS_PROVIDER_NAMES = [
  "console",
  "twilio",
  "vonage",
  "plivo",
  "telnyx",
  "sinch",
  "infobip",
  "messagebird",
  "sns",
  "mobile-text-alerts",
  "portatext",
  "webhook",
] as const;
export type ProviderName = (typeof SMS_PROVIDER_NAMES)[number];

/** What SMS_PROVIDER may say: one provider, or "routes" to use SMS_ROUTES. */
export type SmsProviderChoice = ProviderName | "routes";

export function isSmsProviderChoice(value: string): value is SmsProviderChoice {
  return value === "routes" || (SMS_PROVIDER_NAMES as readonly string[]).includes(value);
}

/** Ordered providers per ISO 3166-1 alpha-2 country, plus "default" for every other country. */
export type SmsRoutes = Readonly<Record<string, readonly ProviderName[]>>;

type Timed<T> = Omit<T, "timeoutMs">;

export interface ProviderConfigs {
  vonage?: Timed<VonageSenderOptions>;
  plivo?: Timed<PlivoSenderOptions>;
  telnyx?: Timed<TelnyxSenderOptions>;
  sinch?: Timed<SinchSenderOptions>;
  infobip?: Timed<InfobipSenderOptions>;
  messagebird?: Timed<MessageBirdSenderOptions>;
  sns?: Timed<SnsSenderOptions>;
  mobileTextAlerts?: Timed<MobileTextAlertsSenderOptions>;
  portatext?: Timed<PortaTextSenderOptions>;
  webhook?: Omit<Timed<WebhookSenderOptions>, "now">;
}

export interface SmsConfig {
  /** Set when SMS_PROVIDER=routes. */
  routes: SmsRoutes | null;
  /** Settings of every provider in use (Twilio and console excepted). */
  providers: ProviderConfigs;
  /** Consecutive provider failures that open its circuit. */
  breakerFailureThreshold: number;
  breakerCoolOffMs: number;
}

export type Env = Record<string, unknown>;

export function text(env: Env, name: string, fallback = ""): string {
  const value = env[name];
  if (value === undefined || value === null || value === "") return fallback;
  if (typeof value !== "string") throw new ConfigError(`${name} must be a string`);
  return value.trim();
}

export function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

/** Reads the named variables; all of `required` must be set, or the provider cannot work. */
function block(env: Env, provider: string, required: readonly string[]): (name: string, fallback?: string) => string {
  const missing = required.filter((name) => text(env, name) === "");
  if (missing.length > 0) throw new ConfigError(`SMS provider ${provider} needs ${missing.join(", ")}`);
  return (name, fallback = "") => text(env, name, fallback);
}

export function url(name: string, value: string, options: { allowHttp: boolean }): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL`);
  }
  // Credentials travel in headers or bodies: plain HTTP only for local fakes in development.
  if (parsed.protocol !== "https:" && !(options.allowHttp && parsed.protocol === "http:")) {
    throw new ConfigError(`${name} must be an https:// URL`);
  }
  return value;
}

function parseRoutes(raw: string, development: boolean): SmsRoutes {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ConfigError('SMS_ROUTES must be JSON like {"default":["twilio","vonage"],"BR":["infobip","twilio"]}');
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ConfigError("SMS_ROUTES must be a JSON object");
  const routes: Record<string, ProviderName[]> = {};
  for (const [key, list] of Object.entries(value)) {
    if (key !== "default" && !/^[A-Z]{2}$/.test(key)) throw new ConfigError(`SMS_ROUTES keys are "default" or ISO country codes like "BR" (got "${key}")`);
    if (!Array.isArray(list) || list.length === 0) throw new ConfigError(`SMS_ROUTES.${key} must be a non-empty list of providers`);
    const names: ProviderName[] = [];
    for (const name of list) {
      if (typeof name !== "string" || !(SMS_PROVIDER_NAMES as readonly string[]).includes(name)) {
        throw new ConfigError(`SMS_ROUTES.${key} names an unknown provider; use ${SMS_PROVIDER_NAMES.join(", ")}`);
      }
      if (names.includes(name as ProviderName)) throw new ConfigError(`SMS_ROUTES.${key} lists ${name} twice`);
      if (name === "console" && !development) throw new ConfigError("SMS_ROUTES may not use console outside local development");
      names.push(name as ProviderName);
    }
    routes[key] = names;
  }
  // Without a default, a number from an unlisted country would have no provider at all.
  if (!routes.default) throw new ConfigError('SMS_ROUTES needs a "default" route');
  return routes;
}

function parseProvider(env: Env, name: ProviderName, development: boolean, providers: ProviderConfigs): void {
  const base = (variable: string, value: string) => (value ? url(variable, value, { allowHttp: development }) : undefined);
  switch (name) {
    case "console":
      return;
    case "twilio": {
      // Parsed into Config.twilio by src/config.ts; checked here for routes that use it.
      const get = block(env, name, ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"]);
      if (!get("TWILIO_FROM") && !get("TWILIO_MESSAGING_SERVICE_SID")) throw new ConfigError("SMS provider twilio needs TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID");
      return;
    }
    case "vonage": {
      const get = block(env, name, ["VONAGE_API_KEY", "VONAGE_API_SECRET", "VONAGE_FROM"]);
      providers.vonage = { apiKey: get("VONAGE_API_KEY"), apiSecret: get("VONAGE_API_SECRET"), from: get("VONAGE_FROM"), apiBase: base("VONAGE_API_BASE", get("VONAGE_API_BASE")) };
      return;
    }
    case "plivo": {
      const get = block(env, name, ["PLIVO_AUTH_ID", "PLIVO_AUTH_TOKEN", "PLIVO_FROM"]);
      providers.plivo = { authId: get("PLIVO_AUTH_ID"), authToken: get("PLIVO_AUTH_TOKEN"), from: get("PLIVO_FROM"), apiBase: base("PLIVO_API_BASE", get("PLIVO_API_BASE")) };
      return;
    }
    case "telnyx": {
      const get = block(env, name, ["TELNYX_API_KEY"]);
      if (!get("TELNYX_FROM") && !get("TELNYX_MESSAGING_PROFILE_ID")) throw new ConfigError("SMS provider telnyx needs TELNYX_FROM or TELNYX_MESSAGING_PROFILE_ID");
      providers.telnyx = {
        apiKey: get("TELNYX_API_KEY"),
        from: get("TELNYX_FROM") || undefined,
        messagingProfileId: get("TELNYX_MESSAGING_PROFILE_ID") || undefined,
        apiBase: base("TELNYX_API_BASE", get("TELNYX_API_BASE")),
      };
      return;
    }
    case "sinch": {
      const get = block(env, name, ["SINCH_SERVICE_PLAN_ID", "SINCH_API_TOKEN"]);
      const region = get("SINCH_REGION", "us");
      if (!(SINCH_REGIONS as readonly string[]).includes(region)) throw new ConfigError(`SINCH_REGION must be one of ${SINCH_REGIONS.join(", ")}`);
      providers.sinch = {
        servicePlanId: get("SINCH_SERVICE_PLAN_ID"),
        apiToken: get("SINCH_API_TOKEN"),
        from: get("SINCH_FROM") || undefined,
        region: region as SinchRegion,
        apiBase: base("SINCH_API_BASE", get("SINCH_API_BASE")),
      };
      return;
    }
    case "infobip": {
      const get = block(env, name, ["INFOBIP_API_KEY", "INFOBIP_API_BASE"]);
      providers.infobip = { apiKey: get("INFOBIP_API_KEY"), apiBase: url("INFOBIP_API_BASE", get("INFOBIP_API_BASE"), { allowHttp: development }), from: get("INFOBIP_FROM") || undefined };
      return;
    }
    case "messagebird": {
      const get = block(env, name, ["MESSAGEBIRD_ACCESS_KEY", "MESSAGEBIRD_FROM"]);
      providers.messagebird = { accessKey: get("MESSAGEBIRD_ACCESS_KEY"), from: get("MESSAGEBIRD_FROM"), apiBase: base("MESSAGEBIRD_API_BASE", get("MESSAGEBIRD_API_BASE")) };
      return;
    }
    case "sns": {
      const get = block(env, name, ["SNS_ACCESS_KEY_ID", "SNS_SECRET_ACCESS_KEY", "SNS_REGION"]);
      const region = get("SNS_REGION");
      if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new ConfigError("SNS_REGION must be an AWS region like us-east-1");
      const smsType = get("SNS_SMS_TYPE", "Transactional");
      if (smsType !== "Transactional" && smsType !== "Promotional") throw new ConfigError("SNS_SMS_TYPE must be Transactional or Promotional");
      providers.sns = {
        accessKeyId: get("SNS_ACCESS_KEY_ID"),
        secretAccessKey: get("SNS_SECRET_ACCESS_KEY"),
        sessionToken: get("SNS_SESSION_TOKEN") || undefined,
        region,
        senderId: get("SNS_SENDER_ID") || undefined,
        smsType,
        apiBase: base("SNS_API_BASE", get("SNS_API_BASE")),
      };
      return;
    }
    case "mobile-text-alerts": {
      const get = block(env, name, ["MTA_API_KEY"]);
      providers.mobileTextAlerts = { apiKey: get("MTA_API_KEY"), apiBase: base("MTA_API_BASE", get("MTA_API_BASE")) };
      return;
    }
    case "portatext": {
      const get = block(env, name, ["PORTATEXT_API_KEY", "PORTATEXT_FROM"]);
      providers.portatext = { apiKey: get("PORTATEXT_API_KEY"), from: get("PORTATEXT_FROM"), apiBase: base("PORTATEXT_API_BASE", get("PORTATEXT_API_BASE")) };
      return;
    }
    case "webhook": {
      const get = block(env, name, ["SMS_WEBHOOK_URL", "SMS_WEBHOOK_SECRET"]);
      if (get("SMS_WEBHOOK_SECRET").length < 32) throw new ConfigError("SMS_WEBHOOK_SECRET must be at least 32 characters");
      providers.webhook = { url: url("SMS_WEBHOOK_URL", get("SMS_WEBHOOK_URL"), { allowHttp: development }), secret: get("SMS_WEBHOOK_SECRET") };
      return;
    }
  }
}

/** Parses routing and the settings of every provider `provider` (one name, or "routes") puts in use. */
export function parseSmsConfig(env: Env, options: { provider: SmsProviderChoice; development: boolean; fallback?: ProviderName | null }): SmsConfig {
  const rawRoutes = text(env, "SMS_ROUTES");
  if (rawRoutes && options.provider !== "routes") {
    // Refuse rather than ignore: an operator who wrote routes expects them to be used.
    throw new ConfigError("SMS_ROUTES is set but SMS_PROVIDER is not \"routes\"; set SMS_PROVIDER=routes to use it");
  }
  if (!rawRoutes && options.provider === "routes") throw new ConfigError("SMS_PROVIDER=routes needs SMS_ROUTES");
  const routes = options.provider === "routes" ? parseRoutes(rawRoutes, options.development) : null;
  const inUse = routes ? [...new Set(Object.values(routes).flat())] : [options.provider as ProviderName];
  if (options.fallback && !inUse.includes(options.fallback)) inUse.push(options.fallback);
  const providers: ProviderConfigs = {};
  for (const name of inUse) parseProvider(env, name, options.development, providers);
  return {
    routes,
    providers,
    breakerFailureThreshold: int(env, "SMS_BREAKER_FAILURES", 3, 1, 100),
    breakerCoolOffMs: int(env, "SMS_BREAKER_COOL_OFF_SECONDS", 60, 1, 3600) * 1000,
  };
}
