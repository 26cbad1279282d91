// The requests the verifier takes, and every rule they must meet. A transport shapes its input into
// an `…Init` (typed: proto enums and zero values, JSON types and form fields already mapped) and
// calls the one `validate…` function, which is the only maker of the request type the verifier
// accepts: REST, Connect and the compatibility routes refuse bad input in the same words. The JSON
// readers (`…FromJson`) check JSON types only; limits, formats and combinations live in the
// validators. src/rest/schemas.ts states the same limits from the constants here. Pure: no I/O.
import { invalidArgument } from "./errors.ts";
import { compileRequestTemplate, validateServiceName } from "./template.ts";
import { isWellFormedCode } from "./codes.ts";
import { ipScope } from "./ip.ts";
import { validateAppHash, validateWebOtpDomain } from "./webotp.ts";
import { validateRateLimitValues } from "./rate-limits.ts";

declare const validated: unique symbol;
/** A value made by its `validate…` function: the verifier takes no hand-made stand-in. */
export type Validated<T, Name extends string> = T & { readonly [validated]: Name };

export type Channel = "sms" | "whatsapp" | "call";
export const CHANNELS: readonly Channel[] = ["sms", "whatsapp", "call"];
export const FALLBACK_AFTER_SECONDS_DEFAULT = 60;
export const FALLBACK_AFTER_SECONDS_MIN = 30;
export const FALLBACK_AFTER_SECONDS_MAX = 600;
export const MAX_CHANNELS = 3;

export const CODE_LENGTH_MIN = 4;
export const CODE_LENGTH_MAX = 10;
export const TIMEOUT_SECONDS_MIN = 60;
export const TIMEOUT_SECONDS_MAX = 3600;
export const LOCALE_MAX_LENGTH = 35;
/** BCP 47, loosely: a language and optional subtags (`en`, `pt-BR`, `zh-Hant-TW`). */
export const LOCALE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
/** The wire limit; validateServiceName then allows at most 30 characters once trimmed. */
export const SERVICE_NAME_MAX_LENGTH = 200;
export const EXTERNAL_ID_MAX_LENGTH = 128;
export const MAX_TAGS = 10;
export const TAG_KEY_MAX_LENGTH = 64;
export const TAG_VALUE_MAX_LENGTH = 256;
export const VERIFICATION_ID_MAX_LENGTH = 128;
/** A check's `to` is parsed as a phone number later; this only bounds what is read. */
export const CHECK_TO_MAX_LENGTH = 64;
export const LIST_NOTE_MAX_LENGTH = 200;
/**
 * A request's own message template (CAMARA's `message`), in characters (code points, as JSON
 * Schema's maxLength counts them) before the placeholders are filled: CAMARA's bound.
 */
export const MESSAGE_MAX_LENGTH = 160;
export const PAGE_SIZE_DEFAULT = 100;
export const PAGE_SIZE_MAX = 1000;

const MUST_BE_INTEGER = "must be an integer";
const TO_REQUIRED = "is required: a phone number in E.164, e.g. +14155550100";
const LIST_NOTE_RULE = `must be a string of at most ${LIST_NOTE_MAX_LENGTH} characters`;

// ---- Start ---------------------------------------------------------------------------------------

/** A start as a transport shaped it; `undefined` (and "" for strings, [] for channels) is "not given". */
export interface StartRequestInit {
  to?: string;
  locale?: string;
  codeLength?: number;
  timeoutSeconds?: number;
  serviceName?: string;
  externalId?: string;
  tags?: Readonly<Record<string, string>>;
  clientIp?: string;
  webOtpDomain?: string;
  appHash?: string;
  channel?: Channel;
  channels?: readonly Channel[];
  fallbackAfterSeconds?: number;
  lookup?: boolean;
  message?: string;
  /** The service's rate limits this start counts against: unique name → the key's value. */
  rateLimits?: Readonly<Record<string, string>>;
}

