// Durable Object per (service, phone number): the only place that decides anything about that
// number. Orchestration only: load (storage.ts) → pure core transition (src/core) → persist in one
// synchronous step → only then the provider fetch → record its outcome. Webhooks, insights and
// expiry leave through the object's alarm. Helpers are #private: every public method is an RPC.
import { DurableObject } from "cloudflare:workers";
import { loadConfig, type Config } from "../../config.ts";
import { cryptoRandom, generateCode, hashCode, importCodeKey, macEqual } from "../../core/codes.ts";
import { applyDelivery, type DeliveryReceipt, type DeliveryStatus } from "../../core/delivery.ts";
import type { Refusal } from "../../core/errors.ts";
import { newVerificationId } from "../../core/ids.ts";
import { insightEvent, type InsightEvent, type InsightKind, type LookupOutcome } from "../../core/insights.ts";
import { catalogForTemplates } from "../../core/locales.ts";
import { renderMessage } from "../../core/message.ts";
import { maskPhoneNumber } from "../../core/phone.ts";
import {
  DAY_MS,
  evaluateCheck,
  evaluateSend,
  pruneCounters,
  recordApproval,
  recordFailedCheck,
  recordSend,
  refundSend,
  type NumberCounters,
  type NumberLimits,
  type Risk,
  type RuleMode,
  type RuleName,
  applyModes,
} from "../../core/policy.ts";
import { GUARD_HOUR_MS } from "../../core/conversion-guard.ts";
import { scopesForNumber } from "../../core/scopes.ts";
import { isFresh, lookupRuleHits, type NormalisedLookup } from "../../core/lookup.ts";
import { classifyReceipt, classifySendFailure, EMPTY_DELIVERABILITY, recordUndeliverable, type DeliverabilityReason } from "../../core/deliverability.ts";
import { namespaceOf } from "../namespaces.ts";
import { createLookupProvider, LookupError, type LookupProvider } from "../../lookup/index.ts";
import type { WebhookEvent } from "../../core/service.ts";
import { verificationJson, type VerificationView } from "../../core/verification-json.ts";
import {
  applyCancel,
  applyChannelFallback,
  applyCheck,
  applySendFailure,
  applySendSuccess,
  applyStart,
  dueFallbackChannel,
  effectiveStatus,
  endChannelWorkflow,
  expireIfDue,
  isLive,
  type Channel,
  type CheckStatus,
  type StartParams,
  type VerificationRecord,
} from "../../core/verification.ts";
import { renderVoiceTwiml } from "../../core/voice.ts";
import type { CodeBindings } from "../../core/webotp.ts";
import { log } from "../../log.ts";
import { createChannelSenders } from "../../sms/index.ts";
import { callbackUrlsFor } from "../../sms/receipts/index.ts";
import { DeliveryFailedError, sendWithRetry } from "../../sms/retry.ts";
import type { SmsSender } from "../../sms/sender.ts";
import { devOutbox } from "../dev-outbox.ts";
import { insightsFor } from "../insights.ts";
import { reports } from "../reports.ts";
import { migrateSqlSchema, takeLegacyReports } from "../migrations/phone-verification.ts";
import { idempotent, type DoResult, type IdempotencyInput } from "./idempotency.ts";
import { deliverDueEvents, enqueueEvent } from "./outbox.ts";
import { guardRef, releaseScopes, takeScopes, type ScopeRequest, type TakenUnit } from "./scopes.ts";
import { NumberStore, type StoredPolicy } from "./storage.ts";

export type { DoResult, IdempotencyInput, ScopeRequest, VerificationView };

/** The calling service's settings that the object applies (resolved by the Worker per request). */
export interface DoPolicy {
  maxCheckAttempts: number;
  numberLimits: NumberLimits;
  /** The service's own per-locale templates; null uses the deployment's catalog (a check sends none). */
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
  /**
   * Set when this start asks the carrier (LOOKUP_MODE, or the request's `lookup`): the rule modes
   * its answer is judged by. The Worker has already judged the metadata's type and the country.
   */
  lookupPlan: { modes: Readonly<Record<RuleName, RuleMode>> } | null;
  idempotency?: IdempotencyInput;
  /**
   * Set by the Worker when it repeats a start because this object was reset under the first try
   * (epoch ms of that try): a verification that try made or sent is the answer, with no second send.
   */
  resumeSince?: number;
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

/** A carrier lookup's outcome for one start: an answer (fresh or cached) or why there is none. */
type LookupAttempt = { ok: true; result: NormalisedLookup; cached: boolean } | { ok: false; reason: string };

/** Receipts that arrived while their message's send was still in flight (the id was not yet known). */
interface InflightSend {
  sends: number;
  early: DoDeliveryInput[];
}
const MAX_EARLY_RECEIPTS = 20;

const STATUS_EVENTS: Partial<Record<VerificationRecord["status"], WebhookEvent>> = {
  approved: "verification.approved",
  expired: "verification.expired",
  canceled: "verification.canceled",
  max_attempts_reached: "verification.max_attempts_reached",
  failed: "verification.failed",
};

export class PhoneVerification extends DurableObject<Env> {
  readonly #store: NumberStore;
  // Serialises state transitions: input gates only hold across storage calls, and scope calls are
  // async, so without this two starts could both see "no live verification".
  #queue: Promise<unknown> = Promise.resolve();
  readonly #senders = new Map<Channel, SmsSender[]>();
  /** Requests under way per idempotency key, so concurrent duplicates wait for the original. */
  readonly #inflight = new Map<string, Promise<DoResult<unknown>>>();
  // A vendor can report on a message before its send call has returned the message id to us; such
  // receipts wait here (in memory: the window exists only while this object awaits the send).
  readonly #sending = new Map<string, InflightSend>();
  /** The carrier lookup under way, shared by concurrent starts so the vendor is asked once. */
  #lookupInflight: Promise<LookupAttempt> | null = null;
  #lookupProvider: LookupProvider | null | undefined = undefined;
  /** The alarm this object last set (undefined: not known, ask storage; null: none). */
  #alarmAt: number | null | undefined = undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // An object written by an earlier release is brought to the current shape first (read-only otherwise).
    migrateSqlSchema(ctx.storage);
    this.#store = new NumberStore(ctx.storage);
  }

