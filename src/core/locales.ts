// Built-in SMS templates per language, BCP 47 locale resolution with fallback, and a catalog that
// lets configured templates override or add locales. Templates are compiled once, when the
// catalog is built (per isolate, with the configuration). Pure: no I/O.
import { invalidArgument } from "./errors.ts";
import type { CompiledTemplate } from "./template.ts";
import { DEFAULT_TEMPLATE } from "./template.ts";
import { validateTemplate, type ValidateTemplateOptions } from "./message.ts";

export const DEFAULT_LOCALE = "en";

/**
 * One template per language, each within one SMS segment with a 10-digit code, a 30-unit service
 * name and 60 minutes (test/core/locales.test.ts proves it). Texts outside GSM-7 are sent as UCS-2
 * (70 units), which leaves about 28 units of wording: those say the minimum, and where even a
 * short validity phrase does not fit (ar, el, vi) they leave it out. Durations use an
 * abbreviation ("min.") wherever a spelled-out noun would need a plural the template cannot choose.
 */
export const BUILT_IN_TEMPLATES: Readonly<Record<string, string>> = Object.freeze({
  en: DEFAULT_TEMPLATE,
  es: "Código de {{serviceName}}: {{code}}. Vence en {{ttlMinutes}} min.",
  pt: "Código {{serviceName}}: {{code}}. Expira em {{ttlMinutes}} min.",
  "pt-BR": "Código {{serviceName}}: {{code}}. Válido por {{ttlMinutes}} min.",
  fr: "{{code}} est votre code de vérification {{serviceName}}. Il expire dans {{ttlMinutes}} min.",
  de: "Ihr Bestätigungscode für {{serviceName}} lautet {{code}}. Er ist {{ttlMinutes}} Min. gültig.",
  it: "{{code}} è il tuo codice di verifica {{serviceName}}. Scade tra {{ttlMinutes}} min.",
  nl: "Je verificatiecode voor {{serviceName}} is {{code}}. De code is {{ttlMinutes}} min. geldig.",
  sv: "Din verifieringskod för {{serviceName}} är {{code}}. Koden gäller i {{ttlMinutes}} min.",
  da: "Din bekræftelseskode til {{serviceName}} er {{code}}. Koden udløber om {{ttlMinutes}} min.",
  nb: "Din bekreftelseskode for {{serviceName}} er {{code}}. Koden utløper om {{ttlMinutes}} min.",
  fi: "Vahvistuskoodisi palveluun {{serviceName}} on {{code}}. Koodi on voimassa {{ttlMinutes}} min.",
  pl: "Twój kod {{serviceName}} to {{code}}. Ważny {{ttlMinutes}} min.",
  cs: "Váš kód {{serviceName}} je {{code}}. Platí {{ttlMinutes}} min.",
  ro: "Codul tău {{serviceName}}: {{code}}. Valabil {{ttlMinutes}} min.",
  hu: "{{serviceName}} kód: {{code}}. {{ttlMinutes}} percig érvényes.",
  el: "Ο κωδικός επαλήθευσης {{serviceName}}: {{code}}",
  tr: "{{serviceName}} kodunuz: {{code}}. {{ttlMinutes}} dk geçerlidir.",
  ru: "Ваш код {{serviceName}}: {{code}}. Действует {{ttlMinutes}} мин.",
  uk: "Ваш код {{serviceName}}: {{code}}. Дійсний {{ttlMinutes}} хв.",
  ar: "رمز التحقق من {{serviceName}} هو {{code}}",
  he: "קוד האימות ל-{{serviceName}}: {{code}}. בתוקף {{ttlMinutes}} דק׳",
  hi: "{{serviceName}} का OTP {{code}} है। {{ttlMinutes}} मिनट तक मान्य।",
  bn: "{{serviceName}} যাচাই কোড: {{code}}। মেয়াদ {{ttlMinutes}} মিনিট।",
  ja: "{{serviceName}}の認証コードは{{code}}です。有効期限は{{ttlMinutes}}分です。",
  "zh-Hans": "【{{serviceName}}】验证码：{{code}}，{{ttlMinutes}}分钟内有效，请勿泄露给他人。",
  "zh-Hant": "【{{serviceName}}】驗證碼：{{code}}，{{ttlMinutes}}分鐘內有效，請勿提供給他人。",
  ko: "[{{serviceName}}] 인증번호: {{code}} ({{ttlMinutes}}분간 유효)",
  th: "รหัสยืนยัน {{serviceName}}: {{code}} (ใช้ได้ {{ttlMinutes}} นาที)",
  vi: "Mã xác minh {{serviceName}} của bạn là {{code}}",
  id: "Kode verifikasi {{serviceName}} Anda adalah {{code}}. Berlaku {{ttlMinutes}} menit.",
  ms: "Kod pengesahan {{serviceName}} anda ialah {{code}}. Sah selama {{ttlMinutes}} minit.",
  tl: "Ang iyong verification code para sa {{serviceName}} ay {{code}}. Valid ito sa loob ng {{ttlMinutes}} minuto.",
});

