// The Insights Durable Object: per-service aggregates updated as events happen (SQLite), read by the
// admin API. One service is spread over INSIGHTS_SHARDS objects by a hash of the number, so one
// busy service never sits on a single object; readers sum the shards (every aggregate adds up).
// Holds masked numbers only, never a code; an alarm deletes what is older than RETENTION_DAYS.
import { DurableObject } from "cloudflare:workers";
import { loadConfig } from "../config.ts";
import {
  COUNTED_OUTCOMES,
  DAY_MS,
  dayOf,
  lastDays,
  mergeInsights,
  LOOKUP_PROVIDER_PREFIX,
  type BlockEvent,
  type GuardBlockEvent,
  type InsightEvent,
  type InsightsReport,
  type ShardAggregates,
  type VerificationSnapshot,
} from "../core/insights.ts";
import { shardOf } from "../core/policy.ts";
import { log } from "../log.ts";
import { migrateInsightTables } from "./migrations/insights.ts";
import { namespaceOf } from "./namespaces.ts";

/**
 * Objects per service. A start reports about three events (started, sent, outcome): at 1,000
 * starts/s to one service that is ~3,000 writes/s, ~375/s per shard — under the ≈1,000/s an
 * object serves. The console reads all shards (a handful of small queries).
 */
export const INSIGHTS_SHARDS = 8;
/** Recent verifications kept per shard (the newest by last change). */
export const RECENT_PER_SHARD = 500;
const FINAL_DELIVERY = new Set(["delivered", "undelivered", "failed"]);

export interface RecentFilter {
  status?: string;
  country?: string;
  limit: number;
}

function insightsNamespace(env: Env): DurableObjectNamespace<Insights> {
  return namespaceOf(env, "INSIGHTS");
}

/** The shard a number's events go to: all of one verification's events land in one object. */
export function insightsFor(env: Env, service: string, e164: string): DurableObjectStub<Insights> {
  const namespace = insightsNamespace(env);
  return namespace.get(namespace.idFromName(`${service}:${shardOf(e164, INSIGHTS_SHARDS)}`));
}

function allShards(env: Env, service: string): DurableObjectStub<Insights>[] {
  const namespace = insightsNamespace(env);
  return Array.from({ length: INSIGHTS_SHARDS }, (_, i) => namespace.get(namespace.idFromName(`${service}:${i}`)));
}

/** The report for the last `days` UTC days (including today), summed over the service's shards. */
export async function readInsights(env: Env, service: string, days: number, now: number): Promise<InsightsReport> {
  const range = lastDays(now, days);
  const shards = await Promise.all(allShards(env, service).map((s) => s.aggregates({ fromDay: range[0]! })));
  return mergeInsights(shards, range);
}

/** The newest verifications across shards, newest change first, filtered. */
export async function readRecent(env: Env, service: string, filter: RecentFilter): Promise<VerificationSnapshot[]> {
  const shards = await Promise.all(allShards(env, service).map((s) => s.recent(filter)));
  return shards
    .flat()
    .sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : 1))
    .slice(0, filter.limit);
}

/**
 * The tables, keyed by their primary key WITHOUT ROWID: a row written is then one b-tree row, not
 * a table row plus a key-index row (each billed). No index on recent.updated_at either: a shard
 * holds at most RECENT_PER_SHARD rows, which the console's read and the trim scan cheaply.
 */
export const INSIGHT_TABLES: Readonly<Record<string, string>> = {
  outcomes: "day TEXT NOT NULL, country TEXT NOT NULL, outcome TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (day, country, outcome)",
  providers: "day TEXT NOT NULL, provider TEXT NOT NULL, event TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (day, provider, event)",
  rules: "day TEXT NOT NULL, rule TEXT NOT NULL, mode TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (day, rule, mode)",
  approval_seconds: "day TEXT NOT NULL, seconds INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (day, seconds)",
  recent: "id TEXT PRIMARY KEY, updated_at INTEGER NOT NULL, data TEXT NOT NULL",
};

