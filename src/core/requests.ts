// Validation of API requests, shared by every transport so REST, Connect and the compatibility
// endpoints refuse bad input with the same field names and messages. Pure: no I/O.
import { invalidArgument } from "./errors.ts";
import { validateServiceName } from "./template.ts";
import { isWellFormedCode } from "./codes.ts";
import { ipScope } from "./ip.ts";
import { validateAppHash, validateWebOtpDomain } from "./webotp.ts";

export interface StartRequest {
  to: string;
  locale: string;
  /** Omitted: the configured default. */
  codeLength?: number;
  timeoutSeconds?: number;
  serviceName?: string;
  externalId: string;
  tags: Record<string, string>;
  /** The end user's IP as the caller saw it (never taken from forwarding headers). */
  clientIp: string;
  /** WebOTP origin binding: appends `@domain #code` so browsers autofill only there. */
  webOtpDomain?: string;
  /** Android SMS Retriever app hash (11 characters). */
  appHash?: string;
  /** The channel workflow: the first now, each next one after `fallbackAfterSeconds` if still pending. */
  channels: Channel[];
  fallbackAfterSeconds: number;
  /** Ask the carrier about the number before sending, whatever LOOKUP_MODE says. */
  lookup: boolean;
}

export type Channel = "sms" | "whatsapp" | "call";
const CHANNELS: readonly Channel[] = ["sms", "whatsapp", "call"];
export const FALLBACK_AFTER_SECONDS_DEFAULT = 60;

export interface CheckRequest {
  verificationId: string;
  to: string;
  code: string;
}

export const CODE_LENGTH_MIN = 4;
export const CODE_LENGTH_MAX = 10;
export const TIMEOUT_SECONDS_MIN = 60;
export const TIMEOUT_SECONDS_MAX = 3600;
const MAX_TAGS = 10;

type Fields = Record<string, unknown>;

/** Proto3 scalars arrive as "" / 0 when unset; REST as undefined. Both mean "not given". */
function isUnset(value: unknown): boolean {
  return value === undefined || value === null || value === "" || value === 0;
}

function optionalString(body: Fields, field: string, maxLength: number): string {
  const value = body[field];
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") throw invalidArgument(field, "must be a string");
  if (value.length > maxLength) throw invalidArgument(field, `must be at most ${maxLength} characters`);
  return value;
}

function optionalInt(body: Fields, field: string, min: number, max: number): number | undefined {
  const value = body[field];
  if (isUnset(value)) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) throw invalidArgument(field, "must be an integer");
  if (value < min || value > max) throw invalidArgument(field, `must be from ${min} to ${max}`);
  return value;
}

function asObject(body: unknown): Fields {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidArgument("body", "must be a JSON object");
  }
  return body as Fields;
}

const LOCALE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

export function parseStartRequest(raw: unknown): StartRequest {
  const body = asObject(raw);
  const to = body.to;
  if (typeof to !== "string" || to === "") throw invalidArgument("to", "is required: a phone number in E.164, e.g. +14155550100");
  const locale = optionalString(body, "locale", 35);
  if (locale && !LOCALE.test(locale)) throw invalidArgument("locale", "must be a BCP 47 language tag, e.g. en or pt-BR");
  const serviceNameRaw = optionalString(body, "serviceName", 200);
  const tags = parseTags(body.tags);
  return {
    to,
    locale,
    codeLength: optionalInt(body, "codeLength", CODE_LENGTH_MIN, CODE_LENGTH_MAX),
    timeoutSeconds: optionalInt(body, "timeoutSeconds", TIMEOUT_SECONDS_MIN, TIMEOUT_SECONDS_MAX),
    serviceName: serviceNameRaw ? validateServiceName(serviceNameRaw) : undefined,
    externalId: optionalString(body, "externalId", 128),
    tags,
    clientIp: parseClientIp(body.clientIp),
    webOtpDomain: isUnset(body.webOtpDomain) ? undefined : validateWebOtpDomain(stringField(body, "webOtpDomain")),
    appHash: isUnset(body.appHash) ? undefined : validateAppHash(stringField(body, "appHash")),
    ...parseChannels(body),
    lookup: optionalBoolean(body, "lookup"),
  };
}