/** Locales written right to left; a client rendering a preview needs to know. */
export const RTL_LOCALES: ReadonlySet<string> = new Set(["ar", "he"]);

// Deprecated or macro-language tags still sent by older platforms (Java's Locale maps he→iw),
// mapped to the tag the catalog uses. Applied to the primary language subtag only.
const LANGUAGE_ALIASES: Readonly<Record<string, string>> = {
  iw: "he",
  in: "id",
  ji: "yi",
  mo: "ro",
  no: "nb",
  nn: "nb", // Nynorsk readers read Bokmål; CLDR's parent for both is "no".
  fil: "tl",
  tgl: "tl",
  zsm: "ms",
};

// Chinese regions whose written standard is Traditional characters; every other region and bare
// "zh" mean Simplified.
const HANT_REGIONS: ReadonlySet<string> = new Set(["tw", "hk", "mo"]);

const TAG = /^[a-z]{2,8}(-[a-z0-9]{1,8})*$/;

/**
 * Canonical case for a BCP 47 tag: language lowercase, script Titlecase, region UPPERCASE
 * ("PT-br" → "pt-BR", "zh-hant" → "zh-Hant"). "_" is accepted as "-" (Java/POSIX style).
 * Throws invalid_argument naming `field` for anything that is not a tag.
 */
export function canonicalizeLocale(tag: string, field = "locale"): string {
  const lower = tag.trim().replace(/_/g, "-").toLowerCase();
  if (!TAG.test(lower)) throw invalidArgument(field, `"${tag.slice(0, 40)}" is not a BCP 47 language tag, e.g. en or pt-BR`);
  return lower
    .split("-")
    .map((subtag, index) => {
      if (index === 0) return subtag;
      if (subtag.length === 4 && /^[a-z]+$/.test(subtag)) return subtag[0]!.toUpperCase() + subtag.slice(1);
      if (subtag.length === 2 || (subtag.length === 3 && /^[0-9]+$/.test(subtag))) return subtag.toUpperCase();
      return subtag;
    })
    .join("-");
}

/**
 * The candidates for `requested`, most specific first (RFC 4647 lookup), with legacy aliases
 * applied and Chinese given the script its region implies: "zh-TW" → zh-TW, zh-Hant-TW, zh-Hant, zh.
 * Extensions and private use (from the first singleton on) are ignored.
 */
function candidates(requested: string): string[] {
  const subtags = requested.trim().replace(/_/g, "-").toLowerCase().split("-");
  const singleton = subtags.findIndex((subtag, index) => index > 0 && subtag.length === 1);
  const kept = singleton === -1 ? subtags : subtags.slice(0, singleton);
  kept[0] = LANGUAGE_ALIASES[kept[0]!] ?? kept[0]!;
  if (kept[0] === "zh" && !kept.some((subtag) => subtag === "hans" || subtag === "hant")) {
    kept.splice(1, 0, kept.slice(1).some((subtag) => HANT_REGIONS.has(subtag)) ? "hant" : "hans");
  }
  const out: string[] = [];
  if (kept[0] === "zh") {
    // Keep the exact request first: a configured "zh-TW" template beats the built-in zh-Hant.
    out.push(kept.filter((subtag) => subtag !== "hans" && subtag !== "hant").join("-"));
  }
  for (let length = kept.length; length > 0; length--) out.push(kept.slice(0, length).join("-"));
  return out;
}

/**
 * The locale in `available` that best serves `requested`: exact match, then shorter tags
 * (`pt-BR` → `pt`), then `options.fallback` (default "en"). Case-insensitive; legacy tags are
 * aliased (`iw` → `he`, `no` → `nb`), `zh-TW`/`zh-HK` → `zh-Hant`, `zh`/`zh-CN` → `zh-Hans`.
 * Returns the spelling used in `available`. An empty or malformed request gets the fallback.
 */
export function resolveLocale(requested: string, available: Iterable<string>, options: { fallback?: string } = {}): string {
  const byLower = new Map<string, string>();
  for (const locale of available) byLower.set(locale.toLowerCase(), locale);
  const fallback = options.fallback ?? DEFAULT_LOCALE;
  if (requested.trim() === "") return byLower.get(fallback.toLowerCase()) ?? fallback;
  for (const candidate of candidates(requested)) {
    const match = byLower.get(candidate);
    if (match !== undefined) return match;
  }
  return byLower.get(fallback.toLowerCase()) ?? fallback;
}

