// Twilio Verify v2 Services (`/v2/Services`, `/v2/Services/{Sid}`) over edge-verify's services:
// the admin API's create, fetch, list, update and delete, with Twilio's form parameters and
// resource shape. Account credentials (ADMIN_TOKEN) for everything; a service's own API key may
// fetch its own service. Settings both sides have map; the rest is refused by name, or accepted
// only at the value that describes what edge-verify does anyway.
import { Hono, type Context } from "hono";
import { createAdmin, type ServiceView } from "../admin.ts";
import { loadConfig, type Config } from "../config.ts";
import { VerifyError } from "../core/errors.ts";
import { parseServiceSettings, type ServiceSettings } from "../core/service.ts";
import { checkBody } from "../rest/validate.ts";
import { refused, renderError, type TwilioEnv } from "./twilio.ts";
import { readForm, twilioTime } from "./twilio-wire.ts";
import { requireAccount, twilioCaller } from "./twilio-auth.ts";
import { pageRequest, twilioPage } from "./twilio-paging.ts";

/** Our settings and argument names as Twilio's parameters, for messages that name the field. */
const PARAMETER: Record<string, string> = {
  friendlyName: "FriendlyName",
  codeLength: "CodeLength",
  twilioLookup: "LookupEnabled",
  serviceId: "Sid",
};

/** Accepted only as `false`, which is what edge-verify does; `true` is refused with the reason. */
const FALSE_ONLY: Record<string, string> = {
  Psd2Enabled: "PSD2 transaction fields (Amount, Payee) are not supported",
  CustomCodeEnabled: "caller-chosen codes are not accepted: edge-verify generates every code and stores only its HMAC",
  DoNotShareWarningEnabled: "messages are the service's templates: write the warning into them (PATCH /v1/services/{id} templates)",
  DtmfInputRequired: "voice calls read the code at once, without waiting for a key press",
  VerifyEventSubscriptionEnabled: "events are the service's webhooks (webhookUrl and webhookEvents on PATCH /v1/services/{id})",
};

/** Refused whatever their value: features edge-verify does not have. */
const UNSUPPORTED: Record<string, string> = {
  TtsName: "voice calls use the provider's voice for the locale",
  DefaultTemplateSid: "templates are the service's own (PATCH /v1/services/{id} templates)",
};
const UNSUPPORTED_GROUPS: Record<string, string> = {
  "Push.": "Verify Push factors are not supported: only one-time codes (sms, whatsapp, call)",
  "Totp.": "TOTP factors are not supported: only one-time codes (sms, whatsapp, call)",
  "Passkeys.": "Passkeys factors are not supported: only one-time codes (sms, whatsapp, call)",
  "Whatsapp.": "the WhatsApp sender is the deployment's (TWILIO_WHATSAPP_FROM)",
};

function bool(form: URLSearchParams, name: string): boolean | undefined {
  const value = form.get(name);
  if (value === null) return undefined;
  if (value !== "true" && value !== "false") throw refused(name, "must be true or false");
  return value === "true";
}

/** Our error, its field renamed to the Twilio parameter it came from. */
function asTwilio(error: unknown): unknown {
  if (!(error instanceof VerifyError) || !error.details.field || !(error.details.field in PARAMETER)) return error;
  const field = error.details.field;
  const detail = error.message.startsWith(`${field}: `) ? error.message.slice(field.length + 2) : error.message;
  return new VerifyError(error.reason, `${PARAMETER[field]}: ${detail}`, { ...error.details, field: PARAMETER[field] });
}

/**
 * Twilio's service parameters as the admin API's settings body. `current` (an update) keeps the
 * service's other rule modes when SkipSmsToLandlines sets the landline one.
 */
export function settingsFromForm(form: URLSearchParams, current: ServiceSettings | null): Record<string, unknown> {
  for (const name of form.keys()) {
    if (name in UNSUPPORTED) throw refused(name, UNSUPPORTED[name]!);
    const group = Object.keys(UNSUPPORTED_GROUPS).find((prefix) => name.startsWith(prefix));
    if (group) throw refused(name, UNSUPPORTED_GROUPS[group]!);
  }
  for (const [name, why] of Object.entries(FALSE_ONLY)) if (bool(form, name)) throw refused(name, `only false is accepted: ${why}`);
  const body: Record<string, unknown> = {};
  const name = form.get("FriendlyName");
  if (name !== null) body.friendlyName = name;
  const codeLength = form.get("CodeLength");
  // A non-number goes through as text, so the settings parser refuses it in its own words.
  if (codeLength !== null) body.codeLength = /^-?\d{1,9}$/.test(codeLength) ? Number(codeLength) : codeLength;
  const lookup = bool(form, "LookupEnabled");
  if (lookup !== undefined) body.twilioLookup = lookup;
  // Landlines cannot receive SMS: skipping them is the landline rule enforced; not skipping lets
  // them through, noted in the verification's risks (monitor), as Twilio then tries to send.
  const skipLandlines = bool(form, "SkipSmsToLandlines");
  if (skipLandlines !== undefined) body.ruleModes = { ...current?.ruleModes, landline: skipLandlines ? "enforce" : "monitor" };
  return body;
}

