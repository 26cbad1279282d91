// The request schemas of /openapi.json held to the parsers behind them. For each request body the
// document describes, the test walks the schema: the parser reads exactly the properties the schema
// lists; every value the schema states as valid (each enum member, each bound, the longest string)
// the parser accepts; every value it refuses (a bound ±1, one character too many, another JSON
// type, a missing required field, a field it does not list where it lists all) the parser refuses
// too, naming that field. The parser may be stricter than the schema only where the schema says so
// in words (a service name's 30 characters once trimmed, a URL in it).
import { describe, expect, it } from "vitest";
import { parseSendCode as parseCamaraSendCode, parseValidateCode } from "../../src/compat/camara.ts";
import { parseCheckCode, parseSendCode } from "../../src/compat/mta.ts";
import { VerifyError } from "../../src/core/errors.ts";
import { parsePhoneNumber } from "../../src/core/phone.ts";
import { listNoteFromJson, lookupRequestFromJson, parseCheckRequest, parseStartRequest, validateListChange } from "../../src/core/requests.ts";
import { COMPONENTS, type JsonSchema, type SchemaName } from "../../src/rest/schemas.ts";
import { validatorFor } from "../../src/rest/validate.ts";

const TO = "+14155552671";
type Body = Record<string, unknown>;

/** Each request schema, the parser its route applies, and a smallest valid body. */
const REQUESTS: [SchemaName, (body: unknown) => unknown, Body][] = [
  ["StartVerificationRequest", parseStartRequest, { to: TO }],
  ["CheckVerificationRequest", parseCheckRequest, { to: TO, code: "123456" }],
  ["MtaSendCodeRequest", parseSendCode, { to: TO }],
  ["MtaCheckCodeRequest", parseCheckCode, { to: TO, code: "123456" }],
  // The route's reader, then the number as the verifier parses it.
  ["LookupRequest", (body) => parsePhoneNumber(lookupRequestFromJson(body).phoneNumber, "phoneNumber"), { phoneNumber: TO }],
  ["ListEntryRequest", (body) => validateListChange({ list: "deny", phoneNumber: TO, listed: true, note: listNoteFromJson(body) }), {}],
  // The route's parser, then the number as the verifier parses it (its refusals are renamed phoneNumber).
  ["CamaraSendCodeRequest", (body) => parsePhoneNumber(parseCamaraSendCode(body).to, "phoneNumber"), { phoneNumber: TO, message: "{{code}} is your code" }],
  ["CamaraValidateCodeRequest", parseValidateCode, { authenticationId: "ea0840f3-3663-4149-bd10-c7c6b8912105", code: "123456" }],
];

/** Valid values the schema cannot generate (formats, patterns, free numbers), by field or by `schema.field`. */
const EXAMPLES: Record<string, unknown[]> = {
  // CAMARA's pattern: E.164 with its + and nothing else.
  "CamaraSendCodeRequest.phoneNumber": [TO, "+442079460123"],
  message: ["{{code}}", `{{code}}${"x".repeat(152)}`, "Acme\n{{code}}"],
  to: [TO],
  phoneNumber: [TO, "+1 (415) 555-2671"],
  code: ["1234", "1234567890"],
  // The longest tag the schema allows: 35 characters.
  locale: ["", "en", "pt-BR", "en-abcdefgh-abcdefgh-abcdefgh-abcde"],
  clientIp: ["203.0.113.7", "2001:db8::1"],
  webOtpDomain: ["example.com"],
  appHash: ["FA+9qCX9VSu"],
  longcodeId: [3, 3.5],
  poolId: [3, "7"],
  senderName: ["Acme"],
};
/** Values the schema's pattern refuses. */
const REFUSED: Record<string, unknown[]> = {
  "CamaraSendCodeRequest.phoneNumber": ["3301", "+1 (415) 555-2671", "+0123456", ""],
  message: ["no code here", `{{code}}${"x".repeat(153)}`],
  code: ["12ab", "123", "12345678901"],
  locale: ["not a locale", "e"],
};
/**
 * Other fields a value needs to be valid, by field or by `schema.field`: a fallback needs a second
 * channel; a check without `to` needs `verificationId` (the schema's description says "give one").
 */
