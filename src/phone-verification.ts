// Durable Object per (service, phone number): the only place that decides anything about that
// number. Each call: load state (SQLite) → pure core transition → persist → only then the provider
// fetch → record its outcome. Helpers are #private because every public method is an RPC surface.
import { DurableObject } from "cloudflare:workers";
import { loadConfig, type Config } from "./config.ts";
import { cryptoRandom, generateCode, hashCode, importCodeKey, macEqual } from "./core/codes.ts";
import type { Refusal } from "./core/errors.ts";
import { newVerificationId } from "./core/ids.ts";
import { maskPhoneNumber, type LineType } from "./core/phone.ts";
import { renderTemplate } from "./core/template.ts";
import {
  applyCancel,
  applyCheck,
  applySendFailure,
  applySendSuccess,
  applyStart,
  effectiveStatus,
  expireIfDue,
  isLive,
  type CheckStatus,
  type StartParams,
  type VerificationRecord,
} from "./core/verification.ts";
import { log } from "./log.ts";
import { createSender } from "./sms/index.ts";
import { SmsSendError, type SmsSender, type SmsSendResult } from "./sms/sender.ts";

/** What leaves the object: a verification without its code hash. */
export type VerificationView = Omit<VerificationRecord, "codeHash">;

export type DoResult<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

export interface DoStartInput extends StartParams {
  serviceName: string;
}

export interface DoCheckInput {
  service: string;
  verificationId: string;
  /** E.164; when given with an id it must match, alone it selects the latest pending verification. */
  to: string;
  code: string;
}

export interface DoLookupInput {
  service: string;
  verificationId: string;
}

const DAY_MS = 86_400_000;

