// Environment → validated, typed configuration. Parsed once per isolate per env object.
// Fails closed: outside local development a missing API key list or code secret (or the published
// dev ones) makes every request answer 503 instead of serving with weak defaults.
import { DEFAULT_NUMBER_LIMITS, RULE_NAMES, type NumberLimits, type RuleMode, type RuleName } from "./core/policy.ts";
import { createTemplateCatalog, DEFAULT_LOCALE, parseCustomTemplates, type TemplateCatalog } from "./core/locales.ts";
import { validateServiceName } from "./core/template.ts";
import { validateWebOtpDomain } from "./core/webotp.ts";
import { parseTestNumbers, parseWebhookInternalHosts, type WebhookUrlRules } from "./core/service.ts";
import { isSmsProviderChoice, parseSmsConfig, SMS_PROVIDER_NAMES, type ProviderName, type SmsConfig, type SmsProviderChoice } from "./sms/config.ts";
import { parsePublicBaseUrl, parseReceiptConfig, type ReceiptConfig } from "./sms/receipts/config.ts";

import { ConfigError } from "./config-error.ts";
import { parseIntelligenceConfig, parseLookupConfig, type IntelligenceConfig, type LookupConfig } from "./lookup/config.ts";

export { ConfigError };

export type SmsProviderName = SmsProviderChoice;

export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  from: string;
  messagingServiceSid: string;
  apiBase: string;
  /** WhatsApp sender (E.164, without the "whatsapp:" prefix); enables channel "whatsapp". */
  whatsappFrom: string;
  /** Caller id for channel "call" (defaults to TWILIO_FROM). */
  voiceFrom: string;
}

export interface Config {
  development: boolean;
  apiKeys: readonly string[];
  /** Guards the admin API (`/v1/services`, AdminService); empty disables it. */
  adminToken: string;
  /** Fixed-code numbers of the default service (TEST_NUMBERS). */
  testNumbers: Record<string, string>;
  codeSecret: string;
  smsProvider: SmsProviderName;
  smsTimeoutMs: number;
  twilio: TwilioConfig;
  /** Routing and every non-Twilio provider's settings (src/sms/config.ts). */
  sms: SmsConfig;
  defaultServiceName: string;
  defaultCodeLength: number;
  defaultTimeoutSeconds: number;
  maxCheckAttempts: number;
  retentionDays: number;
  /** Channels besides SMS that this deployment can use (Twilio WhatsApp and voice, or the dev console). */
  channels: { whatsapp: boolean; call: boolean };
  /** Built-in and configured templates by locale, validated at startup. */
  templates: TemplateCatalog;
  /** Hosts a request may bind codes to with `webOtpDomain`; null accepts any valid host. */
  webOtpDomains: ReadonlySet<string> | null;
  /** Where service webhooks may point (https; internal addresses only in development or WEBHOOK_INTERNAL_HOSTS). */
  webhookUrls: WebhookUrlRules;
  numberLimits: NumberLimits;
  limits: CrossNumberLimits;
  /** ISO region codes accepted; null accepts every region. */
  allowedCountries: ReadonlySet<string> | null;
  ruleModes: Readonly<Record<RuleName, RuleMode>>;
  delivery: DeliveryConfig;
  /** Carrier lookups (LOOKUP_*; provider "off" by default). */
  lookup: LookupConfig;
  /** Deliverability memory (UNDELIVERABLE_AFTER) and the conversion guard. */
  intelligence: IntelligenceConfig;
  /** Origin vendors post delivery receipts to (PUBLIC_BASE_URL); null = ask for no receipts. */
  publicBaseUrl: string | null;
  /** Secrets that verify delivery receipts (src/sms/receipts/config.ts). */
  receipts: ReceiptConfig;
  /** DO_JURISDICTION: where objects holding personal data are created; null = anywhere. */
  jurisdiction: Jurisdiction | null;
}

/** Cloudflare's data-location jurisdictions that DO_JURISDICTION accepts. */
export const JURISDICTIONS = ["eu", "fedramp"] as const;
export type Jurisdiction = (typeof JURISDICTIONS)[number];