export class Insights extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  #schemaReady: boolean;
  /** Rows in `recent`, counted once per wake: the trim runs only when a batch passed the bound. */
  #recentRows: number | null = null;
  /** The cleanup alarm is set (known after the first check per wake). */
  #cleanupSet = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#schemaReady = this.#sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outcomes'").toArray().length > 0;
    if (this.#schemaReady) migrateInsightTables(this.#sql, INSIGHT_TABLES);
  }

  /**
   * Applies a batch of events (from the isolate's report batches: many numbers, many flows).
   * Counters are increments, so arrival order does not matter; each counter row and each
   * verification's recent row is written once per batch, whatever the number of events for it
   * (a row written is a row billed).
   */
  async record(events: InsightEvent[]): Promise<void> {
    this.#ensureSchema();
    this.#recentRows ??= this.#sql.exec("SELECT COUNT(*) AS n FROM recent").one().n as number;
    const bumps = new Map<string, { table: string; columns: string[]; values: (string | number)[]; by: number }>();
    const bump = (table: string, columns: string[], values: (string | number)[]) => {
      const key = `${table}\u0000${values.join("\u0000")}`;
      const entry = bumps.get(key);
      if (entry) entry.by++;
      else bumps.set(key, { table, columns, values, by: 1 });
    };
    // The newest snapshot of each verification in the batch.
    const newest = new Map<string, VerificationSnapshot>();
    for (const event of events) {
      if (event.kind === "lookup") {
        bump("providers", ["day", "provider", "event"], [dayOf(event.at), LOOKUP_PROVIDER_PREFIX + event.source, event.outcome]);
        continue;
      }
      const v = event.verification;
      const cohort = dayOf(v.createdAt);
      const outcome = event.kind === "started" ? (v.sendAttempts === 1 ? "started" : null) : event.kind;
      if (outcome && (COUNTED_OUTCOMES as readonly string[]).includes(outcome)) bump("outcomes", ["day", "country", "outcome"], [cohort, v.country, outcome]);
      if (event.kind === "approved") {
        const seconds = Math.max(0, Math.min(3600, Math.round((event.at - v.createdAt) / 1000)));
        bump("approval_seconds", ["day", "seconds"], [cohort, seconds]);
      }
      if ((event.kind === "sent" || event.kind === "send_failed") && v.provider) bump("providers", ["day", "provider", "event"], [dayOf(event.at), v.provider, event.kind]);
      if (event.kind === "delivery" && FINAL_DELIVERY.has(v.delivery) && v.provider) bump("providers", ["day", "provider", "event"], [dayOf(event.at), v.provider, v.delivery]);
      for (const rule of event.risks) bump("rules", ["day", "rule", "mode"], [dayOf(event.at), rule, "flagged"]);
      const seen = newest.get(v.id);
      if (!seen || v.updatedAt >= seen.updatedAt) newest.set(v.id, v);
    }
    for (const { table, columns, values, by } of bumps.values()) this.#bump(table, columns, values, by);
    for (const v of newest.values()) {
      // The newest snapshot wins; an older one arriving late (batches race) changes nothing.
      this.#sql.exec(
        `INSERT INTO recent (id, updated_at, data) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, data = excluded.data WHERE excluded.updated_at >= recent.updated_at`,
        v.id,
        v.updatedAt,
        JSON.stringify(v),
      );
    }
    // At most one new row per verification in the batch; trimming scans the index, so it runs only
    // once a batch passed the bound (after every batch the shard holds at most RECENT_PER_SHARD).
    this.#recentRows += newest.size;
    if (this.#recentRows > RECENT_PER_SHARD) {
      this.#sql.exec("DELETE FROM recent WHERE id IN (SELECT id FROM recent ORDER BY updated_at DESC LIMIT -1 OFFSET ?)", RECENT_PER_SHARD);
      this.#recentRows = this.#sql.exec("SELECT COUNT(*) AS n FROM recent").one().n as number;
    }
    await this.#scheduleCleanup();
  }

  /** Counts refusals by abuse rule (the Worker reports them; nothing was started). */
  async recordBlocks(blocks: BlockEvent[]): Promise<void> {
    this.#ensureSchema();
    for (const block of blocks) this.#bump("rules", ["day", "rule", "mode"], [dayOf(block.at), block.rule, "blocked"]);
    await this.#scheduleCleanup();
  }

  /**
   * A conversion-guard verdict on a scope (from its counter, when the verdict begins). Kept in KV
   * under the scope until it ends: the console lists the scopes blocked now.
   */
  async recordGuardBlock(block: GuardBlockEvent): Promise<void> {
    this.ctx.storage.kv.put(GUARD_BLOCK + block.scope, block);
    await this.#scheduleCleanup();
  }

  /** Deletes the recent rows of these verifications (privacy erasure of a number). */
  async forget(ids: string[]): Promise<void> {
    if (!this.#schemaReady) return;
    for (const id of ids) this.#sql.exec("DELETE FROM recent WHERE id = ?", id);
    this.#recentRows = null;
  }

  async aggregates({ fromDay }: { fromDay: string }): Promise<ShardAggregates> {
    const now = Date.now();
    const guardBlocks = [...this.ctx.storage.kv.list<GuardBlockEvent>({ prefix: GUARD_BLOCK })].map(([, b]) => b).filter((b) => b.blockedUntil > now);
    if (!this.#schemaReady) return { outcomes: [], providers: [], rules: [], approvalSeconds: [], guardBlocks };
    const rows = <T>(query: string) => this.#sql.exec(query, fromDay).toArray() as unknown as T[];
    return {
      guardBlocks,
      outcomes: rows("SELECT day, country, outcome, count FROM outcomes WHERE day >= ?"),
      providers: rows("SELECT day, provider, event, count FROM providers WHERE day >= ?"),
      rules: rows("SELECT day, rule, mode, count FROM rules WHERE day >= ?"),
      approvalSeconds: rows("SELECT day, seconds, count FROM approval_seconds WHERE day >= ?"),
    };
  }

  async recent(filter: RecentFilter): Promise<VerificationSnapshot[]> {
    if (!this.#schemaReady) return [];
    const out: VerificationSnapshot[] = [];
    for (const row of this.#sql.exec("SELECT data FROM recent ORDER BY updated_at DESC")) {
      const v = JSON.parse(row.data as string) as VerificationSnapshot;
      if (filter.status && v.status !== filter.status) continue;
      if (filter.country && v.country !== filter.country) continue;
      out.push(v);
      if (out.length >= filter.limit) break;
    }
    return out;
  }

  /** Deletes days and rows older than RETENTION_DAYS; frees the object when nothing is left. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    // Guard verdicts that ended go; one still in force keeps the object (and its alarm) alive.
    let guardLeft = 0;
    for (const [key, block] of [...this.ctx.storage.kv.list<GuardBlockEvent>({ prefix: GUARD_BLOCK })]) {
      if (block.blockedUntil <= now) this.ctx.storage.kv.delete(key);
      else guardLeft++;
    }
    if (!this.#schemaReady) {
      if (guardLeft > 0) await this.ctx.storage.setAlarm(nextMidnight(now));
      else await this.ctx.storage.deleteAll();
      this.#cleanupSet = guardLeft > 0;
      return;
    }
    const retentionDays = loadConfig(this.env).retentionDays;
    const oldestKept = dayOf(now - (retentionDays - 1) * DAY_MS);
    for (const table of ["outcomes", "providers", "rules", "approval_seconds"]) this.#sql.exec(`DELETE FROM ${table} WHERE day < ?`, oldestKept);
    this.#sql.exec("DELETE FROM recent WHERE updated_at < ?", now - retentionDays * DAY_MS);
    const left = this.#sql
      .exec(
        `SELECT (SELECT COUNT(*) FROM outcomes) + (SELECT COUNT(*) FROM providers) + (SELECT COUNT(*) FROM rules)
          + (SELECT COUNT(*) FROM approval_seconds) + (SELECT COUNT(*) FROM recent) AS n`,
      )
      .one().n as number;
    if (left + guardLeft === 0) {
      await this.ctx.storage.deleteAll();
      this.#schemaReady = false;
      this.#recentRows = null;
      this.#cleanupSet = false;
      log("info", "insights.emptied", {});
      return;
    }
    await this.ctx.storage.setAlarm(nextMidnight(now));
  }

  #bump(table: string, columns: string[], values: (string | number)[], by = 1): void {
    this.#sql.exec(
      `INSERT INTO ${table} (${columns.join(", ")}, count) VALUES (${columns.map(() => "?").join(", ")}, ?)
       ON CONFLICT (${columns.join(", ")}) DO UPDATE SET count = count + excluded.count`,
      ...values,
      by,
    );
  }

  /** One alarm a day, just after UTC midnight, while there is anything to expire. */
  async #scheduleCleanup(): Promise<void> {
    if (this.#cleanupSet) return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(nextMidnight(Date.now()));
    this.#cleanupSet = true;
  }

  #ensureSchema(): void {
    if (this.#schemaReady) return;
    for (const [table, columns] of Object.entries(INSIGHT_TABLES)) this.#sql.exec(`CREATE TABLE IF NOT EXISTS ${table} (${columns}) WITHOUT ROWID`);
    this.#schemaReady = true;
  }
}

/** KV prefix of conversion-guard verdicts in force, by scope. */
const GUARD_BLOCK = "guard:";

function nextMidnight(now: number): number {
  return (Math.floor(now / DAY_MS) + 1) * DAY_MS + 60_000;
}
