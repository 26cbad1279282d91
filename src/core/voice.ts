// TwiML for a voice-call code: an intro in the locale's language, then the digits one by one,
// read twice. Pure text: the caller hands the document to the provider. Every inserted value is
// XML-escaped, so a service name cannot add verbs (<Dial>, <Redirect>) to the call.
import { isWellFormedCode } from "./codes.ts";
import { resolveLocale } from "./locales.ts";

export interface VoicePhrases {
  /** Said before the first reading; `{{serviceName}}` is replaced literally. */
  intro: string;
  /** Said before the second reading. */
  again: string;
}

/** Spoken wording per catalog locale. Unlike SMS there is no segment budget, so it is full sentences. */
export const VOICE_PHRASES: Readonly<Record<string, VoicePhrases>> = Object.freeze({
  en: { intro: "Your {{serviceName}} verification code is", again: "Again, your code is" },
  es: { intro: "Tu código de verificación de {{serviceName}} es", again: "Repito, tu código es" },
  pt: { intro: "O seu código de verificação {{serviceName}} é", again: "Repito, o seu código é" },
  "pt-BR": { intro: "Seu código de verificação {{serviceName}} é", again: "Repetindo, seu código é" },
  fr: { intro: "Votre code de vérification {{serviceName}} est", again: "Je répète, votre code est" },
  de: { intro: "Ihr Bestätigungscode für {{serviceName}} lautet", again: "Noch einmal, Ihr Code lautet" },
  it: { intro: "Il tuo codice di verifica {{serviceName}} è", again: "Ripeto, il tuo codice è" },
  nl: { intro: "Je verificatiecode voor {{serviceName}} is", again: "Nogmaals, je code is" },
  sv: { intro: "Din verifieringskod för {{serviceName}} är", again: "Jag upprepar, din kod är" },
  da: { intro: "Din bekræftelseskode til {{serviceName}} er", again: "Jeg gentager, din kode er" },
  nb: { intro: "Din bekreftelseskode for {{serviceName}} er", again: "Jeg gjentar, koden din er" },
  fi: { intro: "Vahvistuskoodisi palveluun {{serviceName}} on", again: "Toistan, koodisi on" },
  pl: { intro: "Twój kod weryfikacyjny {{serviceName}} to", again: "Powtarzam, twój kod to" },
  cs: { intro: "Váš ověřovací kód pro {{serviceName}} je", again: "Opakuji, váš kód je" },
  ro: { intro: "Codul tău de verificare {{serviceName}} este", again: "Repet, codul tău este" },
  hu: { intro: "Az Ön {{serviceName}} ellenőrző kódja", again: "Még egyszer, a kód" },
  el: { intro: "Ο κωδικός επαλήθευσης {{serviceName}} είναι", again: "Επαναλαμβάνω, ο κωδικός σας είναι" },
  tr: { intro: "{{serviceName}} doğrulama kodunuz", again: "Tekrar ediyorum, kodunuz" },
  ru: { intro: "Ваш код подтверждения {{serviceName}}", again: "Повторяю, ваш код" },
  uk: { intro: "Ваш код підтвердження {{serviceName}}", again: "Повторюю, ваш код" },
  ar: { intro: "رمز التحقق الخاص بك من {{serviceName}} هو", again: "أكرر، رمزك هو" },
  he: { intro: "קוד האימות שלך ל-{{serviceName}} הוא", again: "שוב, הקוד שלך הוא" },
  hi: { intro: "आपका {{serviceName}} सत्यापन कोड है", again: "फिर से, आपका कोड है" },
  bn: { intro: "আপনার {{serviceName}} যাচাই কোড হলো", again: "আবার বলছি, আপনার কোড হলো" },
  ja: { intro: "{{serviceName}}の認証コードは", again: "もう一度繰り返します。認証コードは" },
  "zh-Hans": { intro: "您的{{serviceName}}验证码是", again: "再重复一遍，您的验证码是" },
  "zh-Hant": { intro: "您的{{serviceName}}驗證碼是", again: "再重複一次，您的驗證碼是" },
  ko: { intro: "{{serviceName}} 인증번호는", again: "다시 한 번 말씀드립니다. 인증번호는" },
  th: { intro: "รหัสยืนยัน {{serviceName}} ของคุณคือ", again: "ขอทวนอีกครั้ง รหัสของคุณคือ" },
  vi: { intro: "Mã xác minh {{serviceName}} của bạn là", again: "Xin nhắc lại, mã của bạn là" },
  id: { intro: "Kode verifikasi {{serviceName}} Anda adalah", again: "Sekali lagi, kode Anda adalah" },
  ms: { intro: "Kod pengesahan {{serviceName}} anda ialah", again: "Sekali lagi, kod anda ialah" },
  tl: { intro: "Ang iyong verification code para sa {{serviceName}} ay", again: "Uulitin ko, ang iyong code ay" },
});

