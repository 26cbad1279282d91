// Request and response bodies of every REST route as JSON Schema (2020-12, the dialect of
// OpenAPI 3.1): data, not types. The handlers validate with these objects and /openapi.json embeds
// the same objects, so the document cannot describe a body the handlers do not check. The request
// limits are core/requests.ts's constants, and test/rest/schemas.test.ts walks every request
// schema against the parser behind it.
import { RULE_NAMES } from "../core/policy.ts";
import {
  CHANNELS,
  CHECK_TO_MAX_LENGTH,
  CODE_LENGTH_MAX,
  CODE_LENGTH_MIN,
  EXTERNAL_ID_MAX_LENGTH,
  FALLBACK_AFTER_SECONDS_DEFAULT,
  FALLBACK_AFTER_SECONDS_MAX,
  FALLBACK_AFTER_SECONDS_MIN,
  LIST_NOTE_MAX_LENGTH,
  LOCALE,
  LOCALE_MAX_LENGTH,
  MAX_CHANNELS,
  MESSAGE_MAX_LENGTH,
  MAX_TAGS,
  NUMBER_LISTS,
  SERVICE_NAME_MAX_LENGTH,
  TAG_KEY_MAX_LENGTH,
  TAG_VALUE_MAX_LENGTH,
  TIMEOUT_SECONDS_MAX,
  TIMEOUT_SECONDS_MIN,
  VERIFICATION_ID_MAX_LENGTH,
} from "../core/requests.ts";
import { WEBHOOK_EVENTS } from "../core/service.ts";
import { WEBHOOK_SIGNINGS } from "../core/webhook-signing.ts";
import { TWILIO_ACCOUNT_SCHEMAS } from "./schemas-twilio-account.ts";
import { TWILIO_RATE_LIMIT_SCHEMAS } from "./twilio-rate-limit-schemas.ts";

export type JsonSchema = { [keyword: string]: unknown };

/** A reference to a named schema in `components.schemas`. */
export const ref = (name: keyof typeof COMPONENTS): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

// Proto3 sends an unset scalar as its zero value, and the core treats "", 0 and null as "not given"
// on these fields for every transport; the schema says so rather than refusing what is accepted.
const UNSET: JsonSchema = { enum: [null, 0, ""], description: "Not given: the default applies." };
const orUnset = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, UNSET] });
const nullable = (type: string) => [type, "null"];
const time: JsonSchema = { type: "string", format: "date-time" };
const CHANNEL: JsonSchema = { type: "string", enum: [...CHANNELS] };

// ---- Native REST ------------------------------------------------------------------------------

const StartVerificationRequest: JsonSchema = {
  type: "object",
  required: ["to"],
  additionalProperties: false,
  properties: {
    to: { type: "string", minLength: 1, description: "The number in E.164, or with a + country code (`+1 (415) 555-2671`).", examples: ["+14155552671"] },
    locale: { type: nullable("string"), maxLength: LOCALE_MAX_LENGTH, pattern: `^$|${LOCALE.source}`, description: "BCP 47 tag picking the message text (`pt-BR` → `pt` → `en`)." },
    codeLength: orUnset({ type: "integer", minimum: CODE_LENGTH_MIN, maximum: CODE_LENGTH_MAX, description: "Digits in the code (default 6)." }),
    timeoutSeconds: orUnset({ type: "integer", minimum: TIMEOUT_SECONDS_MIN, maximum: TIMEOUT_SECONDS_MAX, description: "Code lifetime (default 600)." }),
    serviceName: { type: nullable("string"), maxLength: SERVICE_NAME_MAX_LENGTH, description: "`{{serviceName}}` in the message: at most 30 characters once trimmed, no control characters, no URL or domain name (also `(evil.com)`, `ｅｖｉｌ．ｃｏｍ`, `www.`, IP addresses)." },
    externalId: { type: nullable("string"), maxLength: EXTERNAL_ID_MAX_LENGTH, description: "Your reference, returned as given." },
    tags: {
      type: nullable("object"),
      maxProperties: MAX_TAGS,
      propertyNames: { minLength: 1, maxLength: TAG_KEY_MAX_LENGTH },
      additionalProperties: { type: "string", maxLength: TAG_VALUE_MAX_LENGTH },
      description: `Up to ${MAX_TAGS} string pairs, returned as given.`,
    },
    clientIp: { type: nullable("string"), description: "The end user's IPv4 or IPv6 address (no port, brackets or zone), for per-IP limits (never read from forwarding headers). IPv4-mapped IPv6 counts as its IPv4 address; other IPv6 per /64." },
    webOtpDomain: orUnset({ type: "string", description: "Binds the code to this origin for WebOTP autofill (`@domain #code`)." }),
    appHash: orUnset({ type: "string", description: "Android SMS Retriever app hash (11 characters)." }),
    channel: orUnset({ ...CHANNEL, description: "The channel (default sms)." }),
    channels: orUnset({ type: "array", items: CHANNEL, maxItems: MAX_CHANNELS, uniqueItems: true, description: "A fallback workflow: the first channel now, each next after `fallbackAfterSeconds` while pending." }),
    fallbackAfterSeconds: orUnset({
      type: "integer",
      minimum: FALLBACK_AFTER_SECONDS_MIN,
      maximum: FALLBACK_AFTER_SECONDS_MAX,
      description: `Wait before the next channel (default ${FALLBACK_AFTER_SECONDS_DEFAULT}); needs two or more channels.`,
    }),
    lookup: { type: nullable("boolean"), description: "Ask the carrier about the number's type before sending, whatever LOOKUP_MODE says (needs LOOKUP_PROVIDER; a cached answer is reused)." },
  },
};

