// Message templates: `{{code}}` exactly once, plus `{{serviceName}}` and `{{ttlMinutes}}`.
// Compiled once into literal parts so that user-supplied values are inserted as text and never
// re-scanned for placeholders (a `{{code}}` inside a service name stays text). Neither a template
// nor a service name may put a link into the SMS (`readsAsLink`). Pure: no I/O.
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
  // Judged with each placeholder standing for a value, so that literal text next to one cannot
  // complete a link: "{{serviceName}}.com" reads "Acme.com", "login.{{serviceName}}" likewise.
  // Two letters for the name catch both sides; a code and a number of minutes are digits.
  const sample = parts.map((part) => ("text" in part ? part.text : PLACEHOLDER_SAMPLES[part.placeholder])).join("");
  if (readsAsLink(sample)) throw invalidArgument(field, LINK_REFUSAL);
  return { source, parts };
}

const PLACEHOLDER_SAMPLES: Record<Placeholder, string> = { code: "0", serviceName: "aa", ttlMinutes: "0" };

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

// ---- Links ----------------------------------------------------------------------------------
//
// A link in a verification SMS is a phishing lure that carries the service's credibility, so no
// caller-chosen text may contain one. Text is judged as a phone or a reader sees it, not as typed:
//  - dot look-alikes become U+3002 first (before NFKC, which folds some of them to a plain "."):
//    the IDNA label separators U+3002, U+FF0E, U+FF61 (a browser goes to evil.com for "evil。com"),
//    their vertical and small forms, and look-alikes of "." from Unicode's confusables data (one
//    dot leader, Syriac and Vai stops, the Arabic-Indic zeros, a Lisu tone mark);
//  - NFKC then folds fullwidth, circled and mathematical letters and digits ("ｅｖｉｌ" is "evil");
//  - default-ignorable characters (Unicode Cf: zero-width space and joiners, soft hyphen, word
//    joiner, BOM, bidi marks; and the rest of Default_Ignorable_Code_Point: the combining grapheme
//    joiner, variation selectors, Hangul fillers) are dropped: nobody sees them, so neither may we.
// The text stored and sent is never rewritten; this is only how it is read.
//
// The rule for a domain is deliberately not a TLD list: there are some 1,500 top-level domains,
// new ones are delegated every year, and a reader follows "evil.support" whether or not a phone
// underlines it. Any letter or digit, a dot, then two letters reads as a domain wherever it sits
// and whatever follows (punctuation, brackets, quotes, digits, the end). The price: "Mr.Smith",
// "Node.js" and "J.P.Morgan" are refused (their usual spellings "Mr. Smith", "J.P. Morgan" pass),
// while "Acme Inc.", "Dr. Smith", "v2.0", "St. Louis Bank" and "A.B. Corp" (one-letter labels) pass.
//
// One exception keeps Chinese and Japanese text usable: there "。" (and "．") ends a sentence with
// no space after it ("…です。有効期限は…" is a built-in template; "コード：{{code}}。有効…" a likely
// custom one), so a look-alike dot starts a top-level domain only when the letters after it are not
// Han, kana or Bopomofo. "楽天。ログイン" passes; "evil。com", "楽天。com" and "楽天.com" (a plain dot
// reads as a domain in any script) do not, nor does "…です。Acme" (write "です。 Acme" or 【Acme】).
// What this leaves through is a look-alike dot before a CJK top-level domain ("例子。中国"), which
// cannot be told from a sentence break.
const DOT_LOOKALIKES = /[\u3002\uff61\ufe12\uff0e\ufe52\u2024\u0701\u0702\ua60e\u{10a50}\u0660\u06f0\ua4f8\u{1d16d}]/gu;
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;
const CJK = String.raw`\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Bopomofo}`;
const TLD = String.raw`(?:\p{L}\p{M}*){2,}`;
const LINK_PATTERNS: readonly RegExp[] = [
  // label.tld: the last character of a label (letter, digit or mark), a dot, two or more letters.
  new RegExp(String.raw`[\p{L}\p{N}\p{M}]\.${TLD}`, "u"),
  new RegExp(String.raw`[\p{L}\p{N}\p{M}]\u3002(?![${CJK}])${TLD}`, "u"),
  // An IPv4 host, with either kind of dot.
  /\d{1,3}(?:[.\u3002]\d{1,3}){3}/u,
  /\/\//u,
  /(?<![\p{L}\p{N}])www[.\u3002]/iu,
  // Schemes a phone opens, as a word of their own ("Motel:" and "Re:Zero" are no schemes).
  /(?<![\p{L}\p{N}])(?:https?|ftps?|mailto|tel|sms|smsto|intent|market|itms-apps|itms-services):/iu,
];

/** True when `text`, read as a phone or a reader reads it, contains a URL, a domain name or an IP address. */
export function readsAsLink(text: string): boolean {
  const judged = text.replace(DOT_LOOKALIKES, "\u3002").normalize("NFKC").replace(INVISIBLE, "");
  return LINK_PATTERNS.some((pattern) => pattern.test(judged));
}

/** The refusal every front door gives for a link, after the field name. */
export const LINK_REFUSAL = "must not contain a URL or domain name";

// Control characters, and bidi overrides that can make a message read differently than it is.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

// A message a caller gives with its request (CAMARA's `message`) may have lines, but no other
// control character and no bidi override: nothing that makes it read differently than it is.
const MESSAGE_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * A message template given with one request rather than configured by the operator: a template's
 * rules (`{{code}}` exactly once, known placeholders, no link) plus no control character but the
 * line feed. The length limit is the request's (core/requests.ts).
 */
export function compileRequestTemplate(source: string, field: string): CompiledTemplate {
  if (MESSAGE_CONTROL.test(source)) throw invalidArgument(field, "must not contain control characters (a line feed is allowed)");
  return compileTemplate(source, field);
}

/** Validates a caller-supplied service name: 1-30 UTF-16 code units, no link (`readsAsLink`), no control characters. */
export function validateServiceName(value: string, field = "serviceName"): string {
  const name = value.trim();
  if (name.length === 0) throw invalidArgument(field, "must not be empty");
  // Counted in UTF-16 code units, the unit SMS segments are billed in, so that the one-segment
  // check on templates (a 30-unit service name at worst) holds for emoji too.
  if (name.length > 30) throw invalidArgument(field, "must be at most 30 characters");
  if (CONTROL.test(name)) throw invalidArgument(field, "must not contain control characters");
  if (readsAsLink(name)) throw invalidArgument(field, LINK_REFUSAL);
  return name;
}
