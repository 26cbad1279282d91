// Delivery receipts: one verifier/parser per vendor, the callback URLs a send hands out, and the
// secrets that verify them. Vendors without a configured secret get no callback URL and their
// callbacks are refused: we never ask a vendor to call an endpoint that would reject it.
import type { Config } from "../../config.ts";
import { hmac, toHex, type ReceiptSecrets, type ReceiptVendor } from "./shared.ts";
import { infobipReceipts } from "./infobip.ts";
import { plivoReceipts } from "./plivo.ts";
import { sinchReceipts } from "./sinch.ts";
import { telnyxReceipts } from "./telnyx.ts";
import { twilioReceipts } from "./twilio.ts";
import { vonageReceipts } from "./vonage.ts";
import { webhookReceipts } from "./webhook.ts";

export type { CallbackRequest, ParsedReceipt, ReceiptSecrets, ReceiptVendor } from "./shared.ts";

export const RECEIPT_VENDORS: Readonly<Record<string, ReceiptVendor>> = {
  twilio: twilioReceipts,
  vonage: vonageReceipts,
  telnyx: telnyxReceipts,
  plivo: plivoReceipts,
  sinch: sinchReceipts,
  infobip: infobipReceipts,
  webhook: webhookReceipts,
};

const tokenKeys = new WeakMap<Config, Promise<string>>();

/**
 * The receipt secrets of a configuration. The URL-token key is derived from CODE_SECRET under its
 * own label, so no extra secret is needed and a token says nothing about code hashes.
 */
export async function receiptSecrets(config: Config): Promise<ReceiptSecrets> {
  let tokenKey = tokenKeys.get(config);
  if (!tokenKey) {
    tokenKey = hmac("SHA-256", config.codeSecret, "edge-verify receipt url token v1").then(toHex);
    tokenKeys.set(config, tokenKey);
  }
  return { ...config.receipts, callbackTokenKey: config.codeSecret ? await tokenKey : "" };
}

/** Callback URLs for one verification's send, per provider that can verify receipts; empty without PUBLIC_BASE_URL. */
export async function callbackUrlsFor(config: Config, verificationId: string): Promise<Record<string, string>> {
  if (!config.publicBaseUrl) return {};
  const secrets = await receiptSecrets(config);
  const urls: Record<string, string> = {};
  for (const vendor of Object.values(RECEIPT_VENDORS)) {
    if (vendor.configured(secrets)) urls[vendor.provider] = await vendor.callbackUrl(config.publicBaseUrl, verificationId, secrets);
  }
  return urls;
}
