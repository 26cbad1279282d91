// What the numbers' objects report once a call has answered (insight events for the service's
// Insights shard, conversion-guard approvals for the scope counters), gathered per isolate and sent
// in batches: one RPC per target object per REPORT_BATCH_MS however many flows the isolate served,
// instead of one or two per call. A flow's cost is then its request path.
//
// Trade-off (README "State model"): a batch lives in this isolate's memory until it is sent. An
// isolate that dies within the window loses it: the console's counts and the conversion guard's
// approvals of that last second or so, never a verification, a counter, a limit or a code. The
// guard errs towards blocking when approvals go missing; a second is far inside its hour.
import type { InsightEvent } from "../core/insights.ts";
import { log } from "../log.ts";
import { shardOf } from "../core/policy.ts";
import { INSIGHTS_SHARDS, insightsFor } from "./insights.ts";
import { namespaceOf } from "./namespaces.ts";

/** How long a batch gathers before it is sent. */
export const REPORT_BATCH_MS = 1_000;
/** A batch this large is sent at once (bounded memory and RPC size). */
const MAX_BATCH_ITEMS = 500;
/** Sends a failed batch is tried again before it is dropped (logged), this far apart. */
const MAX_TRIES = 3;
const RETRY_MS = 5_000;

interface InsightBatch {
  service: string;
  /** A number of the shard: it picks the Insights object (insightsFor). */
  to: string;
  events: InsightEvent[];
  tries: number;
}

interface ApprovalBatch {
  counters: string[];
  tries: number;
}

/** Keeps a batch's send alive after the call that started it answered (`ctx.waitUntil`). */
export type KeepAlive = (promise: Promise<unknown>) => void;

export class ReportBatcher {
  readonly #batchMs: number;
  readonly #retryMs: number;

  constructor(options: { batchMs: number; retryMs: number } = { batchMs: REPORT_BATCH_MS, retryMs: RETRY_MS }) {
    this.#batchMs = options.batchMs;
    this.#retryMs = options.retryMs;
  }

  /** Insights object name → events for it. */
  #insights = new Map<string, InsightBatch>();
  /** ScopeCounter object name → counters owed an approval. */
  #approvals = new Map<string, ApprovalBatch>();
  #items = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #flushing: Promise<void> | null = null;

  /** Queues insight events of one number (all of a number's events go to one Insights shard). */
  insights(env: Env, keepAlive: KeepAlive, service: string, to: string, events: readonly InsightEvent[]): void {
    if (events.length === 0) return;
    const key = `${service}:${shardOf(to, INSIGHTS_SHARDS)}`;
    const batch = this.#insights.get(key);
    if (batch) batch.events.push(...events);
    else this.#insights.set(key, { service, to, events: [...events], tries: 0 });
    this.#added(env, keepAlive, events.length);
  }

  /** Queues approvals owed to guard counters, as "<object>#<counter>" references (guardRef). */
  approvals(env: Env, keepAlive: KeepAlive, refs: readonly string[]): void {
    if (refs.length === 0) return;
    for (const ref of refs) {
      // A reference without "#" names an object of the previous release, whose own counter it is.
      const at = ref.indexOf("#");
      const [name, counter] = at < 0 ? [ref, ""] : [ref.slice(0, at), ref.slice(at + 1)];
      const batch = this.#approvals.get(name);
      if (batch) batch.counters.push(counter);
      else this.#approvals.set(name, { counters: [counter], tries: 0 });
    }
    this.#added(env, keepAlive, refs.length);
  }

