// The SMS a verification sends: a compiled template rendered with literal values, plus optional
// code bindings (WebOTP line, Android app hash), measured in encoding and segments. Also the
// save-time check that holds templates to one segment at the worst case. Pure: no I/O, no clock.
import { invalidArgument } from "./errors.ts";
import { compileTemplate, renderTemplate, type CompiledTemplate, type TemplateValues } from "./template.ts";
import { analyzeSms, isGsm7, SEGMENT_LIMITS, type SmsEncoding } from "./sms-encoding.ts";
import { appendCodeBindings, validateCodeBindings, type CodeBindings } from "./webotp.ts";
import { CODE_LENGTH_MAX, TIMEOUT_SECONDS_MAX } from "./requests.ts";

export interface RenderedMessage {
  body: string;
  encoding: SmsEncoding;
  segments: number;
}

/**
 * Renders `template` and appends `bindings`. Values are inserted literally (never re-scanned).
 * A newline in the service name would let a caller forge lines (and move the WebOTP line), so it
 * is refused here even though request parsing already refuses control characters.
 */
export function renderMessage(template: CompiledTemplate, values: TemplateValues, bindings: CodeBindings = {}): RenderedMessage {
  if (/[\r\n\u2028\u2029\u0085]/.test(values.serviceName)) throw invalidArgument("serviceName", "must not contain line breaks");
  const body = appendCodeBindings(renderTemplate(template, values), values.code, bindings);
  const { encoding, segments } = analyzeSms(body);
  return { body, encoding, segments };
}

/** The longest values a message can be rendered with: what validation measures against. */
export const WORST_CASE = {
  codeLength: CODE_LENGTH_MAX,
  /** Service names are at most 30 UTF-16 code units (`validateServiceName`). */
  serviceNameLength: 30,
  ttlMinutes: TIMEOUT_SECONDS_MAX / 60,
} as const;

// The costliest 30-unit service name that keeps each encoding: in GSM-7 every character from the
// extension table costs two septets; in UCS-2 every BMP character costs one unit (and a
// supplementary character is two units but also counts two towards the 30).
const WORST_SERVICE_NAME: Record<SmsEncoding, string> = {
  "GSM-7": "€".repeat(WORST_CASE.serviceNameLength),
  "UCS-2": "ж".repeat(WORST_CASE.serviceNameLength),
};

export interface TemplateReport {
  template: CompiledTemplate;
  /** The encoding the template's own text needs (GSM-7 unless a character outside GSM 03.38 appears). */
  encoding: SmsEncoding;
  /** Worst-case units and segments, in `encoding`. */
  units: number;
  segments: number;
  /**
   * Worst-case segments when the service name has a character outside GSM-7, which turns the
   * whole message into UCS-2. Equal to `segments` for a UCS-2 template. Reported, not enforced:
   * the operator chooses the service names.
   */
  segmentsWithUnicodeServiceName: number;
}

export interface ValidateTemplateOptions {
  /** Accept a template whose worst case needs more than one segment (each segment is billed). */
  allowMultiSegment: boolean;
  /** The configuration or request field named in errors. */
  field?: string;
  /** Bindings the message will carry; they count towards the segment. */
  bindings?: CodeBindings;
}

/**
 * Compiles `source` and renders it with the worst case (10-digit code, 30-unit service name of the
 * costliest characters for the template's encoding, 60 minutes). Refuses with invalid_argument
 * naming the field when that needs more than one segment, unless `allowMultiSegment`.
 */
export function validateTemplate(source: string, options: ValidateTemplateOptions): TemplateReport {
  const field = options.field ?? "template";
  const template = compileTemplate(source, field);
  const bindings = validateCodeBindings(options.bindings ?? {});
  const literal = template.parts.map((part) => ("text" in part ? part.text : "")).join("");
  const encoding: SmsEncoding = isGsm7(literal) ? "GSM-7" : "UCS-2";
  const measure = (serviceName: string): ReturnType<typeof analyzeSms> =>
    analyzeSms(
      renderMessage(template, { code: "9".repeat(WORST_CASE.codeLength), serviceName, ttlMinutes: WORST_CASE.ttlMinutes }, bindings).body,
    );
  const worst = measure(WORST_SERVICE_NAME[encoding]);
  const unicode = encoding === "UCS-2" ? worst : measure(WORST_SERVICE_NAME["UCS-2"]);
  if (worst.segments > 1 && !options.allowMultiSegment) {
    throw invalidArgument(
      field,
      `needs ${worst.segments} SMS segments at the worst case: ${worst.units} ${encoding === "GSM-7" ? "GSM-7 septets" : "UCS-2 units"} ` +
        `of ${SEGMENT_LIMITS[encoding].single} for one segment, with a ${WORST_CASE.codeLength}-digit code, a ` +
        `${WORST_CASE.serviceNameLength}-character service name and ${WORST_CASE.ttlMinutes} minutes; shorten it or allow multi-segment messages`,
    );
  }
  return { template, encoding, units: worst.units, segments: worst.segments, segmentsWithUnicodeServiceName: unicode.segments };
}
