// The route table of every REST route, and the OpenAPI 3.1 document built from it and from the
// schemas the handlers validate with (./schemas.ts). Served at /openapi.json; rendered at /docs.
// Adding a route: add its operation here; test/rest/openapi.test.ts fails until you do.
import { COMPONENTS, ref, type JsonSchema, type SchemaName } from "./schemas.ts";
import { TWILIO_ACCOUNT_OPERATIONS } from "./openapi-twilio-account.ts";
import { TWILIO_RATE_LIMIT_OPERATIONS } from "./twilio-rate-limit-operations.ts";

type Method = "get" | "post" | "put" | "patch" | "delete";
type Family = "native" | "admin" | "twilio" | "mta" | "camara" | "callback";

export interface Operation {
  method: Method;
  /** OpenAPI path template: `{id}`, not Hono's `:id`. */
  path: string;
  operationId: string;
  summary: string;
  description: string;
  family: Family;
  parameters?: JsonSchema[];
  body?: { schema: SchemaName; form?: boolean; required?: boolean };
  /** Status → description and body schema (none: no body). Error statuses take the family's error body. */
  responses: Record<number, string | { description: string; schema?: SchemaName; headers?: Record<string, JsonSchema> }>;
}

const pathParam = (name: string, description: string, schema: JsonSchema = { type: "string" }): JsonSchema => ({ name, in: "path", required: true, description, schema });
const queryParam = (name: string, description: string, schema: JsonSchema): JsonSchema => ({ name, in: "query", required: false, description, schema });
const header = (name: string, description: string, schema: JsonSchema = { type: "string" }): JsonSchema => ({ name, in: "header", required: false, description, schema });

const IDEMPOTENCY: JsonSchema[] = [
  header("Idempotency-Key", "1-255 printable ASCII characters: a retry with the same key and body answers as the first call, for 24 hours, with `Idempotent-Replayed: true`.", { type: "string", pattern: "^[\\x21-\\x7e]{1,255}$" }),
  header("X-Request-Id", "Alias of Idempotency-Key, used when Idempotency-Key is absent.", { type: "string", pattern: "^[\\x21-\\x7e]{1,255}$" }),
];
const RETRY_AFTER = { "Retry-After": { description: "Seconds until a retry can succeed.", schema: { type: "integer" } } };
const REPLAYED = { "Idempotent-Replayed": { description: "`true` when this answer replays an earlier call with the same key.", schema: { type: "string", enum: ["true"] } } };
// The number's own limits as the IETF httpapi draft's fields (draft-ietf-httpapi-ratelimit-headers,
// rev. 11): Structured Field Lists of String items, one per policy (src/core/ratelimit-fields.ts).
const RATE_LIMIT = {
  "RateLimit-Policy": {
    description:
      "The number's quota policies this call meets, each `\"name\";q=<quota>;w=<window seconds>`: a start's `resend_cooldown` (q=1, w the cooldown step now), `sends_per_10_minutes`, `sends_per_day` and `failed_checks_per_day`; a check's `check_attempts` (wrong codes per verification; no `w`, no window renews them) and `failed_checks_per_day`. Names are the refusals' `details[0].rule`. Absent on a replay.",
    schema: { type: "string" },
    example: '"resend_cooldown";q=1;w=30, "sends_per_10_minutes";q=5;w=600, "sends_per_day";q=10;w=86400, "failed_checks_per_day";q=20;w=86400',
  },
  RateLimit: {
    description:
      "What is left of each policy after this call, `\"name\";r=<remaining>;t=<seconds>`: within `t` seconds no more than `r` can be used (a sliding window's `t` is when its first unit comes back; `check_attempts`' is the verification's expiry, absent once it is finished). Absent on a replay.",
    schema: { type: "string" },
    example: '"resend_cooldown";r=0;t=30, "sends_per_10_minutes";r=4;t=600, "sends_per_day";r=9;t=86400, "failed_checks_per_day";r=20;t=86400',
  },
};
const VERIFICATION_ID = pathParam("id", "The verification id (`ve_…`). A malformed id answers 404 like an unknown one.");
const SERVICE_ID = pathParam("id", "The service id (`VA…`).");
const LIST = pathParam("list", "`deny` or `allow`.", { type: "string", enum: ["deny", "allow"] });
const PHONE = pathParam("phoneNumber", "E.164, URL-encoded (`%2B14155552671`) or with its `+`.");
const SERVICE_SID = pathParam("serviceSid", "The service sid (`VA…`): the API key's own service, or any service with ADMIN_TOKEN as the password.");
const TWILIO_SID = pathParam("sid", "The verification sid (`VE…`).");