/** A service as Twilio's Service resource. Factors and features edge-verify lacks are off or null. */
export function serviceJson(c: Context, v: ServiceView, config: Config) {
  const url = `${new URL(c.req.url).origin}/v2/Services/${v.id}`;
  return {
    sid: v.id,
    account_sid: v.accountSid,
    friendly_name: v.friendlyName,
    code_length: v.settings.codeLength ?? config.defaultCodeLength,
    lookup_enabled: v.settings.twilioLookup === true,
    psd2_enabled: false,
    skip_sms_to_landlines: (v.settings.ruleModes?.landline ?? config.ruleModes.landline) === "enforce",
    dtmf_input_required: false,
    tts_name: null,
    do_not_share_warning_enabled: false,
    custom_code_enabled: false,
    push: { include_date: false, apn_credential_sid: null, fcm_credential_sid: null },
    totp: { issuer: null, time_step: null, code_length: null, skew: null },
    default_template_sid: null,
    whatsapp: { msg_service_sid: null, from: null },
    passkeys: null,
    verify_event_subscription_enabled: false,
    date_created: twilioTime(Date.parse(v.createTime)),
    date_updated: twilioTime(Date.parse(v.updateTime)),
    url,
    links: { verifications: `${url}/Verifications`, verification_checks: `${url}/VerificationCheck` },
  };
}

export function twilioServiceRoutes(): Hono<TwilioEnv> {
  const routes = new Hono<TwilioEnv>();
  routes.onError((error, c) => renderError(c, asTwilio(error)));
  const admin = (c: Context<TwilioEnv>) => createAdmin({ env: c.env, config: loadConfig(c.env) });

  routes.get("/Services", async (c) => {
    await requireAccount(c);
    const request = pageRequest(c);
    const config = loadConfig(c.env);
    const services = await admin(c).listServices();
    // Oldest first, as the registry lists them; the key sorts the same way.
    const keyed = services.map((s) => ({ key: `${String(Date.parse(s.createTime)).padStart(15, "0")}:${s.id}`, item: s }));
    return c.json(twilioPage(c, "services", request, keyed, (s) => serviceJson(c, s, config)));
  });

  routes.post("/Services", async (c) => {
    await requireAccount(c);
    const config = loadConfig(c.env);
    const form = await readForm(c);
    const body = settingsFromForm(form, null);
    checkBody("TwilioServiceCreateRequest", Object.fromEntries(form), () => parseServiceSettings(body, { partial: false, webhookUrls: config.webhookUrls }));
    return c.json(serviceJson(c, await admin(c).createService(body), config), 201);
  });

  routes.get("/Services/:sid", async (c) => {
    const caller = await twilioCaller(c);
    if (!caller) throw new VerifyError("unauthenticated", "Authenticate");
    const sid = c.req.param("sid");
    // A service's key sees its own service and no other, exactly as if the others did not exist.
    if (caller.kind === "service" && caller.principal.serviceId !== sid) throw new VerifyError("not_found", "Sid: no such service", { field: "Sid" });
    return c.json(serviceJson(c, await admin(c).getService(sid), loadConfig(c.env)));
  });

  routes.post("/Services/:sid", async (c) => {
    await requireAccount(c);
    const config = loadConfig(c.env);
    const form = await readForm(c);
    const current = await admin(c).getService(c.req.param("sid"));
    const body = settingsFromForm(form, current.settings);
    checkBody("TwilioServiceUpdateRequest", Object.fromEntries(form), () => parseServiceSettings(body, { partial: true, webhookUrls: config.webhookUrls }));
    return c.json(serviceJson(c, await admin(c).updateService(current.id, body), config));
  });

  routes.delete("/Services/:sid", async (c) => {
    await requireAccount(c);
    await admin(c).deleteService(c.req.param("sid"));
    return c.body(null, 204);
  });
  return routes;
}