/** A start the verifier takes: validated, with the request's own defaults applied. */
export type StartRequest = Validated<
  {
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
    /**
     * This request's own message template (CAMARA's `message`), used instead of the service's or
     * the deployment's templates for every locale; held to the template rules.
     */
    message?: string;
    /**
     * Unique name → value, for the service's rate limits (core/rate-limits.ts). Absent when none,
     * so a start without them hashes (idempotency) as it did before they existed.
     */
    rateLimits?: Record<string, string>;
  },
  "StartRequest"
>;

export function validateStartRequest(init: StartRequestInit): StartRequest {
  const to = init.to ?? "";
  if (to === "") throw invalidArgument("to", TO_REQUIRED);
  const locale = atMost("locale", init.locale ?? "", LOCALE_MAX_LENGTH);
  if (locale && !LOCALE.test(locale)) throw invalidArgument("locale", "must be a BCP 47 language tag, e.g. en or pt-BR");
  const serviceName = atMost("serviceName", init.serviceName ?? "", SERVICE_NAME_MAX_LENGTH);
  const tags = validateTags(init.tags ?? {});
  const request = {
    to,
    locale,
    codeLength: intFrom("codeLength", init.codeLength, CODE_LENGTH_MIN, CODE_LENGTH_MAX),
    timeoutSeconds: intFrom("timeoutSeconds", init.timeoutSeconds, TIMEOUT_SECONDS_MIN, TIMEOUT_SECONDS_MAX),
    serviceName: serviceName ? validateServiceName(serviceName) : undefined,
    externalId: atMost("externalId", init.externalId ?? "", EXTERNAL_ID_MAX_LENGTH),
    tags,
    clientIp: validateClientIp(init.clientIp ?? ""),
    webOtpDomain: init.webOtpDomain ? validateWebOtpDomain(init.webOtpDomain) : undefined,
    appHash: init.appHash ? validateAppHash(init.appHash) : undefined,
    ...validateChannels(init),
    lookup: init.lookup ?? false,
    message: init.message ? validateRequestMessage(init.message) : undefined,
  };
  const rateLimits = validateRateLimitValues(init.rateLimits ?? {});
  return (Object.keys(rateLimits).length > 0 ? { ...request, rateLimits } : request) as StartRequest;
}

function validateRequestMessage(message: string): string {
  const characters = [...message].length;
  if (characters > MESSAGE_MAX_LENGTH) throw invalidArgument("message", `must be at most ${MESSAGE_MAX_LENGTH} characters (it has ${characters})`);
  compileRequestTemplate(message, "message");
  return message;
}

/** A channel name from the wire (JSON string, proto enum name); anything else is refused. */
export function channelOf(value: unknown, field: string): Channel {
  if (typeof value !== "string" || !CHANNELS.includes(value as Channel)) throw invalidArgument(field, 'must be "sms", "whatsapp" or "call"');
  return value as Channel;
}

/** `channel` (one) or `channels` (a fallback workflow, as Vonage's workflows), not both unless equal-first. */
function validateChannels(init: StartRequestInit): { channels: Channel[]; fallbackAfterSeconds: number } {
  let channels: Channel[];
  if (init.channels && init.channels.length > 0) {
    channels = [...init.channels];
    if (channels.length > MAX_CHANNELS) throw invalidArgument("channels", `at most ${MAX_CHANNELS} channels`);
    if (new Set(channels).size !== channels.length) throw invalidArgument("channels", "must not repeat a channel");
    if (init.channel !== undefined && init.channel !== channels[0]) throw invalidArgument("channel", "must be the first of channels when both are given");
  } else {
    channels = [init.channel ?? "sms"];
  }
  const given = intFrom("fallbackAfterSeconds", init.fallbackAfterSeconds, FALLBACK_AFTER_SECONDS_MIN, FALLBACK_AFTER_SECONDS_MAX);
  if (given !== undefined && channels.length < 2) throw invalidArgument("fallbackAfterSeconds", "needs at least two channels");
  return { channels, fallbackAfterSeconds: given ?? FALLBACK_AFTER_SECONDS_DEFAULT };
}

function validateTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) throw invalidArgument("tags", `at most ${MAX_TAGS} entries`);
  const out: Record<string, string> = {};
  for (const [key, tag] of entries) {
    if (key.length === 0 || key.length > TAG_KEY_MAX_LENGTH) throw invalidArgument("tags", `keys must be 1 to ${TAG_KEY_MAX_LENGTH} characters`);
    if (tag.length > TAG_VALUE_MAX_LENGTH) throw invalidArgument("tags", `value of "${key}" must be at most ${TAG_VALUE_MAX_LENGTH} characters`);
    out[key] = tag;
  }
  return out;
}

/** Kept as given: the verifier counts it under ipScope's key, which folds the spellings of one address. */
function validateClientIp(value: string): string {
  if (value !== "" && ipScope(value) === null) throw invalidArgument("clientIp", "must be an IPv4 or IPv6 address, without port, brackets or zone");
  return value;
}

// ---- Check ---------------------------------------------------------------------------------------

/** A check as a transport shaped it: `verificationId` or `to` (both must match when both are given). */
export interface CheckRequestInit {
  verificationId?: string;
  to?: string;
  code?: string;
  /** Only the code of this send (1-based) may approve; a later send supersedes it (CAMARA). */
  sendAttempt?: number;
}

export type CheckRequest = Validated<{ verificationId: string; to: string; code: string; sendAttempt?: number }, "CheckRequest">;

export function validateCheckRequest(init: CheckRequestInit): CheckRequest {
  const verificationId = init.verificationId ? validateVerificationId(init.verificationId) : "";
  const to = atMost("to", init.to ?? "", CHECK_TO_MAX_LENGTH);
  if (!verificationId && !to) throw invalidArgument("verificationId", "give verificationId or to");
  const code = validateCode(init.code);
  const request: { verificationId: string; to: string; code: string; sendAttempt?: number } = { verificationId, to, code };
  if (init.sendAttempt !== undefined) {
    if (!Number.isInteger(init.sendAttempt) || init.sendAttempt < 1) throw invalidArgument("sendAttempt", "must be a whole number from 1");
    request.sendAttempt = init.sendAttempt;
  }
  return request as CheckRequest;
}

/** A code as typed by the user: required, 4 to 10 digits (the one rule, for every transport). */
export function validateCode(value: string | undefined, field = "code"): string {
  const code = value ?? "";
  if (code === "") throw invalidArgument(field, "is required");
  if (!isWellFormedCode(code)) throw invalidArgument(field, "must be 4 to 10 digits");
  return code;
}

// ---- Get, cancel ---------------------------------------------------------------------------------

/** A verification's id as a client gave it (`ve_…`); whether it exists is the verifier's question. */
export type VerificationId = Validated<string, "VerificationId">;

export function validateVerificationId(value: string, field = "verificationId"): VerificationId {
  if (value === "") throw invalidArgument(field, "is required");
  if (value.length > VERIFICATION_ID_MAX_LENGTH) throw invalidArgument(field, `must be at most ${VERIFICATION_ID_MAX_LENGTH} characters`);
  return value as VerificationId;
}

// ---- Deny and allow lists ------------------------------------------------------------------------

export type NumberList = "deny" | "allow";
export const NUMBER_LISTS: readonly NumberList[] = ["deny", "allow"];

/** A list's name from the wire (path segment, proto enum name). */
export function numberListOf(value: unknown): NumberList {
  if (typeof value !== "string" || !NUMBER_LISTS.includes(value as NumberList)) throw invalidArgument("list", 'must be "deny" or "allow"');
  return value as NumberList;
}

/** Adds (`listed`) or removes a number; the number is parsed by the verifier, as everywhere. */
export interface ListChangeInit {
  list: NumberList;
  phoneNumber: string;
  listed: boolean;
  note?: string;
}

