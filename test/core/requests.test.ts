// The request rules of src/core/requests.ts, by table: each field's limits and the words each
// refusal uses. These are the rules every transport applies (REST and the compat routes through the
// JSON readers, Connect through its proto mapping), so the words here are the wire's words.
import { describe, expect, it } from "vitest";
import { VerifyError } from "../../src/core/errors.ts";
import {
  checkRequestFromJson,
  listNoteFromJson,
  lookupRequestFromJson,
  numberListOf,
  parseCheckRequest,
  parseIdempotencyKey,
  parseStartRequest,
  startRequestFromJson,
  validateCheckRequest,
  validateListChange,
  validateListPage,
  validateStartRequest,
  validateVerificationId,
  type StartRequestInit,
} from "../../src/core/requests.ts";

const TO = "+14155552671";

/** The refusal `fn` throws, as `field: message`; "accepted" when it throws nothing. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof VerifyError)) throw error;
    expect(error.reason).toBe("invalid_argument");
    // The field in the details is the one the message names.
    expect(error.message.startsWith(`${error.details.field}: `), error.message).toBe(true);
    return error.message;
  }
  return "accepted";
}

describe("validateStartRequest", () => {
  const cases: [string, StartRequestInit, string][] = [
    ["to missing", {}, "to: is required: a phone number in E.164, e.g. +14155550100"],
    ["to empty", { to: "" }, "to: is required: a phone number in E.164, e.g. +14155550100"],
    ["locale at 35", { to: TO, locale: `en-${"abcdefgh-".repeat(3)}abcdefg`.slice(0, 35) }, "accepted"],
    ["locale at 36", { to: TO, locale: "e".repeat(36) }, "locale: must be at most 35 characters"],
    ["locale not BCP 47", { to: TO, locale: "not a locale" }, "locale: must be a BCP 47 language tag, e.g. en or pt-BR"],
    ["locale pt-BR", { to: TO, locale: "pt-BR" }, "accepted"],
    ["codeLength 3", { to: TO, codeLength: 3 }, "codeLength: must be from 4 to 10"],
    ["codeLength 4", { to: TO, codeLength: 4 }, "accepted"],
    ["codeLength 10", { to: TO, codeLength: 10 }, "accepted"],
    ["codeLength 11", { to: TO, codeLength: 11 }, "codeLength: must be from 4 to 10"],
    ["codeLength 6.5", { to: TO, codeLength: 6.5 }, "codeLength: must be an integer"],
    ["codeLength 0 (given, not the proto zero)", { to: TO, codeLength: 0 }, "codeLength: must be from 4 to 10"],
    ["timeoutSeconds 59", { to: TO, timeoutSeconds: 59 }, "timeoutSeconds: must be from 60 to 3600"],
    ["timeoutSeconds 60", { to: TO, timeoutSeconds: 60 }, "accepted"],
    ["timeoutSeconds 3600", { to: TO, timeoutSeconds: 3600 }, "accepted"],
    ["timeoutSeconds 3601", { to: TO, timeoutSeconds: 3601 }, "timeoutSeconds: must be from 60 to 3600"],
    ["serviceName at 201", { to: TO, serviceName: "a".repeat(201) }, "serviceName: must be at most 200 characters"],
    ["serviceName blank", { to: TO, serviceName: "   " }, "serviceName: must not be empty"],
    ["serviceName 31 once trimmed", { to: TO, serviceName: ` ${"a".repeat(31)} ` }, "serviceName: must be at most 30 characters"],
    ["serviceName with a link", { to: TO, serviceName: "(evil.com)" }, "serviceName: must not contain a URL or domain name"],
    ["externalId at 128", { to: TO, externalId: "x".repeat(128) }, "accepted"],
    ["externalId at 129", { to: TO, externalId: "x".repeat(129) }, "externalId: must be at most 128 characters"],
    ["10 tags", { to: TO, tags: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, "v"])) }, "accepted"],
    ["11 tags", { to: TO, tags: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, "v"])) }, "tags: at most 10 entries"],
    ["an empty tag key", { to: TO, tags: { "": "v" } }, "tags: keys must be 1 to 64 characters"],
    ["a tag key of 65", { to: TO, tags: { ["k".repeat(65)]: "v" } }, "tags: keys must be 1 to 64 characters"],
    ["a tag value of 256", { to: TO, tags: { k: "v".repeat(256) } }, "accepted"],
    ["a tag value of 257", { to: TO, tags: { k: "v".repeat(257) } }, 'tags: value of "k" must be at most 256 characters'],
    ["clientIp v4", { to: TO, clientIp: "203.0.113.7" }, "accepted"],
    ["clientIp v6", { to: TO, clientIp: "2001:db8::1" }, "accepted"],
    ["clientIp with a port", { to: TO, clientIp: "203.0.113.7:443" }, "clientIp: must be an IPv4 or IPv6 address, without port, brackets or zone"],
    ["webOtpDomain with a scheme", { to: TO, webOtpDomain: "https://example.com" }, "webOtpDomain: must be a bare host name like example.com: no scheme, port, path or spaces"],
    ["webOtpDomain", { to: TO, webOtpDomain: "example.com" }, "accepted"],
    ["appHash too short", { to: TO, appHash: "abc" }, "appHash: must be the 11-character Android app hash: letters, digits, + and /"],
    ["appHash", { to: TO, appHash: "FA+9qCX9VSu" }, "accepted"],
    ["four channels", { to: TO, channels: ["sms", "whatsapp", "call", "sms"] }, "channels: at most 3 channels"],
    ["a repeated channel", { to: TO, channels: ["sms", "sms"] }, "channels: must not repeat a channel"],
    ["channel not first of channels", { to: TO, channel: "call", channels: ["sms", "call"] }, "channel: must be the first of channels when both are given"],
    ["channel first of channels", { to: TO, channel: "sms", channels: ["sms", "call"] }, "accepted"],
    ["fallbackAfterSeconds 29", { to: TO, channels: ["sms", "call"], fallbackAfterSeconds: 29 }, "fallbackAfterSeconds: must be from 30 to 600"],
    ["fallbackAfterSeconds 30", { to: TO, channels: ["sms", "call"], fallbackAfterSeconds: 30 }, "accepted"],
    ["fallbackAfterSeconds 600", { to: TO, channels: ["sms", "call"], fallbackAfterSeconds: 600 }, "accepted"],
    ["fallbackAfterSeconds 601", { to: TO, channels: ["sms", "call"], fallbackAfterSeconds: 601 }, "fallbackAfterSeconds: must be from 30 to 600"],
    ["fallbackAfterSeconds with one channel", { to: TO, fallbackAfterSeconds: 60 }, "fallbackAfterSeconds: needs at least two channels"],
    // A request's own message (CAMARA): 160 characters (code points), the template rules, lines.
    ["message at 160", { to: TO, message: `{{code}}${"x".repeat(152)}` }, "accepted"],
    ["message at 160 emoji", { to: TO, message: `{{code}}${"😀".repeat(152)}` }, "accepted"],
    ["message at 161", { to: TO, message: `{{code}}${"x".repeat(153)}` }, "message: must be at most 160 characters (it has 161)"],
    ["message without {{code}}", { to: TO, message: "your code" }, "message: must contain {{code}} exactly once (found 0)"],
    ["message with {{code}} twice", { to: TO, message: "{{code}} {{code}}" }, "message: must contain {{code}} exactly once (found 2)"],
    ["message with a link", { to: TO, message: "{{code}} at evil.com" }, "message: must not contain a URL or domain name"],
    ["message with an unknown placeholder", { to: TO, message: "{{name}} {{code}}" }, "message: unknown placeholder {{name}}; allowed: {{code}}, {{serviceName}}, {{ttlMinutes}}"],
    ["message with lines", { to: TO, message: "Acme\n{{code}}" }, "accepted"],
    ["message with a carriage return", { to: TO, message: "Acme\r\n{{code}}" }, "message: must not contain control characters (a line feed is allowed)"],
    ["message with a bidi override", { to: TO, message: "{{code}} \u202eemoc.live" }, "message: must not contain control characters (a line feed is allowed)"],
    ["rateLimits with 10 keys", { to: TO, rateLimits: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, "v"])) }, "accepted"],
    ["rateLimits with 11 keys", { to: TO, rateLimits: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, "v"])) }, "rateLimits: at most 10 keys (a service has at most that many rate limits)"],
    ["a rateLimits key no rate limit can have", { to: TO, rateLimits: { "end user": "v" } }, 'rateLimits: no rate limit named "end user" on this service'],
    ["a rateLimits value of 256", { to: TO, rateLimits: { ip: "v".repeat(256) } }, "accepted"],
    ["a rateLimits value of 257", { to: TO, rateLimits: { ip: "v".repeat(257) } }, 'rateLimits: the value of "ip" must be 1 to 256 characters'],
    ["an empty rateLimits value", { to: TO, rateLimits: { ip: "" } }, 'rateLimits: the value of "ip" must be 1 to 256 characters'],
  ];
  it.each(cases)("%s: %j → %s", (_name, init, expected) => {
    expect(refusal(() => validateStartRequest(init))).toBe(expected);
  });

  it("applies the request's own defaults; the deployment's (code length, lifetime) stay unset", () => {
    expect(validateStartRequest({ to: TO })).toEqual({
      to: TO,
      locale: "",
      codeLength: undefined,
      timeoutSeconds: undefined,
      serviceName: undefined,
      externalId: "",
      tags: {},
      clientIp: "",
      webOtpDomain: undefined,
      appHash: undefined,
      channels: ["sms"],
      fallbackAfterSeconds: 60,
      lookup: false,
    });
  });

  it("keeps rateLimits only when some are given, so a start without them is the request it was", () => {
    expect(validateStartRequest({ to: TO, rateLimits: {} })).toEqual(validateStartRequest({ to: TO }));
    expect(validateStartRequest({ to: TO, rateLimits: { ip: "203.0.113.7" } })).toMatchObject({ rateLimits: { ip: "203.0.113.7" } });
  });

  it("reads empty strings and an empty channel list as not given (proto3's zero values)", () => {
    const zero = { to: TO, locale: "", serviceName: "", externalId: "", clientIp: "", webOtpDomain: "", appHash: "", channels: [] };
    expect(validateStartRequest(zero)).toEqual(validateStartRequest({ to: TO }));
  });

  it("trims the service name and keeps a channel workflow", () => {
    expect(validateStartRequest({ to: TO, serviceName: "  Acme ", channel: "whatsapp" })).toMatchObject({ serviceName: "Acme", channels: ["whatsapp"] });
    expect(validateStartRequest({ to: TO, channels: ["whatsapp", "sms"], fallbackAfterSeconds: 45 })).toMatchObject({ channels: ["whatsapp", "sms"], fallbackAfterSeconds: 45 });
  });
});

describe("JSON start bodies: the reader's types, then the validator", () => {
  const cases: [string, unknown, string][] = [
    ["an array", [], "body: must be a JSON object"],
    ["a string", "x", "body: must be a JSON object"],
    ["null", null, "body: must be a JSON object"],
    // A `to` that is not a string is "not given": the validator's required-field refusal.
    ["to as a number", { to: 14155552671 }, "to: is required: a phone number in E.164, e.g. +14155550100"],
    ["codeLength as a string", { to: TO, codeLength: "6" }, "codeLength: must be an integer"],
    ["codeLength 6.5", { to: TO, codeLength: 6.5 }, "codeLength: must be an integer"],
    ["locale as a number", { to: TO, locale: 5 }, "locale: must be a string"],
    ["serviceName as a number", { to: TO, serviceName: 5 }, "serviceName: must be a string"],
    ["externalId as an object", { to: TO, externalId: {} }, "externalId: must be a string"],
    ["clientIp as a number", { to: TO, clientIp: 5 }, "clientIp: must be a string"],
    ["tags as a list", { to: TO, tags: ["a"] }, "tags: must be an object of string values"],
    ["a tag value as a number", { to: TO, tags: { a: 1 } }, 'tags: value of "a" must be a string'],
    ["channels as a string", { to: TO, channels: "sms" }, "channels: must be a list of channels"],
    ["an unknown channel in channels", { to: TO, channels: ["fax"] }, 'channels[0]: must be "sms", "whatsapp" or "call"'],
    ["an unknown channel", { to: TO, channel: "fax" }, 'channel: must be "sms", "whatsapp" or "call"'],
    ["webOtpDomain as a number", { to: TO, webOtpDomain: 5 }, "webOtpDomain: must be a string"],
    ["lookup as a string", { to: TO, lookup: "yes" }, "lookup: must be true or false"],
  ];
  it.each(cases)("%s: %j → %s", (_name, body, expected) => {
    expect(refusal(() => parseStartRequest(body))).toBe(expected);
  });

  it('reads "", 0 and null as not given on fields with a default', () => {
    const zero = { to: TO, codeLength: 0, timeoutSeconds: "", locale: null, channel: "", channels: [], webOtpDomain: null, appHash: 0, clientIp: null, tags: null, fallbackAfterSeconds: 0 };
    expect(parseStartRequest(zero)).toEqual(parseStartRequest({ to: TO }));
  });

  it("refuses a field it does not know, naming it (a typo must not silently mean the default)", () => {
    expect(refusal(() => parseStartRequest({ to: TO, timeoutSecond: 60 }))).toBe("timeoutSecond: is not a field of a start request");
    expect(refusal(() => parseStartRequest({ to: TO, Channel: "sms" }))).toBe("Channel: is not a field of a start request");
    expect(refusal(() => parseCheckRequest({ to: TO, code: "1234", verification_id: "ve_x" }))).toBe("verification_id: is not a field of a check request");
  });

  it("parseStartRequest is the JSON reader followed by the same validator", () => {
    const body = { to: TO, codeLength: 8, locale: "de", tags: { flow: "login" }, channels: ["sms", "call"], fallbackAfterSeconds: 30, lookup: true };
    expect(parseStartRequest(body)).toEqual(validateStartRequest(startRequestFromJson(body)));
    expect(refusal(() => parseStartRequest({ to: TO, codeLength: 3 }))).toBe("codeLength: must be from 4 to 10");
  });
});

describe("check requests", () => {
  const cases: [string, unknown, string][] = [
    ["neither id nor number", { code: "123456" }, "verificationId: give verificationId or to"],
    ["no code", { to: TO }, "code: is required"],
    ["a code as a number", { to: TO, code: 123456 }, "code: is required"],
    ["letters in the code", { to: TO, code: "12ab" }, "code: must be 4 to 10 digits"],
    ["a 3-digit code", { to: TO, code: "123" }, "code: must be 4 to 10 digits"],
    ["an 11-digit code", { to: TO, code: "12345678901" }, "code: must be 4 to 10 digits"],
    ["an id of 129", { verificationId: "v".repeat(129), code: "1234" }, "verificationId: must be at most 128 characters"],
    ["a number of 65", { to: "1".repeat(65), code: "1234" }, "to: must be at most 64 characters"],
    ["an id as a number", { verificationId: 5, code: "1234" }, "verificationId: must be a string"],
    ["to as a number", { to: 5, code: "1234" }, "to: must be a string"],
    ["by id", { verificationId: "ve_x", code: "1234" }, "accepted"],
    ["by number, 10 digits", { to: TO, code: "1234567890" }, "accepted"],
  ];
  it.each([
    [1, "accepted"],
    [3, "accepted"],
    [0, "sendAttempt: must be a whole number from 1"],
    [1.5, "sendAttempt: must be a whole number from 1"],
  ])("sendAttempt %s → %s", (sendAttempt, expected) => {
    expect(refusal(() => validateCheckRequest({ verificationId: "ve_x", code: "1234", sendAttempt }))).toBe(expected);
  });
  it.each(cases)("%s: %j → %s", (_name, body, expected) => {
    expect(refusal(() => parseCheckRequest(body))).toBe(expected);
  });

  it("proto's empty strings are not given", () => {
    expect(validateCheckRequest({ verificationId: "", to: TO, code: "1234" })).toEqual({ verificationId: "", to: TO, code: "1234" });
    expect(checkRequestFromJson({ verificationId: null, to: TO, code: "1234" })).toEqual({ verificationId: undefined, to: TO, code: "1234" });
  });
});

describe("validateVerificationId", () => {
  it.each([
    ["", "verificationId", "verificationId: is required"],
    ["v".repeat(129), "verificationId", "verificationId: must be at most 128 characters"],
    ["", "Sid", "Sid: is required"],
    ["v".repeat(128), "verificationId", "accepted"],
  ])("%j (field %s) → %s", (value, field, expected) => {
    expect(refusal(() => validateVerificationId(value, field))).toBe(expected);
  });
});

describe("lists", () => {
  it.each([
    ["deny", "accepted"],
    ["allow", "accepted"],
    ["grey", 'list: must be "deny" or "allow"'],
    ["", 'list: must be "deny" or "allow"'],
    [undefined, 'list: must be "deny" or "allow"'],
  ])("numberListOf(%j) → %s", (value, expected) => {
    expect(refusal(() => numberListOf(value))).toBe(expected);
  });

  it.each([
    [undefined, "accepted"],
    ["n".repeat(200), "accepted"],
    ["n".repeat(201), "note: must be a string of at most 200 characters"],
  ])("a note of %#: %s", (note, expected) => {
    expect(refusal(() => validateListChange({ list: "deny", phoneNumber: TO, listed: true, note }))).toBe(expected);
  });

  it("a JSON note that is not a string is refused in the same words; a body that is no object carries none", () => {
    expect(refusal(() => listNoteFromJson({ note: 5 }))).toBe("note: must be a string of at most 200 characters");
    expect(listNoteFromJson({ note: null })).toBeUndefined();
    expect(listNoteFromJson("x")).toBeUndefined();
    expect(listNoteFromJson(null)).toBeUndefined();
    expect(listNoteFromJson({ note: "fraud" })).toBe("fraud");
  });

  it.each([
    [undefined, 100],
    [0, 100],
    [1, 1],
    [1000, 1000],
    [1001, "pageSize: must be from 1 to 1000"],
    [-1, "pageSize: must be from 1 to 1000"],
    [1.5, "pageSize: must be from 1 to 1000"],
    [Number.NaN, "pageSize: must be from 1 to 1000"],
  ])("a page size of %j → %j", (pageSize, expected) => {
    const result = refusal(() => validateListPage({ list: "allow", pageSize }));
    if (typeof expected === "number") expect(validateListPage({ list: "allow", pageSize })).toEqual({ list: "allow", pageSize: expected, pageToken: "" });
    else expect(result).toBe(expected);
  });
});

describe("lookupRequestFromJson", () => {
  it.each([
    [{ phoneNumber: TO }, "accepted"],
    [[], "body: must be a JSON object"],
    [{ phoneNumber: TO, country: "US" }, "country: is not a field of a lookup request"],
  ])("%j → %s", (body, expected) => {
    expect(refusal(() => lookupRequestFromJson(body))).toBe(expected);
  });

  it("a number that is not a string is not given (the verifier refuses it as missing)", () => {
    expect(lookupRequestFromJson({ phoneNumber: 5 })).toEqual({ phoneNumber: "" });
  });
});

describe("parseIdempotencyKey", () => {
  it.each([
    ["k", "Idempotency-Key", "accepted"],
    ["k".repeat(255), "Idempotency-Key", "accepted"],
    ["k".repeat(256), "Idempotency-Key", "Idempotency-Key: must be 1 to 255 printable ASCII characters"],
    ["", "Idempotency-Key", "Idempotency-Key: must be 1 to 255 printable ASCII characters"],
    ["has space", "X-Request-Id", "X-Request-Id: must be 1 to 255 printable ASCII characters"],
    ["ключ", "Idempotency-Key", "Idempotency-Key: must be 1 to 255 printable ASCII characters"],
  ])("%j as %s → %s", (value, header, expected) => {
    expect(refusal(() => parseIdempotencyKey(value, header))).toBe(expected);
  });

  it("no header is no key", () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey(null)).toBeUndefined();
  });
});
