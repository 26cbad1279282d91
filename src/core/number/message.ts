// The message a verification sends on a channel, from the code and the service's templates.
import type { TemplateCatalog } from "../locales.ts";
import { renderMessage } from "../message.ts";
import type { Channel } from "../verification.ts";
import { renderVoiceTwiml } from "../voice.ts";
import type { CodeBindings } from "../webotp.ts";

/**
 * The message for a channel: the locale's template for SMS and WhatsApp (WebOTP and app-hash lines
 * only for SMS autofill), TwiML that reads the digits for a call.
 */
export function renderForChannel(
  catalog: TemplateCatalog,
  channel: Channel,
  values: { code: string; locale: string; serviceName: string; ttlSeconds: number; bindings: CodeBindings },
): { body: string; encoding: string; segments: number } {
  if (channel === "call") return { body: renderVoiceTwiml({ locale: values.locale, code: values.code, serviceName: values.serviceName }).twiml, encoding: "", segments: 0 };
  return renderMessage(catalog.lookup(values.locale).template, { code: values.code, serviceName: values.serviceName, ttlMinutes: Math.ceil(values.ttlSeconds / 60) }, channel === "sms" ? values.bindings : {});
}