export class PhoneVerification extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  // Serialises state transitions: input gates only hold across storage calls, and HMAC is async,
  // so without this two starts could both see "no live verification" and mint two ids.
  #queue: Promise<unknown> = Promise.resolve();
  #sender: SmsSender | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#migrate();
  }

  async start(input: DoStartInput): Promise<DoResult<VerificationView>> {
    const config = loadConfig(this.env);
    let code = "";
    const reserved = await this.#exclusive(async () => {
      const now = Date.now();
      const live = this.#latestPending(input.service);
      const reuse = live && isLive(live, now) ? live : null;
      if (live && !reuse) this.#save(expireIfDue(live, now) ?? live);
      const id = reuse?.id ?? newVerificationId(this.ctx.id.toString(), cryptoRandom);
      code = generateCode(input.codeLength, cryptoRandom);
      const codeHash = await hashCode(await importCodeKey(config.codeSecret), id, code);
      const record = applyStart(reuse, input, now, id, codeHash);
      this.#save(record);
      await this.#scheduleAlarm(config);
      return record;
    });

    const body = renderTemplate(config.template, {
      code,
      serviceName: input.serviceName,
      ttlMinutes: Math.ceil(input.ttlSeconds / 60),
    });
    code = "";
    const sender = this.#senderFor(config);
    let outcome: SmsSendResult | SmsSendError;
    try {
      outcome = await sender.send({ to: input.to, body });
    } catch (error) {
      if (!(error instanceof SmsSendError)) throw error;
      outcome = error;
    }

    const record = await this.#exclusive(async () => {
      const now = Date.now();
      const current = this.#load(reserved.id);
      // Another start may have sent a newer code meanwhile; only the latest send's outcome counts.
      if (!current || current.sendAttempts !== reserved.sendAttempts) return current ?? reserved;
      const next =
        outcome instanceof SmsSendError
          ? current.status === "pending"
            ? applySendFailure(current, outcome.reason, outcome.provider || sender.name, now)
            : current
          : applySendSuccess(current, outcome.messageId, outcome.provider, now);
      this.#save(next);
      return next;
    });
    if (outcome instanceof SmsSendError) {
      log("warn", "sms.send_failed", {
        to: maskPhoneNumber(input.to),
        provider: outcome.provider || sender.name,
        reason: outcome.reason,
        providerCode: outcome.providerCode,
        definite: outcome.definite,
      });
    } else {
      log("info", "verification.sent", { to: maskPhoneNumber(input.to), provider: outcome.provider, sendAttempts: record.sendAttempts });
    }
    return { ok: true, value: view(record) };
  }

  async check(input: DoCheckInput): Promise<DoResult<{ status: CheckStatus; verification: VerificationView }>> {
    const config = loadConfig(this.env);
    return this.#exclusive(async () => {
      const now = Date.now();
      const record = input.verificationId ? this.#load(input.verificationId) : this.#latestPending(input.service);
      if (!record || record.service !== input.service) {
        return notFound(input.verificationId ? "verificationId: no such verification" : "to: no pending verification for this number");
      }
      if (input.to && input.to !== record.to) {
        return {
          ok: false,
          refusal: { reason: "invalid_argument", message: "to: does not match the verification's number", field: "to" },
        } as const;
      }
      // Always compute the MAC, even for finished verifications, so timing says nothing about state.
      const candidate = await hashCode(await importCodeKey(config.codeSecret), record.id, input.code);
      const matched = record.codeHash !== null && macEqual(candidate, record.codeHash);
      const outcome = applyCheck(record, matched, now, config.maxCheckAttempts);
      if (outcome.kind === "refused") return { ok: false, refusal: outcome.refusal } as const;
      if (outcome.changed) {
        this.#save(outcome.record);
        await this.#scheduleAlarm(config);
      }
      log("info", "verification.checked", { to: maskPhoneNumber(record.to), status: outcome.status });
      return { ok: true, value: { status: outcome.status, verification: view(outcome.record) } } as const;
    });
  }

  async get(input: DoLookupInput): Promise<DoResult<VerificationView>> {
    const record = this.#load(input.verificationId);
    if (!record || record.service !== input.service) return notFound("verificationId: no such verification");
    return { ok: true, value: { ...view(record), status: effectiveStatus(record, Date.now()) } };
  }

  async cancel(input: DoLookupInput): Promise<DoResult<VerificationView>> {
    const config = loadConfig(this.env);
    return this.#exclusive(async () => {
      const record = this.#load(input.verificationId);
      if (!record || record.service !== input.service) return notFound("verificationId: no such verification");
      const outcome = applyCancel(record, Date.now());
      if (outcome.kind === "refused") return { ok: false, refusal: outcome.refusal } as const;
      if (outcome.changed) {
        this.#save(outcome.record);
        await this.#scheduleAlarm(config);
      }
      return { ok: true, value: view(outcome.record) } as const;
    });
  }

  /** Expires due verifications, deletes finished ones past retention, and frees empty objects. */
  override async alarm(): Promise<void> {
    const config = loadConfig(this.env);
    await this.#exclusive(async () => {
      const now = Date.now();
      for (const row of this.#sql.exec("SELECT * FROM verifications WHERE status = 'pending' AND expires_at <= ?", now)) {
        const expired = expireIfDue(fromRow(row), now);
        if (expired) this.#save(expired);
      }
      this.#sql.exec("DELETE FROM verifications WHERE status != 'pending' AND updated_at <= ?", now - config.retentionDays * DAY_MS);
      const remaining = this.#sql.exec("SELECT COUNT(*) AS n FROM verifications").one().n as number;
      if (remaining === 0) {
        // Nothing left about this number: drop every byte, including the schema.
        await this.ctx.storage.deleteAll();
        return;
      }
      await this.#scheduleAlarm(config);
    });
  }

  #migrate(): void {
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS verifications (
      id TEXT PRIMARY KEY,
      service TEXT NOT NULL,
      to_e164 TEXT NOT NULL,
      channel TEXT NOT NULL,
      status TEXT NOT NULL,
      code_hash BLOB,
      code_length INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      send_attempts INTEGER NOT NULL,
      check_attempts INTEGER NOT NULL,
      message_id TEXT NOT NULL,
      provider TEXT NOT NULL,
      failure_reason TEXT NOT NULL,
      country_code TEXT NOT NULL,
      line_type TEXT NOT NULL,
      external_id TEXT NOT NULL,
      tags TEXT NOT NULL,
      locale TEXT NOT NULL
    )`);
    this.#sql.exec("CREATE INDEX IF NOT EXISTS verifications_by_status ON verifications (service, status, created_at)");
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #senderFor(config: Config): SmsSender {
    this.#sender ??= createSender(config);
    return this.#sender;
  }

  #load(id: string): VerificationRecord | null {
    const rows = this.#sql.exec("SELECT * FROM verifications WHERE id = ?", id).toArray();
    return rows[0] ? fromRow(rows[0]) : null;
  }

  #latestPending(service: string): VerificationRecord | null {
    const rows = this.#sql
      .exec("SELECT * FROM verifications WHERE service = ? AND status = 'pending' ORDER BY created_at DESC LIMIT 1", service)
      .toArray();
    return rows[0] ? fromRow(rows[0]) : null;
  }

  #save(r: VerificationRecord): void {
    this.#sql.exec(
      `INSERT OR REPLACE INTO verifications (id, service, to_e164, channel, status, code_hash, code_length, created_at,
        updated_at, expires_at, send_attempts, check_attempts, message_id, provider, failure_reason, country_code,
        line_type, external_id, tags, locale) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id,
      r.service,
      r.to,
      r.channel,
      r.status,
      r.codeHash,
      r.codeLength,
      r.createdAt,
      r.updatedAt,
      r.expiresAt,
      r.sendAttempts,
      r.checkAttempts,
      r.messageId,
      r.provider,
      r.failureReason,
      r.countryCode,
      r.lineType,
      r.externalId,
      JSON.stringify(r.tags),
      r.locale,
    );
  }

  /** One alarm at the earliest moment something is due: an expiry or a retention deletion. */
  async #scheduleAlarm(config: Config): Promise<void> {
    const row = this.#sql
      .exec(
        `SELECT MIN(CASE WHEN status = 'pending' THEN expires_at ELSE updated_at + ? END) AS due FROM verifications`,
        config.retentionDays * DAY_MS,
      )
      .one();
    const due = row.due as number | null;
    if (due === null) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > due) await this.ctx.storage.setAlarm(due);
  }
}

function notFound(message: string): { ok: false; refusal: Refusal } {
  return { ok: false, refusal: { reason: "not_found", message, field: "verificationId" } };
}

function view(record: VerificationRecord): VerificationView {
  const { codeHash: _omit, ...rest } = record;
  return rest;
}

function fromRow(row: Record<string, SqlStorageValue>): VerificationRecord {
  return {
    id: row.id as string,
    service: row.service as string,
    to: row.to_e164 as string,
    channel: row.channel as "sms",
    status: row.status as VerificationRecord["status"],
    codeHash: row.code_hash === null ? null : new Uint8Array(row.code_hash as ArrayBuffer),
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
  };
}
