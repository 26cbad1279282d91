// Durable Object per (service, phone number): an interpreter of the number's functional core
// (src/core/number/). Each command reads the clock once, loads what it needs (storage.ts), asks the
// core, applies the writes in one synchronous step, then runs the effects: scope counters and
// vendors (io.ts) are called between decisions, never during one. Reservations are written before
// the provider call. Helpers are #private: every public method is an RPC.
import { DurableObject } from "cloudflare:workers";
import { loadConfig, type Config } from "../../config.ts";
import { cryptoRandom, generateCode, hashCode, importCodeKey, macEqual } from "../../core/codes.ts";
import { notFound, refused, type DoResult, type RateLimitItem } from "../../core/errors.ts";
import { newVerificationId } from "../../core/ids.ts";
import { insightEvent, type LookupOutcome } from "../../core/insights.ts";
import { catalogForTemplates, type TemplateCatalog } from "../../core/locales.ts";
import { isFresh, type NormalisedLookup } from "../../core/lookup.ts";
import { renderForChannel } from "../../core/number/message.ts";
import { checkableByNumber, decideCancel, decideCheck, matchesAnyCode, type CheckAnswer } from "../../core/number/check.ts";
import { admitFallback, decideListed, fallbackRefused, nextAlarm, reserveFallback, sweep } from "../../core/number/lifecycle.ts";
import { decideReceipt, sendOutcome } from "../../core/number/send.ts";
import { admitStart, judgeLookup, liveFor, reserveStart, resumedStart } from "../../core/number/start.ts";
import { numberSettingsOf, type Decision, type Effect, type NumberSettings, type TakenScope, type Write } from "../../core/number/types.ts";
import { maskPhoneNumber } from "../../core/phone.ts";
import { effectiveStatus, type CheckStatus, type VerificationRecord } from "../../core/verification.ts";
import { verificationJson, viewOf as view, type VerificationView } from "../../core/verification-json.ts";
import { log } from "../../log.ts";
import { devOutbox } from "../dev-outbox.ts";
import { insightsFor } from "../insights.ts";
import { migrateSqlSchema, takeLegacyReports } from "../migrations/phone-verification.ts";
import { CallReports, reports } from "../reports.ts";
import { idempotent, type IdempotencyInput } from "./idempotency.ts";
import type { DeliveryRecordOutcome, DoCheckInput, DoDeliveryInput, DoLookupInput, DoPolicy, DoStartInput, NumberList } from "./inputs.ts";
import { CarrierLookups, Sends, tellListIndex } from "./io.ts";
import { deliverDueEvents, enqueueEvent } from "./outbox.ts";
import { releaseScopes, takeScopes, type ScopeRequest } from "./scopes.ts";
import { NumberStore, policyToKeep } from "./storage.ts";

export type { DoResult, IdempotencyInput, ScopeRequest, VerificationView };
export type * from "./inputs.ts";

type Webhook = DoPolicy["webhook"];