/** A number's type and carrier: the verification's `lookup`, and POST /v1/lookups. */
const LOOKUP: JsonSchema = {
  type: "object",
  required: ["countryCode", "lineType", "carrier", "mcc", "mnc", "ported", "source"],
  properties: {
    countryCode: { type: "string" },
    lineType: { type: "string", description: "The type the rules judged: a carrier lookup's answer where there was one, else the numbering plan's (mobile, fixed_line, fixed_line_or_mobile, voip, ...)." },
    carrier: { type: nullable("string"), description: "The carrier serving the number (carrier lookups only)." },
    mcc: { type: nullable("string"), description: "Mobile country code, where the vendor gives a real one." },
    mnc: { type: nullable("string"), description: "Mobile network code, where the vendor gives a real one." },
    ported: { type: nullable("boolean"), description: "null: the vendor does not say." },
    source: { type: "string", enum: ["metadata", "twilio", "telnyx", "plivo", "vonage"], description: "Where lineType came from." },
  },
};

const CheckVerificationRequest: JsonSchema = {
  type: "object",
  required: ["code"],
  additionalProperties: false,
  description: "Give `verificationId` or `to` (the number's latest pending verification); both must match when both are given.",
  properties: {
    verificationId: { type: nullable("string"), maxLength: VERIFICATION_ID_MAX_LENGTH },
    to: { type: nullable("string"), maxLength: CHECK_TO_MAX_LENGTH },
    code: { type: "string", pattern: `^[0-9]{${CODE_LENGTH_MIN},${CODE_LENGTH_MAX}}$`, description: "The code the user typed." },
  },
};

const VERIFICATION_STATUS = ["pending", "approved", "canceled", "expired", "max_attempts_reached", "failed"];

const Verification: JsonSchema = {
  type: "object",
  required: [
    "id", "to", "channel", "status", "createTime", "updateTime", "expireTime", "sendAttempts", "checkAttempts", "messageId", "lookup",
    "externalId", "tags", "failureReason", "risk", "provider", "locale", "messageEncoding", "messageSegments", "channels",
    "nextChannelTime", "fallbackRefusal", "test", "delivery",
  ],
  additionalProperties: false,
  properties: {
    id: { type: "string", pattern: "^ve_", description: "Routes to the number's Durable Object; unguessable." },
    to: { type: "string", description: "E.164." },
    channel: CHANNEL,
    status: { type: "string", enum: VERIFICATION_STATUS },
    createTime: time,
    updateTime: time,
    expireTime: time,
    sendAttempts: { type: "integer", minimum: 0 },
    checkAttempts: { type: "integer", minimum: 0, description: "Wrong codes so far." },
    messageId: { type: "string", description: "The provider's id of the latest message (\"\" before one is sent)." },
    lookup: LOOKUP,
    externalId: { type: "string" },
    tags: { type: "object", additionalProperties: { type: "string" } },
    failureReason: {
      type: "string",
      enum: ["", "invalid_number", "unsubscribed", "blocked", "rate_limited", "auth_failed", "unavailable"],
      description: "Why a `failed` verification could not be sent.",
    },
    risk: { type: "array", items: { type: "string" }, description: "Rules in monitor mode that would have refused this start." },
    provider: { type: "string" },
    locale: { type: "string" },
    messageEncoding: { type: "string" },
    messageSegments: { type: "integer", minimum: 0 },
    channels: { type: "array", items: CHANNEL },
    nextChannelTime: { type: nullable("string"), format: "date-time" },
    fallbackRefusal: {
      type: "string",
      description:
        "The rule that stopped the channel workflow before its next channel was sent: a cross-number cap (`budget`, `velocity_range`, `velocity_country`, `velocity_ip`, `conversion_guard`), `deny_list`, a per-number limit (`sends_per_10_minutes`, `sends_per_day`, `resend_cooldown`, `failed_checks_per_day`), or `caps_unknown` (started before this release). \"\" while the workflow runs or when it ran to its end.",
    },
    test: { type: "boolean", description: "A service test number: no message was sent." },
    delivery: {
      type: nullable("object"),
      description: "The latest delivery receipt; null until one arrives.",
      required: ["status", "errorCode", "updateTime"],
      properties: {
        status: { type: "string", enum: ["queued", "sent", "delivered", "undelivered", "failed"] },
        errorCode: { type: "string" },
        updateTime: time,
      },
    },
  },
};

