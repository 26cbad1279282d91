// src/errors.ts: the one place a thrown error becomes what a client is told. A configuration error
// is the `misconfigured` refusal, and it reaches every wire format as that format says "not
// configured": REST, Connect, gRPC-Web, Twilio and MTA, with the cause only in the log.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../src/app.ts";
import { ConfigError, DEV_API_KEY } from "../src/config.ts";
import { VerifyError } from "../src/core/errors.ts";
import { refusalOf } from "../src/errors.ts";

describe("refusalOf", () => {
  const logged: string[] = [];
  beforeEach(() => {
    vi.spyOn(console, "error").mockImplementation((line: unknown) => void logged.push(String(line)));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    logged.length = 0;
  });

  it("a refusal is itself, and is not logged", () => {
    const refusal = new VerifyError("locked", "to: locked");
    expect(refusalOf(refusal, "/p")).toBe(refusal);
    expect(logged).toEqual([]);
  });

  it("a configuration error is `misconfigured`, its message logged and not carried", () => {
    const refusal = refusalOf(new ConfigError("TWILIO_AUTH_TOKEN is wrong"), "/p");
    expect(refusal).toMatchObject({ reason: "misconfigured", message: "service is not configured", details: {} });
    expect(logged.map((line) => JSON.parse(line))).toEqual([{ level: "error", event: "config.invalid", message: "TWILIO_AUTH_TOKEN is wrong" }]);
  });

  it("anything else is no refusal: logged with its path, for the renderer's internal error", () => {
    expect(refusalOf(new RangeError("boom"), "/v1/x")).toBeNull();
    expect(refusalOf("a string thrown", "/v1/y")).toBeNull();
    expect(logged.map((line) => JSON.parse(line))).toEqual([
      { level: "error", event: "request.failed", path: "/v1/x", error: "boom" },
      { level: "error", event: "request.failed", path: "/v1/y", error: "a string thrown" },
    ]);
  });
});

describe("a deployed worker without its secrets", () => {
  const app = createApp();
  const broken = { ...env, ENVIRONMENT: "production", API_KEYS: undefined, CODE_SECRET: undefined } as unknown as Env;
  const send = (path: string, contentType: string, body: BodyInit, authorization = `Bearer ${DEV_API_KEY}`) =>
    app.fetch(new Request(`http://x${path}`, { method: "POST", headers: { authorization, "content-type": contentType }, body }), broken);
  beforeEach(() => {
    vi.spyOn(console, "error").mockImplementation(() => {});
  });
  afterEach(() => vi.restoreAllMocks());

  it("REST: 503 unavailable, reason misconfigured (API, admin API and receipts alike)", async () => {
    for (const path of ["/v1/verifications", "/v1/services", "/v1/callbacks/twilio"]) {
      const response = await send(path, "application/json", "{}");
      expect(response.status, path).toBe(503);
      expect(await response.json()).toEqual({ code: "unavailable", message: "service is not configured", details: [{ reason: "misconfigured" }] });
    }
  });

  it("Connect: 503 unavailable; gRPC-Web: grpc-status 14", async () => {
    const connect = await send("/verify.v1.VerificationService/StartVerification", "application/json", JSON.stringify({ to: "+14155552671" }));
    expect(connect.status).toBe(503);
    expect(connect.headers.get("x-verify-reason")).toBe("misconfigured");
    expect(await connect.json()).toEqual({ code: "unavailable", message: "service is not configured" });
    const grpcWeb = await send("/verify.v1.VerificationService/StartVerification", "application/grpc-web+proto", new Uint8Array([0, 0, 0, 0, 0]));
    expect(grpcWeb.status).toBe(200);
    expect(grpcWeb.headers.get("grpc-status")).toBe("14");
    expect(decodeURIComponent(grpcWeb.headers.get("grpc-message")!)).toBe("service is not configured");
  });

  it("Twilio: 503 with Twilio's 20503; MTA: 503 ServiceUnavailableError", async () => {
    const twilio = await send("/v2/Services/VA00000000000000000000000000000000/Verifications", "application/x-www-form-urlencoded", "To=%2B14155552671&Channel=sms", `Basic ${btoa(`AC0:${DEV_API_KEY}`)}`);
    expect(twilio.status).toBe(503);
    expect(await twilio.json()).toEqual({ code: 20503, message: "Service is not configured", more_info: "https://www.twilio.com/docs/errors/20503", status: 503 });
    const mta = await send("/v3/verify/sms/send-code", "application/json", JSON.stringify({ to: "+14155552671" }));
    expect(mta.status).toBe(503);
    expect(await mta.json()).toEqual({ success: false, error: "ServiceUnavailableError", message: "service is not configured", reason: "misconfigured" });
  });
});