export class PhoneVerification extends DurableObject<Env> {
  readonly #store: NumberStore;
  // Serialises decisions: input gates hold only across storage calls, and scope calls are async,
  // so without this two starts could both see "no live verification".
  #queue: Promise<unknown> = Promise.resolve();
  /** Requests under way per idempotency key, so concurrent duplicates wait for the original. */
  readonly #inflight = new Map<string, Promise<DoResult<unknown>>>();
  /** The alarm this object last set (undefined: not known, ask storage; null: none). */
  #alarmAt: number | null | undefined = undefined;
  #config: Config | undefined;
  #io: { lookups: CarrierLookups; sends: Sends } | undefined;
  /** Insight events and guard approvals noted since the last hand-over. */
  readonly #reports = new CallReports();
  readonly #keepAlive = (promise: Promise<unknown>) => this.ctx.waitUntil(promise);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrateSqlSchema(ctx.storage); // an earlier release's shape first (read-only otherwise)
    this.#store = new NumberStore(ctx.storage);
  }

  async start(input: DoStartInput): Promise<DoResult<VerificationView>> {
    const now = Date.now(); // the command's one clock read, for every decision it makes
    return this.#afterCall(this.#idempotent(input.idempotency, () => this.#start(input, now), now, input.resumeSince));
  }

  async check(input: DoCheckInput): Promise<DoResult<{ status: CheckStatus; verification: VerificationView }>> {
    const now = Date.now();
    return this.#afterCall(this.#idempotent(input.idempotency, () => this.#check(input, now), now));
  }

  /**
   * A standalone carrier lookup (POST /v1/lookups): the cached answer while fresh, else one vendor
   * call within the service's daily lookup budget (`budget`, given back if the vendor gives no answer).
   */
  async lookupNumber(input: { service: string; to: string; budget: ScopeRequest | null }): Promise<DoResult<{ lookup: NormalisedLookup; cached: boolean }>> {
    const now = Date.now();
    return this.#afterCall(
      (async (): Promise<DoResult<{ lookup: NormalisedLookup; cached: boolean }>> => {
        const fresh = isFresh(this.#store.lookup(), now, this.#cfg.lookup.cacheHours);
        const taken = fresh ? { ok: true as const, value: { units: [] } } : await takeScopes(this.env, input.budget ? [input.budget] : []);
        if (!taken.ok) return taken;
        const attempt = await this.#vendors.lookups.answer(input.service, input.to, now);
        if (!attempt.ok) {
          await releaseScopes(this.env, taken.value.units);
          return { ok: false, refusal: { reason: "unavailable", message: "phoneNumber: the carrier lookup is unavailable; retry shortly", field: "phoneNumber", retryAfterSeconds: 30 } };
        }
        // The cache must not outlive its window: the alarm deletes it then.
        if (!attempt.cached) await this.#exclusive(() => this.#alarmNoLaterThan(attempt.result.fetchedAt + this.#settings.lookupCacheMs));
        return { ok: true, value: { lookup: attempt.result, cached: attempt.cached } };
      })(),
    );
  }

  async get(input: DoLookupInput): Promise<DoResult<VerificationView>> {
    const record = this.#store.verification(input.verificationId);
    if (!record || record.service !== input.service) return notFound("verificationId: no such verification");
    return { ok: true, value: { ...view(record), status: effectiveStatus(record, Date.now()) } };
  }

  async cancel(input: DoLookupInput): Promise<DoResult<VerificationView>> {
    const now = Date.now();
    const run = () =>
      this.#exclusive(async (): Promise<DoResult<VerificationView>> => {
        const record = this.#store.verification(input.verificationId);
        if (!record || record.service !== input.service) return notFound("verificationId: no such verification");
        const webhook = input.policy?.webhook ?? this.#store.policy()?.webhook ?? null;
        const { answer } = await this.#apply(decideCancel(record, now, webhook, this.#settings.retentionMs), webhook);
        return answer.ok ? { ok: true, value: view(answer.record) } : { ok: false, refusal: answer.refusal };
      });
    return this.#afterCall(this.#idempotent(input.idempotency, run, now));
  }

  /**
   * Records a verified delivery receipt. Not scoped by service: the caller proved the receipt came
   * from the provider, and the verification id it names is unguessable.
   */
  async recordDelivery(input: DoDeliveryInput): Promise<DeliveryRecordOutcome> {
    const run = this.#exclusive(async (): Promise<DeliveryRecordOutcome> => {
      const webhook = this.#store.policy()?.webhook ?? null;
      const made = decideReceipt(this.#store.state(), this.#store.verification(input.verificationId), input, Date.now(), { ...this.#settings, webhook });
      const { answer } = await this.#apply(made, webhook);
      // A receipt for a message whose send has not returned yet waits for that send.
      if (answer.outcome === "ignored" && answer.otherMessage && this.#vendors.sends.holdEarly(input)) return { outcome: "ignored", reason: "send_in_flight" };
      return answer.outcome === "applied" ? { outcome: "applied", status: answer.status } : answer.outcome === "ignored" ? { outcome: "ignored", reason: answer.reason } : answer;
    });
    return this.#afterCall(run);
  }

  /** Puts the number on (or takes it off) the service's deny or allow list. */
  async setListed(input: { list: NumberList; listed: boolean }): Promise<void> {
    await this.#exclusive(async () => {
      const made = decideListed(this.#store.state(), input.list, input.listed, Date.now());
      if (made.state) this.#store.saveState(made.state);
      if (made.alarmAt !== null) await this.#alarmNoLaterThan(made.alarmAt);
    });
  }

  /** Deletes everything held about this number (privacy erasure). Returns how many verifications went. */
  async erase(): Promise<{ verifications: number }> {
    return this.#exclusive(async () => {
      const records = this.#store.verifications();
      // Counts first (they hold nobody's data and must stay exact), then the recent rows go.
      this.#reports.handOver(this.env, this.#keepAlive);
      await reports.flush(this.env);
      if (records.length > 0) await insightsFor(this.env, records[0]!.service, records[0]!.to).forget(records.map((r) => r.id));
      await this.#wipe();
      return { verifications: records.length };
    });
  }

  /** Expiries, due fallbacks, due webhooks, retention, the next alarm, and freeing an empty object. */
  override async alarm(): Promise<void> {
    this.#alarmAt = null; // this run consumed it
    const fallbacks = await this.#exclusive(async () => {
      const now = Date.now();
      const webhook = this.#store.policy()?.webhook ?? null;
      const swept = sweep(this.#store.verifications(), this.#store.idempotencyRecords(), now, this.#settings.retentionMs, webhook);
      for (const id of swept.deleteVerifications) this.#store.deleteVerification(id);
      for (const key of swept.deleteIdempotency) this.#store.deleteIdempotency(key);
      await this.#apply({ writes: swept.writes, effects: swept.effects.filter((e) => e.kind !== "alarm"), answer: null }, webhook);
      this.#reports.adopt(takeLegacyReports(this.ctx.storage.kv));
      return swept.dueFallbacks;
    });
    // Each fallback takes the queue itself, and releases it for the send.
    for (const id of fallbacks) await this.#channelFallback(id);
    // Webhook posts run outside it too: a slow receiver must not hold the number.
    await deliverDueEvents(this.#store, this.env, this.ctx);
    this.#reports.handOver(this.env, this.#keepAlive);
    await this.#exclusive(async () => {
      const now = Date.now();
      // A send's outcome still held in memory is written now, with the alarm's own step.
      this.#store.writeStaged();
      const next = nextAlarm(this.#store.remains(), now, { ...this.#settings, deliverabilityWindowMs: this.#settings.deliverability.windowMs });
      if (next.kind === "erase") return this.#wipe();
      if (next.deleteLookup) this.#store.deleteLookup();
      if (next.state) this.#store.saveState(next.state);
      if (next.at !== null) await this.ctx.storage.setAlarm(next.at);
      this.#alarmAt = next.at;
    });
  }

  async #start(input: DoStartInput, now: number): Promise<DoResult<VerificationView>> {
    const resumed = resumedStart(this.#latest(), input.service, now, input.resumeSince);
    if (resumed) return { ok: true, value: view(resumed) };
    // The carrier's answer first (cached, or one vendor call outside the queue): it can refuse the start before anything is counted.
    let lookup: NormalisedLookup | null = null;
    const risks = [...input.risks];
    if (input.lookupPlan) {
      const attempt = await this.#vendors.lookups.answer(input.service, input.to, now);
      lookup = attempt.ok ? attempt.result : null;
      const judged = judgeLookup(input, lookup, input.lookupPlan.modes, this.#cfg.lookup.failClosed);
      if (!judged.ok) return { ok: false, refusal: judged.refusal };
      risks.push(...judged.risks);
    }
    let body = "";
    const reserved = await this.#exclusive(async (): Promise<DoResult<{ record: VerificationRecord; rateLimits: RateLimitItem[]; taken: TakenScope[] }>> => {
      const state = this.#store.state();
      const admitted = admitStart(state, { scopes: input.scopes, denyListMode: input.denyListMode, numberLimits: input.policy.numberLimits }, now);
      if (!admitted.ok) return admitted;
      const taken = await takeScopes(this.env, admitted.scopes);
      if (!taken.ok) return taken;
      // Everything below is synchronous but the MAC (no I/O): the writes land in one commit.
      const latest = this.#latest();
      const id = liveFor(latest, input.service, now).reuse?.id ?? newVerificationId(this.ctx.id.toString(), cryptoRandom);
      const code = input.testCode ?? generateCode(input.codeLength, cryptoRandom);
      const codeHash = await hashCode(await importCodeKey(this.#cfg.codeSecret), id, code);
      const message = renderForChannel(this.#catalog(input.policy.templates), input.channels[0]!, { code, locale: input.locale, serviceName: input.serviceName, ttlSeconds: input.ttlSeconds, bindings: input.bindings });
      // From here the code exists only inside `body`, which goes to the provider and nowhere else.
      body = input.testCode === null ? message.body : "";
      const params = { ...input, lookup, risks: [...new Set([...risks, ...admitted.risks, ...taken.value.monitored])], messageEncoding: message.encoding, messageSegments: message.segments, codeLength: code.length };
      const made = reserveStart({ state, latest, params, now, id, codeHash, test: input.testCode !== null, taken: taken.value.units, webhook: input.policy.webhook, retentionMs: this.#settings.retentionMs, numberLimits: input.policy.numberLimits });
      // What the alarm needs without a request: the webhook; limits, templates and this start's counters for a fallback.
      this.#store.rememberPolicy(policyToKeep(input.policy, made.answer.record.nextChannelAt > 0 ? { scopes: input.scopes, denyListMode: input.denyListMode } : null));
      const { answer } = await this.#apply(made, input.policy.webhook);
      return { ok: true, value: { ...answer, taken: taken.value.units } };
    });
    if (!reserved.ok || input.testCode !== null) return reserved.ok ? { ok: true, value: view(reserved.value.record), rateLimits: reserved.value.rateLimits } : reserved;
    const sent = await this.#send(reserved.value.record, body, now, reserved.value.taken, input.policy);
    return { ok: true, value: view(sent.record), rateLimits: sent.rateLimits };
  }

  async #check(input: DoCheckInput, now: number): Promise<DoResult<{ status: CheckStatus; verification: VerificationView }>> {
    const key = await importCodeKey(this.#cfg.codeSecret);
    return this.#exclusive(async () => {
      const record = input.verificationId ? this.#store.verification(input.verificationId) : checkableByNumber(this.#latest(), input.service, now);
      if (!record || record.service !== input.service) return notFound(input.verificationId ? "verificationId: no such verification" : "to: no pending verification for this number");
      if (input.to && input.to !== record.to) return refused("invalid_argument", "to: does not match the verification's number", "to");
      // Always compute the MAC, even for finished verifications, so timing says nothing about state;
      // every code that still approves is compared, with no early exit (matchesAnyCode).
      const candidate = await hashCode(key, record.id, input.code);
      const matched = matchesAnyCode(record, (hash) => macEqual(candidate, hash));
      const made = decideCheck({ state: this.#store.state(), record, matched, now, sendAttempt: input.sendAttempt, maxCheckAttempts: input.policy.maxCheckAttempts, numberLimits: input.policy.numberLimits, webhook: input.policy.webhook, retentionMs: this.#settings.retentionMs });
      const { answer } = await this.#apply<CheckAnswer>(made, input.policy.webhook);
      if (!answer.ok) return { ok: false, refusal: answer.refusal };
      log("info", "verification.checked", { to: maskPhoneNumber(record.to), status: answer.status });
      return { ok: true, value: { status: answer.status, verification: view(answer.record) }, rateLimits: answer.rateLimits };
    });
  }

  /** The channel workflow's next step, driven by the alarm: a new code on the next channel, if the core admits it. */
  async #channelFallback(id: string): Promise<void> {
    let body = "";
    const policy = this.#store.policy();
    const reserved = await this.#exclusive(async () => {
      const record = this.#store.verification(id);
      if (!record) return null;
      const state = this.#store.state();
      const now = Date.now(); // the step's one clock read
      const admitted = admitFallback(record, state, policy?.fallback ?? null, policy?.numberLimits ?? this.#settings.numberLimits, now);
      if (admitted.kind === "none") return null;
      if (admitted.kind !== "go") {
        this.#store.saveVerification(admitted.record);
        if (admitted.kind === "stop") log("info", "verification.fallback_refused", { to: maskPhoneNumber(record.to), rule: admitted.rule });
        return null;
      }
      const taken = await takeScopes(this.env, admitted.scopes);
      if (!taken.ok) {
        this.#store.saveVerification(fallbackRefused(record, taken.refusal, now));
        log("info", "verification.fallback_refused", { to: maskPhoneNumber(record.to), rule: taken.refusal.rule ?? taken.refusal.reason });
        return null;
      }
      const code = generateCode(record.codeLength, cryptoRandom);
      const codeHash = await hashCode(await importCodeKey(this.#cfg.codeSecret), record.id, code);
      const message = renderForChannel(this.#catalog(policy?.templates ?? null), admitted.channel, { code, locale: record.locale, serviceName: record.serviceName, ttlSeconds: Math.max(60, Math.round((record.expiresAt - now) / 1000)), bindings: {} });
      body = message.body;
      const made = reserveFallback(record, state, codeHash, message, [...admitted.risks, ...taken.value.monitored], now);
      await this.#apply({ writes: made.writes, effects: [], answer: null }, policy?.webhook ?? null);
      return { record: made.record, sentAt: now, taken: taken.value.units };
    });
    if (reserved) await this.#send(reserved.record, body, reserved.sentAt, reserved.taken, { webhook: policy?.webhook ?? null, numberLimits: policy?.numberLimits ?? this.#settings.numberLimits });
  }

  /** Sends the reserved message, then feeds its outcome back through the core (the record to show, the send limits left). */
  async #send(reserved: VerificationRecord, body: string, sentAt: number, taken: TakenScope[], { webhook, numberLimits }: Pick<DoPolicy, "webhook" | "numberLimits">): Promise<{ record: VerificationRecord; rateLimits: RateLimitItem[] }> {
    const { result, early, attempts } = await this.#vendors.sends.send({ id: reserved.id, to: reserved.to, channel: reserved.channel, body });
    const outcome = await this.#exclusive(async () => {
      const made = sendOutcome({ state: this.#store.state(), reserved, current: this.#store.verification(reserved.id), result, sentAt, taken, early, now: Date.now(), webhook, deliverability: this.#settings.deliverability, numberLimits });
      const { answer } = await this.#apply(made, webhook);
      // Sent: the outcome is written right after this call answers (#afterCall), so the start commits once on its request path.
      if (answer.staged) this.#store.stageVerification(answer.record);
      return answer;
    });
    const to = maskPhoneNumber(reserved.to);
    if (result.ok) log("info", "verification.sent", { to, channel: reserved.channel, provider: result.provider, sendAttempts: outcome.record.sendAttempts });
    else log("warn", "sms.send_failed", { to, channel: reserved.channel, provider: result.provider, reason: result.reason, providerCode: result.providerCode, definite: result.definite, attempts });
    return outcome;
  }

  /** Applies a decision: its writes in one synchronous step, then its effects in order. */
  async #apply<A>(made: Decision<A>, webhook: Webhook): Promise<Decision<A>> {
    let postAt = Number.POSITIVE_INFINITY;
    for (const write of made.writes) if (this.#write(write, webhook)) postAt = Math.min(postAt, (write as { at: number }).at);
    for (const effect of made.effects) await this.#effect(effect);
    // A queued webhook is posted by the alarm, at the decision's moment (the command's clock).
    if (Number.isFinite(postAt)) await this.#alarmNoLaterThan(postAt);
    return made;
  }

  /** One write; true when it queued a webhook event. */
  #write(write: Write, webhook: Webhook): boolean {
    if (write.kind === "verification") this.#store.saveVerification(write.record);
    else if (write.kind === "state") this.#store.saveState(write.state);
    else if (webhook) {
      enqueueEvent(this.#store, { type: write.event, serviceId: webhook.serviceId, data: verificationJson(view(write.record)), now: write.at });
      return true;
    }
    return false;
  }

  async #effect(effect: Effect): Promise<void> {
    switch (effect.kind) {
      case "insight":
        this.#reports.note(effect.record.service, effect.record.to, insightEvent(effect.insight, effect.record, effect.at));
        return;
      case "approvals":
        this.#reports.approve(effect.refs);
        return;
      case "release":
        this.ctx.waitUntil(releaseScopes(this.env, effect.units));
        return;
      case "deny_listed":
        this.ctx.waitUntil(tellListIndex(this.env, effect));
        return;
      case "alarm":
        await this.#alarmNoLaterThan(effect.at);
        return;
    }
  }

  /**
   * After a call: its insight events and guard approvals go to the isolate's report batches
   * (src/objects/reports.ts), and a send's outcome held in memory is written in a step of its
   * own once the answer has left, off the request path.
   */
  #afterCall<T>(call: Promise<T>): Promise<T> {
    return call.finally(() => {
      // Never in place of the call's own outcome: a reset under the call must reach the Worker as such.
      try {
        this.#reports.handOver(this.env, this.#keepAlive);
        if (this.#store.hasStaged()) this.ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 0)).then(() => this.#exclusive(async () => this.#store.writeStaged())));
      } catch (error) {
        log("warn", "number.after_call_failed", { error: error instanceof Error ? error.message : String(error) });
      }
    });
  }

  /** Moves the alarm earlier if `due` needs it sooner, never later: an early alarm finds nothing due and sets the next one. */
  async #alarmNoLaterThan(due: number): Promise<void> {
    const at = Math.max(due, Date.now());
    const current = this.#alarmAt === undefined ? await this.ctx.storage.getAlarm() : this.#alarmAt;
    this.#alarmAt = current;
    if (current === null || current > at) {
      await this.ctx.storage.setAlarm(at);
      this.#alarmAt = at;
    }
  }

  #idempotent<T>(idem: IdempotencyInput | undefined, run: () => Promise<DoResult<T>>, now: number, resumeSince?: number): Promise<DoResult<T>> {
    if (!idem) return run();
    return idempotent(this.#store, this.#inflight, idem, { now, sendDeadlineMs: this.#cfg.delivery.sendDeadlineMs, resumeSince }, run);
  }

  /** Every byte of the object goes (erasure, or nothing left after retention). */
  async #wipe(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.#store.reset();
    this.#alarmAt = undefined;
  }

  #latest(): VerificationRecord | null {
    const id = this.#store.state().latestId;
    return id ? this.#store.verification(id) : null;
  }

  #catalog(templates: Record<string, string> | null): TemplateCatalog {
    return templates ? catalogForTemplates(templates) : this.#cfg.templates;
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The configuration, read once per object. */
  get #cfg(): Config {
    return (this.#config ??= loadConfig(this.env));
  }

  get #settings(): NumberSettings {
    return numberSettingsOf(this.#cfg);
  }

  get #vendors(): { lookups: CarrierLookups; sends: Sends } {
    return (this.#io ??= {
      lookups: new CarrierLookups(this.#store, this.#cfg, (service, to, source, outcome: LookupOutcome) => this.#reports.note(service, to, { kind: "lookup", at: Date.now(), source, outcome })),
      sends: new Sends(this.#cfg, this.#cfg.development ? (message) => devOutbox(this.env).add(message) : undefined),
    });
  }
}