export interface CrossNumberLimits {
  ipStartsPerHour: number;
  rangeSendsPerHour: number;
  countrySendsPerHour: number;
  countryShards: number;
  smsDailyLimit: number;
  budgetShards: number;
}

export interface DeliveryConfig {
  fallbackProvider: ProviderName | null;
  /** Attempts per provider for retryable failures (5xx, 429, timeouts). */
  attemptsPerProvider: number;
  /** First backoff; each retry doubles it. */
  retryBackoffMs: number;
  /** No new attempt starts after this much time since the first. */
  sendDeadlineMs: number;
}

/** The credentials `npm run dev` ships with; refused anywhere but local development. */
export const DEV_API_KEY = "ev_dev_local_only_key";
export const DEV_CODE_SECRET = "dev-only-code-secret-never-use-in-production";
export const DEV_ADMIN_TOKEN = "ev_dev_admin_token";

const cache = new WeakMap<object, Config>();

export function loadConfig(env: object): Config {
  let config = cache.get(env);
  if (!config) {
    config = parseConfig(env as Record<string, unknown>);
    cache.set(env, config);
  }
  return config;
}

export function parseConfig(env: Record<string, unknown>): Config {
  const text = (name: string, fallback = ""): string => {
    const value = env[name];
    if (value === undefined || value === null || value === "") return fallback;
    if (typeof value !== "string") throw new ConfigError(`${name} must be a string`);
    return value.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
    }
    return value;
  };

  const development = text("ENVIRONMENT", "production") === "development";
  const apiKeys = text("API_KEYS")
    .split(",")
    .map((key) => key.trim())
    .filter((key) => key.length > 0);
  const codeSecret = text("CODE_SECRET");
  const adminToken = text("ADMIN_TOKEN");
  const smsProvider = text("SMS_PROVIDER", development ? "console" : "twilio");

  if (!development) {
    if (apiKeys.length === 0) throw new ConfigError("API_KEYS is not set; refusing to serve without API keys");
    if (apiKeys.includes(DEV_API_KEY)) throw new ConfigError("API_KEYS contains the public dev key; set real keys");
    if (apiKeys.some((key) => key.length < 16)) throw new ConfigError("API_KEYS entries must be at least 16 characters");
    if (!codeSecret) throw new ConfigError("CODE_SECRET is not set; refusing to store codes without a secret");
    if (codeSecret === DEV_CODE_SECRET) throw new ConfigError("CODE_SECRET is the public dev secret; set a real one");
    if (codeSecret.length < 32) throw new ConfigError("CODE_SECRET must be at least 32 characters");
    if (smsProvider === "console") throw new ConfigError("SMS_PROVIDER=console prints codes to logs; it is for local development only");
    if (adminToken === DEV_ADMIN_TOKEN) throw new ConfigError("ADMIN_TOKEN is the public dev token; set a real one or leave it unset");
    if (adminToken && adminToken.length < 24) throw new ConfigError("ADMIN_TOKEN must be at least 24 characters");
  } else {
    if (apiKeys.length === 0) throw new ConfigError("API_KEYS is empty; set it in wrangler.toml [env.dev.vars] or .dev.vars");
    if (!codeSecret) throw new ConfigError("CODE_SECRET is empty; set it in wrangler.toml [env.dev.vars] or .dev.vars");
  }
  if (!isSmsProviderChoice(smsProvider)) {
    throw new ConfigError(`SMS_PROVIDER must be one of ${SMS_PROVIDER_NAMES.join(", ")} or routes (got "${smsProvider}")`);
  }
  const fallback = text("SMS_FALLBACK_PROVIDER");
  if (fallback && (!isSmsProviderChoice(fallback) || fallback === "routes")) {
    throw new ConfigError(`SMS_FALLBACK_PROVIDER must be one of ${SMS_PROVIDER_NAMES.join(", ")} (got "${fallback}")`);
  }
  if (fallback === "console" && !development) throw new ConfigError("SMS_FALLBACK_PROVIDER=console is for local development only");

  const cooldownText = text("RESEND_COOLDOWN_SECONDS", DEFAULT_NUMBER_LIMITS.resendCooldownSeconds.join(","));
  const resendCooldownSeconds = cooldownText.split(",").map((part) => Number(part.trim()));
  if (resendCooldownSeconds.length === 0 || resendCooldownSeconds.some((n) => !Number.isInteger(n) || n < 0 || n > 86_400)) {
    throw new ConfigError(`RESEND_COOLDOWN_SECONDS must be comma-separated whole seconds (got "${cooldownText}")`);
  }
  const allowedCountriesText = text("ALLOWED_COUNTRIES");
  const allowedCountries = allowedCountriesText
    ? new Set(allowedCountriesText.split(",").map((c) => c.trim().toUpperCase()).filter(Boolean))
    : null;
  if (allowedCountries && [...allowedCountries].some((c) => !/^[A-Z]{2}$/.test(c))) {
    throw new ConfigError(`ALLOWED_COUNTRIES must be ISO 3166-1 alpha-2 codes, e.g. "US,CA,GB" (got "${allowedCountriesText}")`);
  }
  const ruleModes = {} as Record<RuleName, RuleMode>;
  for (const rule of RULE_NAMES) {
    const name = `RULE_${rule.toUpperCase()}`;
    const mode = text(name, "enforce");
    if (mode !== "enforce" && mode !== "monitor" && mode !== "off") throw new ConfigError(`${name} must be enforce, monitor or off (got "${mode}")`);
    ruleModes[rule] = mode;
  }

  const twilio: TwilioConfig = {
    accountSid: text("TWILIO_ACCOUNT_SID"),
    authToken: text("TWILIO_AUTH_TOKEN"),
    from: text("TWILIO_FROM"),
    messagingServiceSid: text("TWILIO_MESSAGING_SERVICE_SID"),
    apiBase: text("TWILIO_API_BASE", "https://api.twilio.com"),
    whatsappFrom: text("TWILIO_WHATSAPP_FROM"),
    voiceFrom: text("TWILIO_VOICE_FROM", text("TWILIO_FROM")),
  };
  const twilioCredentials = Boolean(twilio.accountSid && twilio.authToken);
  const consoleChannels = development && smsProvider === "console";
  if (smsProvider === "twilio") {
    if (!twilio.accountSid || !twilio.authToken) throw new ConfigError("SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN");
    if (!twilio.from && !twilio.messagingServiceSid) throw new ConfigError("SMS_PROVIDER=twilio needs TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID");
  }

  let templates: TemplateCatalog;
  let webOtpDomains: ReadonlySet<string> | null;
  let defaultServiceName: string;
  let webhookInternalHosts: ReadonlySet<string>;
  try {
    const defaultLocale = text("DEFAULT_LOCALE", DEFAULT_LOCALE);
    const custom = parseCustomTemplates(text("MESSAGE_TEMPLATES", "{}"), "MESSAGE_TEMPLATES");
    // MESSAGE_TEMPLATE (one template) predates per-locale templates: it is the default locale's.
    const single = text("MESSAGE_TEMPLATE");
    if (single && !Object.keys(custom).some((k) => k.toLowerCase() === defaultLocale.toLowerCase())) custom[defaultLocale] = single;
    templates = createTemplateCatalog({
      custom,
      defaultLocale,
      allowMultiSegment: text("ALLOW_MULTI_SEGMENT_SMS", "false") === "true",
      field: single && Object.keys(custom).length === 1 ? "MESSAGE_TEMPLATE" : "MESSAGE_TEMPLATES",
    });
    const domains = text("WEBOTP_DOMAINS");
    webOtpDomains = domains ? new Set(domains.split(",").map((d) => validateWebOtpDomain(d.trim(), "WEBOTP_DOMAINS"))) : null;
    defaultServiceName = validateServiceName(text("DEFAULT_SERVICE_NAME", "edge-verify"), "DEFAULT_SERVICE_NAME");
    webhookInternalHosts = parseWebhookInternalHosts(text("WEBHOOK_INTERNAL_HOSTS"), "WEBHOOK_INTERNAL_HOSTS");
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }

  let testNumbers: Record<string, string>;
  try {
    const raw = text("TEST_NUMBERS", "{}");
    testNumbers = parseTestNumbers(JSON.parse(raw), "TEST_NUMBERS");
  } catch (error) {
    throw new ConfigError(`TEST_NUMBERS must be JSON {"+15005550100": "123456"}: ${(error as Error).message}`);
  }

  const jurisdiction = text("DO_JURISDICTION");
  if (jurisdiction && !(JURISDICTIONS as readonly string[]).includes(jurisdiction)) {
    throw new ConfigError(`DO_JURISDICTION must be one of ${JURISDICTIONS.join(", ")} or unset (got "${jurisdiction}")`);
  }

  return {
    development,
    apiKeys,
    adminToken,
    testNumbers,
    codeSecret,
    smsProvider,
    smsTimeoutMs: int("SMS_TIMEOUT_MS", 10_000, 100, 60_000),
    twilio,
    sms: parseSmsConfig(env, { provider: smsProvider, development, fallback: (fallback || null) as ProviderName | null }),
    defaultServiceName,
    defaultCodeLength: int("DEFAULT_CODE_LENGTH", 6, 4, 10),
    defaultTimeoutSeconds: int("DEFAULT_TIMEOUT_SECONDS", 600, 60, 3600),
    maxCheckAttempts: int("MAX_CHECK_ATTEMPTS", 5, 1, 20),
    retentionDays: int("RETENTION_DAYS", 7, 1, 365),
    channels: {
      whatsapp: consoleChannels || (twilioCredentials && Boolean(twilio.whatsappFrom)),
      call: consoleChannels || (twilioCredentials && Boolean(twilio.voiceFrom)),
    },
    templates,
    webOtpDomains,
    webhookUrls: { development, internalHosts: webhookInternalHosts },
    numberLimits: {
      resendCooldownSeconds,
      sendsPer10Minutes: int("SENDS_PER_10_MINUTES", DEFAULT_NUMBER_LIMITS.sendsPer10Minutes, 1, 1000),
      sendsPerDay: int("SENDS_PER_DAY", DEFAULT_NUMBER_LIMITS.sendsPerDay, 1, 10_000),
      failedChecksPerDay: int("FAILED_CHECKS_PER_DAY", DEFAULT_NUMBER_LIMITS.failedChecksPerDay, 1, 10_000),
    },
    limits: {
      ipStartsPerHour: int("IP_STARTS_PER_HOUR", 10, 1, 1_000_000),
      rangeSendsPerHour: int("RANGE_SENDS_PER_HOUR", 10, 1, 1_000_000),
      countrySendsPerHour: int("COUNTRY_SENDS_PER_HOUR", 2_000, 1, 100_000_000),
      // As many as the budget's, so a start's country counter shares the budget's shard object.
      countryShards: int("COUNTRY_SHARDS", 16, 1, 256),
      smsDailyLimit: int("SMS_DAILY_LIMIT", 10_000, 1, 1_000_000_000),
      budgetShards: int("BUDGET_SHARDS", 16, 1, 1024),
    },
    allowedCountries,
    ruleModes,
    delivery: {
      fallbackProvider: (fallback || null) as ProviderName | null,
      attemptsPerProvider: int("SMS_RETRY_ATTEMPTS", 3, 1, 10),
      retryBackoffMs: int("SMS_RETRY_BACKOFF_MS", 250, 1, 60_000),
      sendDeadlineMs: int("SMS_SEND_DEADLINE_MS", 15_000, 100, 120_000),
    },
    lookup: parseLookupConfig(env),
    intelligence: parseIntelligenceConfig(env),
    publicBaseUrl: parsePublicBaseUrl(env, development),
    receipts: parseReceiptConfig(env),
    jurisdiction: (jurisdiction || null) as Jurisdiction | null,
  };
}
