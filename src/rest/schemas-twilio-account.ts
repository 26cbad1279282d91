// Bodies of Twilio Verify v2's account-level resources (Services, Safe List, Verification Attempts
// and their Summary) as JSON Schema, merged into ./schemas.ts's components. The handlers are in
// src/compat/twilio-services.ts, twilio-safelist.ts and twilio-attempts.ts.
type Schema = { [keyword: string]: unknown };

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const time: Schema = { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$" };
const flag = (description: string): Schema => ({ type: "string", enum: ["true", "false"], description });
const falseOnly = (description: string): Schema => ({ type: "string", enum: ["true", "false"], description: `Only \`false\` is accepted: ${description}` });

const serviceProperties: Record<string, Schema> = {
  FriendlyName: { type: "string", description: "The service's name (1-64 characters, no URL or domain name); its messages' `{{serviceName}}` when it is at most 30 characters." },
  CodeLength: { type: "string", pattern: "^\\d+$", description: "4 to 10 digits." },
  LookupEnabled: flag("Twilio-compatible starts ask the carrier (the service's `twilioLookup`)."),
  SkipSmsToLandlines: flag("`true`: the landline rule is enforced for the service; `false`: monitored (let through, noted in risks)."),
  Psd2Enabled: falseOnly("PSD2 transaction fields are not supported."),
  CustomCodeEnabled: falseOnly("caller-chosen codes are never accepted."),
  DoNotShareWarningEnabled: falseOnly("write the warning into the service's templates."),
  DtmfInputRequired: falseOnly("calls read the code without waiting for a key press."),
  VerifyEventSubscriptionEnabled: falseOnly("events are the service's webhooks."),
};
const serviceRequestDescription =
  "Form-encoded. `TtsName`, `DefaultTemplateSid` and every `Push.*`, `Totp.*`, `Passkeys.*` and `Whatsapp.*` parameter are refused by name (60200); other parameters are ignored.";

const TwilioServiceCreateRequest: Schema = { type: "object", required: ["FriendlyName"], description: serviceRequestDescription, properties: serviceProperties };
const TwilioServiceUpdateRequest: Schema = { type: "object", description: serviceRequestDescription, properties: serviceProperties };

const nulls = (...names: string[]): Schema => ({ type: "object", additionalProperties: false, required: names, properties: Object.fromEntries(names.map((n) => [n, { type: "null" }])) });

const TwilioService: Schema = {
  type: "object",
  additionalProperties: false,
  required: [
    "sid", "account_sid", "friendly_name", "code_length", "lookup_enabled", "psd2_enabled", "skip_sms_to_landlines", "dtmf_input_required", "tts_name",
    "do_not_share_warning_enabled", "custom_code_enabled", "push", "totp", "default_template_sid", "whatsapp", "passkeys",
    "verify_event_subscription_enabled", "date_created", "date_updated", "url", "links",
  ],
  properties: {
    sid: { type: "string", pattern: "^VA[0-9a-f]{32}$" },
    account_sid: { type: "string", pattern: "^AC[0-9a-f]{32}$" },
    friendly_name: { type: "string" },
    code_length: { type: "integer", minimum: 4, maximum: 10 },
    lookup_enabled: { type: "boolean" },
    psd2_enabled: { const: false },
    skip_sms_to_landlines: { type: "boolean" },
    dtmf_input_required: { const: false },
    tts_name: { type: "null" },
    do_not_share_warning_enabled: { const: false },
    custom_code_enabled: { const: false },
    push: {
      type: "object",
      additionalProperties: false,
      required: ["include_date", "apn_credential_sid", "fcm_credential_sid"],
      properties: { include_date: { const: false }, apn_credential_sid: { type: "null" }, fcm_credential_sid: { type: "null" } },
    },
    totp: nulls("issuer", "time_step", "code_length", "skew"),
    default_template_sid: { type: "null" },
    whatsapp: nulls("msg_service_sid", "from"),
    passkeys: { type: "null" },
    verify_event_subscription_enabled: { const: false },
    date_created: time,
    date_updated: time,
    url: { type: "string" },
    links: {
      type: "object",
      additionalProperties: false,
      required: ["verifications", "verification_checks"],
      properties: { verifications: { type: "string" }, verification_checks: { type: "string" } },
    },
  },
};

/** Twilio's paging envelope: the items under `key`, and `meta`. */
const page = (key: string, item: string): Schema => ({
  type: "object",
  additionalProperties: false,
  required: [key, "meta"],
  properties: {
    [key]: { type: "array", items: ref(item) },
    meta: {
      type: "object",
      additionalProperties: false,
      required: ["page", "page_size", "first_page_url", "previous_page_url", "url", "next_page_url", "key"],
      properties: {
        page: { type: "integer", minimum: 0 },
        page_size: { type: "integer", minimum: 1, maximum: 1000 },
        first_page_url: { type: "string" },
        previous_page_url: { type: "null", description: "Pages run forward only (the token is a cursor)." },
        url: { type: "string" },
        next_page_url: { type: ["string", "null"] },
        key: { const: key },
      },
    },
  },
});

const TwilioSafeListRequest: Schema = {
  type: "object",
  required: ["PhoneNumber"],
  description: "Form-encoded.",
  properties: { PhoneNumber: { type: "string", description: "E.164." } },
};

const TwilioSafeListEntry: Schema = {
  type: "object",
  additionalProperties: false,
  required: ["sid", "phone_number", "url"],
  properties: { sid: { type: "string", pattern: "^GN[0-9a-f]{32}$" }, phone_number: { type: "string" }, url: { type: "string" } },
};

const TwilioVerificationAttempt: Schema = {
  type: "object",
  additionalProperties: false,
  required: ["sid", "account_sid", "service_sid", "verification_sid", "date_created", "date_updated", "conversion_status", "channel", "price", "channel_data", "url"],
  properties: {
    sid: { type: "string", pattern: "^VL[0-9a-f]{32}$" },
    account_sid: { type: "string", pattern: "^AC[0-9a-f]{32}$" },
    service_sid: { type: "string", pattern: "^VA[0-9a-f]{32}$" },
    verification_sid: { type: "string", pattern: "^VE[0-9a-f]{32}$" },
    date_created: { ...time, description: "The first message: the verification's creation; a later one: the verification's last change (resend times are not kept)." },
    date_updated: time,
    conversion_status: { type: "string", enum: ["converted", "unconverted"] },
    channel: { type: "string", enum: ["sms", "whatsapp", "call"] },
    price: { type: "null", description: "Not known here." },
    channel_data: {
      type: "object",
      additionalProperties: false,
      required: ["to", "message_status"],
      properties: {
        to: { type: "string", description: "Masked (`+1415****671`), or in full when the request named it (`ChannelData.To`)." },
        message_status: { type: ["string", "null"], description: "The delivery receipt's status, on the verification's latest message only." },
      },
    },
    url: { type: "string" },
  },
};

const TwilioVerificationAttemptsSummary: Schema = {
  type: "object",
  additionalProperties: false,
  required: ["total_attempts", "total_converted", "total_unconverted", "conversion_rate_percentage", "url"],
  properties: {
    total_attempts: { type: "integer", minimum: 0 },
    total_converted: { type: "integer", minimum: 0 },
    total_unconverted: { type: "integer", minimum: 0 },
    conversion_rate_percentage: { type: ["string", "null"], pattern: "^\\d+(\\.\\d+)?$", description: "A decimal string, as Twilio writes it; null with no attempts." },
    url: { type: "string" },
  },
};

export const TWILIO_ACCOUNT_SCHEMAS = {
  TwilioServiceCreateRequest,
  TwilioServiceUpdateRequest,
  TwilioService,
  TwilioServiceList: page("services", "TwilioService"),
  TwilioSafeListRequest,
  TwilioSafeListEntry,
  TwilioVerificationAttempt,
  TwilioVerificationAttemptList: page("attempts", "TwilioVerificationAttempt"),
  TwilioVerificationAttemptsSummary,
};
