// Receipts from an in-house gateway (the `webhook` provider): its quirks beyond the shared receipt
// suite (test/sms/receipts.test.ts runs signing, forgery, tampering, staleness and statuses for it).
import { describe, expect, it } from "vitest";
import { webhookReceipts } from "../../../src/sms/receipts/webhook.ts";
import { PUBLIC_BASE_URL, SECRETS, webhookCallback } from "./signers.ts";

const ID = "ve_" + "W".repeat(64);
const NOW = Date.now();
const url = () => webhookReceipts.callbackUrl(PUBLIC_BASE_URL, ID, SECRETS);
const withHeader = (request: Awaited<ReturnType<typeof webhookCallback>>, name: string, value: string) => {
  const headers = new Headers(request.headers);
  headers.set(name, value);
  return { ...request, headers };
};

describe("webhook receipts", () => {
  it("are configured by SMS_WEBHOOK_SECRET and cover the webhook provider only", async () => {
    expect(webhookReceipts.configured(SECRETS)).toBe(true);
    expect(webhookReceipts.configured({ ...SECRETS, webhookSecret: "" })).toBe(false);
    expect(webhookReceipts.covers).toEqual(["webhook"]);
    expect(await url()).toBe(`${PUBLIC_BASE_URL}/v1/callbacks/webhook?v=${ID}`);
  });

  it("accept only the v1= scheme with 64 lowercase hex digits", async () => {
    const signed = await webhookCallback(await url(), { messageId: "m1", status: "delivered" });
    const signature = signed.headers.get("x-edge-verify-signature")!;
    expect(await webhookReceipts.verify(signed, SECRETS, NOW)).toBe(true);
    for (const other of [signature.toUpperCase(), signature.replace("v1=", "v2="), signature.slice(3), `${signature}, v1=${"0".repeat(64)}`]) {
      expect(await webhookReceipts.verify(withHeader(signed, "x-edge-verify-signature", other), SECRETS, NOW), other).toBe(false);
    }
  });

  it("sign the timestamp with the body: another timestamp does not verify", async () => {
    const signed = await webhookCallback(await url(), { messageId: "m1", status: "delivered" });
    const timestamp = Number(signed.headers.get("x-edge-verify-timestamp"));
    expect(await webhookReceipts.verify(withHeader(signed, "x-edge-verify-timestamp", String(timestamp - 1)), SECRETS, NOW)).toBe(false);
  });

  it("parse {messageId, status, errorCode?} in our own status words; anything else is not a receipt", async () => {
    const parse = async (payload: unknown) => webhookReceipts.parse(await webhookCallback(await url(), payload));
    expect(await parse({ messageId: "m1", status: "undelivered", errorCode: 30003 })).toEqual([{ messageId: "m1", status: "undelivered", errorCode: "30003" }]);
    expect(await parse({ messageId: "m1", status: "delivered", errorCode: 0 })).toEqual([{ messageId: "m1", status: "delivered", errorCode: "" }]);
    for (const payload of [{ status: "delivered" }, { messageId: "", status: "delivered" }, { messageId: 7, status: "delivered" }, { messageId: "m1", status: "DELIVERED" }, { messageId: "m1", status: "read" }, [{ messageId: "m1", status: "sent" }]]) {
      expect(await parse(payload), JSON.stringify(payload)).toBeNull();
    }
  });
});
