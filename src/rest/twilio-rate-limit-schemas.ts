// Twilio Verify v2 Service Rate Limits and Buckets (src/compat/twilio-rate-limits.ts) as JSON
// Schema: the form bodies its routes gate with and the resources they answer. ./schemas.ts puts
// these in `components.schemas`; the limits are core/rate-limits.ts's constants.
import {
  BUCKET_MAX_MAX,
  BUCKET_MAX_MIN,
  DESCRIPTION_MAX_LENGTH,
  INTERVAL_SECONDS_MAX,
  INTERVAL_SECONDS_MIN,
  MAX_BUCKETS_PER_RATE_LIMIT,
  MAX_RATE_LIMITS_PER_SERVICE,
  UNIQUE_NAME_MAX_LENGTH,
} from "../core/rate-limits.ts";

type JsonSchema = { [keyword: string]: unknown };

const time: JsonSchema = { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$" };
const sid = (prefix: string): JsonSchema => ({ type: "string", pattern: `^${prefix}[0-9a-f]{32}$` });
/** Form values are text: the range is the route's to check, and the description says it. */
const formInteger = (description: string): JsonSchema => ({ type: "string", pattern: "^[0-9]{1,10}$", description });

const UNIQUE_NAME: JsonSchema = {
  type: "string",
  minLength: 1,
  maxLength: UNIQUE_NAME_MAX_LENGTH,
  pattern: "^[A-Za-z0-9._-]+$",
  description: `The key a start names in \`RateLimits\`: letters, digits, \`-\`, \`_\` and \`.\` (60209 otherwise), unique in the service (60208). At most ${MAX_RATE_LIMITS_PER_SERVICE} per service (60207).`,
};
const DESCRIPTION: JsonSchema = { type: "string", maxLength: DESCRIPTION_MAX_LENGTH };
const MAX = formInteger(`Starts allowed per interval for one value of the key: ${BUCKET_MAX_MIN} to ${BUCKET_MAX_MAX}.`);
const INTERVAL = formInteger(
  `Seconds: ${INTERVAL_SECONDS_MIN} to ${INTERVAL_SECONDS_MAX} (30 days), one bucket per interval in a rate limit (60211), at most ${MAX_BUCKETS_PER_RATE_LIMIT} buckets (60210).`,
);

const TwilioRateLimitCreateRequest: JsonSchema = {
  type: "object",
  required: ["UniqueName"],
  description: "Form-encoded.",
  properties: { UniqueName: UNIQUE_NAME, Description: DESCRIPTION },
};

const TwilioRateLimitUpdateRequest: JsonSchema = {
  type: "object",
  description: "Form-encoded. Only the description changes; a rate limit keeps its UniqueName.",
  properties: { Description: DESCRIPTION },
  not: { required: ["UniqueName"] },
};

const TwilioBucketCreateRequest: JsonSchema = {
  type: "object",
  required: ["Max", "Interval"],
  description: "Form-encoded.",
  properties: { Max: MAX, Interval: INTERVAL },
};

const TwilioBucketUpdateRequest: JsonSchema = {
  type: "object",
  description: "Form-encoded. A changed Max applies to the count so far; a changed Interval starts a fresh count.",
  properties: { Max: MAX, Interval: INTERVAL },
};

const TwilioRateLimit: JsonSchema = {
  type: "object",
  required: ["sid", "service_sid", "account_sid", "unique_name", "description", "date_created", "date_updated", "url", "links"],
  additionalProperties: false,
  properties: {
    sid: sid("RK"),
    service_sid: sid("VA"),
    account_sid: sid("AC"),
    unique_name: { type: "string" },
    description: { type: ["string", "null"] },
    date_created: time,
    date_updated: time,
    url: { type: "string" },
    links: { type: "object", required: ["buckets"], additionalProperties: false, properties: { buckets: { type: "string" } } },
  },
};

const TwilioBucket: JsonSchema = {
  type: "object",
  required: ["sid", "rate_limit_sid", "service_sid", "account_sid", "max", "interval", "date_created", "date_updated", "url"],
  additionalProperties: false,
  properties: {
    sid: sid("BL"),
    rate_limit_sid: sid("RK"),
    service_sid: sid("VA"),
    account_sid: sid("AC"),
    max: { type: "integer", minimum: BUCKET_MAX_MIN, maximum: BUCKET_MAX_MAX },
    interval: { type: "integer", minimum: INTERVAL_SECONDS_MIN, maximum: INTERVAL_SECONDS_MAX },
    date_created: time,
    date_updated: time,
    url: { type: "string" },
  },
};

/** Twilio's page: the items under `meta.key`, and the links to move through pages. */
const twilioPage = (key: string, item: string): JsonSchema => ({
  type: "object",
  required: [key, "meta"],
  additionalProperties: false,
  properties: {
    [key]: { type: "array", items: { $ref: `#/components/schemas/${item}` } },
    meta: {
      type: "object",
      required: ["page", "page_size", "first_page_url", "previous_page_url", "url", "next_page_url", "key"],
      additionalProperties: false,
      properties: {
        page: { type: "integer", minimum: 0 },
        page_size: { type: "integer", minimum: 1 },
        first_page_url: { type: "string" },
        previous_page_url: { type: ["string", "null"] },
        url: { type: "string" },
        next_page_url: { type: ["string", "null"] },
        key: { const: key },
      },
    },
  },
});

export const TWILIO_RATE_LIMIT_SCHEMAS = {
  TwilioRateLimitCreateRequest,
  TwilioRateLimitUpdateRequest,
  TwilioBucketCreateRequest,
  TwilioBucketUpdateRequest,
  TwilioRateLimit,
  TwilioRateLimitPage: twilioPage("rate_limits", "TwilioRateLimit"),
  TwilioBucket,
  TwilioBucketPage: twilioPage("buckets", "TwilioBucket"),
};
