// The OpenAPI operations of Twilio Verify v2 Service Rate Limits and Buckets
// (src/compat/twilio-rate-limits.ts); ./openapi.ts lists them among its Twilio operations.
import type { JsonSchema, SchemaName } from "./schemas.ts";

const path = (name: string, description: string): JsonSchema => ({ name, in: "path", required: true, description, schema: { type: "string" } });
const query = (name: string, description: string, schema: JsonSchema): JsonSchema => ({ name, in: "query", required: false, description, schema });

const SERVICE_SID = path("serviceSid", "The service sid the API key belongs to (`VA…`).");
const RATE_LIMIT_SID = path("sid", "The rate limit sid (`RK…`).");
const PARENT_SID = path("rateLimitSid", "The rate limit sid (`RK…`).");
const BUCKET_SID = path("sid", "The bucket sid (`BL…`).");
const PAGING = [
  query("PageSize", "Items per page: 1 to 1000 (default 50).", { type: "integer", minimum: 1, maximum: 1000 }),
  query("Page", "The page, from 0; `meta.next_page_url` links the next one.", { type: "integer", minimum: 0 }),
];

const E = {
  400: "Invalid parameter (60200, 60209) or a rate-limit cap (60207, 60208, 60210, 60211): `message` names it.",
  401: "Missing or wrong credentials.",
  404: "No such service, rate limit or bucket (20404).",
  503: "The deployment is not configured (fails closed).",
} as const;

interface RateLimitOperation {
  method: "get" | "post" | "delete";
  path: string;
  operationId: string;
  summary: string;
  description: string;
  family: "twilio";
  parameters: JsonSchema[];
  body?: { schema: SchemaName; form: true; required: boolean };
  responses: Record<number, string | { description: string; schema: SchemaName }>;
}

const RATE_LIMITS = "/v2/Services/{serviceSid}/RateLimits";
const BUCKETS = "/v2/Services/{serviceSid}/RateLimits/{rateLimitSid}/Buckets";

export const TWILIO_RATE_LIMIT_OPERATIONS: readonly RateLimitOperation[] = [
  {
    method: "post",
    path: RATE_LIMITS,
    operationId: "twilioCreateRateLimit",
    summary: "Twilio: create a rate limit",
    description: "A key a start can name in `RateLimits` (e.g. `end_user_ip_address`); it limits nothing until it has a bucket.",
    family: "twilio",
    parameters: [SERVICE_SID],
    body: { schema: "TwilioRateLimitCreateRequest", form: true, required: true },
    responses: { 201: { description: "The rate limit.", schema: "TwilioRateLimit" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "get",
    path: RATE_LIMITS,
    operationId: "twilioListRateLimits",
    summary: "Twilio: list rate limits",
    description: "The service's rate limits, oldest first, one page at a time.",
    family: "twilio",
    parameters: [SERVICE_SID, ...PAGING],
    responses: { 200: { description: "A page of rate limits.", schema: "TwilioRateLimitPage" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "get",
    path: `${RATE_LIMITS}/{sid}`,
    operationId: "twilioGetRateLimit",
    summary: "Twilio: fetch a rate limit",
    description: "A malformed sid answers 20404 like an unknown one.",
    family: "twilio",
    parameters: [SERVICE_SID, RATE_LIMIT_SID],
    responses: { 200: { description: "The rate limit.", schema: "TwilioRateLimit" }, 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "post",
    path: `${RATE_LIMITS}/{sid}`,
    operationId: "twilioUpdateRateLimit",
    summary: "Twilio: update a rate limit",
    description: "Its description only: `UniqueName` is refused (a new name is a new rate limit).",
    family: "twilio",
    parameters: [SERVICE_SID, RATE_LIMIT_SID],
    body: { schema: "TwilioRateLimitUpdateRequest", form: true, required: false },
    responses: { 200: { description: "The rate limit.", schema: "TwilioRateLimit" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "delete",
    path: `${RATE_LIMITS}/{sid}`,
    operationId: "twilioDeleteRateLimit",
    summary: "Twilio: delete a rate limit",
    description: "With its buckets; a start that still names it is then refused (60200).",
    family: "twilio",
    parameters: [SERVICE_SID, RATE_LIMIT_SID],
    responses: { 204: "Deleted.", 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "post",
    path: BUCKETS,
    operationId: "twilioCreateBucket",
    summary: "Twilio: create a bucket",
    description: "`Max` starts per `Interval` seconds for each value of the rate limit's key, enforced exactly (a sliding window).",
    family: "twilio",
    parameters: [SERVICE_SID, PARENT_SID],
    body: { schema: "TwilioBucketCreateRequest", form: true, required: true },
    responses: { 201: { description: "The bucket.", schema: "TwilioBucket" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "get",
    path: BUCKETS,
    operationId: "twilioListBuckets",
    summary: "Twilio: list buckets",
    description: "The rate limit's buckets, oldest first, one page at a time.",
    family: "twilio",
    parameters: [SERVICE_SID, PARENT_SID, ...PAGING],
    responses: { 200: { description: "A page of buckets.", schema: "TwilioBucketPage" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "get",
    path: `${BUCKETS}/{sid}`,
    operationId: "twilioGetBucket",
    summary: "Twilio: fetch a bucket",
    description: "A malformed sid answers 20404 like an unknown one.",
    family: "twilio",
    parameters: [SERVICE_SID, PARENT_SID, BUCKET_SID],
    responses: { 200: { description: "The bucket.", schema: "TwilioBucket" }, 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "post",
    path: `${BUCKETS}/{sid}`,
    operationId: "twilioUpdateBucket",
    summary: "Twilio: update a bucket",
    description: "A changed `Max` applies to the count so far; a changed `Interval` starts a fresh count.",
    family: "twilio",
    parameters: [SERVICE_SID, PARENT_SID, BUCKET_SID],
    body: { schema: "TwilioBucketUpdateRequest", form: true, required: false },
    responses: { 200: { description: "The bucket.", schema: "TwilioBucket" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "delete",
    path: `${BUCKETS}/{sid}`,
    operationId: "twilioDeleteBucket",
    summary: "Twilio: delete a bucket",
    description: "Its counts are dropped with their window.",
    family: "twilio",
    parameters: [SERVICE_SID, PARENT_SID, BUCKET_SID],
    responses: { 204: "Deleted.", 401: E[401], 404: E[404], 503: E[503] },
  },
];