/**
 * `<Say language>` per catalog locale: the language-region codes Twilio's text-to-speech voices
 * take. Which codes a given voice accepts varies by provider and voice (Google voices also take
 * "cmn-CN"), so `renderVoiceTwiml` accepts an explicit `language` override.
 */
export const VOICE_LANGUAGES: Readonly<Record<string, string>> = Object.freeze({
  en: "en-US",
  es: "es-ES",
  pt: "pt-PT",
  "pt-BR": "pt-BR",
  fr: "fr-FR",
  de: "de-DE",
  it: "it-IT",
  nl: "nl-NL",
  sv: "sv-SE",
  da: "da-DK",
  nb: "nb-NO",
  fi: "fi-FI",
  pl: "pl-PL",
  cs: "cs-CZ",
  ro: "ro-RO",
  hu: "hu-HU",
  el: "el-GR",
  tr: "tr-TR",
  ru: "ru-RU",
  uk: "uk-UA",
  ar: "ar-XA",
  he: "he-IL",
  hi: "hi-IN",
  bn: "bn-IN",
  ja: "ja-JP",
  "zh-Hans": "zh-CN",
  "zh-Hant": "zh-TW",
  ko: "ko-KR",
  th: "th-TH",
  vi: "vi-VN",
  id: "id-ID",
  ms: "ms-MY",
  tl: "fil-PH",
});

// Characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE/FFFF):
// dropped rather than escaped, since no escape makes them legal.
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Escapes text for XML element content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(XML_INVALID, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

export interface VoiceOptions {
  locale: string;
  code: string;
  serviceName: string;
  /** Override the `<Say language>` from `VOICE_LANGUAGES`, e.g. "es-MX" or "cmn-CN". */
  language?: string;
}

export interface VoiceMessage {
  twiml: string;
  /** The catalog locale the wording came from. */
  locale: string;
  /** The `<Say language>` used. */
  language: string;
}

/**
 * A TwiML document that says the intro, then each digit in its own `<Say>` (so no engine reads
 * "482910" as a number, and each digit gets a short gap), pauses, and reads the code again.
 */
export function renderVoiceTwiml(options: VoiceOptions): VoiceMessage {
  if (!isWellFormedCode(options.code)) throw new Error("renderVoiceTwiml: the code must be 4 to 10 digits");
  const locale = resolveLocale(options.locale, Object.keys(VOICE_PHRASES));
  const phrases = VOICE_PHRASES[locale]!;
  const language = options.language ?? VOICE_LANGUAGES[locale]!;
  if (!/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(language)) throw new Error(`renderVoiceTwiml: "${language}" is not a language tag`);
  const say = (text: string): string => `<Say language="${escapeXml(language)}">${escapeXml(text)}</Say>`;
  // split/join inserts the name literally: a "$&" or "{{serviceName}}" in it stays text.
  const intro = phrases.intro.split("{{serviceName}}").join(options.serviceName);
  const digits = [...options.code].map(say).join("");
  const twiml =
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<Response>${say(intro)}<Pause length="1"/>${digits}<Pause length="2"/>${say(phrases.again)}<Pause length="1"/>${digits}</Response>`;
  return { twiml, locale, language };
}
