// The schema gate in front of the REST handlers (src/rest/validate.ts): one validator per named
// schema of the document, the most specific failure, the field it names, and refusals in the
// semantic validators' words. The document itself and its routes: test/rest/openapi.test.ts.
import type { OutputUnit } from "@cfworker/json-schema";
import { describe, expect, it, vi } from "vitest";
import { parseCheckRequest, parseStartRequest } from "../../src/core/requests.ts";
import { parseServiceSettings } from "../../src/core/service.ts";
import { VerifyError } from "../../src/core/errors.ts";
import { openApiDocument } from "../../src/rest/openapi.ts";
import { checkBody, fieldOf, firstError, validatorFor } from "../../src/rest/validate.ts";
import { COMPONENTS, type SchemaName } from "../../src/rest/schemas.ts";
import { refusal } from "../helpers.ts";


const unit = (instanceLocation: string, keywordLocation: string, keyword = "type"): OutputUnit => ({ instanceLocation, keywordLocation, keyword, error: `${keyword} at ${instanceLocation}` });

describe("validatorFor", () => {
  it("builds one validator per schema name and keeps it", () => {
    expect(validatorFor("StartVerificationRequest")).toBe(validatorFor("StartVerificationRequest"));
    expect(validatorFor("CheckVerificationRequest")).not.toBe(validatorFor("StartVerificationRequest"));
  });

  it("leaves the document's schemas unannotated (the validator annotates a copy)", () => {
    validatorFor("StartVerificationRequest").validate({ to: 1 });
    // The annotations are non-enumerable (JSON.stringify would not show them), and the first base
    // URI they record sticks: a validator of /openapi.json under its own base would resolve wrong.
    const annotated: string[] = [];
    const walk = (value: unknown, path: string) => {
      if (typeof value !== "object" || value === null) return;
      if (Object.getOwnPropertyNames(value).some((name) => name.startsWith("__absolute"))) annotated.push(path);
      for (const [key, child] of Object.entries(value)) walk(child, `${path}/${key}`);
    };
    walk(openApiDocument(), "#");
    walk(COMPONENTS, "COMPONENTS");
    expect(annotated).toEqual([]);
  });
});

describe("firstError", () => {
  it("picks the deepest instance location, then the deepest keyword", () => {
    const shallow = unit("#", "#/required", "required");
    const deepKeyword = unit("#/tags/a", "#/properties/tags/additionalProperties/type");
    const deepInstance = unit("#/tags/a", "#/properties/tags/$ref");
    expect(firstError([shallow, deepInstance, deepKeyword])).toBe(deepKeyword);
    expect(firstError([shallow, unit("#/codeLength", "#/properties/codeLength/minimum", "minimum")])).toMatchObject({ keyword: "minimum" });
    // Depth in the body wins over depth in the schema.
    const deepInBody = unit("#/limits/perFortnight", "#/additionalProperties", "additionalProperties");
    const deepInSchema = unit("#", "#/properties/limits/allOf/0/anyOf/1/required", "required");
    expect(firstError([deepInSchema, deepInBody])).toBe(deepInBody);
    expect(firstError([])).toBeUndefined();
  });
});

describe("fieldOf", () => {
  it("turns an instance location into the dotted field name clients see", () => {
    expect(fieldOf("#")).toBe("body");
    expect(fieldOf("")).toBe("body");
    expect(fieldOf("#/codeLength")).toBe("codeLength");
    expect(fieldOf("#/limits/perFortnight")).toBe("limits.perFortnight");
    expect(fieldOf("#/channels/1")).toBe("channels.1");
    // JSON Pointer escapes (~1 is "/", ~0 is "~") and percent-encoding are undone.
    expect(fieldOf("#/tags/a~1b")).toBe("tags.a/b");
    expect(fieldOf("#/tags/a~0b")).toBe("tags.a~b");
    expect(fieldOf("#/tags/a%20b")).toBe("tags.a b");
  });
});

