// Durable Object per (service, phone number): the only place that decides anything about that
// number. Each call: load state (SQLite) → pure core transition → persist → only then the provider
// fetch → record its outcome. Helpers are #private because every public method is an RPC surface.
import { DurableObject } from "cloudflare:workers";
import { loadConfig, type Config } from "./config.ts";
import { cryptoRandom, generateCode, hashCode, importCodeKey, macEqual } from "./core/codes.ts";
import { applyDelivery, type DeliveryReceipt, type DeliveryState, type DeliveryStatus } from "./core/delivery.ts";
import type { Refusal } from "./core/errors.ts";
import { fromBase64Url, newVerificationId, toBase64Url } from "./core/ids.ts";
import { maskPhoneNumber, type LineType } from "./core/phone.ts";
import {
  DAY_MS,
  EMPTY_COUNTERS,
  evaluateCheck,
  evaluateSend,
  pruneCounters,
  recordApproval,
  recordFailedCheck,
  recordSend,
  refundSend,
  type NumberCounters,
  type Risk,
  type RuleMode,
} from "./core/policy.ts";
import { renderMessage } from "./core/message.ts";
import { renderVoiceTwiml } from "./core/voice.ts";
import type { CodeBindings } from "./core/webotp.ts";
import {
  applyCancel,
  applyChannelFallback,
  applyCheck,
  dueFallbackChannel,
  endChannelWorkflow,
  type Channel,
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
import { devOutbox } from "./dev-outbox.ts";
import { log } from "./log.ts";
import { namespaceOf } from "./objects/namespaces.ts";
import { catalogForTemplates } from "./core/locales.ts";
import type { NumberLimits } from "./core/policy.ts";
import type { WebhookEvent } from "./core/service.ts";
import { verificationJson } from "./rest/views.ts";
import { createOutboxTable, deliverDueEvents, enqueueEvent } from "./webhooks.ts";
import { insightEvent, type InsightKind } from "./core/insights.ts";
import { insightsFor } from "./insights.ts";
import type { ScopeCounter, TakeInput } from "./scope-counter.ts";
import { createChannelSenders } from "./sms/index.ts";
import { callbackUrlsFor } from "./sms/receipts/index.ts";
import { DeliveryFailedError, sendWithRetry } from "./sms/retry.ts";
import type { SmsSender } from "./sms/sender.ts";

/** What leaves the object: a verification without its code hash. */
export type VerificationView = Omit<VerificationRecord, "codeHash">;

export type DoResult<T> = { ok: true; value: T; replayed?: boolean } | { ok: false; refusal: Refusal };

/** A limit that spans numbers, counted in its own ScopeCounter object. */
export interface ScopeRequest {
  rule: "velocity_ip" | "velocity_range" | "velocity_country" | "budget";
  /** ScopeCounter object name, e.g. "default:ip:203.0.113.7". */
  name: string;
  take: TakeInput;
}

export interface IdempotencyInput {
  /** Scoped by the caller: API key id + the client's key. */
  key: string;
  /** SHA-256 of the operation and its validated request. */
  requestHash: string;
}

/** The calling service's settings that the object applies (resolved by the Worker per request). */
export interface DoPolicy {
  maxCheckAttempts: number;
  numberLimits: NumberLimits;
  /** The service's own per-locale templates; null uses the deployment's catalog. */
  templates: Record<string, string> | null;
  /** The events the service subscribes to; null when it has no webhook. */
  webhook: { serviceId: string; events: WebhookEvent[] } | null;
}

export interface DoStartInput extends Omit<StartParams, "messageEncoding" | "messageSegments"> {
  policy: DoPolicy;
  /** A test number's fixed code: no SMS is sent and no budget used; everything else applies. */
  testCode: string | null;
  serviceName: string;
  /** WebOTP / app-hash lines appended to the message. */
  bindings: CodeBindings;
  scopes: ScopeRequest[];
  denyListMode: RuleMode;
  idempotency?: IdempotencyInput;
}

export interface DoCheckInput {
  service: string;
  policy: DoPolicy;
  verificationId: string;
  /** E.164; when given with an id it must match, alone it selects the latest pending verification. */
  to: string;
  code: string;
  idempotency?: IdempotencyInput;
}

export interface DoLookupInput {
  service: string;
  verificationId: string;
  idempotency?: IdempotencyInput;
  /** Needed by cancel (webhooks); a get does without. */
  policy?: DoPolicy;
}

export type NumberList = "deny" | "allow";

export interface DoDeliveryInput extends DeliveryReceipt {
  verificationId: string;
  /** Epoch ms the receipt arrived. */
  at: number;
}

export type DeliveryRecordOutcome =
  | { outcome: "applied"; status: DeliveryStatus }
  | { outcome: "ignored"; reason: string }
  | { outcome: "not_found" };

/** Receipts that arrived while their message's send was still in flight (the id was not yet known). */
interface InflightSend {
  sends: number;
  early: DoDeliveryInput[];
}
const MAX_EARLY_RECEIPTS = 20;

const IDEMPOTENCY_TTL_MS = DAY_MS;
/** Margin past the send deadline after which an in-progress idempotent request counts as dead. */
const ABANDONED_AFTER_MS = 30_000;
const RISK_OF_RULE: Record<ScopeRequest["rule"], Risk> = {
  velocity_ip: "velocity_ip",
  velocity_range: "velocity_range",
  velocity_country: "velocity_country",
  budget: "budget_exceeded",
};

interface NumberState {
  counters: NumberCounters;
  denied: boolean;
  allowed: boolean;
  /** The service policy of the latest request, for work the alarm does without a request. */
  policy: DoPolicy | null;
}

interface TakenUnit {
  name: string;
  bucket: number;
}

export class PhoneVerification extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  // Serialises state transitions: input gates only hold across storage calls, and HMAC and scope
  // calls are async, so without this two starts could both see "no live verification".
  #queue: Promise<unknown> = Promise.resolve();
  readonly #senders = new Map<Channel, SmsSender[]>();
  /** Requests under way per idempotency key, so concurrent duplicates wait for the original. */
  readonly #inflight = new Map<string, Promise<DoResult<unknown>>>();
  // A vendor can report on a message before its send call has returned the message id to us; such
  // receipts wait here (in memory: the window exists only while this object awaits the send).
  readonly #sending = new Map<string, InflightSend>();
  // Reads never create tables: an object that was only looked up, or freed by deleteAll(), keeps
  // no storage at all. The schema is created on the first write.
  #schemaReady: boolean;
  /** The last number_state JSON parsed, by its text (#loadState). */
  #parsedState: { countersJson: string; counters: NumberCounters; policyJson: string | null; policy: DoPolicy | null } | null = null;
  /** The alarm this object last set (undefined: not known, ask storage). */
  #alarmAt: number | null | undefined = undefined;
  /** Column names per table, read once per #migrate run. */
  readonly #columns = new Map<string, Set<string>>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#schemaReady = this.#sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'verifications'").toArray().length > 0;
    if (this.#schemaReady) this.#migrate();
  }

  async start(input: DoStartInput): Promise<DoResult<VerificationView>> {
    return this.#idempotent(input.idempotency, () => this.#start(input));
  }

  async check(input: DoCheckInput): Promise<DoResult<{ status: CheckStatus; verification: VerificationView }>> {
    return this.#idempotent(input.idempotency, () => this.#check(input));
  }

  async get(input: DoLookupInput): Promise<DoResult<VerificationView>> {
    const record = this.#load(input.verificationId);
    if (!record || record.service !== input.service) return notFound("verificationId: no such verification");
    return { ok: true, value: { ...view(record), status: effectiveStatus(record, Date.now()) } };
  }

  async cancel(input: DoLookupInput): Promise<DoResult<VerificationView>> {
    return this.#idempotent(input.idempotency, () =>
      this.#exclusive(async () => {
        const record = this.#load(input.verificationId);
        if (!record || record.service !== input.service) return notFound("verificationId: no such verification");
        const outcome = applyCancel(record, Date.now());
        if (outcome.kind === "refused") return { ok: false, refusal: outcome.refusal } as const;
        if (outcome.changed) {
          this.#save(outcome.record);
          if (input.policy) this.#rememberPolicy(input.policy);
          this.#emit("verification.canceled", outcome.record);
          this.#report("canceled", outcome.record);
          await this.#scheduleAlarm(loadConfig(this.env));
        }
        return { ok: true, value: view(outcome.record) } as const;
      }),
    );
  }

  /**
   * Records a verified delivery receipt. Not scoped by service: the caller proved the receipt came
   * from the provider, and the verification id it names is unguessable. Only the latest message's
   * receipts count, and a final state is never replaced (core/delivery.ts).
   */
  async recordDelivery(input: DoDeliveryInput): Promise<DeliveryRecordOutcome> {
    return this.#exclusive(async () => {
      const record = this.#load(input.verificationId);
      if (!record) return { outcome: "not_found" } as const;
      const result = applyDelivery(record, input, input.at);
      if (result.kind === "applied") {
        const updated = { ...record, delivery: result.delivery };
        this.#save(updated);
        this.#emit("delivery.updated", updated);
        this.#report("delivery", updated);
        await this.#scheduleAlarm(loadConfig(this.env));
        return { outcome: "applied", status: result.delivery.status } as const;
      }
      const inflight = this.#sending.get(record.id);
      if (result.reason === "other_message" && inflight && inflight.early.length < MAX_EARLY_RECEIPTS) {
        inflight.early.push(input);
        return { outcome: "ignored", reason: "send_in_flight" } as const;
      }
      return { outcome: "ignored", reason: result.reason } as const;
    });
  }

  /** Puts the number on (or takes it off) the service's deny or allow list. */
  async setListed(input: { list: NumberList; listed: boolean }): Promise<void> {
    await this.#exclusive(async () => {
      const state = this.#loadState();
      const next = { ...state, [input.list === "deny" ? "denied" : "allowed"]: input.listed };
      this.#saveState(next);
      await this.#scheduleAlarm(loadConfig(this.env));
    });
  }

  /** Deletes everything held about this number (privacy erasure). Returns how many verifications went. */
  async erase(): Promise<{ verifications: number }> {
    return this.#exclusive(async () => {
      const verifications = this.#schemaReady ? (this.#sql.exec("SELECT COUNT(*) AS n FROM verifications").one().n as number) : 0;
      await this.#forgetInsights();
      await this.ctx.storage.deleteAll();
      this.#alarmAt = undefined;
      this.#schemaReady = false;
      return { verifications };
    });
  }

  /** Expires due verifications, deletes what is past retention, and frees an empty object. */
  override async alarm(): Promise<void> {
    const config = loadConfig(this.env);
    this.#alarmAt = undefined; // this run consumed it
    const fallbacks = await this.#exclusive(async (): Promise<string[]> => {
      if (!this.#schemaReady) return [];
      const now = Date.now();
      const due = this.#sql
        .exec("SELECT id FROM verifications WHERE status = 'pending' AND next_channel_at > 0 AND next_channel_at <= ? AND expires_at > ?", now, now)
        .toArray()
        .map((row) => row.id as string);
      for (const row of this.#sql.exec("SELECT * FROM verifications WHERE status = 'pending' AND expires_at <= ?", now).toArray()) {
        const expired = expireIfDue(fromRow(row), now);
        if (expired) {
          this.#save(expired);
          this.#emit("verification.expired", expired);
          this.#report("expired", expired);
        }
      }
      this.#sql.exec("DELETE FROM verifications WHERE status != 'pending' AND updated_at <= ?", now - config.retentionDays * DAY_MS);
      this.#sql.exec("DELETE FROM idempotency WHERE expires_at <= ?", now);
      const state = this.#loadState();
      const counters = pruneCounters(state.counters, now);
      this.#saveState({ ...state, counters });
      const remaining =
        (this.#sql.exec("SELECT COUNT(*) AS n FROM verifications").one().n as number) +
        (this.#sql.exec("SELECT COUNT(*) AS n FROM idempotency").one().n as number) +
        (this.#sql.exec("SELECT COUNT(*) AS n FROM webhook_outbox").one().n as number);
      if (remaining === 0 && !state.denied && !state.allowed && isEmpty(counters)) {
        // Nothing left about this number: drop every byte, including the schema.
        await this.ctx.storage.deleteAll();
        this.#alarmAt = undefined;
        this.#schemaReady = false;
        return [];
      }
      await this.#scheduleAlarm(config);
      return due;
    });
    // Outside the exclusive section: each step takes it itself, and releases it for the send.
    for (const id of fallbacks) await this.#channelFallback(config, id);
    if (this.#schemaReady) {
      // Webhook posts run outside the exclusive section too: a slow receiver must not hold the number.
      await deliverDueEvents(this.#sql, this.env, this.ctx);
      await this.#exclusive(() => this.#scheduleAlarm(config));
    }
  }

  async #start(input: DoStartInput): Promise<DoResult<VerificationView>> {
    const config = loadConfig(this.env);
    let body = "";
    const reservation = await this.#exclusive(async (): Promise<DoResult<{ record: VerificationRecord; sentAt: number; taken: TakenUnit[] }>> => {
      const now = Date.now();
      const state = this.#loadState();
      const risks: Risk[] = [...input.risks];
      if (state.denied && input.denyListMode !== "off") {
        if (input.denyListMode === "enforce") return refusal("rule_refused", "to: this number is on the deny list", "deny_list");
        risks.push("deny_list");
      }
      const counters = pruneCounters(state.counters, now);
      const refused = evaluateSend(counters, now, input.policy.numberLimits);
      if (refused) return { ok: false, refusal: refused };

      // Cross-number limits, counted in parallel. The allow list skips velocity, never the budget.
      const scopes = state.allowed ? input.scopes.filter((s) => s.rule === "budget") : input.scopes;
      const taken = await this.#takeScopes(scopes);
      if (!taken.ok) return taken;
      risks.push(...taken.value.monitored);

      const live = this.#latestPending(input.service);
      const reuse = live && isLive(live, now) ? live : null;
      if (live && !reuse) this.#save(expireIfDue(live, now) ?? live);
      const id = reuse?.id ?? newVerificationId(this.ctx.id.toString(), cryptoRandom);
      const code = input.testCode ?? generateCode(input.codeLength, cryptoRandom);
      const codeHash = await hashCode(await importCodeKey(config.codeSecret), id, code);
      const message = this.#render(input.policy, input.channels[0]!, {
        code,
        locale: input.locale,
        serviceName: input.serviceName,
        ttlSeconds: input.ttlSeconds,
        bindings: input.bindings,
      });
      // From here the code exists only inside `body`, which goes to the provider and nowhere else.
      body = message.body;
      const params = {
        ...input,
        risks: [...new Set(risks)],
        messageEncoding: message.encoding,
        messageSegments: message.segments,
        codeLength: code.length,
      };
      let record = applyStart(reuse, params, now, id, codeHash);
      if (input.testCode !== null) {
        // A test number: nothing is sent, so the outcome is known now.
        record = { ...applySendSuccess(record, `test_${record.sendAttempts}`, "test", now), test: true };
        body = "";
      }
      // Persisted before the provider call: a concurrent start sees this send and its cooldown.
      this.#save(record);
      this.#saveState({ ...state, counters: recordSend(counters, now), policy: input.policy });
      this.#emit("verification.started", record);
      this.#report("started", record);
      await this.#scheduleAlarm(config);
      return { ok: true, value: { record, sentAt: now, taken: taken.value.units } };
    });
    if (!reservation.ok) return reservation;
    const { record: reserved, sentAt, taken } = reservation.value;
    if (input.testCode !== null) return { ok: true, value: view(reserved) };
    return { ok: true, value: view(await this.#deliver(config, reserved, body, sentAt, taken)) };
  }

  /**
   * Sends `body` on the record's current channel (retries, failover), then records the outcome:
   * a definite failure gives back the send allowance and scope units; only the outcome of the
   * record's latest send is written (a newer start may have replaced it meanwhile).
   */
  async #deliver(config: Config, reserved: VerificationRecord, body: string, sentAt: number, taken: TakenUnit[]): Promise<VerificationRecord> {
    const inflight = this.#sending.get(reserved.id) ?? { sends: 0, early: [] };
    inflight.sends++;
    this.#sending.set(reserved.id, inflight);
    let outcome: { messageId: string; provider: string } | DeliveryFailedError;
    try {
      const callbackUrls = await callbackUrlsFor(config, reserved.id);
      outcome = await sendWithRetry(this.#sendersFor(config, reserved.channel), { to: reserved.to, body, reference: reserved.id, callbackUrls }, {
        attemptsPerProvider: config.delivery.attemptsPerProvider,
        retryBackoffMs: config.delivery.retryBackoffMs,
        sendDeadlineMs: config.delivery.sendDeadlineMs,
        now: Date.now,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      });
    } catch (error) {
      if (!(error instanceof DeliveryFailedError)) {
        if (--inflight.sends === 0) this.#sending.delete(reserved.id);
        throw error;
      }
      outcome = error;
    }

    const record = await this.#exclusive(async () => {
      const now = Date.now();
      if (outcome instanceof DeliveryFailedError && outcome.definite) {
        // Nothing went out: the user's allowance, the range and the budget get their unit back.
        const state = this.#loadState();
        this.#saveState({ ...state, counters: refundSend(state.counters, sentAt) });
        this.ctx.waitUntil(this.#releaseScopes(taken));
      }
      const current = this.#load(reserved.id);
      if (!current || current.sendAttempts !== reserved.sendAttempts) return current ?? reserved;
      const next =
        outcome instanceof DeliveryFailedError
          ? current.status === "pending"
            ? applySendFailure(current, outcome.reason, outcome.provider, now)
            : current
          : this.#withEarlyReceipts(applySendSuccess(current, outcome.messageId, outcome.provider, now), inflight.early);
      this.#save(next);
      if (next.status === "failed" && current.status !== "failed") this.#emit("verification.failed", next);
      this.#report(outcome instanceof DeliveryFailedError ? "send_failed" : "sent", next);
      if (next.status === "failed" && current.status !== "failed") this.#report("failed", next);
      return next;
    }).finally(() => {
      if (--inflight.sends === 0) this.#sending.delete(reserved.id);
    });
    if (outcome instanceof DeliveryFailedError) {
      log("warn", "sms.send_failed", {
        to: maskPhoneNumber(reserved.to),
        channel: reserved.channel,
        provider: outcome.provider,
        reason: outcome.reason,
        providerCode: outcome.providerCode,
        definite: outcome.definite,
        attempts: outcome.attempts,
      });
    } else {
      log("info", "verification.sent", {
        to: maskPhoneNumber(reserved.to),
        channel: reserved.channel,
        provider: outcome.provider,
        sendAttempts: record.sendAttempts,
      });
    }
    return record;
  }

  /** The message for a channel: the locale's template for SMS and WhatsApp, TwiML for a call. */
  #render(
    policy: DoPolicy | null,
    channel: Channel,
    values: { code: string; locale: string; serviceName: string; ttlSeconds: number; bindings: CodeBindings },
  ): { body: string; encoding: string; segments: number } {
    if (channel === "call") {
      return { body: renderVoiceTwiml({ locale: values.locale, code: values.code, serviceName: values.serviceName }).twiml, encoding: "", segments: 0 };
    }
    // WebOTP and app-hash lines are for SMS autofill; WhatsApp gets the plain text.
    const catalog = policy?.templates ? catalogForTemplates(policy.templates) : loadConfig(this.env).templates;
    return renderMessage(
      catalog.lookup(values.locale).template,
      { code: values.code, serviceName: values.serviceName, ttlMinutes: Math.ceil(values.ttlSeconds / 60) },
      channel === "sms" ? values.bindings : {},
    );
  }

  /**
   * The channel workflow's next step, driven by the alarm: if still pending, a new code goes out on
   * the next channel, counted against the same per-number limits as any send.
   */
  async #channelFallback(config: Config, id: string): Promise<void> {
    let body = "";
    const reserved = await this.#exclusive(async (): Promise<{ record: VerificationRecord; sentAt: number } | null> => {
      const now = Date.now();
      const record = this.#load(id);
      if (!record) return null;
      const channel = dueFallbackChannel(record, now);
      if (!channel) return null;
      const state = this.#loadState();
      const counters = pruneCounters(state.counters, now);
      const refused = evaluateSend(counters, now, state.policy?.numberLimits ?? config.numberLimits);
      if (refused) {
        // A cooldown that ends before expiry only delays the step; any other limit ends the workflow.
        const retryAt = now + (refused.retryAfterSeconds ?? 0) * 1000;
        this.#save(refused.reason === "resend_too_soon" && retryAt < record.expiresAt ? { ...record, nextChannelAt: retryAt } : endChannelWorkflow(record, now));
        await this.#scheduleAlarm(config);
        return null;
      }
      const code = generateCode(record.codeLength, cryptoRandom);
      const codeHash = await hashCode(await importCodeKey(config.codeSecret), record.id, code);
      const message = this.#render(state.policy, channel, {
        code,
        locale: record.locale,
        serviceName: record.serviceName,
        ttlSeconds: Math.max(60, Math.round((record.expiresAt - now) / 1000)),
        bindings: {},
      });
      body = message.body;
      const next = applyChannelFallback(record, codeHash, now, message);
      this.#save(next);
      this.#saveState({ ...state, counters: recordSend(counters, now) });
      await this.#scheduleAlarm(config);
      return { record: next, sentAt: now };
    });
    if (reserved) await this.#deliver(config, reserved.record, body, reserved.sentAt, []);
  }

  async #check(input: DoCheckInput): Promise<DoResult<{ status: CheckStatus; verification: VerificationView }>> {
    const config = loadConfig(this.env);
    return this.#exclusive(async () => {
      const now = Date.now();
      // By number: the pending verification, else one whose attempts are used up and that has not
      // expired, so a further check by number answers max_attempts_reached as a check by id does.
      const record = input.verificationId
        ? this.#load(input.verificationId)
        : (this.#latestPending(input.service) ?? this.#latestUsedUp(input.service, now));
      if (!record || record.service !== input.service) {
        return notFound(input.verificationId ? "verificationId: no such verification" : "to: no pending verification for this number");
      }
      if (input.to && input.to !== record.to) {
        return refusal("invalid_argument", "to: does not match the verification's number", undefined, "to");
      }
      const state = this.#loadState();
      const locked = evaluateCheck(state.counters, now);
      if (locked && record.status === "pending") return { ok: false, refusal: locked } as const;
      // Always compute the MAC, even for finished verifications, so timing says nothing about state.
      const candidate = await hashCode(await importCodeKey(config.codeSecret), record.id, input.code);
      // Every code of the channel workflow is tried; all comparisons run (no early exit).
      let matched = false;
      for (const hash of record.codeHash ? [record.codeHash, ...record.previousCodeHashes] : []) {
        if (macEqual(candidate, hash)) matched = true;
      }
      const outcome = applyCheck(record, matched, now, input.policy.maxCheckAttempts);
      if (outcome.kind === "refused") return { ok: false, refusal: outcome.refusal } as const;
      if (outcome.changed) {
        this.#save(outcome.record);
        if (outcome.status === "invalid") {
          this.#saveState({ ...state, counters: recordFailedCheck(state.counters, now, input.policy.numberLimits), policy: input.policy });
        } else if (outcome.status === "approved") {
          this.#saveState({ ...state, counters: recordApproval(state.counters, now), policy: input.policy });
        } else {
          this.#saveState({ ...state, policy: input.policy });
        }
        if (record.status !== outcome.record.status) {
          const event = STATUS_EVENTS[outcome.record.status];
          if (event) this.#emit(event, outcome.record);
          if (event) this.#report(outcome.record.status as InsightKind, outcome.record);
        }
        await this.#scheduleAlarm(config);
      }
      log("info", "verification.checked", { to: maskPhoneNumber(record.to), status: outcome.status });
      return { ok: true, value: { status: outcome.status, verification: view(outcome.record) } } as const;
    });
  }

  /**
   * Runs `run` once per idempotency key. The claim is made synchronously on entry (no await before
   * it), so concurrent duplicates see it: they wait for the original's result and replay it.
   * Refusals are not stored: a retry after a rate limit is evaluated afresh.
   */
  async #idempotent<T>(idem: IdempotencyInput | undefined, run: () => Promise<DoResult<T>>): Promise<DoResult<T>> {
    if (!idem) return run();
    const now = Date.now();
    let existing = this.#schemaReady
      ? this.#sql.exec("SELECT request_hash, state, response, expires_at FROM idempotency WHERE key = ? AND expires_at > ?", idem.key, now).toArray()[0]
      : undefined;
    if (existing?.state === "in_progress" && !this.#inflight.has(idem.key)) {
      // The original died with its object (restart mid-flow). Once it cannot still be sending,
      // run again: the per-number limits persisted before the send stop a double SMS.
      const startedAt = (existing.expires_at as number) - IDEMPOTENCY_TTL_MS;
      if (now - startedAt > loadConfig(this.env).delivery.sendDeadlineMs + ABANDONED_AFTER_MS) existing = undefined;
    }
    if (existing) {
      if (existing.request_hash !== idem.requestHash) {
        return refusal("idempotency_key_reused", "Idempotency-Key: already used with a different request", undefined, "Idempotency-Key");
      }
      if (existing.state === "done") return { ...(JSON.parse(existing.response as string) as DoResult<T>), replayed: true } as DoResult<T>;
      const inflight = this.#inflight.get(idem.key) as Promise<DoResult<T>> | undefined;
      if (inflight) {
        const result = await inflight;
        return result.ok ? { ...result, replayed: true } : result;
      }
      return refusal("idempotency_in_progress", "Idempotency-Key: the original request is still in progress; retry shortly", undefined, "Idempotency-Key");
    }
    this.#ensureSchema();
    this.#sql.exec(
      "INSERT OR REPLACE INTO idempotency (key, request_hash, state, response, expires_at) VALUES (?, ?, 'in_progress', NULL, ?)",
      idem.key,
      idem.requestHash,
      now + IDEMPOTENCY_TTL_MS,
    );
    const promise = run();
    this.#inflight.set(idem.key, promise);
    try {
      const result = await promise;
      if (result.ok) {
        this.#ensureSchema();
        this.#sql.exec("UPDATE idempotency SET state = 'done', response = ? WHERE key = ?", JSON.stringify(result), idem.key);
      } else if (this.#schemaReady) {
        this.#sql.exec("DELETE FROM idempotency WHERE key = ?", idem.key);
      }
      return result;
    } catch (error) {
      if (this.#schemaReady) this.#sql.exec("DELETE FROM idempotency WHERE key = ?", idem.key);
      throw error;
    } finally {
      this.#inflight.delete(idem.key);
    }
  }

  async #takeScopes(scopes: readonly ScopeRequest[]): Promise<DoResult<{ units: TakenUnit[]; monitored: Risk[] }>> {
    if (scopes.length === 0) return { ok: true, value: { units: [], monitored: [] } };
    const namespace = namespaceOf(this.env, "SCOPE_COUNTER");
    const results = await Promise.all(scopes.map((scope) => namespace.get(namespace.idFromName(scope.name)).take(scope.take)));
    const units: TakenUnit[] = [];
    const monitored: Risk[] = [];
    let refused: Refusal | null = null;
    results.forEach((result, i) => {
      const scope = scopes[i]!;
      if (result.allowed && result.bucket >= 0) units.push({ name: scope.name, bucket: result.bucket });
      if (!result.allowed && !refused) {
        refused = {
          reason: "limit_reached",
          message: SCOPE_MESSAGES[scope.rule],
          field: scope.rule === "velocity_ip" ? "clientIp" : "to",
          rule: scope.rule,
          retryAfterSeconds: result.retryAfterSeconds,
        };
      } else if (result.overLimit && !scope.take.enforce) {
        monitored.push(RISK_OF_RULE[scope.rule]);
      }
    });
    if (refused) {
      // One scope refused: give the others back so a refused start costs nothing anywhere.
      await this.#releaseScopes(units);
      return { ok: false, refusal: refused };
    }
    return { ok: true, value: { units, monitored } };
  }

  async #releaseScopes(units: readonly TakenUnit[]): Promise<void> {
    const namespace = namespaceOf(this.env, "SCOPE_COUNTER");
    await Promise.all(units.map((unit) => namespace.get(namespace.idFromName(unit.name)).release(unit.bucket)));
  }

  /** Applies receipts that arrived before the send returned, in arrival order. */
  #withEarlyReceipts(record: VerificationRecord, early: readonly DoDeliveryInput[]): VerificationRecord {
    let next = record;
    for (const receipt of early) {
      const result = applyDelivery(next, receipt, receipt.at);
      if (result.kind === "applied") next = { ...next, delivery: result.delivery };
    }
    return next;
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #sendersFor(config: Config, channel: Channel): SmsSender[] {
    let senders = this.#senders.get(channel);
    if (!senders) {
      senders = createChannelSenders(config, channel, fetch, {
        devOutbox: config.development ? (message) => devOutbox(this.env).add(message) : undefined,
      });
      this.#senders.set(channel, senders);
    }
    return senders;
  }

  /**
   * Creates the schema on first write, in its current shape: a new object (every start on a new
   * number) then finds nothing for #migrate to add. Building it by the migration steps cost 13
   * ALTER TABLEs per new number. Shape changes go in #migrate (which also runs here, so a column a
   * later step adds is still added) and the README "Storage" table.
   */
  #ensureSchema(): void {
    if (this.#schemaReady) return;
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
      locale TEXT NOT NULL,
      risks TEXT NOT NULL DEFAULT '[]',
      message_encoding TEXT NOT NULL DEFAULT '',
      message_segments INTEGER NOT NULL DEFAULT 0,
      service_name TEXT NOT NULL DEFAULT '',
      channels TEXT NOT NULL DEFAULT '["sms"]',
      fallback_after_seconds INTEGER NOT NULL DEFAULT 0,
      next_channel_at INTEGER NOT NULL DEFAULT 0,
      previous_code_hashes TEXT NOT NULL DEFAULT '[]',
      test INTEGER NOT NULL DEFAULT 0,
      delivery_status TEXT NOT NULL DEFAULT '',
      delivery_error_code TEXT NOT NULL DEFAULT '',
      delivery_updated_at INTEGER NOT NULL DEFAULT 0
    )`);
    this.#sql.exec("CREATE INDEX IF NOT EXISTS verifications_by_status ON verifications (service, status, created_at)");
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS number_state (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      counters TEXT NOT NULL,
      denied INTEGER NOT NULL DEFAULT 0,
      allowed INTEGER NOT NULL DEFAULT 0,
      policy TEXT
    )`);
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS idempotency (
      key TEXT PRIMARY KEY,
      request_hash TEXT NOT NULL,
      state TEXT NOT NULL,
      response TEXT,
      expires_at INTEGER NOT NULL
    )`);
    this.#sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
    this.#sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', 2)");
    this.#schemaReady = true;
    this.#migrate();
  }

  /** Forward-only migrations, applied in the load path; `meta.schema_version` records progress. */
  #migrate(): void {
    this.#columns.clear();
    this.#sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
    const version = (this.#sql.exec("SELECT value FROM meta WHERE key = 'schema_version'").toArray()[0]?.value as number | undefined) ?? 1;
    if (version < 2) {
      this.#sql.exec("ALTER TABLE verifications ADD COLUMN risks TEXT NOT NULL DEFAULT '[]'");
      this.#sql.exec(`CREATE TABLE IF NOT EXISTS number_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        counters TEXT NOT NULL,
        denied INTEGER NOT NULL DEFAULT 0,
        allowed INTEGER NOT NULL DEFAULT 0
      )`);
      this.#sql.exec(`CREATE TABLE IF NOT EXISTS idempotency (
        key TEXT PRIMARY KEY,
        request_hash TEXT NOT NULL,
        state TEXT NOT NULL,
        response TEXT,
        expires_at INTEGER NOT NULL
      )`);
      this.#sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', 2)");
    }
    // Later steps add columns by checking for them, so branches that each add a step merge in any
    // order without a step being skipped.
    this.#addColumn("verifications", "message_encoding", "TEXT NOT NULL DEFAULT ''");
    this.#addColumn("verifications", "message_segments", "INTEGER NOT NULL DEFAULT 0");
    this.#addColumn("verifications", "service_name", "TEXT NOT NULL DEFAULT ''");
    this.#addColumn("verifications", "channels", "TEXT NOT NULL DEFAULT '[\"sms\"]'");
    this.#addColumn("verifications", "fallback_after_seconds", "INTEGER NOT NULL DEFAULT 0");
    this.#addColumn("verifications", "next_channel_at", "INTEGER NOT NULL DEFAULT 0");
    this.#addColumn("verifications", "previous_code_hashes", "TEXT NOT NULL DEFAULT '[]'");
    this.#addColumn("verifications", "test", "INTEGER NOT NULL DEFAULT 0");
    this.#addColumn("number_state", "policy", "TEXT");
    createOutboxTable(this.#sql);
    // Delivery receipts: '' / 0 = no receipt yet for the latest message.
    this.#addColumn("verifications", "delivery_status", "TEXT NOT NULL DEFAULT ''");
    this.#addColumn("verifications", "delivery_error_code", "TEXT NOT NULL DEFAULT ''");
    this.#addColumn("verifications", "delivery_updated_at", "INTEGER NOT NULL DEFAULT 0");
  }

  #addColumn(table: string, column: string, definition: string): void {
    // One column listing per table per migration: this runs on every wake (the constructor), and a
    // lookup per column cost ~8 µs each, ~100 µs per wake in the bench profile.
    let columns = this.#columns.get(table);
    if (!columns) {
      columns = new Set(this.#sql.exec(`SELECT name FROM pragma_table_info('${table}')`).toArray().map((row) => row.name as string));
      this.#columns.set(table, columns);
    }
    if (columns.has(column)) return;
    this.#sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
    columns.add(column);
  }

  #loadState(): NumberState {
    if (!this.#schemaReady) return { counters: EMPTY_COUNTERS, denied: false, allowed: false, policy: null };
    const row = this.#sql.exec("SELECT counters, denied, allowed, policy FROM number_state WHERE id = 1").toArray()[0];
    if (!row) return { counters: EMPTY_COUNTERS, denied: false, allowed: false, policy: null };
    // A check reads the state up to three times (transition, webhook, alarm): the row is read each
    // time, so storage stays the only truth, but its JSON is parsed again only when it changed.
    const parsed = this.#parsedState;
    const counters = parsed && parsed.countersJson === row.counters ? parsed.counters : (JSON.parse(row.counters as string) as NumberCounters);
    const policy = !row.policy ? null : parsed && parsed.policyJson === row.policy ? parsed.policy : (JSON.parse(row.policy as string) as DoPolicy);
    this.#parsedState = { countersJson: row.counters as string, counters, policyJson: row.policy as string | null, policy };
    // Callers spread and replace fields, never mutate them, so the parsed objects can be shared.
    return { counters, denied: row.denied === 1, allowed: row.allowed === 1, policy };
  }

  #saveState(state: NumberState): void {
    this.#ensureSchema();
    this.#sql.exec(
      "INSERT OR REPLACE INTO number_state (id, counters, denied, allowed, policy) VALUES (1, ?, ?, ?, ?)",
      JSON.stringify(state.counters),
      state.denied ? 1 : 0,
      state.allowed ? 1 : 0,
      state.policy ? JSON.stringify(state.policy) : null,
    );
  }

  #rememberPolicy(policy: DoPolicy): void {
    this.#saveState({ ...this.#loadState(), policy });
  }

  /** Queues a webhook event if the service subscribes to it (same synchronous step as the change). */
  #emit(type: WebhookEvent, record: VerificationRecord): void {
    const webhook = this.#loadState().policy?.webhook;
    if (!webhook || !webhook.events.includes(type)) return;
    enqueueEvent(this.#sql, { type, serviceId: webhook.serviceId, data: verificationJson(view(record)), now: Date.now() });
  }

  /** Reports a change to the service's insights (src/insights.ts), off the response path. */
  #report(kind: InsightKind, record: VerificationRecord): void {
    const event = insightEvent(kind, record, Date.now());
    this.ctx.waitUntil(
      insightsFor(this.env, record.service, record.to)
        .record([event])
        .catch((error: unknown) => log("warn", "insights.report_failed", { kind, error: error instanceof Error ? error.message : String(error) })),
    );
  }

  /**
   * Erasure reaches insights too: the recent rows of this number's verifications go (the daily
   * counts stay; they hold nobody's data). Awaited, so a successful erase has nothing left behind.
   */
  async #forgetInsights(): Promise<void> {
    const rows = this.#schemaReady ? this.#sql.exec("SELECT id, service, to_e164 FROM verifications").toArray() : [];
    if (rows.length === 0) return;
    // One object per (service, number): every row shares both.
    await insightsFor(this.env, rows[0]!.service as string, rows[0]!.to_e164 as string).forget(rows.map((row) => row.id as string));
  }

  #load(id: string): VerificationRecord | null {
    if (!this.#schemaReady) return null;
    const rows = this.#sql.exec("SELECT * FROM verifications WHERE id = ?", id).toArray();
    return rows[0] ? fromRow(rows[0]) : null;
  }

  #latestPending(service: string): VerificationRecord | null {
    if (!this.#schemaReady) return null;
    const rows = this.#sql
      .exec("SELECT * FROM verifications WHERE service = ? AND status = 'pending' ORDER BY created_at DESC LIMIT 1", service)
      .toArray();
    return rows[0] ? fromRow(rows[0]) : null;
  }

  #latestUsedUp(service: string, now: number): VerificationRecord | null {
    if (!this.#schemaReady) return null;
    const rows = this.#sql
      .exec(
        "SELECT * FROM verifications WHERE service = ? AND status = 'max_attempts_reached' AND expires_at > ? ORDER BY created_at DESC LIMIT 1",
        service,
        now,
      )
      .toArray();
    return rows[0] ? fromRow(rows[0]) : null;
  }

  #save(r: VerificationRecord): void {
    this.#ensureSchema();
    this.#sql.exec(
      `INSERT OR REPLACE INTO verifications (id, service, to_e164, channel, status, code_hash, code_length, created_at,
        updated_at, expires_at, send_attempts, check_attempts, message_id, provider, failure_reason, country_code,
        line_type, external_id, tags, locale, risks, message_encoding, message_segments, service_name, channels,
        fallback_after_seconds, next_channel_at, previous_code_hashes, test, delivery_status, delivery_error_code, delivery_updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      JSON.stringify(r.risks),
      r.messageEncoding,
      r.messageSegments,
      r.serviceName,
      JSON.stringify(r.channels),
      r.fallbackAfterSeconds,
      r.nextChannelAt,
      JSON.stringify(r.previousCodeHashes.map((h) => toBase64Url(h))),
      r.test ? 1 : 0,
      r.delivery?.status ?? "",
      r.delivery?.errorCode ?? "",
      r.delivery?.updatedAt ?? 0,
    );
  }

  /** One alarm at the earliest moment something is due: an expiry, a retention or a window end. */
  async #scheduleAlarm(config: Config): Promise<void> {
    if (!this.#schemaReady) return;
    const row = this.#sql
      .exec(
        `SELECT MIN(due) AS due FROM (
          SELECT MIN(CASE WHEN status = 'pending' THEN expires_at ELSE updated_at + ? END) AS due FROM verifications
          UNION ALL SELECT MIN(next_channel_at) FROM verifications WHERE status = 'pending' AND next_channel_at > 0
          UNION ALL SELECT MIN(expires_at) FROM idempotency
          UNION ALL SELECT MIN(next_attempt_at) FROM webhook_outbox)`,
        config.retentionDays * DAY_MS,
      )
      .one();
    const counters = this.#loadState().counters;
    const oldestCounter = Math.min(...counters.sendTimes, ...counters.failedCheckTimes);
    const candidates = [row.due as number | null, Number.isFinite(oldestCounter) ? oldestCounter + DAY_MS : null].filter(
      (t): t is number => t !== null,
    );
    if (candidates.length === 0) return;
    const due = Math.max(Math.min(...candidates), Date.now());
    // The object is the only one setting its alarm, so once known it need not be read back on
    // every change; after a wake, an alarm run or deleteAll() it is unknown again.
    const current = this.#alarmAt === undefined ? await this.ctx.storage.getAlarm() : this.#alarmAt;
    this.#alarmAt = current;
    if (current === null || current > due) {
      await this.ctx.storage.setAlarm(due);
      this.#alarmAt = due;
    }
  }
}