export type ListChange = Validated<{ list: NumberList; phoneNumber: string; listed: boolean; note: string }, "ListChange">;

export function validateListChange(init: ListChangeInit): ListChange {
  const note = init.note ?? "";
  if (note.length > LIST_NOTE_MAX_LENGTH) throw invalidArgument("note", LIST_NOTE_RULE);
  return { list: init.list, phoneNumber: init.phoneNumber, listed: init.listed, note } as ListChange;
}

export interface ListPageInit {
  list: NumberList;
  /** 0 or omitted: the default page size. */
  pageSize?: number;
  pageToken?: string;
}

export type ListPage = Validated<{ list: NumberList; pageSize: number; pageToken: string }, "ListPage">;

export function validateListPage(init: ListPageInit): ListPage {
  const pageSize = init.pageSize === undefined || init.pageSize === 0 ? PAGE_SIZE_DEFAULT : init.pageSize;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > PAGE_SIZE_MAX) throw invalidArgument("pageSize", `must be from 1 to ${PAGE_SIZE_MAX}`);
  return { list: init.list, pageSize, pageToken: init.pageToken ?? "" } as ListPage;
}

// ---- Lookups -------------------------------------------------------------------------------------

/** A carrier lookup: the number is all there is, parsed by the verifier. */
export interface LookupRequest {
  phoneNumber: string;
}

// ---- Idempotency ---------------------------------------------------------------------------------

/** Idempotency keys: 1-255 printable ASCII characters, as Stripe and the IETF draft use. */
export function parseIdempotencyKey(value: string | undefined | null, header = "Idempotency-Key"): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(value)) throw invalidArgument(header, "must be 1 to 255 printable ASCII characters");
  return value;
}

// ---- JSON ----------------------------------------------------------------------------------------
// JSON bodies, type by type. Proto3 JSON sends an unset scalar as its zero value and clients send
// null, so on the fields that have a default "", 0 and null mean "not given", as an absent field.

/** A JSON body's fields; anything but an object is refused. */
export type JsonFields = Record<string, unknown>;

export function jsonObject(body: unknown): JsonFields {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw invalidArgument("body", "must be a JSON object");
  return body as JsonFields;
}

function isUnset(value: unknown): boolean {
  return value === undefined || value === null || value === "" || value === 0;
}

/** A string field; absent or null is undefined. */
export function jsonString(body: JsonFields, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalidArgument(field, "must be a string");
  return value;
}

/** A required string (`to`, `code`): anything but a string is "not given", refused by the validator as missing. */
export function jsonRequired(body: JsonFields, field: string): string | undefined {
  const value = body[field];
  return typeof value === "string" ? value : undefined;
}

/** A whole number with a default; "", 0 and null are "not given". */
export function jsonInt(body: JsonFields, field: string): number | undefined {
  const value = body[field];
  if (isUnset(value)) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) throw invalidArgument(field, MUST_BE_INTEGER);
  return value;
}

export function jsonBoolean(body: JsonFields, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw invalidArgument(field, "must be true or false");
  return value;
}

/** `tags`: an object of string values. */
export function jsonTags(body: JsonFields): Record<string, string> | undefined {
  const value = body.tags;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw invalidArgument("tags", "must be an object of string values");
  for (const [key, tag] of Object.entries(value as JsonFields)) {
    if (typeof tag !== "string") throw invalidArgument("tags", `value of "${key.slice(0, TAG_KEY_MAX_LENGTH)}" must be a string`);
  }
  return value as Record<string, string>;
}

/** POST /v1/verifications as typed fields. */
/** The fields a JSON start may carry: anything else is a typo or another API's field, refused. */
const START_FIELDS = new Set([
  "to", "locale", "serviceName", "tags", "codeLength", "timeoutSeconds", "externalId", "clientIp",
  "webOtpDomain", "appHash", "channel", "channels", "fallbackAfterSeconds", "lookup",
]);
const CHECK_FIELDS = new Set(["verificationId", "to", "code"]);