describe("checkBody", () => {
  // Bodies the handlers accept today: the schema must accept every one (proto3 zero values included).
  const accepted: [SchemaName, unknown][] = [
    ["StartVerificationRequest", { to: "+14155552671" }],
    ["StartVerificationRequest", { to: "+1 (415) 555-2671", codeLength: 0, timeoutSeconds: "", locale: "", channel: "", channels: [], webOtpDomain: null, appHash: 0, clientIp: null, tags: null }],
    ["StartVerificationRequest", { to: "+14155552671", channels: ["whatsapp", "sms"], fallbackAfterSeconds: 30, tags: { a: "b" }, locale: "pt-BR", codeLength: 10 }],
    ["CheckVerificationRequest", { to: "+14155552671", code: "1234", verificationId: null }],
    ["CreateServiceRequest", { friendlyName: "Shop", templates: { de: "{{code}}" }, allowedCountries: ["US"], testNumbers: { "+15005550100": "123456" }, twilioStrict: false }],
    ["UpdateServiceRequest", { codeLength: null, limits: null, webhookUrl: null }],
    ["CreateApiKeyRequest", null],
    ["CreateApiKeyRequest", {}],
    ["ListEntryRequest", {}],
    ["MtaSendCodeRequest", { to: "+14155552671", poolId: "7", longcodeId: 3, bypass: false, timeoutSeconds: 300 }],
  ];
  it.each(accepted)("%s accepts %j", (name, body) => {
    expect(validatorFor(name).validate(body).errors).toEqual([]);
  });

  // Bodies the schema refuses: the message is the semantic validator's, word for word.
  const refused: [SchemaName, unknown, (body: unknown) => unknown, string][] = [
    ["StartVerificationRequest", {}, parseStartRequest, "to: is required: a phone number in E.164, e.g. +14155550100"],
    ["StartVerificationRequest", [], parseStartRequest, "body: must be a JSON object"],
    ["StartVerificationRequest", { to: "+14155552671", codeLength: 3 }, parseStartRequest, "codeLength: must be from 4 to 10"],
    ["StartVerificationRequest", { to: "+14155552671", codeLength: "6" }, parseStartRequest, "codeLength: must be an integer"],
    ["StartVerificationRequest", { to: "+14155552671", tags: { a: 1 } }, parseStartRequest, 'tags: value of "a" must be a string'],
    ["StartVerificationRequest", { to: "+14155552671", channels: ["sms", "sms"] }, parseStartRequest, "channels: must not repeat a channel"],
    ["StartVerificationRequest", { to: "+14155552671", channel: "fax" }, parseStartRequest, 'channel: must be "sms", "whatsapp" or "call"'],
    ["StartVerificationRequest", { to: "+14155552671", locale: "not a locale" }, parseStartRequest, "locale: must be a BCP 47 language tag, e.g. en or pt-BR"],
    ["StartVerificationRequest", { to: "+14155552671", timeoutSecond: 60 }, parseStartRequest, "timeoutSecond: is not a field of a start request"],
    ["CheckVerificationRequest", { to: "+14155552671" }, parseCheckRequest, "code: is required"],
    ["CheckVerificationRequest", { to: "+14155552671", code: "1234", id: "ve_x" }, parseCheckRequest, "id: is not a field of a check request"],
    ["CheckVerificationRequest", { to: "+14155552671", code: "12ab" }, parseCheckRequest, "code: must be 4 to 10 digits"],
    ["CreateServiceRequest", { friendlyName: "" }, (b) => parseServiceSettings(b, { partial: false, webhookUrls: { development: true, internalHosts: new Set() } }), "friendlyName: is required: 1 to 64 characters"],
    ["UpdateServiceRequest", { limits: { perFortnight: 3 } }, (b) => parseServiceSettings(b, { partial: true, webhookUrls: { development: true, internalHosts: new Set() } }), "limits.perFortnight: is not a limit"],
  ];
  it.each(refused)("%s refuses %j in the semantic validator's words", (name, body, semantic, message) => {
    expect(validatorFor(name).validate(body).valid).toBe(false);
    expect(refusal(() => checkBody(name, body, semantic))).toBe(message);
  });

  it("a body only the schema refuses still fails, naming the field (and is logged as drift)", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(refusal(() => checkBody("StartVerificationRequest", { to: "+14155552671", codeLength: 3 }, () => undefined))).toMatch(/^codeLength: does not match the StartVerificationRequest schema/);
    expect(warn.mock.calls.map((c) => String(c[0])).some((line) => line.includes('"schema.drift"'))).toBe(true);
    warn.mockRestore();
  });

  it("a body the schema accepts passes without asking the semantic validator", () => {
    const semantic = () => {
      throw new Error("the semantic validator was asked");
    };
    expect(refusal(() => checkBody("StartVerificationRequest", { to: "+14155552671" }, semantic))).toBe("accepted");
  });
});