const CONTEXT: Record<string, Body> = {
  fallbackAfterSeconds: { channels: ["sms", "call"] },
  "CheckVerificationRequest.to": { verificationId: "ve_x" },
  "MtaCheckCodeRequest.to": { verificationId: "ve_x" },
};
const contextOf = (name: SchemaName, field: string): Body => CONTEXT[`${name}.${field}`] ?? CONTEXT[field] ?? {};
/** A string of `n` characters valid for the field (a service name is judged once trimmed). */
const fill = (field: string, n: number) => (field === "serviceName" ? "Acme".padEnd(n, " ").slice(0, n) : "x".repeat(n));

interface Facets extends JsonSchema {
  types: string[];
  /** Values the schema takes for "not given". */
  unset: unknown[];
}

function facets(schema: JsonSchema): Facets {
  if (Array.isArray(schema.anyOf)) {
    const [inner, unset] = schema.anyOf as [JsonSchema, JsonSchema];
    return { ...facets(inner), unset: unset.enum as unknown[] };
  }
  const types = (Array.isArray(schema.type) ? schema.type : [schema.type]) as string[];
  return { ...schema, types: types.filter((t) => t !== "null"), unset: types.includes("null") ? [null] : [] };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const tagsOf = (n: number) => Object.fromEntries(range(n).map((i) => [`k${i}`, "v"]));

const examplesOf = (name: SchemaName, field: string) => EXAMPLES[`${name}.${field}`] ?? EXAMPLES[field];

function validValues(name: SchemaName, field: string, f: Facets): unknown[] {
  const examples = examplesOf(name, field);
  const values: unknown[] = [...(examples ?? []), ...f.unset];
  if (f.enum) values.push(...(f.enum as unknown[]).filter((v) => v !== null));
  for (const type of f.types) {
    if (type === "integer") values.push(...[f.minimum, f.maximum].filter((v) => v !== undefined));
    if (type === "boolean") values.push(true, false);
    if (type === "string" && !f.enum && !f.pattern && !examples) values.push(fill(field, Math.max(1, (f.minLength as number) ?? 1)));
    if (type === "string" && f.maxLength !== undefined && !f.pattern) values.push(fill(field, f.maxLength as number));
    if (type === "array") {
      const members = facets(f.items as JsonSchema).enum as unknown[];
      values.push(members.slice(0, 1), members.slice(0, f.maxItems as number));
    }
    if (type === "object") {
      const keys = f.propertyNames as JsonSchema;
      const value = facets(f.additionalProperties as JsonSchema);
      values.push({}, tagsOf(f.maxProperties as number), { ["k".repeat(keys.maxLength as number)]: "v".repeat(value.maxLength as number) });
    }
  }
  return values;
}

function refusedValues(name: SchemaName, field: string, f: Facets): unknown[] {
  const values: unknown[] = [...(REFUSED[`${name}.${field}`] ?? REFUSED[field] ?? [])];
  values.push(f.types.includes("boolean") ? "yes" : true);
  for (const type of f.types) {
    if (type === "integer") {
      if (f.minimum !== undefined && (f.minimum as number) - 1 !== 0) values.push((f.minimum as number) - 1);
      if (f.maximum !== undefined) values.push((f.maximum as number) + 1);
      if (!f.types.includes("number")) values.push(6.5);
    }
    if (type === "string") {
      if (f.maxLength !== undefined) values.push(fill(field, (f.maxLength as number) + 1));
      if ((f.minLength as number) > 0 && !f.unset.includes("")) values.push("");
      if (f.enum) values.push("not-a-member");
    }
    if (type === "array") {
      const members = facets(f.items as JsonSchema).enum as unknown[];
      values.push(["not-a-member"], [members[0], members[0]], range((f.maxItems as number) + 1).map((i) => members[i % members.length]));
    }
    if (type === "object") {
      const keys = f.propertyNames as JsonSchema;
      const value = facets(f.additionalProperties as JsonSchema);
      values.push([], tagsOf((f.maxProperties as number) + 1), { "": "v" }, { ["k".repeat((keys.maxLength as number) + 1)]: "v" }, { k: "v".repeat((value.maxLength as number) + 1) }, { k: 1 });
    }
  }
  return values;
}

/** The parser's verdict: "accepted", or the field it named. */
function verdict(parse: (body: unknown) => unknown, body: unknown): string {
  try {
    parse(body);
    return "accepted";
  } catch (error) {
    if (!(error instanceof VerifyError)) throw error;
    expect(error.reason).toBe("invalid_argument");
    return `refused ${error.details.field}`;
  }
}

const schemaAccepts = (name: SchemaName, body: unknown) => validatorFor(name).validate(body).valid;

describe.each(REQUESTS)("%s", (name, parse, base) => {
  const schema = COMPONENTS[name] as JsonSchema;
  const properties = schema.properties as Record<string, JsonSchema>;

  it("the smallest valid body is valid for both", () => {
    expect(schemaAccepts(name, base)).toBe(true);
    expect(verdict(parse, base)).toBe("accepted");
  });

  it("the parser reads exactly the properties the schema lists", () => {
    const read = new Set<string>();
    const spy = new Proxy(base, {
      get(target, key, receiver) {
        if (typeof key === "string") read.add(key);
        return Reflect.get(target, key, receiver);
      },
    });
    parse(spy);
    expect([...read].sort()).toEqual(Object.keys(properties).sort());
  });

  it("every value the schema states as valid, the parser accepts", () => {
    const disagreements: string[] = [];
    for (const [field, property] of Object.entries(properties)) {
      for (const value of validValues(name, field, facets(property))) {
        const body = { ...base, ...contextOf(name, field), [field]: value };
        if (!schemaAccepts(name, body)) disagreements.push(`the schema refuses its own ${field}: ${JSON.stringify(value)}`);
        const parsed = verdict(parse, body);
        if (parsed !== "accepted") disagreements.push(`${field}: ${JSON.stringify(value)} ${parsed}`);
      }
    }
    expect(disagreements).toEqual([]);
  });

  it("every value the schema refuses, the parser refuses, naming the field", () => {
    const disagreements: string[] = [];
    for (const [field, property] of Object.entries(properties)) {
      for (const value of refusedValues(name, field, facets(property))) {
        const body = { ...base, ...contextOf(name, field), [field]: value };
        if (schemaAccepts(name, body)) disagreements.push(`the schema accepts ${field}: ${JSON.stringify(value)}`);
        const parsed = verdict(parse, body);
        // A channel list is refused at the item at fault, `channels[0]`.
        if (parsed !== `refused ${field}` && !parsed.startsWith(`refused ${field}[`)) disagreements.push(`${field}: ${JSON.stringify(value)} ${parsed}`);
      }
    }
    expect(disagreements).toEqual([]);
  });

  it("a required field left out is refused by both, by its name", () => {
    for (const field of (schema.required as string[] | undefined) ?? []) {
      const { [field]: _, ...body } = base;
      expect(schemaAccepts(name, body), field).toBe(false);
      expect(verdict(parse, body)).toBe(`refused ${field}`);
    }
  });

  it("a field the schema does not list: refused by both where it lists them all, else ignored by both", () => {
    const body = { ...base, notAField: 1 };
    const closed = schema.additionalProperties === false;
    expect(schemaAccepts(name, body)).toBe(!closed);
    expect(verdict(parse, body)).toBe(closed ? "refused notAField" : "accepted");
  });

  it("a body that is not an object: refused by both where the schema wants an object", () => {
    for (const body of [[], "text", 7]) {
      const wantsObject = schema.type === "object";
      expect(schemaAccepts(name, body)).toBe(!wantsObject);
      expect(verdict(parse, body)).toBe(wantsObject ? "refused body" : "accepted");
    }
  });
});