const STATUS_EVENTS: Partial<Record<VerificationRecord["status"], WebhookEvent>> = {
  approved: "verification.approved",
  expired: "verification.expired",
  canceled: "verification.canceled",
  max_attempts_reached: "verification.max_attempts_reached",
  failed: "verification.failed",
};

const SCOPE_MESSAGES: Record<ScopeRequest["rule"], string> = {
  velocity_ip: "clientIp: too many verifications from this IP address; try again later",
  velocity_range: "to: too many codes sent to this number range; try again later",
  velocity_country: "to: too many codes sent to this country; try again later",
  budget: "to: the daily SMS budget is used up",
};

function isEmpty(counters: NumberCounters): boolean {
  return counters.sendTimes.length === 0 && counters.failedCheckTimes.length === 0 && counters.lockedUntil === 0;
}

function refusal(reason: Refusal["reason"], message: string, rule?: string, field = "to"): { ok: false; refusal: Refusal } {
  return { ok: false, refusal: { reason, message, field, ...(rule ? { rule } : {}) } };
}

function notFound(message: string): { ok: false; refusal: Refusal } {
  return { ok: false, refusal: { reason: "not_found", message, field: message.startsWith("to:") ? "to" : "verificationId" } };
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
    channel: row.channel as Channel,
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
    risks: JSON.parse((row.risks as string | undefined) ?? "[]") as Risk[],
    messageEncoding: (row.message_encoding as string | undefined) ?? "",
    messageSegments: (row.message_segments as number | undefined) ?? 0,
    serviceName: (row.service_name as string | undefined) ?? "",
    channels: JSON.parse((row.channels as string | undefined) ?? '["sms"]') as Channel[],
    fallbackAfterSeconds: (row.fallback_after_seconds as number | undefined) ?? 0,
    nextChannelAt: (row.next_channel_at as number | undefined) ?? 0,
    previousCodeHashes: (JSON.parse((row.previous_code_hashes as string | undefined) ?? "[]") as string[]).map((h) => fromBase64Url(h) ?? new Uint8Array()),
    test: row.test === 1,
    delivery: deliveryFromRow(row),
  };
}

function deliveryFromRow(row: Record<string, SqlStorageValue>): DeliveryState | null {
  const status = row.delivery_status as DeliveryStatus | "" | undefined;
  if (!status) return null;
  return { status, errorCode: row.delivery_error_code as string, updatedAt: row.delivery_updated_at as number };
}
