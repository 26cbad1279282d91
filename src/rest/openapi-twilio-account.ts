// The operations of Twilio Verify v2's account-level resources (Services, Safe List, Verification
// Attempts and their Summary), merged into ./openapi.ts's route table. Account credentials: HTTP
// Basic with the account sid and ADMIN_TOKEN (a service's API key may fetch its own service).
import type { TWILIO_ACCOUNT_SCHEMAS } from "./schemas-twilio-account.ts";

type Schema = { [keyword: string]: unknown };
type Name = keyof typeof TWILIO_ACCOUNT_SCHEMAS;

/** The shape of ./openapi.ts's Operation, for the `twilio` family and these schemas. */
interface AccountOperation {
  method: "get" | "post" | "delete";
  path: string;
  operationId: string;
  summary: string;
  description: string;
  family: "twilio";
  parameters?: Schema[];
  body?: { schema: Name; form: true; required: true };
  responses: Record<number, string | { description: string; schema?: Name }>;
}

const path = (name: string, description: string): Schema => ({ name, in: "path", required: true, description, schema: { type: "string" } });
const query = (name: string, description: string, schema: Schema = { type: "string" }): Schema => ({ name, in: "query", required: false, description, schema });

const SID = path("sid", "The service sid (`VA…`).");
const PHONE = path("phoneNumber", "E.164, with its `+` (or URL-encoded, `%2B…`).");
const ATTEMPT = path("sid", "The attempt sid (`VL…`).");
const PAGING = [
  query("PageSize", "1 to 1000; default 50.", { type: "integer", minimum: 1, maximum: 1000 }),
  query("Page", "The page's index, for the client's own state.", { type: "integer", minimum: 0 }),
  query("PageToken", "From the previous page's `meta.next_page_url`."),
];
const TIME = { type: "string", format: "date-time" };
const FILTERS = [
  query("DateCreatedAfter", "ISO 8601; inclusive, at whole seconds.", TIME),
  query("DateCreatedBefore", "ISO 8601; inclusive, at whole seconds.", TIME),
  query("Country", "ISO 3166-1 alpha-2 of the number."),
  query("Channel", "sms, call, whatsapp (email and rbm are never used here).", { type: "string", enum: ["sms", "call", "email", "whatsapp", "rbm"] }),
  query("VerifyServiceSid", "One service (`VA…`); default: every service."),
];

const E = {
  400: "Invalid parameter (60200): `message` names it.",
  401: "Not the account's credentials (20003): the account sid and ADMIN_TOKEN.",
  404: "No such resource (20404).",
  503: "The deployment is not configured (fails closed).",
} as const;

const DATA =
  "Served from the verifications each service's insights keep (the console's recent list: the newest 500 per insights shard, 8 shards, within RETENTION_DAYS): one attempt per message sent, numbers masked.";

