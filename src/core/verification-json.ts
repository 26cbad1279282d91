// Verification → JSON (the REST body and webhook payloads): camelCase like the proto JSON mapping, statuses as lowercase words,
// times as RFC 3339. Never includes a code or its hash (VerificationView has none).
import { lookupView, type LookupView } from "./lookup.ts";
import type { VerificationRecord } from "./verification.ts";

/** What leaves the number's object: a verification without its code hashes (the current one and earlier channels'). */
export type VerificationView = Omit<VerificationRecord, "codeHash" | "previousCodeHashes">;

/**
 * The record as it may leave the number's object: without its code hashes. The earlier channels'
 * MACs go too: a view is also what idempotency records store, and those outlive the verification.
 */
export function viewOf(record: VerificationRecord): VerificationView {
  const { codeHash: _omit, previousCodeHashes: _previous, ...rest } = record;
  return rest;
}

export interface VerificationJson {
  id: string;
  to: string;
  channel: string;
  status: string;
  createTime: string;
  updateTime: string;
  expireTime: string;
  sendAttempts: number;
  checkAttempts: number;
  messageId: string;
  lookup: LookupView;
  externalId: string;
  tags: Record<string, string>;
  failureReason: string;
  risk: string[];
  provider: string;
  locale: string;
  messageEncoding: string;
  messageSegments: number;
  channels: string[];
  nextChannelTime: string | null;
  /** The rule that stopped the channel workflow before its next channel ("" when none did). */
  fallbackRefusal: string;
  test: boolean;
  /** The latest message's delivery receipt; null until one arrives. */
  delivery: { status: string; errorCode: string; updateTime: string } | null;
}

export function verificationJson(v: VerificationView): VerificationJson {
  return {
    id: v.id,
    to: v.to,
    channel: v.channel,
    status: v.status,
    createTime: new Date(v.createdAt).toISOString(),
    updateTime: new Date(v.updatedAt).toISOString(),
    expireTime: new Date(v.expiresAt).toISOString(),
    sendAttempts: v.sendAttempts,
    checkAttempts: v.checkAttempts,
    messageId: v.messageId,
    lookup: lookupView(v, v.lookup),
    externalId: v.externalId,
    tags: v.tags,
    failureReason: v.failureReason,
    risk: v.risks,
    provider: v.provider,
    locale: v.locale,
    messageEncoding: v.messageEncoding,
    messageSegments: v.messageSegments,
    channels: v.channels,
    nextChannelTime: v.nextChannelAt ? new Date(v.nextChannelAt).toISOString() : null,
    fallbackRefusal: v.fallbackRefusal ?? "",
    test: v.test,
    delivery: v.delivery
      ? { status: v.delivery.status, errorCode: v.delivery.errorCode, updateTime: new Date(v.delivery.updatedAt).toISOString() }
      : null,
  };
}
