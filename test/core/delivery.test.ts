import { describe, expect, it } from "vitest";
import { applyDelivery, type DeliveryReceipt, type DeliveryState } from "../../src/core/delivery.ts";
import { applySendSuccess, applyStart } from "../../src/core/verification.ts";
import { START_PARAMS } from "./fixtures.ts";

const NOW = Date.UTC(2026, 0, 1);
const latest = (delivery: DeliveryState | null = null) => ({ messageId: "SM1", provider: "twilio", delivery });
const receipt = (status: DeliveryReceipt["status"], extra: Partial<DeliveryReceipt> = {}): DeliveryReceipt => ({
  providers: ["twilio", "twilio-whatsapp"],
  messageId: "SM1",
  status,
  errorCode: "",
  ...extra,
});
const state = (status: DeliveryState["status"], errorCode = ""): DeliveryState => ({ status, errorCode, updatedAt: NOW - 1 });

describe("applyDelivery", () => {
  it("records the first receipt for the latest message", () => {
    expect(applyDelivery(latest(), receipt("sent"), NOW)).toEqual({ kind: "applied", delivery: { status: "sent", errorCode: "", updatedAt: NOW } });
  });

  it("moves forward: queued → sent → delivered, keeping the vendor's error code", () => {
    expect(applyDelivery(latest(state("queued")), receipt("sent"), NOW)).toMatchObject({ kind: "applied", delivery: { status: "sent" } });
    expect(applyDelivery(latest(state("sent")), receipt("undelivered", { errorCode: "30003" }), NOW)).toMatchObject({
      kind: "applied",
      delivery: { status: "undelivered", errorCode: "30003" },
    });
  });

  it("never moves a final state: a late sent, or another final state, is ignored", () => {
    for (const final of ["delivered", "undelivered", "failed"] as const) {
      expect(applyDelivery(latest(state(final)), receipt("sent"), NOW)).toEqual({ kind: "ignored", reason: "already_final" });
      expect(applyDelivery(latest(state(final)), receipt(final === "delivered" ? "failed" : "delivered"), NOW)).toEqual({ kind: "ignored", reason: "already_final" });
    }
  });

  it("ignores a receipt that arrives out of order (queued after sent), and a repeat", () => {
    expect(applyDelivery(latest(state("sent")), receipt("queued"), NOW)).toEqual({ kind: "ignored", reason: "out_of_order" });
    expect(applyDelivery(latest(state("sent")), receipt("sent"), NOW)).toEqual({ kind: "ignored", reason: "unchanged" });
  });

  it("ignores a receipt for an older message, or for none", () => {
    expect(applyDelivery(latest(), receipt("delivered", { messageId: "SM0" }), NOW)).toEqual({ kind: "ignored", reason: "other_message" });
    expect(applyDelivery({ messageId: "", provider: "", delivery: null }, receipt("delivered", { messageId: "" }), NOW)).toEqual({ kind: "ignored", reason: "other_message" });
  });

  it("ignores a receipt from a provider that did not send the message", () => {
    expect(applyDelivery(latest(), receipt("delivered", { providers: ["webhook"] }), NOW)).toEqual({ kind: "ignored", reason: "other_provider" });
    expect(applyDelivery({ ...latest(), provider: "twilio-whatsapp" }, receipt("delivered"), NOW)).toMatchObject({ kind: "applied" });
  });
});

describe("delivery on the verification record", () => {
  const params = { ...START_PARAMS, fallbackAfterSeconds: 0 };

  it("starts with no receipt, and a new message clears the previous message's receipt", () => {
    const started = applyStart(null, params, NOW, "ve_a", new Uint8Array([1]));
    expect(started.delivery).toBeNull();
    const sent = applySendSuccess({ ...started, delivery: state("delivered") }, "SM2", "twilio", NOW + 1);
    expect(sent).toMatchObject({ messageId: "SM2", delivery: null });
  });
});
