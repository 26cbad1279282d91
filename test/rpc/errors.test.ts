// The Connect error renderer: every refusal reason's code (the table must name every reason there
// is), the metadata a refusal carries, what a failure that is no refusal says, and the answer in
// each protocol to an error raised before a handler runs.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError } from "../../src/config.ts";
import { REFUSAL_REASONS, VerifyError, type RefusalReason } from "../../src/core/errors.ts";
import { wireCodeFor } from "../../src/rest/errors.ts";
import { codeFor, connectErrorResponse, toConnectError } from "../../src/rpc/errors.ts";

const EXPECTED: Record<RefusalReason, Code> = {
  invalid_argument: Code.InvalidArgument,
  body_too_large: Code.InvalidArgument,
  unauthenticated: Code.Unauthenticated,
  not_found: Code.NotFound,
  already_approved: Code.FailedPrecondition,
  verification_failed: Code.FailedPrecondition,
  resend_too_soon: Code.ResourceExhausted,
  limit_reached: Code.ResourceExhausted,
  locked: Code.ResourceExhausted,
  rule_refused: Code.PermissionDenied,
  idempotency_key_reused: Code.InvalidArgument,
  idempotency_in_progress: Code.Aborted,
  unavailable: Code.Unavailable,
  misconfigured: Code.Unavailable,
  lookups_off: Code.FailedPrecondition,
};

/** Connect's code names, as REST's `code` field spells them. */
const NAME: Partial<Record<Code, string>> = {
  [Code.InvalidArgument]: "invalid_argument",
  [Code.Unauthenticated]: "unauthenticated",
  [Code.NotFound]: "not_found",
  [Code.FailedPrecondition]: "failed_precondition",
  [Code.ResourceExhausted]: "resource_exhausted",
  [Code.PermissionDenied]: "permission_denied",
  [Code.Aborted]: "aborted",
  [Code.Unavailable]: "unavailable",
};

describe("codeFor", () => {
  it("the table names every reason there is, and nothing else", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...REFUSAL_REASONS].sort());
  });

  it.each(REFUSAL_REASONS)("%s", (reason) => {
    expect(codeFor(reason)).toBe(EXPECTED[reason]);
  });

  it.each(REFUSAL_REASONS)("%s: the same code as REST's body names", (reason) => {
    expect(NAME[codeFor(reason)]).toBe(wireCodeFor(reason).code);
  });
});

describe("toConnectError", () => {
  const logged: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    logged.length = 0;
  });
  const spyLog = () => vi.spyOn(console, "error").mockImplementation((line: unknown) => void logged.push(String(line)));

  it("a refusal keeps its message; its reason and details ride as metadata", () => {
    const error = toConnectError(new VerifyError("rule_refused", "to: landlines cannot receive SMS", { field: "to", rule: "landline", retryAfterSeconds: 7 }), "/p");
    expect(error.code).toBe(Code.PermissionDenied);
    expect(error.rawMessage).toBe("to: landlines cannot receive SMS");
    expect(Object.fromEntries(error.metadata)).toEqual({ "x-verify-reason": "rule_refused", "x-verify-field": "to", "x-verify-rule": "landline", "retry-after": "7" });
  });

  it("a configuration error is `misconfigured`: Unavailable, the cause only in the log", () => {
    spyLog();
    const error = toConnectError(new ConfigError("API_KEYS is not set; refusing to serve without API keys"), "/verify.v1.VerificationService/StartVerification");
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toBe("service is not configured");
    expect(error.metadata.get("x-verify-reason")).toBe("misconfigured");
    expect(logged.some((line) => line.includes('"config.invalid"') && line.includes("API_KEYS"))).toBe(true);
  });

  it("anything else is Internal and says nothing of itself; connect-es's own errors pass as they are", () => {
    spyLog();
    const internal = toConnectError(new Error("the database password is hunter2"), "/p");
    expect(internal.code).toBe(Code.Internal);
    expect(internal.rawMessage).toBe("internal error");
    const own = new ConnectError("deadline exceeded", Code.DeadlineExceeded);
    expect(toConnectError(own, "/p")).toBe(own);
  });
});

describe("connectErrorResponse", () => {
  const request = (contentType: string) => new Request("https://x/verify.v1.VerificationService/GetVerification", { method: "POST", headers: { "content-type": contentType } });

  it("Connect: the unary JSON error with the code's HTTP status and the metadata as headers", async () => {
    const response = connectErrorResponse(new VerifyError("invalid_argument", "body: malformed", { field: "body" }), request("application/proto"));
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("x-verify-field")).toBe("body");
    expect(await response.json()).toEqual({ code: "invalid_argument", message: "body: malformed" });
  });

  it("gRPC-Web: trailers-only, the status in the headers and no body", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const response = connectErrorResponse(new ConfigError("CODE_SECRET is not set"), request("application/grpc-web+proto"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/grpc-web+proto");
    expect(response.headers.get("grpc-status")).toBe(String(Code.Unavailable));
    expect(decodeURIComponent(response.headers.get("grpc-message")!)).toBe("service is not configured");
    expect(response.headers.get("x-verify-reason")).toBe("misconfigured");
    expect(await response.text()).toBe("");
    vi.restoreAllMocks();
  });
});