/**
 * An unknown property is refused, not ignored: `timeoutSecond` silently meaning the default
 * timeout is the kind of mistake a client finds in production (issue 19).
 */
export function refuseUnknownFields(body: JsonFields, known: ReadonlySet<string>, what: string): void {
  const unknown = Object.keys(body).find((k) => !known.has(k));
  if (unknown !== undefined) throw invalidArgument(unknown, `is not a field of ${what}`);
}

export function startRequestFromJson(raw: unknown): StartRequestInit {
  const body = jsonObject(raw);
  refuseUnknownFields(body, START_FIELDS, "a start request");
  return {
    to: jsonRequired(body, "to"),
    locale: jsonString(body, "locale"),
    serviceName: jsonString(body, "serviceName"),
    tags: jsonTags(body),
    codeLength: jsonInt(body, "codeLength"),
    timeoutSeconds: jsonInt(body, "timeoutSeconds"),
    externalId: jsonString(body, "externalId"),
    clientIp: jsonString(body, "clientIp"),
    webOtpDomain: isUnset(body.webOtpDomain) ? undefined : jsonString(body, "webOtpDomain"),
    appHash: isUnset(body.appHash) ? undefined : jsonString(body, "appHash"),
    ...channelsFromJson(body),
    fallbackAfterSeconds: jsonInt(body, "fallbackAfterSeconds"),
    lookup: jsonBoolean(body, "lookup"),
  };
}

function channelsFromJson(body: JsonFields): { channel?: Channel; channels?: Channel[] } {
  const list = body.channels;
  let channels: Channel[] | undefined;
  if (!isUnset(list)) {
    if (!Array.isArray(list)) throw invalidArgument("channels", "must be a list of channels");
    channels = list.map((c, i) => channelOf(c, `channels[${i}]`));
  }
  return { channels, channel: isUnset(body.channel) ? undefined : channelOf(body.channel, "channel") };
}

/** POST /v1/verifications/check as typed fields. */
export function checkRequestFromJson(raw: unknown): CheckRequestInit {
  const body = jsonObject(raw);
  refuseUnknownFields(body, CHECK_FIELDS, "a check request");
  return { verificationId: jsonString(body, "verificationId"), to: jsonString(body, "to"), code: jsonRequired(body, "code") };
}

/** The JSON rules and the request rules, in that order: what REST (and the schema gate) apply. */
export function parseStartRequest(raw: unknown): StartRequest {
  return validateStartRequest(startRequestFromJson(raw));
}

export function parseCheckRequest(raw: unknown): CheckRequest {
  return validateCheckRequest(checkRequestFromJson(raw));
}

/** PUT /v1/lists/{list}/{number}'s body: `{note}`; a body that is not an object carries none. */
export function listNoteFromJson(raw: unknown): string | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const note = (raw as JsonFields).note;
  if (note === undefined || note === null) return undefined;
  if (typeof note !== "string") throw invalidArgument("note", LIST_NOTE_RULE);
  return note;
}

const LOOKUP_FIELDS = new Set(["phoneNumber"]);

/** POST /v1/lookups: `{phoneNumber}` and nothing else. */
export function lookupRequestFromJson(raw: unknown): LookupRequest {
  const body = jsonObject(raw);
  const phoneNumber = jsonRequired(body, "phoneNumber") ?? "";
  refuseUnknownFields(body, LOOKUP_FIELDS, "a lookup request");
  return { phoneNumber };
}

function atMost(field: string, value: string, maxLength: number): string {
  if (value.length > maxLength) throw invalidArgument(field, `must be at most ${maxLength} characters`);
  return value;
}

function intFrom(field: string, value: number | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value)) throw invalidArgument(field, MUST_BE_INTEGER);
  if (value < min || value > max) throw invalidArgument(field, `must be from ${min} to ${max}`);
  return value;
}