const CORRELATOR = header("x-correlator", "Correlation id (the spec's pattern): echoed on every answer, errors included; one that does not match is refused with 400 and not echoed.", { type: "string", pattern: "^[a-zA-Z0-9-_:;.\\/<>{}]{0,256}$" });
const CORRELATOR_ECHO = { "x-correlator": { description: "The request's x-correlator, when it sent one.", schema: { type: "string" } } };

const E = {
  400: "Invalid argument: `message` names the field.",
  401: "Missing or wrong credentials.",
  403: "Refused by an abuse rule in enforce mode (`details[0].rule`).",
  404: "No such resource.",
  409: "A call with the same idempotency key is still in progress.",
  422: "The idempotency key was used with a different body.",
  429: { description: "A rate limit; retry after `Retry-After` seconds.", headers: RETRY_AFTER },
  503: "The deployment is not configured (fails closed).",
} as const;

/** A start's or a check's 429: a refusal by a number's own limit also says where each of them stands. */
const NUMBER_LIMIT_429 = {
  description:
    "A rate limit; retry after `Retry-After` seconds. A refusal by one of the number's own limits (`details[0].rule`: `resend_cooldown`, `sends_per_10_minutes`, `sends_per_day`, `failed_checks_per_day`) also carries `RateLimit-Policy` and `RateLimit`, the refusing policy with `r=0` and `t` equal to `Retry-After` (which is never earlier than any exhausted policy's `t`). A cross-number counter's refusal (client IP, range, country, budget) carries `Retry-After` only: those counters are shared with other numbers.",
  headers: { ...RETRY_AFTER, ...RATE_LIMIT },
};

