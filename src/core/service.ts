// Service settings: validation of what an admin may set on a service, and the merge of those
// settings over the deployment's configuration. Pure: no I/O.
import { invalidArgument } from "./errors.ts";
import { createTemplateCatalog, parseCustomTemplates } from "./locales.ts";
import { parsePhoneNumber } from "./phone.ts";
import { RULE_NAMES, type NumberLimits, type RuleMode, type RuleName } from "./policy.ts";
import { isWellFormedCode } from "./codes.ts";
import { LINK_REFUSAL, readsAsLink } from "./template.ts";
import { internalRangeOf, parseIp } from "./ip.ts";
import { WEBHOOK_SIGNINGS, type WebhookSigning } from "./webhook-signing.ts";

export const WEBHOOK_EVENTS = [
  "verification.started",
  "verification.approved",
  "verification.expired",
  "verification.canceled",
  "verification.max_attempts_reached",
  "verification.failed",
  "delivery.updated",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface ServiceLimits {
  sendsPer10Minutes?: number;
  sendsPerDay?: number;
  failedChecksPerDay?: number;
  ipStartsPerHour?: number;
  rangeSendsPerHour?: number;
  countrySendsPerHour?: number;
  /** This service's own daily SMS budget, on top of the deployment's. */
  smsDailyLimit?: number;
}

/** What an admin sets on a service. Every field but the name falls back to the deployment's. */
export interface ServiceSettings {
  friendlyName: string;
  codeLength?: number;
  ttlSeconds?: number;
  maxCheckAttempts?: number;
  /**
   * Earlier codes of a re-sent verification that still approve it (0–3; absent: 0): SMS can arrive
   * out of order, and users type the code they see. Each widens the guess space by one code.
   */
  acceptPreviousCodes?: number;
  /** Per-locale templates, validated like MESSAGE_TEMPLATES. */
  templates?: Record<string, string>;
  allowedCountries?: string[];
  limits?: ServiceLimits;
  ruleModes?: Partial<Record<RuleName, RuleMode>>;
  webhookUrl?: string;
  webhookEvents?: WebhookEvent[];
  /** Standard Webhooks scheme: `v1` (HMAC, `whsec_` secret; the default) or `v1a` (Ed25519, `whpk_` public key). */
  webhookSigning?: WebhookSigning;
  /** Numbers with a fixed code (app-store reviewers, CI): no SMS, no budget; all else applies. */
  testNumbers?: Record<string, string>;
  /** Twilio-compatible endpoints answer 404 after approval, expiry or max attempts, as Twilio. */
  twilioStrict?: boolean;
  /** Twilio-compatible starts ask the carrier (LOOKUP_PROVIDER) whatever LOOKUP_MODE says. */
  twilioLookup?: boolean;
}

type Fields = Record<string, unknown>;

/** At most this many earlier codes stay valid: each one multiplies a guesser's odds (README, Security model). */
export const MAX_ACCEPT_PREVIOUS_CODES = 3;

function int(body: Fields, field: string, min: number, max: number, path = field): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(path, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * Validates settings from an admin request. `partial` (an update) lets every field be absent;
 * `null` on an optional field clears it. Unknown fields are refused so a typo is not ignored.
 */
export function parseServiceSettings(raw: unknown, options: { partial: boolean; webhookUrls: WebhookUrlRules }): Partial<ServiceSettings> & { cleared: string[] } {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw invalidArgument("body", "must be a JSON object");
  const body = raw as Fields;
  const known = new Set([
    "friendlyName",
    "codeLength",
    "ttlSeconds",
    "maxCheckAttempts",
    "acceptPreviousCodes",
    "templates",
    "allowedCountries",
    "limits",
    "ruleModes",
    "webhookUrl",
    "webhookEvents",
    "webhookSigning",
    "testNumbers",
    "twilioStrict",
    "twilioLookup",
  ]);
  for (const key of Object.keys(body)) if (!known.has(key)) throw invalidArgument(key, "is not a service setting");
  const out: Partial<ServiceSettings> & { cleared: string[] } = { cleared: [] };
  for (const [key, value] of Object.entries(body)) if (value === null && key !== "friendlyName") out.cleared.push(key);

  if (body.friendlyName !== undefined || !options.partial) {
    const name = body.friendlyName;
    if (typeof name !== "string" || name.trim() === "" || name.length > 64) throw invalidArgument("friendlyName", "is required: 1 to 64 characters");
    // The friendly name is the service's {{serviceName}} when it is a valid one; one that reads as a
    // link would only be swapped for DEFAULT_SERVICE_NAME at send time, silently, so it is refused here.
    if (readsAsLink(name)) throw invalidArgument("friendlyName", LINK_REFUSAL);
    out.friendlyName = name.trim();
  }
  out.codeLength = int(body, "codeLength", 4, 10);
  out.ttlSeconds = int(body, "ttlSeconds", 60, 3600);
  out.maxCheckAttempts = int(body, "maxCheckAttempts", 1, 20);
  out.acceptPreviousCodes = int(body, "acceptPreviousCodes", 0, MAX_ACCEPT_PREVIOUS_CODES);
  if (body.templates !== undefined && body.templates !== null) {
    const templates = parseCustomTemplates(JSON.stringify(body.templates), "templates");
    createTemplateCatalog({ custom: templates, field: "templates" }); // validates placeholders and segments
    out.templates = { ...templates }; // a plain object: null-prototype ones do not cross RPC
  }
  if (body.allowedCountries !== undefined && body.allowedCountries !== null) {
    const list = body.allowedCountries;
    if (!Array.isArray(list) || list.some((c) => typeof c !== "string" || !/^[A-Z]{2}$/.test(c))) {
      throw invalidArgument("allowedCountries", "must be a list of ISO 3166-1 alpha-2 codes, e.g. [\"US\", \"CA\"]");
    }
    out.allowedCountries = [...new Set(list as string[])];
  }
  if (body.limits !== undefined && body.limits !== null) {
    if (typeof body.limits !== "object" || Array.isArray(body.limits)) throw invalidArgument("limits", "must be an object");
    const limits = body.limits as Fields;
    const names = ["sendsPer10Minutes", "sendsPerDay", "failedChecksPerDay", "ipStartsPerHour", "rangeSendsPerHour", "countrySendsPerHour", "smsDailyLimit"];
    for (const key of Object.keys(limits)) if (!names.includes(key)) throw invalidArgument(`limits.${key}`, "is not a limit");
    const parsed: ServiceLimits = {};
    for (const name of names) {
      const value = int(limits, name, 1, 100_000_000, `limits.${name}`);
      if (value !== undefined) parsed[name as keyof ServiceLimits] = value;
    }
    out.limits = parsed;
  }
  if (body.ruleModes !== undefined && body.ruleModes !== null) {
    if (typeof body.ruleModes !== "object" || Array.isArray(body.ruleModes)) throw invalidArgument("ruleModes", "must be an object");
    const modes: Partial<Record<RuleName, RuleMode>> = {};
    for (const [rule, mode] of Object.entries(body.ruleModes as Fields)) {
      if (!RULE_NAMES.includes(rule as RuleName)) throw invalidArgument(`ruleModes.${rule}`, `is not a rule; rules: ${RULE_NAMES.join(", ")}`);
      if (mode !== "enforce" && mode !== "monitor" && mode !== "off") throw invalidArgument(`ruleModes.${rule}`, "must be enforce, monitor or off");
      modes[rule as RuleName] = mode;
    }
    out.ruleModes = modes;
  }
  if (body.webhookUrl !== undefined && body.webhookUrl !== null) {
    out.webhookUrl = parseWebhookUrl(body.webhookUrl, options.webhookUrls);
  }
  if (body.webhookEvents !== undefined && body.webhookEvents !== null) {
    const events = body.webhookEvents;
    if (!Array.isArray(events) || events.some((e) => !WEBHOOK_EVENTS.includes(e as WebhookEvent))) {
      throw invalidArgument("webhookEvents", `must be a list of: ${WEBHOOK_EVENTS.join(", ")}`);
    }
    out.webhookEvents = [...new Set(events as WebhookEvent[])];
  }
  if (body.webhookSigning !== undefined && body.webhookSigning !== null) {
    if (!WEBHOOK_SIGNINGS.includes(body.webhookSigning as WebhookSigning)) {
      throw invalidArgument("webhookSigning", "must be v1 (HMAC-SHA256) or v1a (Ed25519)");
    }
    out.webhookSigning = body.webhookSigning as WebhookSigning;
  }
  if (body.testNumbers !== undefined && body.testNumbers !== null) {
    out.testNumbers = parseTestNumbers(body.testNumbers, "testNumbers");
  }
  if (body.twilioStrict !== undefined && body.twilioStrict !== null) {
    if (typeof body.twilioStrict !== "boolean") throw invalidArgument("twilioStrict", "must be true or false");
    out.twilioStrict = body.twilioStrict;
  }
  if (body.twilioLookup !== undefined && body.twilioLookup !== null) {
    if (typeof body.twilioLookup !== "boolean") throw invalidArgument("twilioLookup", "must be true or false");
    out.twilioLookup = body.twilioLookup;
  }
  for (const key of Object.keys(out) as (keyof typeof out)[]) if (out[key] === undefined) delete out[key];
  return out;
}

/** Where this deployment lets a service's webhooks go. */
export interface WebhookUrlRules {
  /** Local development: http to localhost, and https anywhere (receivers on the developer's machine). */
  development: boolean;
  /** WEBHOOK_INTERNAL_HOSTS: internal hosts the operator allows anyway, as URL hostnames. */
  internalHosts: ReadonlySet<string>;
}

/**
 * Webhook targets must be https (http to localhost in development), never carry credentials, and
 * outside development never point into the network the Worker runs in (see internalHostOf)
 * unless the operator listed that host.
 */
export function parseWebhookUrl(value: unknown, rules: WebhookUrlRules, field = "webhookUrl"): string {
  if (typeof value !== "string") throw invalidArgument(field, "must be a URL");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidArgument(field, "must be an absolute URL");
  }
  const { development } = rules;
  const local = url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
  if (url.protocol !== "https:" && !(development && url.protocol === "http:" && local)) {
    throw invalidArgument(field, development ? "must be https (or http to localhost in development)" : "must be https");
  }
  if (url.username || url.password) throw invalidArgument(field, "must not contain credentials");
  // Whoever holds the admin token must not be able to make the Worker call into its own network
  // or a cloud metadata service (SSRF). The exemption list is the operator's, set in the
  // deployment's environment, not something the admin API can widen.
  const internal = development || rules.internalHosts.has(url.hostname) ? null : internalHostOf(url.hostname);
  if (internal) throw invalidArgument(field, `must be a public address: ${internal}`);
  return url.toString();
}

/**
 * Why a URL's host (as WHATWG URL serialises it: IPv4 dotted whatever the input spelling, IPv6 in
 * brackets, names lower-cased) is internal, or null. Only literals and `localhost` are judged: a
 * name that resolves to an internal address is not caught here, as DNS is not ours to ask.
 */
function internalHostOf(hostname: string): string | null {
  const name = hostname.replace(/\.$/, "");
  // RFC 6761 §6.3: localhost and everything under it is loopback, whatever DNS says.
  if (name === "localhost" || name.endsWith(".localhost")) return `${hostname} is loopback`;
  const literal = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  const ip = parseIp(literal);
  const range = ip ? internalRangeOf(ip) : null;
  return range ? `${literal} is ${range}` : null;
}

/**
 * WEBHOOK_INTERNAL_HOSTS: comma-separated internal hosts (`10.0.0.5`, `[fd00::5]`, `localhost`)
 * that webhooks may reach anyway, e.g. a receiver beside a self-hosted workerd. Each is kept as
 * WHATWG URL writes it, so `0x7f.1` exempts 127.0.0.1 and nothing else. A public host is refused:
 * it needs no exemption, and listing one usually means a mistyped internal one.
 */
export function parseWebhookInternalHosts(raw: string, field: string): Set<string> {
  const hosts = new Set<string>();
  for (const entry of raw.split(",").map((e) => e.trim()).filter((e) => e !== "")) {
    const url = URL.canParse(`https://${entry}/`) ? new URL(`https://${entry}/`) : null;
    if (!url || url.port || url.username || url.password || url.pathname !== "/" || url.search || url.hash) {
      throw invalidArgument(field, `"${entry}" must be a host name or IP address (IPv6 in brackets), without scheme, port or path`);
    }
    if (!internalHostOf(url.hostname)) throw invalidArgument(field, `"${entry}" is not an internal address; only those need listing`);
    hosts.add(url.hostname);
  }
  return hosts;
}

/** `{"+15005550100": "123456"}`: E.164 numbers to fixed codes of 4 to 10 digits. */
export function parseTestNumbers(value: unknown, field: string): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalidArgument(field, "must be an object of number → code");
  const out: Record<string, string> = {};
  const entries = Object.entries(value as Fields);
  if (entries.length > 100) throw invalidArgument(field, "at most 100 test numbers");
  for (const [number, code] of entries) {
    const e164 = parsePhoneNumber(number, field).e164;
    if (typeof code !== "string" || !isWellFormedCode(code)) throw invalidArgument(field, `the code for ${e164} must be 4 to 10 digits`);
    out[e164] = code;
  }
  return out;
}

/** Applies a validated update to stored settings. */
export function mergeSettings(current: ServiceSettings, update: Partial<ServiceSettings> & { cleared: string[] }): ServiceSettings {
  const { cleared, ...changes } = update;
  const next: Record<string, unknown> = { ...current, ...changes };
  for (const key of cleared) delete next[key];
  return next as unknown as ServiceSettings;
}

/** Per-number limits with the service's overrides. */
export function numberLimitsFor(base: NumberLimits, settings: ServiceSettings | null): NumberLimits {
  const l = settings?.limits ?? {};
  return {
    resendCooldownSeconds: base.resendCooldownSeconds,
    sendsPer10Minutes: l.sendsPer10Minutes ?? base.sendsPer10Minutes,
    sendsPerDay: l.sendsPerDay ?? base.sendsPerDay,
    failedChecksPerDay: l.failedChecksPerDay ?? base.failedChecksPerDay,
  };
}
