// Migrations of the number's object (PhoneVerification) from the shapes earlier releases wrote.
// Each says which release wrote the old shape and when it may be deleted: once no object of that
// release can still exist (every such object wakes at least once within RETENTION_DAYS, at most
// 30 days, after the upgrade: its alarm is set for its retention end at the latest).
import { fromBase64Url } from "../../core/ids.ts";
import type { InsightEvent } from "../../core/insights.ts";
import type { LineType } from "../../core/phone.ts";
import { EMPTY_COUNTERS, type NumberCounters, type Risk } from "../../core/policy.ts";
import type { WebhookEvent } from "../../core/service.ts";
import type { Channel, VerificationRecord } from "../../core/verification.ts";
import type { DeliveryStatus } from "../../core/delivery.ts";
import { IDEMPOTENCY, OUTBOX, VERIFICATION, type IdempotencyRecord, type NumberState, type OutboxEvent, type StoredPolicy } from "../phone-verification/storage.ts";

/**
 * Written by the release that queued insight events and guard approvals in the number's own
 * storage (`insights`, `approvals`) until a report after the call or the alarm sent them. Now they
 * go to the isolate's report batches (src/objects/reports.ts): what such an object still holds is
 * taken out (and deleted) by its next alarm run, which that release always scheduled while
 * anything was queued. Delete with the release after the one that introduced reports.ts.
 */
export function takeLegacyReports(kv: SyncKvStorage): { insights: { service: string; to: string; events: InsightEvent[] } | null; approvals: string[] } {
  const insights = (kv.get("insights") as { service: string; to: string; events: InsightEvent[] } | undefined) ?? null;
  const approvals = (kv.get("approvals") as string[] | undefined) ?? [];
  if (insights) kv.delete("insights");
  if (approvals.length > 0) kv.delete("approvals");
  return { insights, approvals };
}

const LEGACY_TABLES = ["verifications", "number_state", "idempotency", "webhook_outbox", "meta"];

/**
 * Written by the release that kept SQL tables (verifications, number_state, idempotency,
 * webhook_outbox, meta): moved into KV, once, on the object's first wake under this code. Reading
 * sqlite_master is read-only: a wake of a current object writes nothing. Delete once no object of
 * the SQL-table release can remain (RETENTION_DAYS after the KV release was deployed).
 */
export function migrateSqlSchema(storage: DurableObjectStorage): void {
  const sql = storage.sql;
  const present = new Set(
    sql
      .exec(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${LEGACY_TABLES.map(() => "?").join(", ")})`, ...LEGACY_TABLES)
      .toArray()
      .map((row) => row.name as string),
  );
  if (present.size === 0) return;
  const kv = storage.kv;
  let latest: { id: string; createdAt: number } | null = null;
  if (present.has("verifications")) {
    for (const row of sql.exec("SELECT * FROM verifications")) {
      const record = legacyRecord(row);
      kv.put(VERIFICATION + record.id, record);
      if (!latest || record.createdAt >= latest.createdAt) latest = { id: record.id, createdAt: record.createdAt };
    }
  }
  const stateRow = present.has("number_state") ? sql.exec("SELECT * FROM number_state WHERE id = 1").toArray()[0] : undefined;
  if (stateRow || latest) {
    kv.put("state", {
      counters: stateRow ? (JSON.parse(stateRow.counters as string) as NumberCounters) : EMPTY_COUNTERS,
      denied: stateRow?.denied === 1,
      allowed: stateRow?.allowed === 1,
      latestId: latest?.id ?? null,
    } satisfies NumberState);
  }
  if (typeof stateRow?.policy === "string" && stateRow.policy) {
    const old = JSON.parse(stateRow.policy) as StoredPolicy;
    kv.put("policy", JSON.stringify({ numberLimits: old.numberLimits, templates: old.templates ?? null, webhook: old.webhook ?? null } satisfies StoredPolicy));
  }
  if (present.has("idempotency")) {
    for (const row of sql.exec("SELECT * FROM idempotency")) {
      kv.put(IDEMPOTENCY + (row.key as string), {
        requestHash: row.request_hash as string,
        state: row.state as IdempotencyRecord["state"],
        response: (row.response as string | null) ?? null,
        expiresAt: row.expires_at as number,
      } satisfies IdempotencyRecord);
    }
  }
  if (present.has("webhook_outbox")) {
    for (const row of sql.exec("SELECT * FROM webhook_outbox")) {
      kv.put(OUTBOX + (row.id as string), {
        id: row.id as string,
        type: row.type as WebhookEvent,
        serviceId: row.service_id as string,
        payload: row.payload as string,
        createdAt: row.created_at as number,
        attempts: row.attempts as number,
        nextAttemptAt: row.next_attempt_at as number,
      } satisfies OutboxEvent);
    }
  }
  for (const table of present) sql.exec(`DROP TABLE ${table}`);
}

/** A row of the SQL release's verifications table, whichever of its migrations it had reached. */
function legacyRecord(row: Record<string, SqlStorageValue>): VerificationRecord {
  const status = row.delivery_status as DeliveryStatus | "" | undefined;
  return {
    id: row.id as string,
    service: row.service as string,
    to: row.to_e164 as string,
    channel: row.channel as Channel,
    status: row.status as VerificationRecord["status"],
    codeHash: row.code_hash === null || row.code_hash === undefined ? null : new Uint8Array(row.code_hash as ArrayBuffer),
    codeLength: row.code_length as number,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
    expiresAt: row.expires_at as number,
    sendAttempts: row.send_attempts as number,
    checkAttempts: row.check_attempts as number,
    messageId: row.message_id as string,
    provider: row.provider as string,
    failureReason: row.failure_reason as string,
    countryCode: row.country_code as string,
    lineType: row.line_type as LineType,
    externalId: row.external_id as string,
    tags: JSON.parse(row.tags as string) as Record<string, string>,
    locale: row.locale as string,
    risks: JSON.parse((row.risks as string | undefined) ?? "[]") as Risk[],
    messageEncoding: (row.message_encoding as string | undefined) ?? "",
    messageSegments: (row.message_segments as number | undefined) ?? 0,
    serviceName: (row.service_name as string | undefined) ?? "",
    channels: JSON.parse((row.channels as string | undefined) ?? '["sms"]') as Channel[],
    fallbackAfterSeconds: (row.fallback_after_seconds as number | undefined) ?? 0,
    nextChannelAt: (row.next_channel_at as number | undefined) ?? 0,
    previousCodeHashes: (JSON.parse((row.previous_code_hashes as string | undefined) ?? "[]") as string[]).map((h) => fromBase64Url(h) ?? new Uint8Array()),
    test: row.test === 1,
    delivery: status ? { status, errorCode: row.delivery_error_code as string, updatedAt: row.delivery_updated_at as number } : null,
  };
}