export const TWILIO_ACCOUNT_OPERATIONS: readonly AccountOperation[] = [
  {
    method: "get",
    path: "/v2/Services",
    operationId: "twilioListServices",
    summary: "Twilio: list services",
    description: "Every service of the deployment, oldest first, as Twilio Service resources.",
    family: "twilio",
    parameters: PAGING,
    responses: { 200: { description: "A page of services.", schema: "TwilioServiceList" }, 400: E[400], 401: E[401], 503: E[503] },
  },
  {
    method: "post",
    path: "/v2/Services",
    operationId: "twilioCreateService",
    summary: "Twilio: create a service",
    description: "The admin API's service creation with Twilio's parameters (docs/migrating.md lists what maps).",
    family: "twilio",
    body: { schema: "TwilioServiceCreateRequest", form: true, required: true },
    responses: { 201: { description: "The service.", schema: "TwilioService" }, 400: E[400], 401: E[401], 503: E[503] },
  },
  {
    method: "get",
    path: "/v2/Services/{sid}",
    operationId: "twilioGetService",
    summary: "Twilio: fetch a service",
    description: "With the account's credentials, any service; with a service's API key, that service only (another answers 404).",
    family: "twilio",
    parameters: [SID],
    responses: { 200: { description: "The service.", schema: "TwilioService" }, 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "post",
    path: "/v2/Services/{sid}",
    operationId: "twilioUpdateService",
    summary: "Twilio: update a service",
    description: "Changes only the parameters given.",
    family: "twilio",
    parameters: [SID],
    body: { schema: "TwilioServiceUpdateRequest", form: true, required: true },
    responses: { 200: { description: "The service.", schema: "TwilioService" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "delete",
    path: "/v2/Services/{sid}",
    operationId: "twilioDeleteService",
    summary: "Twilio: delete a service",
    description: "Deletes the service and revokes its API keys; the built-in service cannot be deleted (60200).",
    family: "twilio",
    parameters: [SID],
    responses: { 204: "Deleted.", 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "post",
    path: "/v2/SafeList/Numbers",
    operationId: "twilioAddSafeListNumber",
    summary: "Twilio: add a number to the Safe List",
    description: "Every service treats the number as allow-listed (velocity rules and the conversion guard skipped; the deny list, per-number limits and the SMS budget still apply). At most 1,000 numbers. Already listed: 400, 60411.",
    family: "twilio",
    body: { schema: "TwilioSafeListRequest", form: true, required: true },
    responses: { 201: { description: "The entry.", schema: "TwilioSafeListEntry" }, 400: "Invalid parameter (60200), or already listed (60411).", 401: E[401], 503: E[503] },
  },
  {
    method: "get",
    path: "/v2/SafeList/Numbers/{phoneNumber}",
    operationId: "twilioGetSafeListNumber",
    summary: "Twilio: check a number on the Safe List",
    description: "The entry, or 404 (20404) when the number is not listed.",
    family: "twilio",
    parameters: [PHONE],
    responses: { 200: { description: "The entry.", schema: "TwilioSafeListEntry" }, 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "delete",
    path: "/v2/SafeList/Numbers/{phoneNumber}",
    operationId: "twilioRemoveSafeListNumber",
    summary: "Twilio: remove a number from the Safe List",
    description: "Every isolate stops applying it within 30 s.",
    family: "twilio",
    parameters: [PHONE],
    responses: { 204: "Removed.", 400: E[400], 401: E[401], 404: E[404], 503: E[503] },
  },
  {
    method: "get",
    path: "/v2/Attempts",
    operationId: "twilioListAttempts",
    summary: "Twilio: list verification attempts",
    description: `Newest first, across services. ${DATA}`,
    family: "twilio",
    parameters: [
      ...FILTERS,
      query("ChannelData.To", "One number, E.164: matched exactly, and shown in full."),
      query("VerificationSid", "One verification (`VE…`)."),
      query("Status", "converted or unconverted.", { type: "string", enum: ["converted", "unconverted", "CONVERTED", "UNCONVERTED"] }),
      ...PAGING,
    ],
    responses: { 200: { description: "A page of attempts.", schema: "TwilioVerificationAttemptList" }, 400: E[400], 401: E[401], 503: E[503] },
  },
  {
    method: "get",
    path: "/v2/Attempts/Summary",
    operationId: "twilioAttemptsSummary",
    summary: "Twilio: summarize verification attempts",
    description: `Attempts, converted, unconverted and the conversion rate over the attempts the list would give. ${DATA}`,
    family: "twilio",
    parameters: [...FILTERS, query("DestinationPrefix", "`+` and 1 to 4 digits (what a masked number shows).")],
    responses: { 200: { description: "The summary.", schema: "TwilioVerificationAttemptsSummary" }, 400: E[400], 401: E[401], 503: E[503] },
  },
  {
    method: "get",
    path: "/v2/Attempts/{sid}",
    operationId: "twilioGetAttempt",
    summary: "Twilio: fetch a verification attempt",
    description: `Found among every service's kept attempts. ${DATA}`,
    family: "twilio",
    parameters: [ATTEMPT],
    responses: { 200: { description: "The attempt.", schema: "TwilioVerificationAttempt" }, 401: E[401], 404: E[404], 503: E[503] },
  },
];
