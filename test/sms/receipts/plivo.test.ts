// Plivo's two signature schemes side by side. The shared receipt suite (test/sms/receipts.test.ts)
// runs each alone; here: what either proves when both arrive, and what V2 alone cannot prove.
import { describe, expect, it } from "vitest";
import { RECEIPT_VENDORS, type CallbackRequest } from "../../../src/sms/receipts/index.ts";
import { plivoCallback, plivoV2Callback, PUBLIC_BASE_URL, SECRETS } from "./signers.ts";

const plivo = RECEIPT_VENDORS.plivo!;
const ID = "ve_" + "P".repeat(64);
const NOW = Date.now();
const PARAMS = { MessageUUID: "0936ec98-7c4c-11e5-9b8e-22000afb05ad", Status: "delivered", ErrorCode: "", To: "14155550100", From: "14155550199" };
const url = () => plivo.callbackUrl(PUBLIC_BASE_URL, ID, SECRETS);
const verified = (request: CallbackRequest) => plivo.verify(request, SECRETS, NOW);

/** The V3 headers of one request and the V2 headers of another, on one request. */
function merged(v3: CallbackRequest, v2: CallbackRequest): CallbackRequest {
  const headers = new Headers(v3.headers);
  for (const name of ["x-plivo-signature-v2", "x-plivo-signature-v2-nonce"]) headers.set(name, v2.headers.get(name)!);
  return { ...v3, headers };
}

function withHeader(request: CallbackRequest, name: string, value: string): CallbackRequest {
  const headers = new Headers(request.headers);
  headers.set(name, value);
  return { ...request, headers };
}

describe("plivo receipt signatures", () => {
  it("accepts a V2-signed receipt at the URL handed out, as Plivo's messaging callbacks carry it", async () => {
    expect(await verified(await plivoV2Callback(await url(), PARAMS))).toBe(true);
  });

  it("refuses V2 with a nonce other than the one signed, or a signature altered", async () => {
    const request = await plivoV2Callback(await url(), PARAMS);
    expect(await verified(withHeader(request, "x-plivo-signature-v2-nonce", "05429567804466091623"))).toBe(false);
    const signature = request.headers.get("x-plivo-signature-v2")!;
    const altered = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
    expect(await verified(withHeader(request, "x-plivo-signature-v2", altered))).toBe(false);
    expect(await verified(withHeader(request, "x-plivo-signature-v2", "not base64!"))).toBe(false);
  });

  it("accepts V2 when any of several comma-separated signatures matches", async () => {
    const request = await plivoV2Callback(await url(), PARAMS);
    const other = (await plivoV2Callback(await url(), PARAMS, "another-auth-token")).headers.get("x-plivo-signature-v2")!;
    expect(await verified(withHeader(request, "x-plivo-signature-v2", `${other},${request.headers.get("x-plivo-signature-v2")}`))).toBe(true);
  });

  it("V2 signs no query, so it counts only on a URL carrying our token for that verification", async () => {
    // A URL from before the token (or a forged one): V2 covers its path alone, which every
    // verification shares. V3 covers the query, so such a URL still verifies under V3.
    const bare = `${PUBLIC_BASE_URL}/v1/callbacks/plivo?v=${ID}`;
    expect(await verified(await plivoV2Callback(bare, PARAMS))).toBe(false);
    expect(await verified(await plivoCallback(bare, PARAMS))).toBe(true);
    // Another verification's token does not vouch for this one.
    const other = await plivo.callbackUrl(PUBLIC_BASE_URL, "ve_" + "Q".repeat(64), SECRETS);
    const swapped = `${bare}&t=${new URL(other).searchParams.get("t")}`;
    expect(await verified(await plivoV2Callback(swapped, PARAMS))).toBe(false);
  });

  it("a token without a signature is nothing", async () => {
    const request = await plivoV2Callback(await url(), PARAMS);
    const headers = new Headers(request.headers);
    headers.delete("x-plivo-signature-v2");
    expect(await verified({ ...request, headers })).toBe(false);
  });

  it("with both headers, either valid signature is enough; neither valid is a refusal", async () => {
    const good3 = await plivoCallback(await url(), PARAMS);
    const good2 = await plivoV2Callback(await url(), PARAMS);
    const bad3 = await plivoCallback(await url(), PARAMS, "not-the-auth-token");
    const bad2 = await plivoV2Callback(await url(), PARAMS, "not-the-auth-token");
    expect(await verified(merged(good3, good2))).toBe(true);
    expect(await verified(merged(good3, bad2))).toBe(true);
    expect(await verified(merged(bad3, good2))).toBe(true);
    expect(await verified(merged(bad3, bad2))).toBe(false);
  });

  it("V3 still covers the body: a tampered V3-only receipt is refused", async () => {
    const request = await plivoCallback(await url(), PARAMS);
    expect(await verified(request)).toBe(true);
    expect(await verified({ ...request, body: request.body.replace("delivered", "failed") })).toBe(false);
  });

  it("without the URL token key, V3 still verifies and V2 is refused", async () => {
    const secrets = { ...SECRETS, callbackTokenKey: "" };
    const bare = await plivo.callbackUrl(PUBLIC_BASE_URL, ID, secrets);
    expect(new URL(bare).searchParams.has("t")).toBe(false);
    expect(await plivo.verify(await plivoCallback(bare, PARAMS), secrets, NOW)).toBe(true);
    expect(await plivo.verify(await plivoV2Callback(bare, PARAMS), secrets, NOW)).toBe(false);
  });
});
