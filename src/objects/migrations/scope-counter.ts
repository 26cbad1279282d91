// Migrations of the ScopeCounter object from the shapes earlier releases wrote. Each says which
// release wrote the old shape and when it may be deleted. A scope counter holds nothing older than
// its longest window (a UTC day for budgets, an hour plus a guard block for ranges and countries),
// and every object that holds something has an alarm, so an object of an earlier release is either
// woken (and migrated) or emptied within a few days of the upgrade.
import { EMPTY_GUARD, type GuardState } from "../../core/conversion-guard.ts";
import { GUARD_KEEP_MS, type CounterState, type CounterTake } from "../../core/counter.ts";
import { log } from "../../log.ts";
import { namespaceOf } from "../namespaces.ts";

/** The object's own reader and writer of a counter's row. */
export interface CounterRows {
  get(counter: string): CounterState;
  save(counter: string, state: CounterState): void;
}

/**
 * Written by the release that kept a `buckets` table (one counter per object): its rows become
 * `b:<start>` keys, which migrateKeysPerBucket below then folds into the current shape. Delete
 * together with migrateKeysPerBucket.
 */
export function migrateBucketsTable(storage: DurableObjectStorage): void {
  const sql = storage.sql;
  if (sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'buckets'").toArray().length === 0) return;
  for (const row of sql.exec("SELECT start, count FROM buckets").toArray()) storage.kv.put(OLD_BUCKET + (row.start as number), row.count as number);
  sql.exec("DROP TABLE buckets");
}

const OLD_BUCKET = "b:";
const OLD_GUARD = "guard";
const OLD_EXPIRY = "x:";
/** The end of the window in which counters are fetched from their objects of the per-scope release. */
const MIGRATE = "migrate";
/** After an upgrade from the per-scope release, counters are fetched from their old objects for this long (their windows). */
const MIGRATION_MS = 2 * 3_600_000;

/**
 * Written by the release before the one-row-per-counter shape (the first with shard objects, and
 * the per-scope release before it): a key per bucket (`b:<bucket>` for the object's own counter,
 * `b:<counter>@<bucket>`), `guard` / `guard:<counter>` for the conversion guard, and `x:<counter>`
 * when the counter expires. Folded, on the object's first wake under this code, into one row per
 * counter with the same counts, guard state and expiry; the old keys go. A row that exists already
 * (that release ran again after this one: a rollback, a mixed-version moment of a deploy) is merged
 * with, never overwritten. A counter without an `x:` key was written by the per-scope release,
 * which set the alarm at its newest bucket's end: it keeps until that alarm, as it did (a take
 * extends it). An object of the per-scope release that held counts of its own (a budget shard,
 * then) opens the hand-over window below, unless the release before already opened it. Reading
 * three empty prefixes is the whole cost on a current object: a wake writes nothing. Delete with
 * the release after this one.
 */
export function migrateKeysPerBucket(kv: SyncKvStorage, now: number, rows: CounterRows): void {
  const counters = new Map<string, { buckets: Map<number, number>; guard: GuardState; keepUntil: number }>();
  const counterOf = (name: string) => {
    let entry = counters.get(name);
    if (!entry) counters.set(name, (entry = { buckets: new Map(), guard: EMPTY_GUARD, keepUntil: 0 }));
    return entry;
  };
  const oldKeys: string[] = [];
  for (const [key, count] of kv.list<number>({ prefix: OLD_BUCKET })) {
    const rest = key.slice(OLD_BUCKET.length);
    const at = rest.lastIndexOf("@");
    counterOf(at < 0 ? "" : rest.slice(0, at)).buckets.set(Number(at < 0 ? rest : rest.slice(at + 1)), count);
    oldKeys.push(key);
  }
  for (const [key, state] of kv.list<GuardState>({ prefix: OLD_GUARD })) {
    counterOf(key === OLD_GUARD ? "" : key.slice(OLD_GUARD.length + 1)).guard = state;
    oldKeys.push(key);
  }
  for (const [key, until] of kv.list<number>({ prefix: OLD_EXPIRY })) {
    counterOf(key.slice(OLD_EXPIRY.length)).keepUntil = until;
    oldKeys.push(key);
  }
  if (oldKeys.length === 0) return;
  for (const [name, { buckets, guard, keepUntil }] of counters) {
    rows.save(name, mergeCounters(rows.get(name), { buckets: [...buckets], guard, keepUntil }));
  }
  for (const key of oldKeys) kv.delete(key);
  const own = counters.get("");
  if (own && kv.get(MIGRATE) === undefined) kv.put(MIGRATE, now + MIGRATION_MS);
  log("info", "scope.migrated_keys", { counters: counters.size, keys: oldKeys.length, handOver: own !== undefined });
}

/** Two records of one counter as one: counts summed per bucket, both guard hours, the later block and expiry. */
export function mergeCounters(a: CounterState, b: CounterState): CounterState {
  const buckets = new Map<number, number>(a.buckets);
  for (const [start, count] of b.buckets) buckets.set(start, (buckets.get(start) ?? 0) + count);
  return {
    buckets: [...buckets].filter(([, count]) => count > 0).sort(([x], [y]) => x - y),
    guard: mergeGuards(a.guard, b.guard),
    keepUntil: Math.max(a.keepUntil, b.keepUntil),
  };
}

function mergeGuards(a: GuardState, b: GuardState): GuardState {
  if (b === EMPTY_GUARD) return a;
  if (a === EMPTY_GUARD) return b;
  // Minute buckets in order, one per minute: the guard adds to the newest only.
  const minutes = new Map<number, { minute: number; starts: number; approvals: number }>();
  for (const bucket of [...a.buckets, ...b.buckets]) {
    const seen = minutes.get(bucket.minute);
    minutes.set(bucket.minute, seen ? { ...seen, starts: seen.starts + bucket.starts, approvals: seen.approvals + bucket.approvals } : { ...bucket });
  }
  const later = b.blockedUntil > a.blockedUntil ? b : a;
  return { buckets: [...minutes.values()].sort((x, y) => x.minute - y.minute), blockedUntil: later.blockedUntil, blockedFigures: later.blockedFigures };
}

/** What an object of the per-scope release hands over: its buckets and guard state. */
export interface HandOver {
  buckets: [number, number][];
  guard: GuardState | null;
}

/** The hand-over of an object's own counter (the per-scope release's only one). */
export function handOverOf(own: CounterState): HandOver {
  return { buckets: own.buckets.map(([start, count]) => [start, count]), guard: own.guard === EMPTY_GUARD ? null : own.guard };
}

/**
 * Merges what an old object handed over into a counter (which may have counted meanwhile). Old
 * buckets are of hourly counters (ranges, country shards): kept two hours past their start at most.
 */
export function adoptHandOver(state: CounterState, old: HandOver, now: number): CounterState | null {
  if (old.buckets.length === 0 && !old.guard) return null;
  let keepUntil = 0;
  for (const [bucket] of old.buckets) keepUntil = Math.max(keepUntil, bucket + MIGRATION_MS);
  if (old.guard) keepUntil = Math.max(keepUntil, old.guard.blockedUntil, now + GUARD_KEEP_MS);
  return mergeCounters(state, { buckets: old.buckets, guard: old.guard ?? EMPTY_GUARD, keepUntil });
}

/**
 * Written by the release that kept one object per range and per country shard (before shard
 * objects): during the hours after an upgrade, a counter first used in a shard object is fetched
 * from the object it had of its own, so its hour of counts (and a guard block) carries over. The
 * window (`migrate`) opens only on objects that release wrote (see migrateKeysPerBucket); a fresh
 * deployment never pays for it. Delete with migrateKeysPerBucket: by then every window has closed.
 */
export class LegacyImports {
  readonly #kv: SyncKvStorage;
  /** The `migrate` key, kept in hand (undefined: not read yet; 0: no window). */
  #until: number | undefined = undefined;
  /** Counters fetched from (or looked up in) their old objects during this object's life, or in flight. */
  readonly #imports = new Map<string, Promise<void>>();

  constructor(kv: SyncKvStorage) {
    this.#kv = kv;
  }

  /** Fetches, while the window is open, the counters of `takes` this object has not held yet. */
  async before(
    env: Env,
    takes: readonly CounterTake[],
    counters: { has(counter: string): boolean; adopt(counter: string, old: HandOver): void },
    now: number,
  ): Promise<void> {
    const wanted = takes.filter((t) => t.legacy && t.counter !== "");
    if (wanted.length === 0 || this.openUntil(now) === null) return;
    const namespace = namespaceOf(env, "SCOPE_COUNTER");
    await Promise.all(
      wanted.map((take) => {
        let pending = this.#imports.get(take.counter);
        if (!pending) {
          pending = counters.has(take.counter)
            ? Promise.resolve()
            : namespace
                .get(namespace.idFromName(take.legacy!))
                .handOver()
                .then((old) => counters.adopt(take.counter, old as HandOver))
                .catch((error: unknown) => log("warn", "scope.import_failed", { counter: take.counter, error: error instanceof Error ? error.message : String(error) }));
          this.#imports.set(take.counter, pending);
        }
        return pending;
      }),
    );
  }

  /** For the alarm: the window's end while it is open (the object stays until then), else null. */
  openUntil(now: number): number | null {
    this.#until ??= this.#kv.get<number>(MIGRATE) ?? 0;
    return this.#until > now ? this.#until : null;
  }

  /** For the alarm, on an object that stays: a window that has passed loses its key (one delete, once). */
  closeIfPassed(now: number): void {
    if (this.openUntil(now) !== null || this.#kv.get(MIGRATE) === undefined) return;
    this.#kv.delete(MIGRATE);
    this.#until = 0;
  }

  /** The object's storage was deleted. */
  forget(): void {
    this.#until = undefined;
    this.#imports.clear();
  }
}