const CheckResult: JsonSchema = {
  type: "object",
  required: ["status", "verification"],
  additionalProperties: false,
  properties: {
    status: { type: "string", enum: ["approved", "invalid", "expired", "max_attempts_reached", "canceled"] },
    verification: ref("Verification"),
  },
};

const Error: JsonSchema = {
  type: "object",
  required: ["code", "message", "details"],
  additionalProperties: false,
  properties: {
    code: {
      type: "string",
      enum: ["invalid_argument", "unauthenticated", "not_found", "failed_precondition", "permission_denied", "aborted", "resource_exhausted", "unavailable", "internal"],
      description: "Connect's code name.",
    },
    message: { type: "string", description: "Names the field at fault: `codeLength: must be from 4 to 10`." },
    details: {
      type: "array",
      items: {
        type: "object",
        required: ["reason"],
        properties: {
          reason: { type: "string" },
          field: { type: "string" },
          rule: { type: "string" },
          retryAfterSeconds: { type: "integer", minimum: 0 },
        },
      },
    },
  },
  examples: [{ code: "invalid_argument", message: "codeLength: must be from 4 to 10", details: [{ reason: "invalid_argument", field: "codeLength" }] }],
};

const NUMBER_LIST: JsonSchema = { type: "string", enum: [...NUMBER_LISTS] };

const ListEntry: JsonSchema = {
  type: "object",
  required: ["list", "phoneNumber", "note", "createTime", "reason"],
  additionalProperties: false,
  properties: {
    list: NUMBER_LIST,
    phoneNumber: { type: "string" },
    note: { type: "string" },
    createTime: time,
    reason: {
      type: "string",
      enum: ["", "unsubscribed", "deactivated", "undeliverable"],
      description: "Set on deny-list entries made from delivery reports (UNDELIVERABLE_AFTER failures within 30 days); \"\" for entries an operator made.",
    },
  },
};

// No `type`: a body that is not an object carries no note and is accepted as none.
const ListEntryRequest: JsonSchema = {
  properties: { note: { type: nullable("string"), maxLength: LIST_NOTE_MAX_LENGTH, description: "Why the number is listed." } },
};

const ListEntries: JsonSchema = {
  type: "object",
  required: ["entries", "nextPageToken"],
  additionalProperties: false,
  properties: {
    entries: { type: "array", items: ref("ListEntry") },
    nextPageToken: { type: "string", description: "\"\" on the last page." },
  },
};

const ErasureResult: JsonSchema = {
  type: "object",
  required: ["phoneNumber", "verificationsDeleted"],
  additionalProperties: false,
  properties: { phoneNumber: { type: "string" }, verificationsDeleted: { type: "integer", minimum: 0 } },
};

const LookupRequest: JsonSchema = {
  type: "object",
  required: ["phoneNumber"],
  additionalProperties: false,
  properties: { phoneNumber: { type: "string", minLength: 1, description: "The number in E.164.", examples: ["+14155552671"] } },
};

const LookupResult: JsonSchema = {
  type: "object",
  required: ["phoneNumber", "lookup", "cached", "fetchTime"],
  additionalProperties: false,
  properties: {
    phoneNumber: { type: "string" },
    lookup: LOOKUP,
    cached: { type: "boolean", description: "Answered from the number's cache (LOOKUP_CACHE_HOURS): no vendor call, no budget spent." },
    fetchTime: { type: "string", format: "date-time", description: "When the vendor answered." },
  },
};

