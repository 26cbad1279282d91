// Verification → JSON (src/core/verification-json.ts): what leaves the number's object (never the
// code hash) and the REST / webhook body built from it: camelCase, RFC 3339 times, the lookup view.
import { describe, expect, it } from "vitest";
import { applyStart, type VerificationRecord } from "../../src/core/verification.ts";
import { verificationJson, viewOf } from "../../src/core/verification-json.ts";
import { START_PARAMS } from "./fixtures.ts";

const NOW = Date.UTC(2027, 0, 15, 8, 0, 0);
const HASH = new Uint8Array(32).fill(9);
const started = applyStart(null, START_PARAMS, NOW, "ve_json", HASH);

describe("viewOf", () => {
  it("is the record without its code hash, and leaves the record as it was", () => {
    const view = viewOf(started);
    expect(view).not.toHaveProperty("codeHash");
    expect({ ...view, codeHash: started.codeHash, previousCodeHashes: started.previousCodeHashes }).toEqual(started);
    expect(started.codeHash).toBe(HASH);
  });

  it("drops the earlier channels' code hashes too (a view is what idempotency records keep)", () => {
    const afterFallback: VerificationRecord = { ...started, channel: "call", codeHash: new Uint8Array(32).fill(2), previousCodeHashes: [HASH] };
    const view = viewOf(afterFallback);
    expect(view).not.toHaveProperty("codeHash");
    expect(view).not.toHaveProperty("previousCodeHashes");
    expect(afterFallback.previousCodeHashes).toEqual([HASH]);
  });
});

describe("verificationJson", () => {
  it("a pending SMS verification: camelCase fields, RFC 3339 times, metadata as the lookup, no delivery yet", () => {
    expect(verificationJson(viewOf(started))).toEqual({
      id: "ve_json",
      to: "+14155552671",
      channel: "sms",
      status: "pending",
      createTime: "2027-01-15T08:00:00.000Z",
      updateTime: "2027-01-15T08:00:00.000Z",
      expireTime: "2027-01-15T08:10:00.000Z",
      sendAttempts: 1,
      checkAttempts: 0,
      messageId: "",
      lookup: { countryCode: "US", lineType: "mobile", carrier: null, mcc: null, mnc: null, ported: null, source: "metadata" },
      externalId: "",
      tags: {},
      failureReason: "",
      risk: [],
      provider: "",
      locale: "en",
      messageEncoding: "GSM-7",
      messageSegments: 1,
      channels: ["sms"],
      nextChannelTime: null,
      fallbackRefusal: "",
      test: false,
      delivery: null,
    });
  });

  it("never carries a code hash, whatever the record holds", () => {
    const json = JSON.stringify(verificationJson(viewOf({ ...started, previousCodeHashes: [new Uint8Array(32).fill(8)] })));
    expect(json).not.toMatch(/codeHash|previousCodeHashes/);
  });

  it("shows the carrier's answer as the lookup, in the metadata's words", () => {
    const looked: VerificationRecord = {
      ...started,
      lineType: "fixed_line_or_mobile",
      lookup: { lineType: "landline", carrier: "Fake Telco", mcc: null, mnc: null, ported: false, source: "telnyx", fetchedAt: NOW },
    };
    expect(verificationJson(viewOf(looked)).lookup).toEqual({ countryCode: "US", lineType: "fixed_line", carrier: "Fake Telco", mcc: null, mnc: null, ported: false, source: "telnyx" });
  });

  it("a channel workflow's next step, a refused fallback, risks and a delivery receipt", () => {
    const record: VerificationRecord = {
      ...started,
      channels: ["sms", "call"],
      nextChannelAt: NOW + 60_000,
      fallbackRefusal: "sends_per_day",
      risks: ["velocity_ip"],
      delivery: { status: "undelivered", errorCode: "30003", updatedAt: NOW + 5_000 },
      test: true,
      tags: { order: "42" },
    };
    expect(verificationJson(viewOf(record))).toMatchObject({
      channels: ["sms", "call"],
      nextChannelTime: "2027-01-15T08:01:00.000Z",
      fallbackRefusal: "sends_per_day",
      risk: ["velocity_ip"],
      delivery: { status: "undelivered", errorCode: "30003", updateTime: "2027-01-15T08:00:05.000Z" },
      test: true,
      tags: { order: "42" },
    });
  });

  it("a record written before fallback refusals existed reads as none", () => {
    const { fallbackRefusal: _omit, ...older } = { ...started, fallbackRefusal: "x" };
    expect(verificationJson(viewOf(older as VerificationRecord)).fallbackRefusal).toBe("");
  });
});