  async start(input: DoStartInput): Promise<DoResult<VerificationView>> {
    try {
      return await this.#idempotent(input.idempotency, () => this.#start(input), input.resumeSince);
    } finally {
      this.#flushSoon();
    }
  }

  async check(input: DoCheckInput): Promise<DoResult<{ status: CheckStatus; verification: VerificationView }>> {
    try {
      return await this.#idempotent(input.idempotency, () => this.#check(input));
    } finally {
      this.#flushSoon();
    }
  }

  /**
   * A standalone carrier lookup (POST /v1/lookups): the cached answer while fresh, else one vendor
   * call within the service's daily lookup budget (`budget`, a ScopeCounter unit given back if the
   * vendor gives no answer). The answer fills the same cache a start reads.
   */
  async lookupNumber(input: { service: string; to: string; budget: ScopeRequest | null }): Promise<DoResult<{ lookup: NormalisedLookup; cached: boolean }>> {
    const config = loadConfig(this.env);
    const cached = this.#store.lookup();
    if (isFresh(cached, Date.now(), config.lookup.cacheHours)) {
      this.#noteLookup(input.service, input.to, cached.source, "cached");
      this.#flushSoon();
      return { ok: true, value: { lookup: cached, cached: true } };
    }
    const taken = await takeScopes(this.env, input.budget ? [input.budget] : []);
    if (!taken.ok) return taken;
    const attempt = await this.#lookUp(config, input.service, input.to);
    this.#flushSoon();
    if (!attempt.ok) {
      await releaseScopes(this.env, taken.value.units);
      return { ok: false, refusal: { reason: "unavailable", message: "phoneNumber: the carrier lookup is unavailable; retry shortly", field: "phoneNumber", retryAfterSeconds: 30 } };
    }
    // The cache must not outlive its window: the alarm deletes it then (with everything else, if nothing else is left).
    await this.#exclusive(() => this.#alarmNoLaterThan(attempt.result.fetchedAt + config.lookup.cacheHours * 3_600_000));
    return { ok: true, value: { lookup: attempt.result, cached: attempt.cached } };
  }

  async get(input: DoLookupInput): Promise<DoResult<VerificationView>> {
    const record = this.#store.verification(input.verificationId);
    if (!record || record.service !== input.service) return notFound("verificationId: no such verification");
    return { ok: true, value: { ...view(record), status: effectiveStatus(record, Date.now()) } };
  }

