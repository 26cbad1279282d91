// A template as the console previews it: rendered at the longest code and service name, with its
// encoding and segments, and the refusal saving it would get. Uses the functions the server saves
// and sends with (validateTemplate, renderMessage), so the preview cannot drift from them. Pure.
import { VerifyError, invalidArgument } from "./errors.ts";
import { BUILT_IN_TEMPLATES, RTL_LOCALES, canonicalizeLocale, resolveLocale } from "./locales.ts";
import { renderMessage, validateTemplate, WORST_CASE } from "./message.ts";
import { analyzeSms, type SmsEncoding } from "./sms-encoding.ts";
import { validateServiceName } from "./template.ts";

/** A readable 30-character service name: the longest a request may give. */
export const SAMPLE_SERVICE_NAME = "Acme Online Banking Verify App";
/** A 10-digit code: the longest a verification may send. */
export const SAMPLE_CODE = "1234567890";
const MAX_TEMPLATE_LENGTH = 1_000;

export interface TemplatePreview {
  locale: string;
  direction: "ltr" | "rtl";
  /** The template previewed (the built-in one when none was given). */
  template: string;
  builtIn: boolean;
  /** The message at a 10-digit code, the sample service name and 60 minutes; "" when refused before rendering. */
  body: string;
  encoding: SmsEncoding | null;
  units: number;
  segments: number;
  /** Worst case as saving measures it: the costliest 30-character service name for the encoding. */
  worstCase: { encoding: SmsEncoding; units: number; segments: number; segmentsWithUnicodeServiceName: number } | null;
  /** Why saving this template would be refused (the same message PATCH answers), or null. */
  error: { field: string; message: string } | null;
}

export interface TemplatePreviewInput {
  template?: unknown;
  locale?: unknown;
  serviceName?: unknown;
}

/** Throws invalid_argument only for a malformed request; a template that would be refused is reported in `error`. */
export function previewTemplate(input: TemplatePreviewInput): TemplatePreview {
  if (typeof input !== "object" || input === null) throw invalidArgument("body", "must be a JSON object");
  if (typeof input.locale !== "string") throw invalidArgument("locale", "is required, e.g. en or pt-BR");
  const locale = canonicalizeLocale(input.locale);
  const serviceName =
    input.serviceName === undefined || input.serviceName === null ? SAMPLE_SERVICE_NAME : validateServiceName(String(input.serviceName));
  let template: string;
  let builtIn = false;
  if (input.template === undefined || input.template === null) {
    template = BUILT_IN_TEMPLATES[resolveLocale(locale, Object.keys(BUILT_IN_TEMPLATES))]!;
    builtIn = true;
  } else if (typeof input.template !== "string" || input.template.length > MAX_TEMPLATE_LENGTH) {
    throw invalidArgument("template", `must be a string of at most ${MAX_TEMPLATE_LENGTH} characters`);
  } else {
    template = input.template;
  }
  const field = `templates.${locale}`;
  const base = { locale, direction: RTL_LOCALES.has(locale.split("-")[0]!) ? "rtl" : "ltr", template, builtIn } as const;
  let report: ReturnType<typeof validateTemplate>;
  try {
    report = validateTemplate(template, { allowMultiSegment: true, field });
  } catch (error) {
    if (!(error instanceof VerifyError)) throw error;
    return { ...base, body: "", encoding: null, units: 0, segments: 0, worstCase: null, error: { field, message: error.message } };
  }
  const body = renderMessage(report.template, { code: SAMPLE_CODE, serviceName, ttlMinutes: WORST_CASE.ttlMinutes }).body;
  const sample = analyzeSms(body);
  let error: TemplatePreview["error"] = null;
  try {
    // Exactly what saving the template on a service runs (parseServiceSettings → createTemplateCatalog).
    validateTemplate(template, { allowMultiSegment: false, field });
  } catch (refused) {
    if (!(refused instanceof VerifyError)) throw refused;
    error = { field, message: refused.message };
  }
  return {
    ...base,
    body,
    encoding: sample.encoding,
    units: sample.units,
    segments: sample.segments,
    worstCase: { encoding: report.encoding, units: report.units, segments: report.segments, segmentsWithUnicodeServiceName: report.segmentsWithUnicodeServiceName },
    error,
  };
}
