// The REST error renderer: every refusal reason's code and status (the table must name every reason
// there is), the body and headers a refusal becomes, and what a failure that is no refusal says.
import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError } from "../../src/config.ts";
import { REFUSAL_REASONS, VerifyError, type RefusalReason } from "../../src/core/errors.ts";
import { errorBody, restErrorResponse, wireCodeFor, type WireCode } from "../../src/rest/errors.ts";
import { validatorFor } from "../../src/rest/validate.ts";

const EXPECTED: Record<RefusalReason, [WireCode, number]> = {
  invalid_argument: ["invalid_argument", 400],
  body_too_large: ["invalid_argument", 413],
  unauthenticated: ["unauthenticated", 401],
  not_found: ["not_found", 404],
  already_approved: ["failed_precondition", 400],
  verification_failed: ["failed_precondition", 400],
  resend_too_soon: ["resource_exhausted", 429],
  limit_reached: ["resource_exhausted", 429],
  locked: ["resource_exhausted", 429],
  rule_refused: ["permission_denied", 403],
  idempotency_key_reused: ["invalid_argument", 422],
  idempotency_in_progress: ["aborted", 409],
  unavailable: ["unavailable", 503],
  misconfigured: ["unavailable", 503],
  lookups_off: ["failed_precondition", 400],
};

describe("wireCodeFor", () => {
  it("the table names every reason there is, and nothing else", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...REFUSAL_REASONS].sort());
  });

  it.each(REFUSAL_REASONS)("%s", (reason) => {
    const [code, status] = EXPECTED[reason];
    expect(wireCodeFor(reason)).toEqual({ code, status });
  });

  it("refuses, at run time too, a reason it has no code for", () => {
    expect(() => wireCodeFor("made_up" as RefusalReason)).toThrow(/made_up/);
  });
});

describe("errorBody", () => {
  it("carries the reason and the details given; retryAfterSeconds also as Retry-After", () => {
    const error = new VerifyError("limit_reached", "to: too many codes", { field: "to", rule: "sends_per_day", retryAfterSeconds: 3600 });
    expect(errorBody(error)).toEqual({
      body: { code: "resource_exhausted", message: "to: too many codes", details: [{ reason: "limit_reached", field: "to", rule: "sends_per_day", retryAfterSeconds: 3600 }] },
      status: 429,
      headers: { "retry-after": "3600" },
    });
    expect(errorBody(new VerifyError("not_found", "no route for GET /x")).body.details).toEqual([{ reason: "not_found" }]);
  });

  it.each(REFUSAL_REASONS)("a %s body is the OpenAPI document's Error", (reason) => {
    const { body } = errorBody(new VerifyError(reason, "field: why", { field: "field", rule: "rule", retryAfterSeconds: 1 }));
    expect(validatorFor("Error").validate(body).errors).toEqual([]);
  });
});

describe("restErrorResponse", () => {
  const logged: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    logged.length = 0;
  });
  const app = (error: unknown) => {
    vi.spyOn(console, "error").mockImplementation((line: unknown) => void logged.push(String(line)));
    const app = new Hono();
    app.onError((e, c) => restErrorResponse(c, e));
    app.get("/x", () => {
      throw error;
    });
    return app.request("/x");
  };

  it("renders a refusal with its status, headers and body", async () => {
    const response = await app(new VerifyError("unavailable", "the number's storage is restarting; retry shortly", { retryAfterSeconds: 1 }));
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(await response.json()).toEqual({ code: "unavailable", message: "the number's storage is restarting; retry shortly", details: [{ reason: "unavailable", retryAfterSeconds: 1 }] });
  });

  it("renders a configuration error as `misconfigured`: 503, the cause only in the log", async () => {
    const response = await app(new ConfigError("CODE_SECRET is not set; refusing to store codes without a secret"));
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ code: "unavailable", message: "service is not configured", details: [{ reason: "misconfigured" }] });
    expect(text).not.toContain("CODE_SECRET");
    expect(logged.some((line) => line.includes('"config.invalid"') && line.includes("CODE_SECRET"))).toBe(true);
  });

  it("renders anything else as an internal error that says nothing of itself", async () => {
    const response = await app(new TypeError("cannot read the secret sauce"));
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ code: "internal", message: "internal error", details: [] });
    expect(text).not.toContain("sauce");
    expect(logged.some((line) => line.includes('"request.failed"') && line.includes('"/x"'))).toBe(true);
  });
});