const DevOutbox: JsonSchema = {
  type: "object",
  required: ["messages"],
  additionalProperties: false,
  properties: {
    messages: {
      type: "array",
      items: {
        type: "object",
        required: ["seq", "messageId", "to", "body", "createTime"],
        additionalProperties: false,
        properties: { seq: { type: "integer" }, messageId: { type: "string" }, to: { type: "string" }, body: { type: "string" }, createTime: time },
      },
    },
  },
};

const ReceiptResults: JsonSchema = {
  type: "object",
  required: ["results"],
  additionalProperties: false,
  properties: {
    results: {
      type: "array",
      items: {
        type: "object",
        required: ["outcome"],
        properties: {
          outcome: { type: "string", enum: ["applied", "ignored", "not_found"] },
          status: { type: "string" },
          reason: { type: "string" },
        },
      },
    },
  },
};

// ---- Admin: services and keys -----------------------------------------------------------------

const intRange = (minimum: number, maximum: number): JsonSchema => ({ type: nullable("integer"), minimum, maximum });
const LIMITS = ["sendsPer10Minutes", "sendsPerDay", "failedChecksPerDay", "ipStartsPerHour", "rangeSendsPerHour", "countrySendsPerHour", "smsDailyLimit"];

/** What an admin may set; `null` on an update clears a setting back to the deployment's. */
const settingsProperties = (nullableFields: boolean): Record<string, JsonSchema> => {
  const t = (type: string) => (nullableFields ? nullable(type) : type);
  return {
    friendlyName: { type: "string", minLength: 1, maxLength: 64, description: "Shown in messages and the console; no URL or domain name." },
    codeLength: { ...intRange(4, 10), type: t("integer") },
    ttlSeconds: { ...intRange(60, 3600), type: t("integer") },
    maxCheckAttempts: { ...intRange(1, 20), type: t("integer") },
    acceptPreviousCodes: {
      ...intRange(0, 3),
      type: t("integer"),
      description: "Earlier codes of a re-sent verification that still approve it (default 0): SMS can arrive out of order. Each one kept widens the guess space by one code; every wrong code is still one attempt.",
    },
    templates: { type: t("object"), additionalProperties: { type: "string" }, description: "Per-locale templates, validated like MESSAGE_TEMPLATES." },
    allowedCountries: { type: t("array"), items: { type: "string", pattern: "^[A-Z]{2}$" } },
    limits: {
      type: t("object"),
      additionalProperties: false,
      properties: Object.fromEntries(LIMITS.map((name) => [name, { ...intRange(1, 100_000_000), type: t("integer") }])),
    },
    ruleModes: {
      type: t("object"),
      propertyNames: { enum: [...RULE_NAMES] },
      additionalProperties: { type: "string", enum: ["enforce", "monitor", "off"] },
    },
    webhookUrl: { type: t("string"), description: "https (http to localhost in development), no credentials; outside development not an internal address (loopback, private, link-local, localhost, …) unless listed in WEBHOOK_INTERNAL_HOSTS." },
    webhookEvents: { type: t("array"), items: { type: "string", enum: [...WEBHOOK_EVENTS] } },
    webhookSigning: {
      type: t("string"),
      enum: nullableFields ? [...WEBHOOK_SIGNINGS, null] : [...WEBHOOK_SIGNINGS],
      description: "Standard Webhooks scheme: `v1` (HMAC-SHA256 with `webhookSecret`; the default) or `v1a` (Ed25519: receivers verify with `webhookPublicKey`). A change keeps the previous scheme's signature next to the new one for 24 hours.",
    },
    testNumbers: { type: t("object"), additionalProperties: { type: "string", pattern: "^[0-9]{4,10}$" }, description: "E.164 number → fixed code: no SMS is sent." },
    twilioStrict: { type: t("boolean") },
    twilioLookup: { type: t("boolean"), description: "Twilio-compatible starts ask the carrier (LOOKUP_PROVIDER) whatever LOOKUP_MODE says." },
  };
};

const CreateServiceRequest: JsonSchema = {
  type: "object",
  required: ["friendlyName"],
  additionalProperties: false,
  properties: settingsProperties(true),
};

const UpdateServiceRequest: JsonSchema = {
  type: "object",
  additionalProperties: false,
  description: "Only the fields given change; `null` clears a setting.",
  properties: settingsProperties(true),
};

const ServiceSettings: JsonSchema = {
  type: "object",
  required: ["friendlyName"],
  additionalProperties: false,
  properties: settingsProperties(false),
};