  async cancel(input: DoLookupInput): Promise<DoResult<VerificationView>> {
    const result = this.#idempotent(input.idempotency, () =>
      this.#exclusive(async () => {
        const record = this.#store.verification(input.verificationId);
        if (!record || record.service !== input.service) return notFound("verificationId: no such verification");
        const now = Date.now();
        const outcome = applyCancel(record, now);
        if (outcome.kind === "refused") return { ok: false, refusal: outcome.refusal } as const;
        if (outcome.changed) {
          this.#store.saveVerification(outcome.record);
          this.#emit(input.policy?.webhook ?? this.#store.policy()?.webhook ?? null, "verification.canceled", outcome.record, now);
          this.#report("canceled", outcome.record, now);
          await this.#alarmNoLaterThan(this.#dueOf(outcome.record));
        }
        return { ok: true, value: view(outcome.record) } as const;
      }),
    );
    return result.finally(() => this.#flushSoon());
  }

  /**
   * Records a verified delivery receipt. Not scoped by service: the caller proved the receipt came
   * from the provider, and the verification id it names is unguessable. Only the latest message's
   * receipts count, and a final state is never replaced (core/delivery.ts).
   */
  async recordDelivery(input: DoDeliveryInput): Promise<DeliveryRecordOutcome> {
    return this.#recordDelivery(input).finally(() => this.#flushSoon());
  }

  #recordDelivery(input: DoDeliveryInput): Promise<DeliveryRecordOutcome> {
    return this.#exclusive(async () => {
      const record = this.#store.verification(input.verificationId);
      if (!record) return { outcome: "not_found" } as const;
      const result = applyDelivery(record, input, input.at);
      if (result.kind === "applied") {
        const now = Date.now();
        const updated = { ...record, delivery: result.delivery };
        this.#store.saveVerification(updated);
        this.#noteUndeliverable(loadConfig(this.env), record, classifyReceipt({ provider: record.provider, status: result.delivery.status, errorCode: result.delivery.errorCode }), now);
        this.#emit(this.#store.policy()?.webhook ?? null, "delivery.updated", updated, now);
        this.#report("delivery", updated, now);
        await this.#alarmNoLaterThan(this.#dueOf(updated));
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
      const state = this.#store.state();
      const key = input.list === "deny" ? "denied" : "allowed";
      if (state[key] === input.listed) return;
      // Taking a number off the deny list forgets the delivery failures that put it there.
      const forget = input.list === "deny" && !input.listed ? { denyReason: null, deliverability: EMPTY_DELIVERABILITY } : {};
      this.#store.saveState({ ...state, [key]: input.listed, ...forget });
      // Taking a number off a list may leave nothing: the alarm then frees the object.
      if (!input.listed) await this.#alarmNoLaterThan(Date.now());
    });
  }

  /** Deletes everything held about this number (privacy erasure). Returns how many verifications went. */
  async erase(): Promise<{ verifications: number }> {
    return this.#exclusive(async () => {
      const records = this.#store.verifications();
      // Counts first (they hold nobody's data and must stay exact), then the recent rows go.
      this.#handOverReports();
      await reports.flush(this.env);
      if (records.length > 0) await insightsFor(this.env, records[0]!.service, records[0]!.to).forget(records.map((r) => r.id));
      await this.ctx.storage.deleteAll();
      this.#store.reset();
      this.#alarmAt = undefined;
      return { verifications: records.length };
    });
  }

  /**
   * Expires due verifications, runs due channel fallbacks, posts due webhooks, reports insights,
   * deletes what is past retention, and frees an empty object. Then sets the next alarm.
   */
  override async alarm(): Promise<void> {
    const config = loadConfig(this.env);
    this.#alarmAt = null; // this run consumed it
    const fallbacks = await this.#exclusive(async (): Promise<string[]> => {
      const now = Date.now();
      const webhook = this.#store.policy()?.webhook ?? null;
      const due: string[] = [];
      for (const record of this.#store.verifications()) {
        if (record.status !== "pending" && record.updatedAt <= now - config.retentionDays * DAY_MS) {
          this.#store.deleteVerification(record.id);
          continue;
        }
        const expired = expireIfDue(record, now);
        if (expired) {
          this.#store.saveVerification(expired);
          this.#emit(webhook, "verification.expired", expired, now);
          this.#report("expired", expired, now);
        } else if (record.status === "pending" && record.nextChannelAt > 0 && record.nextChannelAt <= now) {
          due.push(record.id);
        }
      }
      for (const [key, record] of this.#store.idempotencyRecords()) if (record.expiresAt <= now) this.#store.deleteIdempotency(key);
      const legacy = takeLegacyReports(this.ctx.storage.kv);
      if (legacy.insights) {
        this.#events.push(...legacy.insights.events);
        this.#eventsOf = { service: legacy.insights.service, to: legacy.insights.to };
      }
      this.#approvals.push(...legacy.approvals);
      this.#flushWanted ||= legacy.insights !== null || legacy.approvals.length > 0;
      return due;
    });
    // Outside the exclusive section: each step takes it itself, and releases it for the send.
    for (const id of fallbacks) await this.#channelFallback(config, id);
    // Webhook posts run outside it too: a slow receiver must not hold the number.
    await deliverDueEvents(this.#store, this.env, this.ctx);
    this.#flushSoon();
    await this.#exclusive(() => this.#scheduleNext(config));
  }

  async #start(input: DoStartInput): Promise<DoResult<VerificationView>> {
    const config = loadConfig(this.env);
    if (input.resumeSince !== undefined) {
      // The first try reserved (and maybe sent) before the reset: answer with what it made, so
      // the client holds the id of the code the user may already have, and nothing is sent twice.
      const live = this.#latestPending(input.service);
      if (live && isLive(live, Date.now()) && live.updatedAt >= input.resumeSince) return { ok: true, value: view(live) };
    }
    // The carrier's answer first (cached, or one vendor call outside the state queue): it can
    // refuse the start before anything is counted.
    const lookupRisks: Risk[] = [];
    let lookup: NormalisedLookup | null = null;
    if (input.lookupPlan) {
      const attempt = await this.#lookUp(config, input.service, input.to);
      if (attempt.ok) {
        lookup = attempt.result;
        const verdict = applyModes(lookupRuleHits({ lineType: input.lineType, countryCode: input.countryCode }, lookup, null), input.lookupPlan.modes);
        if (verdict.refusal) return refusal("rule_refused", verdict.refusal.message, verdict.refusal.rule);
        lookupRisks.push(...verdict.monitored);
      } else if (config.lookup.failClosed) {
        return { ok: false, refusal: { reason: "unavailable", message: "to: the carrier lookup is unavailable; retry shortly", field: "to", rule: "lookup_unavailable", retryAfterSeconds: 30 } };
      } else {
        lookupRisks.push("lookup_unavailable");
      }
    }
    let body = "";
    const reservation = await this.#exclusive(async (): Promise<DoResult<{ record: VerificationRecord; sentAt: number; taken: TakenUnit[] }>> => {
      const state = this.#store.state();
      const risks: Risk[] = [...input.risks, ...lookupRisks];
      if (state.denied && input.denyListMode !== "off") {
        // An entry made from delivery reports says why, in MTA's risk words (unsubscribed, deactivated).
        const why = state.denyReason ?? null;
        if (input.denyListMode === "enforce") {
          return refusal("rule_refused", `to: this number is on the deny list${why ? ` (${why}, from delivery reports)` : ""}`, "deny_list");
        }
        if (why === "unsubscribed" || why === "deactivated") risks.push(why);
        risks.push("deny_list");
      }
      const counters = pruneCounters(state.counters, Date.now());
      const refused = evaluateSend(counters, Date.now(), input.policy.numberLimits);
      if (refused) return { ok: false, refusal: refused };

      // Cross-number limits, counted in parallel, as this number's state shapes them (allow list,
      // the guard's once-an-hour count: src/core/scopes.ts).
      const guardCounted = (state.guardCountedAt ?? 0) > Date.now() - GUARD_HOUR_MS;
      const taken = await takeScopes(this.env, scopesForNumber(input.scopes, { allowed: state.allowed, guardCounted }));
      if (!taken.ok) return taken;
      risks.push(...taken.value.monitored);

      // Everything below is synchronous but the MAC (no I/O): the writes land in one commit.
      const now = Date.now();
      const live = this.#latestPending(input.service);
      const reuse = live && isLive(live, now) ? live : null;
      const expiredLive = live && !reuse ? expireIfDue(live, now) : null;
      const id = reuse?.id ?? newVerificationId(this.ctx.id.toString(), cryptoRandom);
      const code = input.testCode ?? generateCode(input.codeLength, cryptoRandom);
      const codeHash = await hashCode(await importCodeKey(config.codeSecret), id, code);
      const message = this.#render(input.policy.templates, input.channels[0]!, {
        code,
        locale: input.locale,
        serviceName: input.serviceName,
        ttlSeconds: input.ttlSeconds,
        bindings: input.bindings,
      });
      // From here the code exists only inside `body`, which goes to the provider and nowhere else.
      body = message.body;
      const params = { ...input, lookup, risks: [...new Set(risks)], messageEncoding: message.encoding, messageSegments: message.segments, codeLength: code.length };
      let record = applyStart(reuse, params, now, id, codeHash);
      // The scopes an approval of this verification is reported to: those that counted its number.
      const guarded = taken.value.units.filter((u) => u.guarded).map(guardRef);
      const guardScopes = guarded.length > 0 ? guarded : (reuse?.guardScopes ?? []);
      if (guardScopes.length > 0 || record.guardScopes) record = { ...record, guardScopes };
      if (input.testCode !== null) {
        // A test number: nothing is sent on any channel, so the outcome is known now and no
        // fallback follows (it would send a real message past the budget and the number rules).
        record = { ...applySendSuccess(record, `test_${record.sendAttempts}`, "test", now), test: true, nextChannelAt: 0 };
        body = "";
      }
      // Persisted before the provider call: a concurrent start sees this send and its cooldown.
      if (expiredLive) this.#store.saveVerification(expiredLive);
      this.#store.saveVerification(record);
      this.#store.saveState({ ...state, counters: recordSend(counters, now), latestId: record.id, ...(guarded.length > 0 ? { guardCountedAt: now } : {}) });
      // What the alarm needs without a request: the webhook for expiries; limits, templates and
      // this start's counters for a fallback (its message takes them as this start did).
      this.#store.rememberPolicy(storedPolicy(input.policy, record.nextChannelAt > 0 ? { scopes: input.scopes, denyListMode: input.denyListMode } : null));
      this.#emit(input.policy.webhook, "verification.started", record, now);
      this.#report("started", record, now);
      await this.#alarmNoLaterThan(this.#dueOf(record));
      return { ok: true, value: { record, sentAt: now, taken: taken.value.units } };
    });
    if (!reservation.ok) return reservation;
    const { record: reserved, sentAt, taken } = reservation.value;
    if (input.testCode !== null) return { ok: true, value: view(reserved) };
    return { ok: true, value: view(await this.#deliver(config, reserved, body, sentAt, taken, input.policy.webhook)) };
  }

  /**
   * Counts a provider answer or receipt saying this number cannot receive. At UNDELIVERABLE_AFTER
   * within 30 days the number goes on its service's deny list with the reason; the service's list
   * index (lists API, console) is told off the request path.
   */
  #noteUndeliverable(config: Config, record: VerificationRecord, reason: DeliverabilityReason | null, now: number): void {
    if (!reason || record.test) return;
    const state = this.#store.state();
    const result = recordUndeliverable(state.deliverability ?? EMPTY_DELIVERABILITY, reason, now, config.intelligence.deliverability);
    const newlyDenied = result.denyList !== null && !state.denied;
    this.#store.saveState({
      ...state,
      deliverability: result.state,
      ...(newlyDenied ? { denied: true, denyReason: result.denyList!.reason } : {}),
    });
    log("info", "deliverability.failure", { to: maskPhoneNumber(record.to), reason, counted: result.state.failures.length, denied: newlyDenied });
    if (!newlyDenied) return;
    const lists = namespaceOf(this.env, "NUMBER_LISTS");
    const note = `${result.denyList!.reason}: ${result.state.failures.length} delivery failures within 30 days`;
    this.ctx.waitUntil(
      lists
        .get(lists.idFromName(record.service))
        .add({ list: "deny", phoneNumber: record.to, note, createdAt: now, reason: result.denyList!.reason })
        .catch((error: unknown) => log("warn", "deliverability.list_failed", { to: maskPhoneNumber(record.to), error: error instanceof Error ? error.message : String(error) })),
    );
  }

  /**
   * The carrier's answer about `e164`: the cached one while fresh, else one vendor call (shared by
   * concurrent starts) whose answer is stored. Failures are logged and never stored.
   */
  async #lookUp(config: Config, service: string, e164: string): Promise<LookupAttempt> {
    const cached = this.#store.lookup();
    if (isFresh(cached, Date.now(), config.lookup.cacheHours)) {
      this.#noteLookup(service, e164, cached.source, "cached");
      return { ok: true, result: cached, cached: true };
    }
    if (this.#lookupProvider === undefined) this.#lookupProvider = createLookupProvider(config.lookup, Date.now);
    const provider = this.#lookupProvider;
    if (!provider) return { ok: false, reason: "unavailable" };
    if (!this.#lookupInflight) {
      // Counted once per vendor call, however many starts share it.
      this.#lookupInflight = provider
        .lookup(e164)
        .then(
          (result): LookupAttempt => {
            this.#store.saveLookup(result);
            this.#noteLookup(service, e164, provider.name, "fetched");
            return { ok: true, result, cached: false };
          },
          (error: unknown): LookupAttempt => {
            const reason = error instanceof LookupError ? error.reason : "unavailable";
            log("warn", "lookup.failed", { to: maskPhoneNumber(e164), provider: provider.name, reason, providerCode: error instanceof LookupError ? error.providerCode : "" });
            this.#noteLookup(service, e164, provider.name, "failed");
            return { ok: false, reason };
          },
        )
        .finally(() => {
          this.#lookupInflight = null;
        });
    }
    return this.#lookupInflight;
  }

  /**
   * Sends `body` on the record's current channel (retries, failover), then records the outcome:
   * a definite failure gives back the send allowance and scope units; only the outcome of the
   * record's latest send is written (a newer start may have replaced it meanwhile).
   */
  async #deliver(
    config: Config,
    reserved: VerificationRecord,
    body: string,
    sentAt: number,
    taken: TakenUnit[],
    webhook: DoPolicy["webhook"],
  ): Promise<VerificationRecord> {
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
        const state = this.#store.state();
        // The guard's count is given back too, so the number's next start counts again.
        const uncounted = taken.some((u) => u.guarded) ? { guardCountedAt: 0 } : {};
        this.#store.saveState({ ...state, counters: refundSend(state.counters, sentAt), ...uncounted });
        this.ctx.waitUntil(releaseScopes(this.env, taken));
        // The provider may have said the number itself cannot receive (STOP, not a mobile, gone).
        this.#noteUndeliverable(config, reserved, classifySendFailure(outcome), now);
      }
      const current = this.#store.verification(reserved.id);
      if (!current || current.sendAttempts !== reserved.sendAttempts) return current ?? reserved;
      if (!(outcome instanceof DeliveryFailedError)) {
        // Sent: the outcome is written right after this call answers (#flushSoon), so the start
        // commits once on its request path. See NumberStore.
        const sent = this.#withEarlyReceipts(applySendSuccess(current, outcome.messageId, outcome.provider, now), inflight.early);
        this.#store.stageVerification(sent);
        this.#events.push(insightEvent("sent", sent, now));
        this.#eventsOf = { service: sent.service, to: sent.to };
        this.#flushWanted = true;
        return sent;
      }
      const next = current.status === "pending" ? applySendFailure(current, outcome.reason, outcome.provider, now) : current;
      this.#store.saveVerification(next);
      if (next.status === "failed" && current.status !== "failed") this.#emit(webhook, "verification.failed", next, now);
      this.#report("send_failed", next, now);
      if (next.status === "failed" && current.status !== "failed") this.#report("failed", next, now);
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
      log("info", "verification.sent", { to: maskPhoneNumber(reserved.to), channel: reserved.channel, provider: outcome.provider, sendAttempts: record.sendAttempts });
    }
    return record;
  }

  /** The message for a channel: the locale's template for SMS and WhatsApp, TwiML for a call. */
  #render(
    templates: Record<string, string> | null,
    channel: Channel,
    values: { code: string; locale: string; serviceName: string; ttlSeconds: number; bindings: CodeBindings },
  ): { body: string; encoding: string; segments: number } {
    if (channel === "call") {
      return { body: renderVoiceTwiml({ locale: values.locale, code: values.code, serviceName: values.serviceName }).twiml, encoding: "", segments: 0 };
    }
    // WebOTP and app-hash lines are for SMS autofill; WhatsApp gets the plain text.
    const catalog = templates ? catalogForTemplates(templates) : loadConfig(this.env).templates;
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
    const policy = this.#store.policy();
    const reserved = await this.#exclusive(async (): Promise<{ record: VerificationRecord; sentAt: number; taken: TakenUnit[] } | null> => {
      const record = this.#store.verification(id);
      if (!record) return null;
      const channel = dueFallbackChannel(record, Date.now());
      if (!channel) return null;
      const state = this.#store.state();
      const stop = (rule: string) => {
        this.#store.saveVerification(endChannelWorkflow(record, Date.now(), rule));
        log("info", "verification.fallback_refused", { to: maskPhoneNumber(record.to), rule });
        return null;
      };
      // A test number sends nothing on any channel; a start written before fallbacks kept their
      // counters cannot take them, so it is not sent either (the budget is never overshot).
      if (record.test) return stop("test_number");
      const fallback = policy?.fallback;
      if (!fallback) return stop("caps_unknown");
      const risks: Risk[] = [];
      if (state.denied && fallback.denyListMode !== "off") {
        // Deny-listed since the start (by the operator, or by delivery reports): no further message.
        if (fallback.denyListMode === "enforce") return stop("deny_list");
        risks.push("deny_list");
      }
      const counters = pruneCounters(state.counters, Date.now());
      const refused = evaluateSend(counters, Date.now(), policy?.numberLimits ?? config.numberLimits);
      if (refused) {
        // A cooldown that ends before expiry only delays the step; any other limit ends the workflow.
        const retryAt = Date.now() + (refused.retryAfterSeconds ?? 0) * 1000;
        if (refused.reason === "resend_too_soon" && retryAt < record.expiresAt) {
          this.#store.saveVerification({ ...record, nextChannelAt: retryAt });
          return null;
        }
        return stop(refused.rule ?? refused.reason);
      }
      // The message takes the start's cross-number counters (IP, range, country, budget),
      // all-or-none, before it is sent: a fallback is a message like any other.
      // The start counted the number for the guard; the fallback is judged, not counted again.
      const taken = await takeScopes(this.env, scopesForNumber(fallback.scopes, { allowed: state.allowed, guardCounted: true }));
      if (!taken.ok) return stop(taken.refusal.rule ?? taken.refusal.reason);
      risks.push(...taken.value.monitored);
      const code = generateCode(record.codeLength, cryptoRandom);
      const codeHash = await hashCode(await importCodeKey(config.codeSecret), record.id, code);
      const now = Date.now();
      const message = this.#render(policy?.templates ?? null, channel, {
        code,
        locale: record.locale,
        serviceName: record.serviceName,
        ttlSeconds: Math.max(60, Math.round((record.expiresAt - now) / 1000)),
        bindings: {},
      });
      body = message.body;
      const moved = applyChannelFallback(record, codeHash, now, message);
      const next = risks.length > 0 ? { ...moved, risks: [...new Set([...moved.risks, ...risks])] } : moved;
      this.#store.saveVerification(next);
      this.#store.saveState({ ...state, counters: recordSend(counters, now) });
      return { record: next, sentAt: now, taken: taken.value.units };
    });
    if (reserved) await this.#deliver(config, reserved.record, body, reserved.sentAt, reserved.taken, policy?.webhook ?? null);
  }

  async #check(input: DoCheckInput): Promise<DoResult<{ status: CheckStatus; verification: VerificationView }>> {
    const config = loadConfig(this.env);
    return this.#exclusive(async () => {
      // By number: the pending verification, else one whose attempts are used up and that has not
      // expired, so a further check by number answers max_attempts_reached as a check by id does.
      const record = input.verificationId ? this.#store.verification(input.verificationId) : this.#latestCheckable(input.service, Date.now());
      if (!record || record.service !== input.service) {
        return notFound(input.verificationId ? "verificationId: no such verification" : "to: no pending verification for this number");
      }
      if (input.to && input.to !== record.to) {
        return refusal("invalid_argument", "to: does not match the verification's number", undefined, "to");
      }
      // Always compute the MAC, even for finished verifications, so timing says nothing about state.
      const candidate = await hashCode(await importCodeKey(config.codeSecret), record.id, input.code);
      const now = Date.now();
      const state = this.#store.state();
      const locked = evaluateCheck(state.counters, now);
      if (locked && record.status === "pending") return { ok: false, refusal: locked } as const;
      // Every code of the channel workflow is tried; all comparisons run (no early exit).
      let matched = false;
      for (const hash of record.codeHash ? [record.codeHash, ...record.previousCodeHashes] : []) {
        if (macEqual(candidate, hash)) matched = true;
      }
      const outcome = applyCheck(record, matched, now, input.policy.maxCheckAttempts);
      if (outcome.kind === "refused") return { ok: false, refusal: outcome.refusal } as const;
      if (outcome.changed) {
        this.#store.saveVerification(outcome.record);
        const counters: NumberCounters | null =
          outcome.status === "invalid"
            ? recordFailedCheck(state.counters, now, input.policy.numberLimits)
            : outcome.status === "approved"
              ? recordApproval(state.counters, now)
              : null;
        // An approval proves the number receives: its count of delivery failures starts over.
        if (counters) this.#store.saveState({ ...state, counters, ...(outcome.status === "approved" && state.deliverability ? { deliverability: EMPTY_DELIVERABILITY } : {}) });
        if (record.status !== outcome.record.status) {
          const event = STATUS_EVENTS[outcome.record.status];
          if (event) this.#emit(input.policy.webhook, event, outcome.record, now);
          if (event) this.#report(outcome.record.status as InsightKind, outcome.record, now);
          // The conversion guard hears of the approval with the insights, right after this check.
          if (outcome.record.status === "approved" && outcome.record.guardScopes?.length) {
            this.#approvals.push(...outcome.record.guardScopes);
            this.#flushWanted = true;
          }
        }
        // The alarm already comes by the record's due moment; a check only moves it earlier when a
        // webhook is queued (a wrong code keeps the expiry, an approval moves the due moment later).
        const due = this.#dueOf(outcome.record);
        if (due < this.#dueOf(record) || Number.isFinite(this.#dueSoon)) await this.#alarmNoLaterThan(due);
      }
      log("info", "verification.checked", { to: maskPhoneNumber(record.to), status: outcome.status });
      return { ok: true, value: { status: outcome.status, verification: view(outcome.record) } } as const;
    });
  }

  #idempotent<T>(idem: IdempotencyInput | undefined, run: () => Promise<DoResult<T>>, resumeSince?: number): Promise<DoResult<T>> {
    if (!idem) return run();
    return idempotent(this.#store, this.#inflight, idem, { now: Date.now(), sendDeadlineMs: loadConfig(this.env).delivery.sendDeadlineMs, resumeSince }, run);
  }

  /** The newest verification, if still pending: at most one is live per number (a start reuses it). */
  #latestPending(service: string): VerificationRecord | null {
    const id = this.#store.state().latestId;
    const record = id ? this.#store.verification(id) : null;
    return record && record.status === "pending" && record.service === service ? record : null;
  }

  /** The newest verification if a check by number can reach it: pending, or used up and not yet expired. */
  #latestCheckable(service: string, now: number): VerificationRecord | null {
    const id = this.#store.state().latestId;
    const record = id ? this.#store.verification(id) : null;
    if (!record || record.service !== service) return null;
    return record.status === "pending" || (record.status === "max_attempts_reached" && record.expiresAt > now) ? record : null;
  }

  /** Queues a webhook event if the service subscribes to it (same synchronous step as the change). */
  #emit(webhook: DoPolicy["webhook"], type: WebhookEvent, record: VerificationRecord, now: number): void {
    if (!webhook || !webhook.events.includes(type)) return;
    enqueueEvent(this.#store, { type, serviceId: webhook.serviceId, data: verificationJson(view(record)), now });
    this.#dueSoon = Math.min(this.#dueSoon, now);
  }

  /**
   * Notes a change for the service's insights; the call that made it hands its notes to the
   * isolate's report batches when it ends (#flushSoon), so a flow pays no report of its own.
   */
  #report(kind: InsightKind, record: VerificationRecord, now: number): void {
    this.#events.push(insightEvent(kind, record, now));
    this.#eventsOf = { service: record.service, to: record.to };
    this.#flushWanted = true;
  }

  /** Counts a carrier lookup (paid, cached or failed) with the next report; it writes nothing itself. */
  #noteLookup(service: string, to: string, source: string, outcome: LookupOutcome): void {
    this.#events.push({ kind: "lookup", at: Date.now(), source, outcome });
    this.#eventsOf = { service, to };
    this.#flushWanted = true;
  }

  /**
   * After a call (or an alarm run): its insight events and guard approvals go to the isolate's
   * report batches (src/objects/reports.ts), and a send's outcome held in memory is written in a
   * step of its own once the answer has left, off the request path.
   */
  #flushSoon(): void {
    if (!this.#flushWanted) return;
    this.#flushWanted = false;
    this.#handOverReports();
    if (this.#store.hasStaged()) {
      this.ctx.waitUntil(
        new Promise((resolve) => setTimeout(resolve, 0)).then(() => this.#exclusive(async () => this.#store.writeStaged())),
      );
    }
  }

  #handOverReports(): void {
    const keepAlive = (promise: Promise<unknown>) => this.ctx.waitUntil(promise);
    if (this.#events.length > 0 && this.#eventsOf) reports.insights(this.env, keepAlive, this.#eventsOf.service, this.#eventsOf.to, this.#events);
    if (this.#approvals.length > 0) reports.approvals(this.env, keepAlive, this.#approvals);
    this.#events = [];
    this.#approvals = [];
  }

  /** A call noted something to report or to write after it answers (#flushSoon). */
  #flushWanted = false;
  /** Insight events and guard approvals noted since the last hand-over, and the number they are about. */
  #events: InsightEvent[] = [];
  #eventsOf: { service: string; to: string } | null = null;
  #approvals: string[] = [];

  /** Something queued in this step that the alarm must handle soon (a webhook now). */
  #dueSoon = Number.POSITIVE_INFINITY;

  /** When this record next needs the alarm: its expiry or fallback while pending, else its retention end. */
  #dueOf(record: VerificationRecord): number {
    if (record.status === "pending") return record.nextChannelAt > 0 ? Math.min(record.expiresAt, record.nextChannelAt) : record.expiresAt;
    return record.updatedAt + loadConfig(this.env).retentionDays * DAY_MS;
  }

  /**
   * Moves the alarm earlier if `due` (or something queued in this step) needs it sooner. Never
   * later: an early alarm finds nothing due and sets the next one (#scheduleNext), so a transition
   * need not scan every record to know the earliest moment.
   */
  async #alarmNoLaterThan(due: number): Promise<void> {
    const at = Math.max(Math.min(due, this.#dueSoon), Date.now());
    this.#dueSoon = Number.POSITIVE_INFINITY;
    const current = this.#alarmAt === undefined ? await this.ctx.storage.getAlarm() : this.#alarmAt;
    this.#alarmAt = current;
    if (current === null || current > at) {
      await this.ctx.storage.setAlarm(at);
      this.#alarmAt = at;
    }
  }

  /** After an alarm run: the earliest moment anything is due, or, with nothing left, every byte goes. */
  async #scheduleNext(config: Config): Promise<void> {
    const now = Date.now();
    let due = Number.POSITIVE_INFINITY;
    const records = this.#store.verifications();
    for (const record of records) due = Math.min(due, this.#dueOf(record));
    for (const event of this.#store.outbox()) due = Math.min(due, event.nextAttemptAt);
    // A send's outcome still held in memory is written now, with the alarm's own step.
    this.#store.writeStaged();
    this.#dueSoon = Number.POSITIVE_INFINITY;
    if (!Number.isFinite(due)) {
      // No verification left: only idempotency records, counters or list flags can remain.
      const state = this.#store.state();
      const counters = pruneCounters(state.counters, now);
      const keys = this.#store.idempotencyRecords();
      // A carrier answer is kept while it may be reused, and deleted once it may not.
      const lookup = this.#store.lookup();
      const lookupUntil = lookup ? lookup.fetchedAt + config.lookup.cacheHours * 3_600_000 : 0;
      if (lookup && lookupUntil <= now) this.#store.deleteLookup();
      if (lookupUntil > now) due = Math.min(due, lookupUntil);
      // Delivery failures count for 30 days; the object stays while one does.
      const window = config.intelligence.deliverability.windowMs;
      const failures = (state.deliverability?.failures ?? []).filter((f) => f.at > now - window);
      if (failures.length > 0) due = Math.min(due, failures[failures.length - 1]!.at + window);
      if (keys.length === 0 && !state.denied && !state.allowed && isEmpty(counters) && lookupUntil <= now && failures.length === 0) {
        await this.ctx.storage.deleteAll();
        this.#store.reset();
        this.#alarmAt = undefined;
        return;
      }
      for (const [, record] of keys) due = Math.min(due, record.expiresAt);
      const ends = [...counters.sendTimes, ...counters.failedCheckTimes].map((t) => t + DAY_MS);
      if (counters.lockedUntil > 0) ends.push(counters.lockedUntil);
      if (ends.length > 0) due = Math.min(due, Math.max(...ends));
      if (state.latestId !== null || counters !== state.counters) this.#store.saveState({ ...state, counters, latestId: null });
      if (!Number.isFinite(due)) {
        // Only list flags: they stay without an alarm.
        this.#alarmAt = null;
        return;
      }
    }
    await this.ctx.storage.setAlarm(Math.max(due, now));
    this.#alarmAt = Math.max(due, now);
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
}

/**
 * What the alarm keeps of the service's settings: the webhook (expiries, receipts) and, when a
 * fallback may follow, templates and counters. null when it needs none of them.
 */
function storedPolicy(policy: DoPolicy, fallback: StoredPolicy["fallback"] | null): StoredPolicy | null {
  if (!policy.webhook && !fallback) return null;
  return {
    numberLimits: policy.numberLimits,
    templates: fallback ? policy.templates : null,
    webhook: policy.webhook,
    ...(fallback ? { fallback: { scopes: scopesForNumber(fallback.scopes, { allowed: false, guardCounted: true }), denyListMode: fallback.denyListMode } } : {}),
  };
}

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
