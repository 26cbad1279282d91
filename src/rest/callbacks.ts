// Delivery receipts from SMS vendors: POST (or GET) /v1/callbacks/{provider}. No API key (vendors
// have none of ours): each request must carry its vendor's signature or our URL token, checked
// before anything is read or stored. A forged or unsigned callback answers 401 and changes nothing.
// Refusals are thrown: the app's REST renderer answers them.
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { loadConfig } from "../config.ts";
import { log } from "../log.ts";
import { namespaceOf, verificationObjectId } from "../objects/namespaces.ts";
import type { DeliveryRecordOutcome } from "../objects/phone-verification/phone-verification.ts";
import { RECEIPT_VENDORS, receiptSecrets, type CallbackRequest } from "../sms/receipts/index.ts";
import { invalidArgument, VerifyError } from "../core/errors.ts";

// Vendor receipts are small; anything larger is not one, and is not worth hashing.
const MAX_BODY_BYTES = 64 * 1024;

export function callbackRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.on(["GET", "POST"], "/callbacks/:provider", async (c) => {
    const config = loadConfig(c.env);
    const vendor = RECEIPT_VENDORS[c.req.param("provider")];
    if (!vendor) throw new VerifyError("not_found", "no such receipt provider");
    const body = await c.req.text();
    if (body.length > MAX_BODY_BYTES) throw new VerifyError("body_too_large", "body: too large for a receipt", { field: "body" });
    const requested = new URL(c.req.url);
    // Vendors sign the URL they were given: rebuild it from our public origin, not from whatever
    // host name this request reached us by.
    const url = config.publicBaseUrl ? `${config.publicBaseUrl}${requested.pathname}${requested.search}` : requested.href;
    const request: CallbackRequest = { method: c.req.method, url, headers: c.req.raw.headers, body };
    const now = Date.now();
    if (!(await vendor.verify(request, await receiptSecrets(config), now))) {
      log("warn", "receipt.rejected", { provider: vendor.provider });
      throw new VerifyError("unauthenticated", "callback signature is missing or invalid");
    }
    const receipts = vendor.parse(request);
    if (!receipts) throw invalidArgument("body", `not a ${vendor.provider} delivery receipt`);

    const namespace = namespaceOf(c.env, "PHONE_VERIFICATION");
    const results: DeliveryRecordOutcome[] = [];
    for (const receipt of receipts) {
      const verificationId = receipt.reference ?? requested.searchParams.get("v") ?? "";
      // Malformed, or well-formed but never issued here: as unknown as any other id.
      const id = verificationObjectId(c.env, verificationId);
      if (!id) {
        results.push({ outcome: "not_found" });
        continue;
      }
      if (!receipt.status) {
        results.push({ outcome: "ignored", reason: "unmapped_status" });
        continue;
      }
      results.push(
        await namespace.get(id).recordDelivery({
          verificationId,
          providers: vendor.covers,
          messageId: receipt.messageId,
          status: receipt.status,
          errorCode: receipt.errorCode,
          at: now,
        }),
      );
    }
    log("info", "receipt.recorded", { provider: vendor.provider, outcomes: results.map((r) => (r.outcome === "ignored" ? `ignored:${r.reason}` : r.outcome)) });
    // A receipt for a verification we no longer hold (finished and deleted after RETENTION_DAYS,
    // or never ours) answers 404: every vendor here gives up on a 4xx after a few tries at most.
    if (results.every((r) => r.outcome === "not_found")) {
      throw new VerifyError("not_found", "verificationId: no such verification", { field: "verificationId" });
    }
    return c.json({ results }, 200);
  });

  return routes;
}