const Service: JsonSchema = {
  type: "object",
  required: ["id", "accountSid", "builtIn", "friendlyName", "settings", "webhookSecret", "webhookPublicKey", "createTime", "updateTime"],
  additionalProperties: false,
  properties: {
    id: { type: "string", description: "`VA` + 32 hex digits, also its Twilio service sid." },
    accountSid: { type: "string" },
    builtIn: { type: "boolean", description: "The service of `API_KEYS`; it cannot be deleted." },
    friendlyName: { type: "string" },
    settings: ref("ServiceSettings"),
    webhookSecret: { type: "string", description: "`whsec_…`: what receivers of `v1` signatures verify with (a shared secret)." },
    webhookPublicKey: { type: "string", description: "`whpk_…`: the Ed25519 public key receivers of `v1a` signatures verify with. The private key is never shown." },
    createTime: time,
    updateTime: time,
  },
};

const RotatedWebhookKey: JsonSchema = {
  type: "object",
  required: ["service", "previousKeyExpireTime"],
  additionalProperties: false,
  properties: {
    service: ref("Service"),
    previousKeyExpireTime: { ...time, description: "Until then (24 hours) the replaced key signs too, next to the new one." },
  },
};

const ServiceList: JsonSchema = {
  type: "object",
  required: ["services"],
  additionalProperties: false,
  properties: { services: { type: "array", items: ref("Service") } },
};

const apiKeyProperties: Record<string, JsonSchema> = {
  id: { type: "string" },
  name: { type: "string" },
  maskedKey: { type: "string", description: "Recognisable, not usable: `evk_3f9aB2c…`." },
  createTime: time,
  lastUsedTime: { type: nullable("string"), format: "date-time" },
  revokeTime: { type: nullable("string"), format: "date-time" },
};

const ApiKey: JsonSchema = { type: "object", required: Object.keys(apiKeyProperties), additionalProperties: false, properties: apiKeyProperties };

const NewApiKey: JsonSchema = {
  type: "object",
  required: [...Object.keys(apiKeyProperties), "secret"],
  additionalProperties: false,
  properties: { ...apiKeyProperties, secret: { type: "string", description: "The key itself, shown this once; only its digest is stored." } },
};

// No `type`: a body that is not an object carries no name and creates an unnamed key.
const CreateApiKeyRequest: JsonSchema = {
  properties: { name: { type: nullable("string"), maxLength: 64 } },
};

const ApiKeyList: JsonSchema = {
  type: "object",
  required: ["keys"],
  additionalProperties: false,
  properties: { keys: { type: "array", items: ref("ApiKey") } },
};

const WebhookAttemptList: JsonSchema = {
  type: "object",
  required: ["attempts"],
  additionalProperties: false,
  properties: {
    attempts: {
      type: "array",
      items: {
        type: "object",
        required: ["serviceId", "eventId", "eventType", "url", "attempt", "statusCode", "error", "at"],
        additionalProperties: false,
        properties: {
          serviceId: { type: "string" },
          eventId: { type: "string" },
          eventType: { type: "string" },
          url: { type: "string" },
          attempt: { type: "integer", minimum: 1 },
          statusCode: { type: "integer", description: "0 when the request failed before an answer." },
          error: { type: "string" },
          at: time,
        },
      },
    },
  },
};

// ---- Twilio Verify v2 -------------------------------------------------------------------------

const twilioString = (description: string): JsonSchema => ({ type: "string", description });

const TwilioStartRequest: JsonSchema = {
  type: "object",
  required: ["To", "Channel"],
  description:
    "Form-encoded. Twilio parameters edge-verify cannot honour (CustomCode, CustomMessage, SendDigits, Amount, Payee, ChannelConfiguration, AppHash, TemplateSid, TemplateCustomSubstitutions, Templates) are refused by name.",
  properties: {
    To: twilioString("The number, E.164."),
    Channel: { type: "string", enum: ["sms"], description: "Only sms." },
    Locale: twilioString("Message language."),
    CustomFriendlyName: twilioString("`{{serviceName}}` in the message: at most 30 characters, no URL or domain name."),
    DeviceIp: twilioString("The end user's IP, for per-IP limits."),
    RateLimits: twilioString(
      'JSON object: a rate limit\'s UniqueName → the value to count this start under, e.g. `{"end_user_ip_address":"203.0.113.7"}`. Each bucket of each named rate limit takes one unit (429 / 60203 when one is used up, nothing counted); a name the service has no rate limit for is refused (60200).',
    ),
    RiskCheck: { type: "string", enum: ["enable"] },
    EnableSnaClientToken: { type: "string", not: { const: "true" } },
  },
};

