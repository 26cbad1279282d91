import { describe, expect, it } from "vitest";
import {
  classifyReceipt,
  classifySendFailure,
  clearDeliverability,
  countedFailures,
  DEFAULT_DELIVERABILITY,
  EMPTY_DELIVERABILITY,
  MTA_RISK,
  recordUndeliverable,
  type DeliverabilityReason,
  type DeliverabilityState,
} from "../../src/core/deliverability.ts";

const T = Date.UTC(2026, 0, 1);
const DAY = 24 * 3_600_000;

describe("which provider answers mean the number cannot receive", () => {
  it.each<[string, string, string, DeliverabilityReason | null]>([
    ["twilio", "21610", "unsubscribed", "unsubscribed"],
    ["twilio", "21614", "invalid_number", "undeliverable"],
    ["twilio", "30003", "invalid_number", "undeliverable"],
    ["twilio", "30005", "invalid_number", "deactivated"],
    ["twilio", "30006", "invalid_number", "undeliverable"],
    ["twilio-whatsapp", "21610", "unsubscribed", "unsubscribed"],
    ["telnyx", "40300", "unsubscribed", "unsubscribed"],
    ["telnyx", "10001", "invalid_number", "deactivated"],
    ["vonage", "33", "invalid_number", "deactivated"],
    ["webhook", "stop", "unsubscribed", "unsubscribed"],
    // The service's problems, never the number's.
    ["twilio", "20003", "auth_failed", null],
    ["twilio", "20429", "rate_limited", null],
    ["telnyx", "500", "unavailable", null],
    ["twilio", "21211", "invalid_number", null],
  ])("%s %s (%s) → %s", (provider, providerCode, reason, expected) => {
    expect(classifySendFailure({ provider, providerCode, reason })).toBe(expected);
  });

  it("only final undelivered/failed receipts count; vendor codes make the reason specific", () => {
    expect(classifyReceipt({ provider: "twilio", status: "delivered", errorCode: "" })).toBeNull();
    expect(classifyReceipt({ provider: "twilio", status: "sent", errorCode: "30003" })).toBeNull();
    expect(classifyReceipt({ provider: "twilio", status: null, errorCode: "30005" })).toBeNull();
    expect(classifyReceipt({ provider: "twilio", status: "undelivered", errorCode: "30005" })).toBe("deactivated");
    expect(classifyReceipt({ provider: "twilio", status: "failed", errorCode: "21610" })).toBe("unsubscribed");
    expect(classifyReceipt({ provider: "vonage", status: "undelivered", errorCode: "4" })).toBe("unsubscribed");
    expect(classifyReceipt({ provider: "vonage", status: "undelivered", errorCode: "3" })).toBe("deactivated");
    expect(classifyReceipt({ provider: "plivo", status: "undelivered", errorCode: "70" })).toBe("deactivated");
    expect(classifyReceipt({ provider: "sinch", status: "undelivered", errorCode: "" })).toBe("undeliverable");
  });

  it("Twilio receipts that blame us (carrier filtering, suspended account) do not count", () => {
    for (const code of ["30007", "30002", "30034"]) expect(classifyReceipt({ provider: "twilio", status: "undelivered", errorCode: code })).toBeNull();
  });

  it("the two Vonage namespaces are not confused: send status 4 is credentials, receipt err-code 4 is barred by the user", () => {
    expect(classifySendFailure({ provider: "vonage", providerCode: "4", reason: "auth_failed" })).toBeNull();
    expect(classifyReceipt({ provider: "vonage", status: "failed", errorCode: "4" })).toBe("unsubscribed");
  });
});

describe("the per-number count", () => {
  const record = (state: DeliverabilityState, reason: DeliverabilityReason, at: number) => recordUndeliverable(state, reason, at);

  it("three 21610 answers deny-list the number as unsubscribed", () => {
    let state = EMPTY_DELIVERABILITY;
    const first = record(state, "unsubscribed", T);
    expect(first.denyList).toBeNull();
    const second = record(first.state, "unsubscribed", T + DAY);
    expect(second.denyList).toBeNull();
    const third = record(second.state, "unsubscribed", T + 2 * DAY);
    expect(third.denyList).toEqual({ reason: "unsubscribed" });
    state = third.state;
    expect(countedFailures(state, T + 2 * DAY)).toBe(3);
  });

  it("failures older than 30 days fall out of the count", () => {
    const a = record(EMPTY_DELIVERABILITY, "undeliverable", T);
    const b = record(a.state, "undeliverable", T + 10 * DAY);
    const c = record(b.state, "undeliverable", T + 31 * DAY);
    expect(c.denyList).toBeNull();
    expect(c.state.failures).toHaveLength(2);
  });

  it("the entry names the strongest reason among the counted failures", () => {
    let state = EMPTY_DELIVERABILITY;
    state = record(state, "undeliverable", T).state;
    state = record(state, "deactivated", T + 1).state;
    expect(record(state, "undeliverable", T + 2).denyList).toEqual({ reason: "deactivated" });
    expect(record(record(state, "unsubscribed", T + 2).state, "undeliverable", T + 3).denyList).toEqual({ reason: "unsubscribed" });
  });

  it("an approval clears the count; UNDELIVERABLE_AFTER is a setting", () => {
    const two = record(record(EMPTY_DELIVERABILITY, "undeliverable", T).state, "undeliverable", T + 1).state;
    const cleared = clearDeliverability();
    expect(record(cleared, "undeliverable", T + 2).denyList).toBeNull();
    expect(recordUndeliverable(EMPTY_DELIVERABILITY, "deactivated", T, { ...DEFAULT_DELIVERABILITY, undeliverableAfter: 1 }).denyList).toEqual({ reason: "deactivated" });
    expect(recordUndeliverable(two, "undeliverable", T + 2, { ...DEFAULT_DELIVERABILITY, undeliverableAfter: 5 }).denyList).toBeNull();
  });

  it("maps to MTA's risk values", () => {
    expect(MTA_RISK).toEqual({ unsubscribed: "unsubscribed", deactivated: "deactivated", undeliverable: "deny_list" });
  });
});
