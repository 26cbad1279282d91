// What the lookup vendor files share (src/lookup/http.ts): a GET under one deadline that the caller
// can also end, the error shapes, and the small parsers of vendor fields. The vendors' use of them
// runs in the lookup contract suite (test/lookup/contract.ts).
import { describe, expect, it } from "vitest";
import { get, lookupRefused, mccOf, mncOf, networkOf, reasonForLookupStatus, text, typeKey, unreadable } from "../../src/lookup/http.ts";
import { LookupError } from "../../src/lookup/provider.ts";
import type { FetchFn } from "../../src/sms/sender.ts";

const request = () => new Request("https://lookups.vendor.test/v2/PhoneNumbers/%2B14155550100", { method: "GET" });

async function failureOf(promise: Promise<unknown>): Promise<LookupError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(LookupError);
  return error as LookupError;
}

/** A vendor that never answers, and remembers the signal its request was given. */
function hanging() {
  const seen: { signal: AbortSignal | null; calls: number } = { signal: null, calls: 0 };
  const fetchFn: FetchFn = (_input, init) => {
    seen.calls++;
    seen.signal = init?.signal ?? null;
    return new Promise(() => {});
  };
  return { seen, fetchFn };
}

describe("get", () => {
  it("answers the vendor's response, buffered", async () => {
    const response = await get("twilio", async () => Response.json({ valid: true }), request(), 1_000);
    expect(await response.json()).toEqual({ valid: true });
  });

  it("a vendor that never answers is unavailable, not definite, after the timeout, in our words", async () => {
    const { fetchFn } = hanging();
    const error = await failureOf(get("twilio", fetchFn, request(), 30));
    expect({ reason: error.reason, definite: error.definite, provider: error.provider, message: error.message }).toEqual({
      reason: "unavailable",
      definite: false,
      provider: "twilio",
      message: "twilio lookup timed out after 30 ms",
    });
  });

  it("the caller's signal ends it before the timeout, and reaches the request itself", async () => {
    const { seen, fetchFn } = hanging();
    const controller = new AbortController();
    const pending = get("telnyx", fetchFn, request(), 10_000, controller.signal);
    controller.abort();
    const error = await failureOf(pending);
    expect({ reason: error.reason, definite: error.definite, message: error.message }).toEqual({ reason: "unavailable", definite: false, message: "telnyx lookup was canceled" });
    expect(seen.signal?.aborted).toBe(true);
  });

  it("an already-aborted signal makes no request", async () => {
    const { seen, fetchFn } = hanging();
    const error = await failureOf(get("plivo", fetchFn, request(), 1_000, AbortSignal.abort()));
    expect(error.message).toBe("plivo lookup was canceled");
    expect(seen.calls).toBe(0);
  });

  it("a dropped connection is unavailable, not definite, without the error's own text", async () => {
    const error = await failureOf(
      get("vonage", async () => {
        throw new TypeError("connect ECONNREFUSED api_key=secret");
      }, request(), 1_000),
    );
    expect({ reason: error.reason, definite: error.definite, message: error.message }).toEqual({ reason: "unavailable", definite: false, message: "vonage lookup was unreachable" });
  });
});

describe("error shapes", () => {
  it("lookupRefused: definite for a 4xx that answers the question, not for a 5xx or an unavailable reason", () => {
    const invalid = lookupRefused("twilio", "invalid_number", 404, 20404);
    expect({ reason: invalid.reason, definite: invalid.definite, providerCode: invalid.providerCode, message: invalid.message }).toEqual({
      reason: "invalid_number",
      definite: true,
      providerCode: "20404",
      message: "twilio lookup refused (HTTP 404, code 20404)",
    });
    expect(lookupRefused("twilio", "unavailable", 503)).toMatchObject({ definite: false, providerCode: "503", message: "twilio lookup refused (HTTP 503)" });
    expect(lookupRefused("twilio", "rate_limited", 500, "")).toMatchObject({ definite: false, providerCode: "500" });
    expect(lookupRefused("twilio", "unavailable", 400, "X").definite).toBe(false);
  });

  it("reasonForLookupStatus: the status alone decides", () => {
    expect([400, 401, 403, 404, 429, 500, 502].map(reasonForLookupStatus)).toEqual(["invalid_number", "auth_failed", "auth_failed", "not_found", "rate_limited", "unavailable", "unavailable"]);
  });

  it("unreadable: a 2xx without the fields is an unknown outcome", () => {
    expect(unreadable("plivo", 200)).toMatchObject({ reason: "unavailable", definite: false, provider: "plivo", providerCode: "200", message: "plivo lookup answered HTTP 200 without a readable result" });
  });
});

describe("vendor field parsers", () => {
  it("text: a trimmed non-empty string, else null", () => {
    expect([text(" Verizon "), text(""), text("   "), text(5), text(null)]).toEqual(["Verizon", null, null, null, null]);
  });

  it("mccOf: three digits (a number or a string), nothing else", () => {
    expect([mccOf("310"), mccOf(310), mccOf(" 234 "), mccOf("US"), mccOf("31"), mccOf("3100"), mccOf(310.5), mccOf("N/A")]).toEqual(["310", "310", "234", null, null, null, null, null]);
  });

  it("mncOf: two or three digits; a numeric 5 is '05'", () => {
    expect([mncOf("260"), mncOf("01"), mncOf(5), mncOf(260), mncOf("1"), mncOf("1234"), mncOf("415")]).toEqual(["260", "01", "05", "260", null, null, "415"]);
  });

  it("networkOf: MCC and MNC together or neither", () => {
    expect(networkOf("310", "260")).toEqual({ mcc: "310", mnc: "260" });
    expect(networkOf("US", "415")).toEqual({ mcc: null, mnc: null });
    expect(networkOf("310", null)).toEqual({ mcc: null, mnc: null });
    expect(networkOf(null, "260")).toEqual({ mcc: null, mnc: null });
  });

  it("typeKey: one key whatever the case and separators", () => {
    expect(["tollFree", "toll free", "toll-free", "TOLL_FREE"].map(typeKey)).toEqual(["tollfree", "tollfree", "tollfree", "tollfree"]);
    expect(typeKey(7)).toBe("");
  });
});
