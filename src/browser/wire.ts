// The JSON the pages read, as the Worker sends it (/openapi.json is the contract). Imported from
// src/core where the server's own type is the wire shape, so a rename there fails this build too;
// declared here, with the fields the pages use, where the server builds the JSON inline or in a
// module that needs the Workers runtime's types.
import type { InsightsReport, VerificationSnapshot } from "../core/insights.ts";
import type { VerificationJson } from "../core/verification-json.ts";

export type { InsightsReport, VerificationJson };

/** Every refusal's body (src/rest/errors.ts). */
export interface ErrorBody {
  code: string;
  message: string;
  details?: { reason?: string; retryAfterSeconds?: number }[];
}

/** A row of GET /v1/services/{id}/verifications: the insights snapshot with RFC 3339 times. */
export type RecentVerification = Omit<VerificationSnapshot, "createdAt" | "updatedAt"> & { createTime: string; updateTime: string };

export interface Service {
  id: string;
  builtIn: boolean;
  friendlyName: string;
  createTime: string;
  /** `whpk_…`: what v1a receivers verify with. (The private key is in no answer.) */
  webhookPublicKey: string;
  settings?: {
    templates?: Record<string, string>;
    ruleModes?: Record<string, string>;
    limits?: Record<string, number>;
    webhookSigning?: "v1" | "v1a";
    acceptPreviousCodes?: number;
  };
}

/** POST /v1/services/{id}/rotate-webhook-key */
export interface RotatedWebhookKey {
  service: Service;
  previousKeyExpireTime: string;
}

export interface ApiKey {
  id: string;
  name: string;
  maskedKey: string;
  createTime: string;
  lastUsedTime: string | null;
  revokeTime: string | null;
}

export interface ListEntry {
  list: string;
  phoneNumber: string;
  note: string;
  createTime: string;
  /** Why delivery reports deny-listed the number; "" for an operator's entry. */
  reason: string;
}

export interface TemplatePreview {
  template: string;
  body: string;
  direction: string;
  encoding: string | null;
  units: number;
  segments: number;
  worstCase: { segments: number } | null;
  error: { message: string } | null;
}

export interface OutboxMessage {
  seq: number;
  to: string;
  body: string;
  createTime: string;
}