function optionalBoolean(body: Fields, field: string): boolean {
  const value = body[field];
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw invalidArgument(field, "must be true or false");
  return value;
}

/** `channel` (one) or `channels` (a fallback workflow, as Vonage's workflows), not both unless equal-first. */
function parseChannels(body: Fields): { channels: Channel[]; fallbackAfterSeconds: number } {
  const channelOf = (value: unknown, field: string): Channel => {
    if (typeof value !== "string" || !CHANNELS.includes(value as Channel)) throw invalidArgument(field, 'must be "sms", "whatsapp" or "call"');
    return value as Channel;
  };
  let channels: Channel[];
  if (!isUnset(body.channels) && !(Array.isArray(body.channels) && body.channels.length === 0)) {
    if (!Array.isArray(body.channels)) throw invalidArgument("channels", "must be a list of channels");
    channels = body.channels.map((c, i) => channelOf(c, `channels[${i}]`));
    if (channels.length > 3) throw invalidArgument("channels", "at most 3 channels");
    if (new Set(channels).size !== channels.length) throw invalidArgument("channels", "must not repeat a channel");
    if (!isUnset(body.channel) && body.channel !== channels[0]) throw invalidArgument("channel", "must be the first of channels when both are given");
  } else {
    channels = [isUnset(body.channel) ? "sms" : channelOf(body.channel, "channel")];
  }
  const fallbackAfterSeconds = optionalInt(body, "fallbackAfterSeconds", 30, 600) ?? FALLBACK_AFTER_SECONDS_DEFAULT;
  if (!isUnset(body.fallbackAfterSeconds) && channels.length < 2) throw invalidArgument("fallbackAfterSeconds", "needs at least two channels");
  return { channels, fallbackAfterSeconds };
}

function stringField(body: Fields, field: string): string {
  const value = body[field];
  if (typeof value !== "string") throw invalidArgument(field, "must be a string");
  return value;
}

/** Kept as given: the verifier counts it under ipScope's key, which folds the spellings of one address. */
function parseClientIp(value: unknown): string {
  if (value === undefined || value === null || value === "") return "";
  if (typeof value !== "string" || ipScope(value) === null) {
    throw invalidArgument("clientIp", "must be an IPv4 or IPv6 address, without port, brackets or zone");
  }
  return value;
}

/** Idempotency keys: 1-255 printable ASCII characters, as Stripe and the IETF draft use. */
export function parseIdempotencyKey(value: string | undefined | null, header = "Idempotency-Key"): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(value)) throw invalidArgument(header, "must be 1 to 255 printable ASCII characters");
  return value;
}

function parseTags(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw invalidArgument("tags", "must be an object of string values");
  const entries = Object.entries(value as Fields);
  if (entries.length > MAX_TAGS) throw invalidArgument("tags", `at most ${MAX_TAGS} entries`);
  const tags: Record<string, string> = {};
  for (const [key, tag] of entries) {
    if (key.length === 0 || key.length > 64) throw invalidArgument("tags", "keys must be 1 to 64 characters");
    if (typeof tag !== "string") throw invalidArgument("tags", `value of "${key.slice(0, 64)}" must be a string`);
    if (tag.length > 256) throw invalidArgument("tags", `value of "${key}" must be at most 256 characters`);
    tags[key] = tag;
  }
  return tags;
}

export function parseCheckRequest(raw: unknown): CheckRequest {
  const body = asObject(raw);
  const verificationId = optionalString(body, "verificationId", 128);
  const to = optionalString(body, "to", 64);
  if (!verificationId && !to) throw invalidArgument("verificationId", "give verificationId or to");
  const code = body.code;
  if (typeof code !== "string" || code === "") throw invalidArgument("code", "is required");
  if (!isWellFormedCode(code)) throw invalidArgument("code", "must be 4 to 10 digits");
  return { verificationId, to, code };
}

export function parseVerificationId(value: unknown, field = "verificationId"): string {
  if (typeof value !== "string" || value === "") throw invalidArgument(field, "is required");
  if (value.length > 128) throw invalidArgument(field, "must be at most 128 characters");
  return value;
}