const TwilioCheckRequest: JsonSchema = {
  type: "object",
  required: ["Code"],
  description: "Form-encoded. Give `To` or `VerificationSid`.",
  properties: { To: twilioString("The number."), VerificationSid: twilioString("`VE…`"), Code: twilioString("The code the user typed.") },
  not: { anyOf: [{ required: ["Amount"] }, { required: ["Payee"] }, { required: ["SnaClientToken"] }] },
};

const TwilioUpdateRequest: JsonSchema = {
  type: "object",
  required: ["Status"],
  description: "Form-encoded. Only cancelling: a verification is approved only by its code.",
  properties: { Status: { type: "string", enum: ["canceled"] } },
};

const twilioTime: JsonSchema = { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$" };

const TwilioVerification: JsonSchema = {
  type: "object",
  required: [
    "sid", "service_sid", "account_sid", "to", "channel", "status", "valid", "lookup", "amount", "payee", "send_code_attempts",
    "date_created", "date_updated", "sna", "url",
  ],
  additionalProperties: false,
  properties: {
    sid: { type: "string", pattern: "^VE[0-9a-f]{32}$" },
    service_sid: { type: "string" },
    account_sid: { type: "string" },
    to: { type: "string" },
    channel: { type: "string" },
    status: { type: "string", enum: VERIFICATION_STATUS },
    valid: { type: "boolean" },
    lookup: {
      type: "object",
      required: ["carrier"],
      properties: {
        carrier: {
          type: nullable("object"),
          properties: { type: { type: "string" }, error_code: { type: "null" }, name: { type: "null" }, mobile_country_code: { type: "null" }, mobile_network_code: { type: "null" } },
        },
      },
    },
    amount: { type: "null" },
    payee: { type: "null" },
    send_code_attempts: {
      type: "array",
      items: {
        type: "object",
        required: ["attempt_sid", "channel", "time"],
        additionalProperties: false,
        properties: { attempt_sid: { type: "string" }, channel: { type: "string" }, time: time },
      },
    },
    date_created: twilioTime,
    date_updated: twilioTime,
    sna: { type: "null" },
    url: { type: "string" },
  },
};

const TwilioVerificationCheck: JsonSchema = {
  type: "object",
  required: ["sid", "service_sid", "account_sid", "to", "channel", "status", "valid", "amount", "payee", "date_created", "date_updated", "sna_attempts_error_codes"],
  additionalProperties: false,
  properties: {
    sid: { type: "string", pattern: "^VE[0-9a-f]{32}$" },
    service_sid: { type: "string" },
    account_sid: { type: "string" },
    to: { type: "string" },
    channel: { type: "string" },
    status: { type: "string", enum: VERIFICATION_STATUS },
    valid: { type: "boolean" },
    amount: { type: "null" },
    payee: { type: "null" },
    date_created: twilioTime,
    date_updated: twilioTime,
    sna_attempts_error_codes: { type: "array", maxItems: 0 },
  },
};

const TwilioError: JsonSchema = {
  type: "object",
  required: ["code", "message", "more_info", "status"],
  additionalProperties: false,
  properties: {
    code: { type: "integer", description: "Twilio's error code: 60200 invalid parameter, 20404 not found, 20003 authentication, 60202/60203 limits, …" },
    message: { type: "string" },
    more_info: { type: "string" },
    status: { type: "integer" },
  },
};

// ---- Mobile Text Alerts v3 --------------------------------------------------------------------

const MtaSendCodeRequest: JsonSchema = {
  type: "object",
  required: ["to"],
  description: "`realtime: true` asks the carrier about the number first (the operator's LOOKUP_PROVIDER; a cached answer is reused). `longcodeId`, `poolId`, `senderName` and `gated` are type-checked and ignored: the operator's provider and rules apply.",
  properties: {
    to: { type: "string", minLength: 1 },
    serviceName: { type: nullable("string"), maxLength: SERVICE_NAME_MAX_LENGTH },
    timeoutSeconds: orUnset({ type: "integer", minimum: TIMEOUT_SECONDS_MIN, maximum: TIMEOUT_SECONDS_MAX, description: "Default 300." }),
    // MTA's own bounds (compat/mta.ts, which imports this module): test/rest/schemas.test.ts holds them.
    codeLength: { type: nullable("integer"), minimum: 4, maximum: 8, description: "Default 6." },
    externalId: { type: nullable("string"), maxLength: EXTERNAL_ID_MAX_LENGTH },
    tags: (StartVerificationRequest.properties as Record<string, JsonSchema>).tags,
    bypass: { type: nullable("boolean"), description: "Adds `risk` to the answer; never lifts an enforced rule." },
    realtime: { type: nullable("boolean") },
    gated: { type: nullable("boolean") },
    longcodeId: { type: nullable("number") },
    poolId: { type: ["number", "string", "null"] },
    senderName: { type: nullable("string") },
  },
};

const MtaCheckCodeRequest: JsonSchema = {
  type: "object",
  required: ["code"],
  description: "Give `verificationId` or `to`.",
  properties: CheckVerificationRequest.properties,
};

const mtaSendData: Record<string, JsonSchema> = {
  to: { type: "string" },
  timeoutSeconds: { type: "integer" },
  type: { const: "sms" },
  status: { const: "PENDING" },
  messageId: { type: "string" },
  verificationId: { type: "string" },
  deliverable: { type: "boolean" },
  reason: { type: "string" },
  carrier: { type: "string" },
  lineType: { type: "string" },
  risk: { type: nullable("string"), description: "With `bypass`." },
  risks: { type: "array", items: { type: "string" }, description: "With `bypass`." },
};
const mtaSendRequired = ["to", "timeoutSeconds", "type", "status", "messageId", "verificationId", "deliverable", "reason", "carrier", "lineType"];
const mtaCheckData: Record<string, JsonSchema> = {
  to: { type: "string" },
  verificationId: { type: "string" },
  status: { type: "string", enum: ["APPROVED", "INVALID", "EXPIRED"] },
};

/** MTA's answers carry the fields both at the top level and under `data`. */
const mtaEnvelope = (data: Record<string, JsonSchema>, required: string[], success: boolean): JsonSchema => ({
  type: "object",
  required: ["success", "message", "data", ...required],
  properties: {
    success: { const: success },
    message: { type: "string" },
    ...(success ? {} : { error: { type: "string" } }),
    data: { type: "object", required, additionalProperties: false, properties: data },
    ...data,
  },
  additionalProperties: false,
});

const MtaSendCodeResponse = mtaEnvelope(mtaSendData, mtaSendRequired, true);
const MtaSendCodeFailed: JsonSchema = { ...mtaEnvelope(mtaSendData, mtaSendRequired, false), description: "The code could not be delivered." };
const MtaCheckCodeResponse = mtaEnvelope(mtaCheckData, Object.keys(mtaCheckData), true);

const MtaError: JsonSchema = {
  type: "object",
  required: ["success", "error", "message"],
  additionalProperties: false,
  properties: {
    success: { const: false },
    error: { type: "string", description: "BadRequestError, UnauthorizedError, ForbiddenError, NotFoundError, ConflictError, TooManyRequestsError, …" },
    message: { type: "string" },
    reason: { type: "string" },
  },
};

const MtaSendCodeOutcome400: JsonSchema = { oneOf: [ref("MtaError"), ref("MtaSendCodeFailed")] };

// ---- CAMARA One Time Password SMS v1 ------------------------------------------------------------
// The spec's schemas (one-time-password-sms 1.1.0), closed: a property the spec does not list is
// refused. Our own stricter rules are stated in words.

const CamaraSendCodeRequest: JsonSchema = {
  type: "object",
  required: ["phoneNumber", "message"],
  additionalProperties: false,
  properties: {
    phoneNumber: { type: "string", pattern: "^\\+[1-9][0-9]{4,14}$", description: "E.164 with its +.", examples: ["+14155552671"] },
    message: {
      type: "string",
      pattern: ".*\\{\\{code\\}\\}.*",
      maxLength: MESSAGE_MAX_LENGTH,
      description:
        "The SMS text, `{{code}}` where the code goes. As every template here: `{{code}}` exactly once, `{{serviceName}}` and `{{ttlMinutes}}` also filled in, no other placeholder, no URL or domain name, no control character but the line feed.",
      examples: ["{{code}} is your short code to authenticate with Cool App via SMS"],
    },
  },
};

const CamaraSendCodeResponse: JsonSchema = {
  type: "object",
  required: ["authenticationId"],
  additionalProperties: false,
  properties: { authenticationId: { type: "string", maxLength: 36, description: "This send's id (a UUID); a later send-code to the number supersedes it." } },
};

const CamaraValidateCodeRequest: JsonSchema = {
  type: "object",
  required: ["authenticationId", "code"],
  additionalProperties: false,
  properties: {
    authenticationId: { type: "string", minLength: 1, maxLength: 36 },
    code: { type: "string", maxLength: 10, pattern: `^[0-9]{${CODE_LENGTH_MIN},${CODE_LENGTH_MAX}}$`, description: "The code the user typed: 4 to 10 digits (the spec allows any 10 characters; ours are digits)." },
  },
};

const CamaraError: JsonSchema = {
  type: "object",
  required: ["status", "code", "message"],
  additionalProperties: false,
  properties: {
    status: { type: "integer" },
    code: {
      type: "string",
      description:
        "INVALID_ARGUMENT, UNAUTHENTICATED, NOT_FOUND, ONE_TIME_PASSWORD_SMS.{MAX_OTP_CODES_EXCEEDED, PHONE_NUMBER_NOT_ALLOWED, PHONE_NUMBER_BLOCKED, INVALID_OTP, VERIFICATION_EXPIRED, VERIFICATION_FAILED}, TOO_MANY_REQUESTS, QUOTA_EXCEEDED, UNAVAILABLE, INTERNAL",
    },
    message: { type: "string", description: "Names the field at fault." },
  },
};

// Vendors post their own formats (form or JSON); each vendor's parser in src/sms/receipts/ checks it.
const ReceiptBody: JsonSchema = { description: "The provider's own receipt format: form-encoded or JSON, as each vendor sends it." };

/** Every named schema, as `components.schemas` of the document. */
// What the console reads: described, not enforced field by field (they are answers, built by us).
const TemplatePreviewRequest: JsonSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    locale: { type: "string", description: "BCP 47 tag; the built-in template when `template` is absent." },
    template: { type: "string", description: "A template to try; must contain {{code}} exactly once." },
    serviceName: { type: "string", description: "Service name for the sample rendering." },
  },
};
const TemplatePreview: JsonSchema = {
  type: "object",
  description: "The template rendered at the longest code and service name: body, encoding (GSM-7/UCS-2), segments, or the refusal.",
  properties: { body: { type: "string" }, encoding: { type: "string" }, segments: { type: "integer" }, error: { type: ["string", "null"] } },
};
const Insights: JsonSchema = {
  type: "object",
  description:
    "Per-day conversion, per-country conversion, SMS per provider, blocks per rule, median time to approval, carrier lookups per vendor (`byLookup`: fetched, cached, failed) and the scopes the conversion guard blocks now (`blockedScopes`: scope, mode, starts, approvals, minStarts, blockedUntil in epoch ms). Aggregated as events happen; masked numbers only.",
};
const RecentVerifications: JsonSchema = {
  type: "object",
  required: ["verifications"],
  properties: {
    verifications: {
      type: "array",
      items: { type: "object", description: "Masked number, country, status, delivery, provider, attempts, times — never a code." },
    },
  },
};