/**
 * Reads custom templates from configuration text: a JSON object of locale → template, e.g.
 * `{"pt-BR": "Seu código {{serviceName}}: {{code}}"}`. Empty text means none. Shape only; the
 * catalog validates locales and templates.
 */
export function parseCustomTemplates(text: string, field = "MESSAGE_TEMPLATES"): Record<string, string> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidArgument(field, 'must be a JSON object of locale to template, e.g. {"de": "{{code}} ist Ihr Code"}');
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidArgument(field, "must be a JSON object of locale to template");
  }
  // Null prototype: a "__proto__" key stays a key (and is then refused as a locale) instead of
  // being swallowed by the prototype setter.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [locale, source] of Object.entries(value)) {
    if (typeof source !== "string") throw invalidArgument(`${field}.${locale.slice(0, 35)}`, "must be a string");
    out[locale] = source;
  }
  return out;
}

export interface TemplateCatalogOptions {
  /** Configured templates by locale; they replace the built-in for that locale or add a locale. */
  custom?: Readonly<Record<string, string>>;
  /** Accept custom templates that need more than one segment at the worst case. */
  allowMultiSegment?: boolean;
  /** Bindings every message will carry (WebOTP, app hash); custom templates are measured with them. */
  bindings?: ValidateTemplateOptions["bindings"];
  /** The configuration name used in error messages, e.g. "MESSAGE_TEMPLATES". */
  field?: string;
  /** Locale for requests that match nothing; must be in the catalog. Default "en". */
  defaultLocale?: string;
}

export interface TemplateChoice {
  /** The catalog locale chosen, e.g. "pt" for a request of "pt-PT". */
  locale: string;
  template: CompiledTemplate;
  /** True when a configured template was chosen rather than a built-in one. */
  custom: boolean;
}

export interface TemplateCatalog {
  readonly locales: readonly string[];
  lookup(requested: string): TemplateChoice;
}

/**
 * Compiles the built-in templates and the custom ones (validated with `validateTemplate`, so a
 * configured template over one segment is refused unless `allowMultiSegment`) into a lookup.
 * Built once per configuration: lookups only resolve the locale.
 */
export function createTemplateCatalog(options: TemplateCatalogOptions = {}): TemplateCatalog {
  const field = options.field ?? "templates";
  const entries = new Map<string, TemplateChoice>();
  for (const [locale, source] of Object.entries(BUILT_IN_TEMPLATES)) {
    // Built-ins are measured by the test suite, not here: with bindings configured a UCS-2 language
    // may honestly need two segments, and that must not stop the Worker from starting.
    const { template } = validateTemplate(source, { allowMultiSegment: true, field: `${field}.${locale}` });
    entries.set(locale, { locale, template, custom: false });
  }
  const seen = new Set<string>();
  for (const [key, source] of Object.entries(options.custom ?? {})) {
    const locale = canonicalizeLocale(key, field);
    if (seen.has(locale)) throw invalidArgument(field, `locale ${locale} is given twice`);
    seen.add(locale);
    if (typeof source !== "string") throw invalidArgument(`${field}.${locale}`, "must be a string");
    const { template } = validateTemplate(source, {
      allowMultiSegment: options.allowMultiSegment ?? false,
      field: `${field}.${locale}`,
      bindings: options.bindings,
    });
    entries.set(locale, { locale, template, custom: true });
  }
  const locales = Object.freeze([...entries.keys()].sort());
  const fallback = options.defaultLocale === undefined ? DEFAULT_LOCALE : canonicalizeLocale(options.defaultLocale, `${field}.defaultLocale`);
  if (!entries.has(fallback)) throw invalidArgument(`${field}.defaultLocale`, `${fallback} has no template`);
  return {
    locales,
    lookup(requested: string): TemplateChoice {
      return entries.get(resolveLocale(requested, locales, { fallback }))!;
    },
  };
}

const compiled = new Map<string, TemplateCatalog>();
/**
 * A service's templates compiled once per isolate (settings change rarely; compiling validates
 * every template). Bounded, oldest dropped first.
 */
export function catalogForTemplates(templates: Readonly<Record<string, string>>): TemplateCatalog {
  const key = JSON.stringify(templates);
  let catalog = compiled.get(key);
  if (!catalog) {
    if (compiled.size >= 100) compiled.delete(compiled.keys().next().value!);
    catalog = createTemplateCatalog({ custom: templates, field: "templates", allowMultiSegment: true });
    compiled.set(key, catalog);
  }
  return catalog;
}
