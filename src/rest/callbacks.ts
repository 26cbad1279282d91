// Delivery receipts from SMS vendors: POST (or GET) /v1/callbacks/{provider}. No API key (vendors
// have none of ours): each request must carry its vendor's signature or our URL token, checked
// before anything is read or stored. A forged or unsigned callback answers 401 and changes nothing.
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { loadConfig } from "../config.ts";
import { log } from "../log.ts";
import { namespaceOf, verificationObjectId } from "../objects/namespaces.ts";
import type { DeliveryRecordOutcome } from "../objects/phone-verification/phone-verification.ts";
import { RECEIPT_VENDORS, receiptSecrets, type CallbackRequest } from "../sms/receipts/index.ts";
import type { ErrorBody } from "./errors.ts";

// Vendor receipts are small; anything larger is not one, and is not worth hashing.
const MAX_BODY_BYTES = 64 * 1024;

export function callbackRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.on(["GET", "POST"], "/callbacks/:provider", async (c) => {
    const config = loadConfig(c.env);
    const vendor = RECEIPT_VENDORS[c.req.param("provider")];
    if (!vendor) return c.json<ErrorBody>({ code: "not_found", message: "no such receipt provider", details: [] }, 404);
    const body = await c.req.text();
    if (body.length > MAX_BODY_BYTES) return c.json<ErrorBody>({ code: "invalid_argument", message: "body: too large for a receipt", details: [] }, 413);
    const requested = new URL(c.req.url);
    // Vendors sign the URL they were given: rebuild it from our public origin, not from whatever
    // host name this request reached us by.
    const url = config.publicBaseUrl ? `${config.publicBaseUrl}${requested.pathname}${requested.search}` : requested.href;
    const request: CallbackRequest = { method: c.req.method, url, headers: c.req.raw.headers, body };
    const now = Date.now();
    if (!(await vendor.verify(request, await receiptSecrets(config), now))) {
      log("warn", "receipt.rejected", { provider: vendor.provider });
      return c.json<ErrorBody>({ code: "unauthenticated", message: "callback signature is missing or invalid", details: [] }, 401);
    }
    const receipts = vendor.parse(request);
    if (!receipts) return c.json<ErrorBody>({ code: "invalid_argument", message: `body: not a ${vendor.provider} delivery receipt`, details: [] }, 400);

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
      return c.json<ErrorBody>({ code: "not_found", message: "verificationId: no such verification", details: [] }, 404);
    }
    return c.json({ results }, 200);
  });

  return routes;
}