export const COMPONENTS = {
  TemplatePreviewRequest,
  TemplatePreview,
  Insights,
  RecentVerifications,
  Error,
  Verification,
  CheckResult,
  StartVerificationRequest,
  CheckVerificationRequest,
  ListEntry,
  ListEntryRequest,
  ListEntries,
  ErasureResult,
  LookupRequest,
  LookupResult,
  DevOutbox,
  ReceiptResults,
  ServiceSettings,
  CreateServiceRequest,
  UpdateServiceRequest,
  Service,
  ServiceList,
  RotatedWebhookKey,
  ApiKey,
  NewApiKey,
  CreateApiKeyRequest,
  ApiKeyList,
  WebhookAttemptList,
  TwilioStartRequest,
  TwilioCheckRequest,
  TwilioUpdateRequest,
  TwilioVerification,
  TwilioVerificationCheck,
  TwilioError,
  ...TWILIO_ACCOUNT_SCHEMAS,
  ...TWILIO_RATE_LIMIT_SCHEMAS,
  MtaSendCodeRequest,
  MtaCheckCodeRequest,
  MtaSendCodeResponse,
  MtaSendCodeFailed,
  MtaCheckCodeResponse,
  MtaError,
  MtaSendCodeOutcome400,
  CamaraSendCodeRequest,
  CamaraSendCodeResponse,
  CamaraValidateCodeRequest,
  CamaraError,
  ReceiptBody,
} satisfies Record<string, JsonSchema>;

export type SchemaName = keyof typeof COMPONENTS;