export const OPERATIONS: readonly Operation[] = [
  // ---- Native REST -----------------------------------------------------------------------------
  {
    method: "post",
    path: "/v1/verifications",
    operationId: "startVerification",
    summary: "Start a verification",
    description:
      "Sends a new code to `to`. Starting again while a verification for the number is pending returns the same verification with a new code (the old one stops working), `sendAttempts` + 1 and the wrong-code count kept.",
    family: "native",
    parameters: IDEMPOTENCY,
    body: { schema: "StartVerificationRequest", required: true },
    responses: {
      201: { description: "The verification (status `failed` when the message could not be sent).", schema: "Verification", headers: { ...REPLAYED, ...RATE_LIMIT } },
      400: E[400], 401: E[401], 403: E[403], 409: E[409], 422: E[422], 429: NUMBER_LIMIT_429, 503: E[503],
    },
  },
  {
    method: "post",
    path: "/v1/verifications/check",
    operationId: "checkVerification",
    summary: "Check a code",
    description: "A wrong code counts against the verification (the 5th ends it); an approved verification is never approved again (`failed_precondition`).",
    family: "native",
    parameters: IDEMPOTENCY,
    body: { schema: "CheckVerificationRequest", required: true },
    responses: {
      200: { description: "The outcome and the verification.", schema: "CheckResult", headers: { ...REPLAYED, ...RATE_LIMIT } },
      400: E[400], 401: E[401], 404: E[404], 409: E[409], 422: E[422], 429: NUMBER_LIMIT_429, 503: E[503],
    },
  },
  {
    method: "get",
    path: "/v1/verifications/{id}",
    operationId: "getVerification",
    summary: "Get a verification",
    description: "The verification's current state; never its code.",
    family: "native",
    parameters: [VERIFICATION_ID],
    responses: { 200: { description: "The verification.", schema: "Verification" }, 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "post",
    path: "/v1/verifications/{id}/cancel",
    operationId: "cancelVerification",
    summary: "Cancel a verification",
    description: "Ends a pending verification: its code stops working.",
    family: "native",
    parameters: [VERIFICATION_ID, ...IDEMPOTENCY],
    responses: {
      200: { description: "The canceled verification.", schema: "Verification", headers: REPLAYED },
      400: E[400], 401: E[401], 404: E[404], 409: E[409], 422: E[422], 503: E[503],
    },
  },
  {
    method: "get",
    path: "/v1/lists/{list}",
    operationId: "listNumbers",
    summary: "List the deny or allow list",
    description: "Entries in number order, a page at a time.",
    family: "native",
    parameters: [
      LIST,
      queryParam("pageSize", "1 to 1000 (default 100).", { type: "integer", minimum: 1, maximum: 1000 }),
      queryParam("pageToken", "`nextPageToken` of the previous page.", { type: "string" }),
    ],
    responses: { 200: { description: "A page of entries.", schema: "ListEntries" }, 400: E[400], 401: E[401], 503: E[503] },
  },
  {
    method: "put",
    path: "/v1/lists/{list}/{phoneNumber}",
    operationId: "addListedNumber",
    summary: "Add a number to a list",
    description: "A denied number gets no codes; an allowed one skips the line-type, country and velocity rules.",
    family: "native",
    parameters: [LIST, PHONE],
    body: { schema: "ListEntryRequest" },
    responses: { 200: { description: "The entry.", schema: "ListEntry" }, 400: E[400], 401: E[401], 503: E[503] },
  },
  {
    method: "delete",
    path: "/v1/lists/{list}/{phoneNumber}",
    operationId: "removeListedNumber",
    summary: "Remove a number from a list",
    description: "Removing a number that is not listed succeeds too.",
    family: "native",
    parameters: [LIST, PHONE],
    responses: { 204: "Removed.", 400: E[400], 401: E[401], 503: E[503] },
  },
  {
    method: "delete",
    path: "/v1/phone-numbers/{phoneNumber}",
    operationId: "erasePhoneNumber",
    summary: "Erase everything about a number",
    description: "Privacy erasure: deletes the number's verifications, counters and list entries.",
    family: "native",
    parameters: [PHONE],
    responses: { 200: { description: "What was deleted.", schema: "ErasureResult" }, 400: E[400], 401: E[401], 503: E[503] },
  },
  {
    method: "post",
    path: "/v1/lookups",
    operationId: "lookupPhoneNumber",
    summary: "Look a number up at the carrier",
    description:
      "Type, carrier, MCC/MNC and porting from the deployment's LOOKUP_PROVIDER, through the same per-number cache a start uses (LOOKUP_CACHE_HOURS). A vendor call spends one unit of the service's LOOKUPS_PER_DAY; a cached answer spends nothing. 400 `failed_precondition` when lookups are off; 503 when the vendor gives no answer.",
    family: "native",
    body: { schema: "LookupRequest" },
    responses: { 200: { description: "The answer.", schema: "LookupResult" }, 400: E[400], 401: E[401], 429: E[429], 503: E[503] },
  },
  {
    method: "get",
    path: "/v1/dev/outbox",
    operationId: "devOutbox",
    summary: "Read the dev outbox",
    description: "Local development with the console provider only: the last 50 messages it \"sent\", codes in clear. Anywhere else it answers 404 like an unknown route.",
    family: "native",
    responses: { 200: { description: "The newest messages first.", schema: "DevOutbox" }, 401: E[401], 404: "Not development with the console provider.", 503: E[503] },
  },
  // ---- Delivery receipts -----------------------------------------------------------------------
  ...(["post", "get"] as const).map(
    (method): Operation => ({
      method,
      path: "/v1/callbacks/{provider}",
      operationId: `deliveryReceipt${method === "post" ? "" : "Get"}`,
      summary: `Delivery receipt from an SMS provider${method === "get" ? " (GET)" : ""}`,
      description:
        "Where providers report delivery. No API key: each request must carry its provider's signature (or our URL token), checked before anything is read. See docs/delivery-receipts.md.",
      family: "callback",
      parameters: [pathParam("provider", "The receipt vendor.", { type: "string", enum: ["twilio", "vonage", "telnyx", "plivo", "sinch", "infobip", "webhook"] })],
      ...(method === "post" ? { body: { schema: "ReceiptBody" } } : {}),
      responses: {
        200: { description: "What each receipt changed.", schema: "ReceiptResults" },
        400: "Not a receipt of this provider.",
        401: "Signature missing or invalid.",
        404: "Unknown provider, or no verification of ours.",
        413: "Larger than any receipt.",
      },
    }),
  ),
  // ---- Admin -------------------------------------------------------------------------------------
  {
    method: "get",
    path: "/v1/services",
    operationId: "listServices",
    summary: "List services",
    description: "Every service, the built-in one (whose keys are `API_KEYS`) included.",
    family: "admin",
    responses: { 200: { description: "The services.", schema: "ServiceList" }, 401: E[401], 503: E[503] },
  },
  {
    method: "post",
    path: "/v1/services",
    operationId: "createService",
    summary: "Create a service",
    description: "A service has its own settings, API keys, webhook and counters. Unknown fields are refused so a typo is not ignored.",
    family: "admin",
    body: { schema: "CreateServiceRequest", required: true },
    responses: { 201: { description: "The service.", schema: "Service" }, 400: E[400], 401: E[401], 503: E[503] },
  },
  {
    method: "get",
    path: "/v1/services/{id}",
    operationId: "getService",
    summary: "Get a service",
    description: "The service and its settings.",
    family: "admin",
    parameters: [SERVICE_ID],
    responses: { 200: { description: "The service.", schema: "Service" }, 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "patch",
    path: "/v1/services/{id}",
    operationId: "updateService",
    summary: "Update a service",
    description: "Changes the fields given; `null` clears a setting back to the deployment's.",
    family: "admin",
    parameters: [SERVICE_ID],
    body: { schema: "UpdateServiceRequest", required: true },
    responses: { 200: { description: "The service.", schema: "Service" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "delete",
    path: "/v1/services/{id}",
    operationId: "deleteService",
    summary: "Delete a service",
    description: "Its keys stop working at once here, within 30 seconds elsewhere. The built-in service cannot be deleted.",
    family: "admin",
    parameters: [SERVICE_ID],
    responses: { 204: "Deleted.", 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "post",
    path: "/v1/services/{id}/keys",
    operationId: "createApiKey",
    summary: "Create an API key",
    description: "The key's secret is in this answer only; only its digest is stored.",
    family: "admin",
    parameters: [SERVICE_ID],
    body: { schema: "CreateApiKeyRequest" },
    responses: { 201: { description: "The key, with its secret.", schema: "NewApiKey" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "get",
    path: "/v1/services/{id}/keys",
    operationId: "listApiKeys",
    summary: "List a service's API keys",
    description: "Masked: a key's secret is never shown again.",
    family: "admin",
    parameters: [SERVICE_ID],
    responses: { 200: { description: "The keys.", schema: "ApiKeyList" }, 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "delete",
    path: "/v1/services/{id}/keys/{keyId}",
    operationId: "revokeApiKey",
    summary: "Revoke an API key",
    description: "The key stops working at once here, within 30 seconds elsewhere.",
    family: "admin",
    parameters: [SERVICE_ID, pathParam("keyId", "The key's id.")],
    responses: { 200: { description: "The revoked key.", schema: "ApiKey" }, 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "get",
    path: "/v1/services/{id}/webhook-attempts",
    operationId: "listWebhookAttempts",
    summary: "List webhook delivery attempts",
    description: "The service's latest webhook deliveries, newest first.",
    family: "admin",
    parameters: [SERVICE_ID, queryParam("pageSize", "1 to 200 (default 50).", { type: "integer", minimum: 1, maximum: 200 })],
    responses: { 200: { description: "The attempts.", schema: "WebhookAttemptList" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "post",
    path: "/v1/services/{id}/rotate-webhook-key",
    operationId: "rotateWebhookKey",
    summary: "Rotate the webhook signing key",
    description:
      "A new key for the service's `webhookSigning` scheme: a new `webhookSecret` for `v1`, a new Ed25519 key pair (`webhookPublicKey`) for `v1a`. For 24 hours every webhook carries both signatures, space-separated, so receivers can take the new key without a gap; then only the new one. Other isolates sign with it within 30 seconds. The private key is never shown.",
    family: "admin",
    parameters: [SERVICE_ID],
    responses: { 200: { description: "The service with its new key.", schema: "RotatedWebhookKey" }, 401: E[401], 404: E[404], 503: E[503] },
  },
  // ---- Admin: what the console reads and changes inside a service ---------------------------------
  {
    method: "post",
    path: "/v1/services/{id}/template-preview",
    operationId: "previewTemplate",
    summary: "Preview a template",
    description: "Renders a template (or the locale's built-in one) at the longest code and service name with the code the server sends with: body, encoding, segments, or why it would be refused.",
    family: "admin",
    parameters: [SERVICE_ID],
    body: { schema: "TemplatePreviewRequest" },
    responses: { 200: { description: "The preview.", schema: "TemplatePreview" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "get",
    path: "/v1/services/{id}/insights",
    operationId: "getInsights",
    summary: "Insights",
    description: "Conversion per day and country, SMS per provider, blocks per rule, median time to approval, for the last `days` days (at most RETENTION_DAYS).",
    family: "admin",
    parameters: [SERVICE_ID, queryParam("days", "1 to 90 (default 14).", { type: "integer", minimum: 1, maximum: 90 })],
    responses: { 200: { description: "The aggregates.", schema: "Insights" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "get",
    path: "/v1/services/{id}/verifications",
    operationId: "listRecentVerifications",
    summary: "Recent verifications",
    description: "The service's recent verifications with masked numbers, newest change first; never a code.",
    family: "admin",
    parameters: [
      SERVICE_ID,
      queryParam("status", "Only this status.", { type: "string" }),
      queryParam("country", "Only this ISO country.", { type: "string" }),
      queryParam("pageSize", "1 to 500 (default 50).", { type: "integer", minimum: 1, maximum: 500 }),
    ],
    responses: { 200: { description: "The verifications.", schema: "RecentVerifications" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "get",
    path: "/v1/services/{id}/lists/{list}",
    operationId: "adminListNumbers",
    summary: "List a service's deny or allow list",
    description: "The same as `GET /v1/lists/{list}` with the service's API key, with the admin token instead.",
    family: "admin",
    parameters: [SERVICE_ID, LIST, queryParam("pageSize", "1 to 1000 (default 100).", { type: "integer", minimum: 1, maximum: 1000 }), queryParam("pageToken", "`nextPageToken` of the previous page.", { type: "string" })],
    responses: { 200: { description: "A page of entries.", schema: "ListEntries" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "put",
    path: "/v1/services/{id}/lists/{list}/{phoneNumber}",
    operationId: "adminAddListedNumber",
    summary: "Add a number to a service's list",
    description: "The same as `PUT /v1/lists/{list}/{phoneNumber}`, with the admin token.",
    family: "admin",
    parameters: [SERVICE_ID, LIST, PHONE],
    body: { schema: "ListEntryRequest" },
    responses: { 200: { description: "The entry.", schema: "ListEntry" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "delete",
    path: "/v1/services/{id}/lists/{list}/{phoneNumber}",
    operationId: "adminRemoveListedNumber",
    summary: "Remove a number from a service's list",
    description: "The same as `DELETE /v1/lists/{list}/{phoneNumber}`, with the admin token.",
    family: "admin",
    parameters: [SERVICE_ID, LIST, PHONE],
    responses: { 204: "Removed.", 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "post",
    path: "/v1/services/{id}/lookups",
    operationId: "adminLookupPhoneNumber",
    summary: "Look a number up at the carrier for a service",
    description: "The same as `POST /v1/lookups` with the service's API key (the service's cache and LOOKUPS_PER_DAY), with the admin token.",
    family: "admin",
    parameters: [SERVICE_ID],
    body: { schema: "LookupRequest" },
    responses: { 200: { description: "The answer.", schema: "LookupResult" }, 400: E[400], 401: E[401], 404: E[404], 429: E[429], 503: E[503] },
  },
  {
    method: "delete",
    path: "/v1/services/{id}/phone-numbers/{phoneNumber}",
    operationId: "adminErasePhoneNumber",
    summary: "Erase a number in a service",
    description: "The same as `DELETE /v1/phone-numbers/{phoneNumber}`, with the admin token.",
    family: "admin",
    parameters: [SERVICE_ID, PHONE],
    responses: { 200: { description: "What was deleted.", schema: "ErasureResult" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  // ---- Twilio Verify v2 ----------------------------------------------------------------------------
  {
    method: "post",
    path: "/v2/Services/{serviceSid}/Verifications",
    operationId: "twilioStartVerification",
    summary: "Twilio: start a verification",
    description: "Twilio Verify v2 `Verifications` create, for existing Twilio clients (docs/migrating.md). A send that failed for good is an error here.",
    family: "twilio",
    parameters: [SERVICE_SID],
    body: { schema: "TwilioStartRequest", form: true, required: true },
    responses: { 201: { description: "The verification.", schema: "TwilioVerification", headers: RATE_LIMIT }, 400: E[400], 401: E[401], 403: E[403], 404: E[404], 429: NUMBER_LIMIT_429, 503: E[503] },
  },
  {
    method: "get",
    path: "/v2/Services/{serviceSid}/Verifications/{sid}",
    operationId: "twilioGetVerification",
    summary: "Twilio: fetch a verification",
    description: "In Twilio-strict mode a finished verification answers 20404, as Twilio deletes it.",
    family: "twilio",
    parameters: [SERVICE_SID, TWILIO_SID],
    responses: { 200: { description: "The verification.", schema: "TwilioVerification" }, 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "post",
    path: "/v2/Services/{serviceSid}/Verifications/{sid}",
    operationId: "twilioUpdateVerification",
    summary: "Twilio: cancel a verification",
    description: "`Status=canceled` only: a verification is approved only by its code.",
    family: "twilio",
    parameters: [SERVICE_SID, TWILIO_SID],
    body: { schema: "TwilioUpdateRequest", form: true, required: true },
    responses: { 200: { description: "The canceled verification.", schema: "TwilioVerification" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "post",
    path: "/v2/Services/{serviceSid}/VerificationCheck",
    operationId: "twilioCheckVerification",
    summary: "Twilio: check a code",
    description: "Twilio Verify v2 `VerificationCheck`: `status` approved or pending, `valid` true only when approved.",
    family: "twilio",
    parameters: [SERVICE_SID],
    body: { schema: "TwilioCheckRequest", form: true, required: true },
    responses: { 200: { description: "The check.", schema: "TwilioVerificationCheck", headers: RATE_LIMIT }, 400: E[400], 401: E[401], 404: E[404], 429: NUMBER_LIMIT_429, 503: E[503] },
  },
  ...TWILIO_ACCOUNT_OPERATIONS,
  ...TWILIO_RATE_LIMIT_OPERATIONS,
  // ---- Mobile Text Alerts v3 -----------------------------------------------------------------------
  {
    method: "post",
    path: "/v3/verify/sms/send-code",
    operationId: "mtaSendCode",
    summary: "Mobile Text Alerts: send a code",
    description: "MTA's send-code, Bearer API key. A repeated `X-Request-Id` answers 409 and sends nothing.",
    family: "mta",
    parameters: [header("X-Request-Id", "Deduplicates: a repeat answers 409 and sends nothing.")],
    body: { schema: "MtaSendCodeRequest", required: true },
    responses: {
      200: { description: "Sent.", schema: "MtaSendCodeResponse", headers: RATE_LIMIT },
      400: { description: "Invalid argument (`MtaError`), or the code could not be delivered (`MtaSendCodeFailed`).", schema: "MtaSendCodeOutcome400" },
      401: E[401], 403: E[403], 404: E[404], 409: "Duplicate `X-Request-Id`: nothing was sent.", 429: NUMBER_LIMIT_429, 503: E[503],
    },
  },
  {
    method: "post",
    path: "/v3/verify/sms/check-code",
    operationId: "mtaCheckCode",
    summary: "Mobile Text Alerts: check a code",
    description: "MTA's check-code: status APPROVED, INVALID or EXPIRED.",
    family: "mta",
    body: { schema: "MtaCheckCodeRequest", required: true },
    responses: { 200: { description: "The outcome.", schema: "MtaCheckCodeResponse", headers: RATE_LIMIT }, 400: E[400], 401: E[401], 404: E[404], 429: NUMBER_LIMIT_429, 503: E[503] },
  },
  // ---- CAMARA One Time Password SMS v1 ---------------------------------------------------------
  {
    method: "post",
    path: "/one-time-password-sms/v1/send-code",
    operationId: "camaraSendCode",
    summary: "CAMARA: send a code",
    description:
      "CAMARA's sendCode: the `message` with `{{code}}` filled in goes to `phoneNumber`; the answer's `authenticationId` names this send. A later send-code to the number supersedes it (validate-code then answers VERIFICATION_EXPIRED for it). The same limits as every API here: a resend within the cooldown or past the number's send caps is 403 MAX_OTP_CODES_EXCEEDED (with `Retry-After`), shared rate limits 429.",
    family: "camara",
    parameters: [CORRELATOR],
    body: { schema: "CamaraSendCodeRequest", required: true },
    responses: {
      200: { description: "Sent.", schema: "CamaraSendCodeResponse", headers: CORRELATOR_ECHO },
      400: "INVALID_ARGUMENT: `message` names the field.",
      401: "UNAUTHENTICATED: missing or wrong API key.",
      403: {
        description:
          "MAX_OTP_CODES_EXCEEDED (resend cooldown, the number's send caps; `Retry-After`), PHONE_NUMBER_NOT_ALLOWED (a rule refused the number: landline, VoIP, number type, country; or the provider called it invalid), PHONE_NUMBER_BLOCKED (deny list, or the provider reports it blocked or unsubscribed).",
        headers: RETRY_AFTER,
      },
      429: { description: "TOO_MANY_REQUESTS (IP, range, country or conversion-guard rate; the number locked after wrong codes) or QUOTA_EXCEEDED (SMS budget).", headers: RETRY_AFTER },
      503: "UNAVAILABLE: not configured (fails closed), or the SMS provider failed.",
    },
  },
  {
    method: "post",
    path: "/one-time-password-sms/v1/validate-code",
    operationId: "camaraValidateCode",
    summary: "CAMARA: validate a code",
    description:
      "CAMARA's validateCode: 204 for the right code of this `authenticationId`'s send, in time. A wrong code counts against the verification (the last allowed one answers VERIFICATION_FAILED); the count carries over to a later send to the same number.",
    family: "camara",
    parameters: [CORRELATOR],
    body: { schema: "CamaraValidateCodeRequest", required: true },
    responses: {
      204: { description: "The code is right.", headers: CORRELATOR_ECHO },
      400: "INVALID_ARGUMENT; ONE_TIME_PASSWORD_SMS.INVALID_OTP (wrong code), .VERIFICATION_EXPIRED (expired, already used, or superseded by a later send-code), .VERIFICATION_FAILED (out of attempts).",
      401: "UNAUTHENTICATED: missing or wrong API key.",
      404: "NOT_FOUND: unknown authenticationId (or another service's).",
      429: { description: "TOO_MANY_REQUESTS: the number is locked after too many wrong codes.", headers: RETRY_AFTER },
      503: "UNAVAILABLE: the deployment is not configured (fails closed).",
    },
  },
];

const ERROR_SCHEMA: Record<Family, SchemaName> = { native: "Error", admin: "Error", callback: "Error", twilio: "TwilioError", mta: "MtaError", camara: "CamaraError" };
const SECURITY: Record<Family, Record<string, string[]>[]> = {
  native: [{ apiKey: [] }],
  admin: [{ adminToken: [] }],
  callback: [],
  twilio: [{ twilioBasic: [] }],
  mta: [{ apiKey: [] }],
  camara: [{ apiKey: [] }],
};
const TAGS: Record<Family, string> = { native: "Verifications", admin: "Admin", callback: "Delivery receipts", twilio: "Twilio Verify v2", mta: "Mobile Text Alerts v3", camara: "CAMARA One Time Password SMS v1" };

/** The response body schema of an operation and status, as a `$ref` into the document. */
export function responseSchema(op: Operation, status: number): JsonSchema | undefined {
  const response = op.responses[status];
  if (response === undefined) return undefined;
  if (typeof response === "object" && response.schema) return { $ref: `#/components/schemas/${response.schema}` };
  if (status >= 400) return ref(ERROR_SCHEMA[op.family]);
  return undefined;
}

function operationObject(op: Operation): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, response] of Object.entries(op.responses)) {
    const { description, headers } = typeof response === "string" ? { description: response, headers: undefined } : response;
    const schema = responseSchema(op, Number(status));
    responses[status] = { description, ...(headers ? { headers } : {}), ...(schema ? { content: { "application/json": { schema } } } : {}) };
  }
  return {
    operationId: op.operationId,
    summary: op.summary,
    description: op.description,
    tags: [TAGS[op.family]],
    security: SECURITY[op.family],
    ...(op.parameters ? { parameters: op.parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: op.body.required ?? false,
            content: {
              [op.body.form ? "application/x-www-form-urlencoded" : op.body.schema === "ReceiptBody" ? "*/*" : "application/json"]: {
                schema: { $ref: `#/components/schemas/${op.body.schema}` },
              },
            },
          },
        }
      : {}),
    responses,
  };
}

let document: JsonSchema | undefined;

/** The OpenAPI 3.1 document; pure data, built once per isolate. */
export function openApiDocument(): JsonSchema {
  if (document) return document;
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const op of OPERATIONS) (paths[op.path] ??= {})[op.method] = operationObject(op);
  document = {
    openapi: "3.1.0",
    info: {
      title: "edge-verify",
      version: "0.1.0",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
      description: [
        "Phone-number verification (SMS one-time codes) on Cloudflare Workers: REST, plus Twilio Verify v2, Mobile Text Alerts v3 and CAMARA One Time Password SMS v1 compatible endpoints.",
        "",
        "The same operations are served as **Connect-RPC** (Connect JSON and binary, gRPC-Web) at `/verify.v1.VerificationService/<Method>`; those are described by the protobuf schema in the project's source, not here: `proto/verify/v1/verification.proto`.",
        "",
        "Errors are `{code, message, details}` with Connect's code names; `message` names the field at fault.",
      ].join("\n"),
    },
    // No `servers`: the default is this origin ("/"), which is where a reader of /docs is.
    tags: Object.values(TAGS).map((name) => ({ name })),
    paths,
    components: {
      schemas: COMPONENTS,
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "An API key: `API_KEYS` or one created for a service." },
        adminToken: { type: "http", scheme: "bearer", description: "`ADMIN_TOKEN`." },
        twilioBasic: {
          type: "http",
          scheme: "basic",
          description: "Username: the deployment's Twilio-compatible account sid; password: a service's API key (its Verifications, and fetching its own service), or ADMIN_TOKEN (every service, and the account-level resources).",
        },
      },
    },
  };
  return document;
}
