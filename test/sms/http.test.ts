// The helpers every SMS vendor file shares (src/sms/http.ts): one call under one deadline that
// covers the body, tolerant JSON, and the two failure shapes (refused vs outcome unknown). The
// vendors' use of them runs in the sender contract suite (test/sms/contract.ts).
import { describe, expect, it } from "vitest";
import { acceptedUnreadable, call, clientReference, joinUrl, readJson, refused, refusedByStatus, withoutPlus } from "../../src/sms/http.ts";
import { SmsSendError, type FetchFn } from "../../src/sms/sender.ts";

const SECRET_URL = "https://api.vendor.test/accounts/AC-secret-account/messages";
const request = () => new Request(SECRET_URL, { method: "POST", body: "to=%2B14155550100" });

async function failureOf(promise: Promise<unknown>): Promise<SmsSendError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(SmsSendError);
  return error as SmsSendError;
}

describe("joinUrl and withoutPlus", () => {
  it("join a base (with or without trailing slashes or a path prefix) and a path with exactly one slash", () => {
    expect(joinUrl("https://api.vendor.test", "/v1/sms")).toBe("https://api.vendor.test/v1/sms");
    expect(joinUrl("https://api.vendor.test/", "v1/sms")).toBe("https://api.vendor.test/v1/sms");
    expect(joinUrl("https://gw.test/proxy//", "//v1/sms")).toBe("https://gw.test/proxy/v1/sms");
  });

  it("withoutPlus drops the leading + only", () => {
    expect(withoutPlus("+447400123456")).toBe("447400123456");
    expect(withoutPlus("447400123456")).toBe("447400123456");
  });
});

describe("call", () => {
  it("answers a buffered copy: the status, the body and the content type only", async () => {
    const fetchFn: FetchFn = async () =>
      new Response('{"id":"m1"}', { status: 201, headers: { "content-type": "application/json", "content-encoding": "gzip", "x-vendor": "1" } });
    const response = await call("vendor", fetchFn, request(), 1_000);
    expect(response.status).toBe(201);
    expect([...response.headers]).toEqual([["content-type", "application/json"]]);
    expect(await response.json()).toEqual({ id: "m1" });
  });

  it("an answer without a body (204) stays without one", async () => {
    const response = await call("vendor", async () => new Response(null, { status: 204 }), request(), 1_000);
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
  });

  it("a vendor that never answers is an unknown outcome after the deadline, and its request is aborted", async () => {
    let signal: AbortSignal | undefined;
    const hang: FetchFn = (_input, init) => {
      signal = init?.signal ?? undefined;
      return new Promise(() => {});
    };
    const error = await failureOf(call("vendor", hang, request(), 30));
    expect({ reason: error.reason, definite: error.definite, provider: error.provider, message: error.message }).toEqual({
      reason: "unavailable",
      definite: false,
      provider: "vendor",
      message: "vendor timed out after 30 ms",
    });
    expect(signal?.aborted).toBe(true);
  });

  it("the deadline covers the body too: a vendor that stalls mid-body is an unknown outcome", async () => {
    const stall: FetchFn = async () =>
      new Response(new ReadableStream({ start: (controller) => controller.enqueue(new TextEncoder().encode('{"partial":')) }), { status: 200 });
    const error = await failureOf(call("vendor", stall, request(), 30));
    expect({ reason: error.reason, definite: error.definite, message: error.message }).toEqual({ reason: "unavailable", definite: false, message: "vendor timed out after 30 ms" });
  });

  it("a dropped connection is an unknown outcome, and the error's own text (which can hold the URL) stays out", async () => {
    const drop: FetchFn = async () => {
      throw new TypeError(`Network connection lost to ${SECRET_URL}`);
    };
    const error = await failureOf(call("vendor", drop, request(), 1_000));
    expect({ reason: error.reason, definite: error.definite, message: error.message }).toEqual({ reason: "unavailable", definite: false, message: "vendor was unreachable" });
    expect(error.message).not.toContain("secret");
  });
});

describe("readJson", () => {
  it("is the parsed body, or null for an empty or non-JSON body", async () => {
    expect(await readJson(new Response('{"a":[1]}'))).toEqual({ a: [1] });
    expect(await readJson(new Response(""))).toBeNull();
    expect(await readJson(new Response(null, { status: 204 }))).toBeNull();
    expect(await readJson(new Response("<html>502 Bad Gateway</html>"))).toBeNull();
  });
});

describe("failure shapes", () => {
  it("refused: definite below 500 (the vendor did not take it), not definite from 500 (it may have)", () => {
    const four = refused("vendor", "invalid_number", { status: 400, code: 21211 });
    expect({ reason: four.reason, definite: four.definite, providerCode: four.providerCode, provider: four.provider, message: four.message }).toEqual({
      reason: "invalid_number",
      definite: true,
      providerCode: "21211",
      provider: "vendor",
      message: "vendor refused the message (HTTP 400, code 21211)",
    });
    const five = refused("vendor", "unavailable", { status: 503 });
    expect({ definite: five.definite, providerCode: five.providerCode, message: five.message }).toEqual({ definite: false, providerCode: "503", message: "vendor refused the message (HTTP 503)" });
    // A vendor's explicit error status inside a 5xx can say it was not taken.
    expect(refused("vendor", "unavailable", { status: 500, code: "E1", definite: true }).definite).toBe(true);
    expect(refused("vendor", "unavailable", { status: 400, code: "", definite: false })).toMatchObject({ definite: false, providerCode: "400" });
  });

  it("refusedByStatus: the status alone decides the reason", () => {
    const cases: [number, string, boolean][] = [
      [400, "invalid_number", true],
      [401, "auth_failed", true],
      [403, "auth_failed", true],
      [404, "invalid_number", true],
      [429, "rate_limited", true],
      [500, "unavailable", false],
      [503, "unavailable", false],
    ];
    expect(cases.map(([status]) => [status, refusedByStatus("vendor", status).reason, refusedByStatus("vendor", status).definite])).toEqual(cases);
    expect(refusedByStatus("vendor", 400, 7).providerCode).toBe("7");
  });

  it("acceptedUnreadable: a 2xx without an id is an unknown outcome", () => {
    const error = acceptedUnreadable("vendor", 202);
    expect({ reason: error.reason, definite: error.definite, providerCode: error.providerCode, provider: error.provider, message: error.message }).toEqual({
      reason: "unavailable",
      definite: false,
      providerCode: "202",
      provider: "vendor",
      message: "vendor answered HTTP 202 without a readable message id",
    });
  });

  it("clientReference is a fresh UUID each time", () => {
    const a = clientReference();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(clientReference()).not.toBe(a);
  });
});
