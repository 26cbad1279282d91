// Environment → validated, typed configuration. Parsed once per isolate per env object.
// Fails closed: outside local development a missing API key list or code secret (or the published
// dev ones) makes every request answer 503 instead of serving with weak defaults.
import { compileTemplate, DEFAULT_TEMPLATE, validateServiceName, type CompiledTemplate } from "./core/template.ts";
import { isSmsProviderChoice, parseSmsConfig, SMS_PROVIDER_NAMES, type SmsConfig, type SmsProviderChoice } from "./sms/config.ts";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export type SmsProviderName = SmsProviderChoice;

export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  from: string;
  messagingServiceSid: string;
  apiBase: string;
}

export interface Config {
  development: boolean;
  apiKeys: readonly string[];
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
  template: CompiledTemplate;
}

/** The credentials `npm run dev` ships with; refused anywhere but local development. */
export const DEV_API_KEY = "ev_dev_local_only_key";
export const DEV_CODE_SECRET = "dev-only-code-secret-never-use-in-production";

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
  const smsProvider = text("SMS_PROVIDER", development ? "console" : "twilio");

  if (!development) {
    if (apiKeys.length === 0) throw new ConfigError("API_KEYS is not set; refusing to serve without API keys");
    if (apiKeys.includes(DEV_API_KEY)) throw new ConfigError("API_KEYS contains the public dev key; set real keys");
    if (apiKeys.some((key) => key.length < 16)) throw new ConfigError("API_KEYS entries must be at least 16 characters");
    if (!codeSecret) throw new ConfigError("CODE_SECRET is not set; refusing to store codes without a secret");
    if (codeSecret === DEV_CODE_SECRET) throw new ConfigError("CODE_SECRET is the public dev secret; set a real one");
    if (codeSecret.length < 32) throw new ConfigError("CODE_SECRET must be at least 32 characters");
    if (smsProvider === "console") throw new ConfigError("SMS_PROVIDER=console prints codes to logs; it is for local development only");
  } else {
    if (apiKeys.length === 0) throw new ConfigError("API_KEYS is empty; set it in wrangler.toml [env.dev.vars] or .dev.vars");
    if (!codeSecret) throw new ConfigError("CODE_SECRET is empty; set it in wrangler.toml [env.dev.vars] or .dev.vars");
  }
  if (!isSmsProviderChoice(smsProvider)) {
    throw new ConfigError(`SMS_PROVIDER must be one of ${SMS_PROVIDER_NAMES.join(", ")} or routes (got "${smsProvider}")`);
  }

  const twilio: TwilioConfig = {
    accountSid: text("TWILIO_ACCOUNT_SID"),
    authToken: text("TWILIO_AUTH_TOKEN"),
    from: text("TWILIO_FROM"),
    messagingServiceSid: text("TWILIO_MESSAGING_SERVICE_SID"),
    apiBase: text("TWILIO_API_BASE", "https://api.twilio.com"),
  };
  if (smsProvider === "twilio") {
    if (!twilio.accountSid || !twilio.authToken) throw new ConfigError("SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN");
    if (!twilio.from && !twilio.messagingServiceSid) throw new ConfigError("SMS_PROVIDER=twilio needs TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID");
  }

  let template: CompiledTemplate;
  let defaultServiceName: string;
  try {
    template = compileTemplate(text("MESSAGE_TEMPLATE", DEFAULT_TEMPLATE), "MESSAGE_TEMPLATE");
    defaultServiceName = validateServiceName(text("DEFAULT_SERVICE_NAME", "edge-verify"), "DEFAULT_SERVICE_NAME");
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }

  return {
    development,
    apiKeys,
    codeSecret,
    smsProvider,
    smsTimeoutMs: int("SMS_TIMEOUT_MS", 10_000, 100, 60_000),
    twilio,
    sms: parseSmsConfig(env, { provider: smsProvider, development }),
    defaultServiceName,
    defaultCodeLength: int("DEFAULT_CODE_LENGTH", 6, 4, 10),
    defaultTimeoutSeconds: int("DEFAULT_TIMEOUT_SECONDS", 600, 60, 3600),
    maxCheckAttempts: int("MAX_CHECK_ATTEMPTS", 5, 1, 20),
    retentionDays: int("RETENTION_DAYS", 7, 1, 365),
    template,
  };
}