  /** Sends what is queued now (an erasure reports a number's counts before forgetting its rows). */
  flush(env: Env): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const previous = this.#flushing ?? Promise.resolve();
    const run = previous.then(async () => {
      // A failed send stays queued: tried again shortly, within the same kept-alive work.
      while (await this.#send(env)) await new Promise((resolve) => setTimeout(resolve, this.#retryMs));
    });
    this.#flushing = run.finally(() => {
      if (this.#flushing === run) this.#flushing = null;
    });
    return run;
  }

  #added(env: Env, keepAlive: KeepAlive, count: number): void {
    this.#items += count;
    if (this.#items >= MAX_BATCH_ITEMS) {
      keepAlive(this.flush(env));
      return;
    }
    if (this.#timer) return;
    // The call that opens a batch keeps the isolate's work alive until the batch is sent.
    keepAlive(
      new Promise<void>((resolve) => {
        this.#timer = setTimeout(() => {
          this.#timer = null;
          this.flush(env).then(resolve, resolve);
        }, this.#batchMs);
      }),
    );
  }

  /** Sends every batch; true when some failed and were queued again. */
  async #send(env: Env): Promise<boolean> {
    const insights = this.#insights;
    const approvals = this.#approvals;
    this.#insights = new Map();
    this.#approvals = new Map();
    this.#items = 0;
    this.#requeued = false;
    const counters = namespaceOf(env, "SCOPE_COUNTER");
    await Promise.all([
      ...[...insights.values()].map((batch) =>
        insightsFor(env, batch.service, batch.to)
          .record(batch.events)
          .catch((error: unknown) => this.#failed("insights", batch.events.length, error, batch, () => this.#requeueInsights(batch))),
      ),
      ...[...approvals].map(([name, batch]) =>
        counters
          .get(counters.idFromName(name))
          .approve(batch.counters)
          .catch((error: unknown) => this.#failed("guard", batch.counters.length, error, batch, () => this.#requeueApprovals(name, batch))),
      ),
    ]);
    return this.#requeued;
  }

  /** Set by a failed send of the current round. */
  #requeued = false;

  #failed(what: string, count: number, error: unknown, batch: { tries: number }, requeue: () => void): void {
    batch.tries++;
    const message = error instanceof Error ? error.message : String(error);
    if (batch.tries >= MAX_TRIES) {
      log("warn", `${what}.report_dropped`, { count, tries: batch.tries, error: message });
      return;
    }
    log("warn", `${what}.report_failed`, { count, tries: batch.tries, error: message });
    requeue();
    this.#requeued = true;
  }

  #requeueInsights(batch: InsightBatch): void {
    // Kept for the next batch (sent by the next call's timer, or the next flush).
    const key = `${batch.service}:${shardOf(batch.to, INSIGHTS_SHARDS)}`;
    const queued = this.#insights.get(key);
    if (queued) queued.events.push(...batch.events);
    else this.#insights.set(key, batch);
    this.#items += batch.events.length;
  }

  #requeueApprovals(name: string, batch: ApprovalBatch): void {
    const queued = this.#approvals.get(name);
    if (queued) queued.counters.push(...batch.counters);
    else this.#approvals.set(name, batch);
    this.#items += batch.counters.length;
  }
}

/** The isolate's batcher: every number's object in this isolate reports through it. */
export const reports = new ReportBatcher();

/**
 * What one number's object noted during a call (insight events, guard approvals), handed to the
 * isolate's batches when the call ends.
 */
export class CallReports {
  #events: InsightEvent[] = [];
  #of: { service: string; to: string } | null = null;
  #approvals: string[] = [];

  note(service: string, to: string, ...events: InsightEvent[]): void {
    this.#events.push(...events);
    this.#of = { service, to };
  }

  /** What an object of the previous release still held in its storage (src/objects/migrations/). */
  adopt(legacy: { insights: { service: string; to: string; events: InsightEvent[] } | null; approvals: string[] }): void {
    if (legacy.insights) this.note(legacy.insights.service, legacy.insights.to, ...legacy.insights.events);
    this.approve(legacy.approvals);
  }

  approve(refs: readonly string[]): void {
    this.#approvals.push(...refs);
  }

  handOver(env: Env, keepAlive: KeepAlive): void {
    if (this.#events.length > 0 && this.#of) reports.insights(env, keepAlive, this.#of.service, this.#of.to, this.#events);
    if (this.#approvals.length > 0) reports.approvals(env, keepAlive, this.#approvals);
    this.#events = [];
    this.#approvals = [];
  }
}
