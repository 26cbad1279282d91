// Message templates: `{{code}}` exactly once, plus `{{serviceName}}` and `{{ttlMinutes}}`.
// Compiled once into literal parts so that user-supplied values are inserted as text and never
// re-scanned for placeholders (a `{{code}}` inside a service name stays text).
import { invalidArgument } from "./errors.ts";

export type Placeholder = "code" | "serviceName" | "ttlMinutes";
const PLACEHOLDERS: ReadonlySet<string> = new Set<Placeholder>(["code", "serviceName", "ttlMinutes"]);

export type TemplatePart = { text: string } | { placeholder: Placeholder };

export interface CompiledTemplate {
  source: string;
  parts: TemplatePart[];
}

export const DEFAULT_TEMPLATE = "{{code}} is your {{serviceName}} verification code. It expires in {{ttlMinutes}} minutes.";

/** Throws invalid_argument naming `field` for unknown placeholders or a `{{code}}` count other than one. */
export function compileTemplate(source: string, field = "template"): CompiledTemplate {
  const parts: TemplatePart[] = [];
  const pattern = /\{\{\s*([^{}]*?)\s*\}\}/g;
  let last = 0;
  let codeCount = 0;
  for (const match of source.matchAll(pattern)) {
    const name = match[1] ?? "";
    if (!PLACEHOLDERS.has(name)) {
      throw invalidArgument(field, `unknown placeholder {{${name}}}; allowed: {{code}}, {{serviceName}}, {{ttlMinutes}}`);
    }
    if (match.index > last) parts.push({ text: source.slice(last, match.index) });
    parts.push({ placeholder: name as Placeholder });
    if (name === "code") codeCount++;
    last = match.index + match[0].length;
  }
  if (last < source.length) parts.push({ text: source.slice(last) });
  if (codeCount !== 1) {
    throw invalidArgument(field, `must contain {{code}} exactly once (found ${codeCount})`);
  }
  return { source, parts };
}

export interface TemplateValues {
  code: string;
  serviceName: string;
  ttlMinutes: number;
}

export function renderTemplate(template: CompiledTemplate, values: TemplateValues): string {
  let out = "";
  for (const part of template.parts) {
    out += "text" in part ? part.text : String(values[part.placeholder]);
  }
  return out;
}

const URL_LIKE = /(:\/\/|www\.|[a-z0-9-]\.[a-z]{2,}(?:[/:?#\s]|$))/i;
// Control characters, and bidi overrides that can make a message read differently than it is.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** Validates a caller-supplied service name: 1-30 UTF-16 code units, no URL, no control characters. */
export function validateServiceName(value: string, field = "serviceName"): string {
  const name = value.trim();
  if (name.length === 0) throw invalidArgument(field, "must not be empty");
  // Counted in UTF-16 code units, the unit SMS segments are billed in, so that the one-segment
  // check on templates (a 30-unit service name at worst) holds for emoji too.
  if (name.length > 30) throw invalidArgument(field, "must be at most 30 characters");
  if (CONTROL.test(name)) throw invalidArgument(field, "must not contain control characters");
  if (URL_LIKE.test(name)) throw invalidArgument(field, "must not contain a URL or domain name");
  return name;
}
