// One contract suite for every vendor's receipt verifier and parser: a correctly signed receipt is
// accepted and mapped; forged, unsigned, tampered and stale ones are refused.
import { describe, expect, it } from "vitest";
import { RECEIPT_VENDORS, type CallbackRequest } from "../../src/sms/receipts/index.ts";
import { vonageSignature } from "../../src/sms/receipts/vonage.ts";
import { caseTitle, PUBLIC_BASE_URL, SECRETS, VENDOR_CASES, vonageCallback } from "./receipts/signers.ts";

const ID = "ve_" + "A".repeat(64);
const NOW = Date.now();

for (const vendorCase of VENDOR_CASES) {
  const vendor = RECEIPT_VENDORS[vendorCase.provider]!;

  describe(`${caseTitle(vendorCase)} receipts`, () => {
    const url = () => vendor.callbackUrl(PUBLIC_BASE_URL, ID, SECRETS);
    const firstStatus = Object.keys(vendorCase.statuses)[0]!;

    it("hands out a callback URL under PUBLIC_BASE_URL that routes to the verification", async () => {
      const u = new URL(await url());
      expect(u.origin + u.pathname).toBe(`${PUBLIC_BASE_URL}/v1/callbacks/${vendorCase.provider}`);
      if (!vendorCase.referenceInBody) expect(u.searchParams.get("v")).toBe(ID);
    });

    it("accepts a correctly signed receipt and reads its message id and error code", async () => {
      const request = await vendorCase.sign(await url(), "msg-1", firstStatus, { errorCode: "30003", verificationId: ID });
      expect(await vendor.verify(request, SECRETS, NOW)).toBe(true);
      const [receipt] = vendor.parse(request)!;
      expect(receipt).toMatchObject({ messageId: "msg-1", errorCode: expect.stringMatching(/30003|^$/) });
      if (vendorCase.referenceInBody) expect(receipt!.reference).toBe(ID);
    });

    it("refuses a receipt signed with another key", async () => {
      expect(await vendor.verify(await vendorCase.forge(await url(), "msg-1", firstStatus), SECRETS, NOW)).toBe(false);
    });

    it("refuses a tampered receipt (body changed after signing)", async () => {
      const request = await vendorCase.sign(await url(), "msg-1", firstStatus, { verificationId: ID });
      const tampered: CallbackRequest = { ...request, body: request.body.replace("msg-1", "msg-2") };
      // Infobip is unsigned and Plivo V2 signs the URL only: there the body is not covered, only
      // the URL token is (documented).
      expect(await vendor.verify(tampered, SECRETS, NOW)).toBe(vendorCase.bodyUnsigned === true);
    });

    it("binds the receipt to one verification: by the signed URL, or by the signed message id", async () => {
      const request = await vendorCase.sign(await url(), "msg-1", firstStatus, { verificationId: ID });
      const moved: CallbackRequest = { ...request, url: request.url.replace(ID, "ve_" + "B".repeat(64)) };
      // Twilio and Plivo V3 sign the URL, and Infobip's and Plivo V2's token is per id: a moved
      // receipt is refused.
      // Telnyx, Sinch, Vonage and the webhook sign the body only; there the signed message id binds the
      // receipt to its message, and the Durable Object ignores it for any other (core/delivery.ts).
      const urlBound = ["twilio", "plivo", "infobip"].includes(vendorCase.provider);
      expect(await vendor.verify(moved, SECRETS, NOW)).toBe(!urlBound);
    });

    it("refuses an unsigned receipt", async () => {
      const request = await vendorCase.sign(await url(), "msg-1", firstStatus, { verificationId: ID });
      const headers = new Headers(request.headers);
      for (const name of vendorCase.signatureHeaders) headers.delete(name);
      let unsigned: CallbackRequest = { ...request, headers };
      if (vendorCase.provider === "vonage") unsigned = { ...request, body: request.body.replace(/&sig=[^&]*/, "") };
      if (vendorCase.provider === "infobip") unsigned = { ...request, url: request.url.replace(/&t=[^&]*/, "") };
      expect(await vendor.verify(unsigned, SECRETS, NOW)).toBe(false);
    });

    it("refuses everything when its secret is not configured", async () => {
      const request = await vendorCase.sign(await url(), "msg-1", firstStatus, { verificationId: ID });
      const none = { ...SECRETS, twilioAuthToken: "", vonageSignatureSecret: "", telnyxPublicKey: "", plivoAuthToken: "", sinchCallbackSecret: "", webhookSecret: "", callbackTokenKey: "" };
      expect(vendor.configured(none)).toBe(false);
      expect(await vendor.verify(request, none, NOW)).toBe(false);
    });

    if (vendorCase.timestamped) {
      it("refuses a signature more than 5 minutes old", async () => {
        const request = await vendorCase.sign(await url(), "msg-1", firstStatus, { verificationId: ID });
        expect(await vendor.verify(request, SECRETS, NOW + 6 * 60_000)).toBe(false);
        expect(await vendor.verify(request, SECRETS, NOW + 4 * 60_000)).toBe(true);
      });
    }

    it("maps the vendor's statuses to ours", async () => {
      const mapped: Record<string, string | null> = {};
      for (const status of Object.keys(vendorCase.statuses)) {
        const request = await vendorCase.sign(await url(), "msg-1", status, { verificationId: ID });
        mapped[status] = vendor.parse(request)![0]!.status;
      }
      expect(mapped).toEqual(vendorCase.statuses);
    });

    it("refuses to parse a body that is not its receipt format", () => {
      const junk: CallbackRequest = { method: "POST", url: PUBLIC_BASE_URL, headers: new Headers({ "content-type": "application/json" }), body: '{"hello":"world"}' };
      expect(vendor.parse(junk)).toBeNull();
    });
  });
}

describe("vonage signature methods", () => {
  it("md5hash matches Vonage's published SDK vector", async () => {
    // vonage-python-sdk test_signature: {a: 1, b: 2, timestamp: 1461605396}, secret "secret".
    expect(await vonageSignature([["a", "1"], ["b", "2"], ["timestamp", "1461605396"]], "secret", "md5hash")).toBe("6af838ef94998832dbfc29020b564830");
  });

  it("replaces & and = in values before signing, and accepts upper- or lowercase hex", async () => {
    const vendor = RECEIPT_VENDORS.vonage!;
    const request = await vonageCallback(`${PUBLIC_BASE_URL}/v1/callbacks/vonage`, { messageId: "m&1=x", status: "delivered" });
    expect(await vendor.verify(request, SECRETS, Date.now())).toBe(true);
    const lower = { ...request, body: request.body.replace(/sig=([0-9A-F]+)/, (_m, s: string) => `sig=${s.toLowerCase()}`) };
    expect(await vendor.verify(lower, SECRETS, Date.now())).toBe(true);
  });

  it("each HMAC method verifies its own signature only", async () => {
    const fields: [string, string][] = [["messageId", "m1"], ["status", "delivered"], ["timestamp", String(Math.floor(Date.now() / 1000))]];
    const sigs = new Set<string>();
    for (const method of ["md5hash", "md5", "sha1", "sha256", "sha512"] as const) sigs.add(await vonageSignature(fields, "s3cret", method));
    expect(sigs.size).toBe(5);
    // The HMAC-MD5 under md5 has its known answers in test/sms/receipts/shared.test.ts.
  });
});
