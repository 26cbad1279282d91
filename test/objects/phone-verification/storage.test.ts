// NumberStore on a real number's object storage (workerd): the key each method writes, staged send
// outcomes, the policy written only when it changed, remains(), and reads that write nothing.
// Writes are counted with SQLite's total_changes(): the KV lives in the object's own database.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { NormalisedLookup } from "../../../src/core/lookup.ts";
import { EMPTY_STATE, type NumberState } from "../../../src/core/number/types.ts";
import { DEFAULT_NUMBER_LIMITS } from "../../../src/core/policy.ts";
import { applyStart, type VerificationRecord } from "../../../src/core/verification.ts";
import { NumberStore, policyToKeep, type IdempotencyRecord, type OutboxEvent, type StoredPolicy } from "../../../src/objects/phone-verification/storage.ts";
import { START_PARAMS } from "../../core/fixtures.ts";
import { storedEntries, uniqueNumber } from "../../helpers.ts";

const NOW = 1_800_000_000_000;

/** Runs `fn` on the storage of a fresh number's object (one nobody else uses). */
function withStorage<T>(fn: (state: DurableObjectState) => T | Promise<T>): Promise<T> {
  const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`storage-test:${uniqueNumber()}`));
  return runInDurableObject(stub, (_instance, state) => fn(state));
}

/** Rows changed in the object's database so far (KV puts and deletes included). */
function changes(state: DurableObjectState): number {
  return state.storage.sql.exec<{ n: number }>("SELECT total_changes() AS n").one().n;
}

/** How many rows `fn` changed. */
function writesOf(state: DurableObjectState, fn: () => unknown): number {
  const before = changes(state);
  fn();
  return changes(state) - before;
}

const record = (id: string, overrides: Partial<VerificationRecord> = {}): VerificationRecord => ({
  ...applyStart(null, START_PARAMS, NOW, id, new Uint8Array(32).fill(7)),
  ...overrides,
});

const STATE: NumberState = { ...EMPTY_STATE, counters: { ...EMPTY_STATE.counters, sendTimes: [NOW] }, latestId: "ve_a" };
const IDEM: IdempotencyRecord = { requestHash: "h1", state: "done", response: '{"ok":true}', expiresAt: NOW + 86_400_000 };
const EVENT: OutboxEvent = { id: "msg_1", type: "verification.approved", serviceId: "VA1", payload: "{}", createdAt: NOW, attempts: 0, nextAttemptAt: NOW + 5_000 };
const LOOKUP: NormalisedLookup = { lineType: "mobile", carrier: "Fake Mobile", mcc: "310", mnc: "260", ported: null, source: "twilio", fetchedAt: NOW };
const POLICY: StoredPolicy = { numberLimits: DEFAULT_NUMBER_LIMITS, templates: null, webhook: { serviceId: "VA1", events: ["verification.approved"] } };

describe("NumberStore keys", () => {
  it("each kind of record has its own key; reads give back what was written", async () => {
    await withStorage((state) => {
      const store = new NumberStore(state.storage);
      store.saveState(STATE);
      store.saveVerification(record("ve_a"));
      store.saveIdempotency("key1:abc", IDEM);
      store.saveOutboxEvent(EVENT);
      store.saveLookup(LOOKUP);
      store.rememberPolicy(POLICY);
      expect(storedEntries(state).map(([key]) => key).sort()).toEqual(["i:key1:abc", "lookup", "policy", "state", "v:ve_a", "w:msg_1"]);
      // The policy is kept as its JSON text (compared as text on the next start).
      expect(state.storage.kv.get("policy")).toBe(JSON.stringify(POLICY));

      const fresh = new NumberStore(state.storage);
      expect(fresh.state()).toEqual(STATE);
      expect(fresh.verification("ve_a")).toEqual(record("ve_a"));
      expect(fresh.verifications()).toEqual([record("ve_a")]);
      expect(fresh.idempotency("key1:abc")).toEqual(IDEM);
      expect(fresh.idempotencyRecords()).toEqual([["key1:abc", IDEM]]);
      expect(fresh.outbox()).toEqual([EVENT]);
      expect(fresh.lookup()).toEqual(LOOKUP);
      expect(fresh.policy()).toEqual(POLICY);
    });
  });

  it("deletes remove exactly their key", async () => {
    await withStorage((state) => {
      const store = new NumberStore(state.storage);
      store.saveVerification(record("ve_a"));
      store.saveVerification(record("ve_b"));
      store.saveIdempotency("k", IDEM);
      store.saveOutboxEvent(EVENT);
      store.saveLookup(LOOKUP);
      store.deleteVerification("ve_a");
      store.deleteIdempotency("k");
      store.deleteOutboxEvent(EVENT.id);
      store.deleteLookup();
      expect(storedEntries(state).map(([key]) => key)).toEqual(["v:ve_b"]);
      expect(store.verification("ve_a")).toBeNull();
      expect(store.idempotency("k")).toBeNull();
      expect(store.lookup()).toBeNull();
    });
  });

  it("an empty object reads as the empty state and nothing else", async () => {
    await withStorage((state) => {
      const store = new NumberStore(state.storage);
      expect(store.state()).toEqual(EMPTY_STATE);
      expect([store.policy(), store.verification("ve_a"), store.idempotency("k"), store.lookup()]).toEqual([null, null, null, null]);
      expect([store.verifications(), store.outbox(), store.idempotencyRecords()]).toEqual([[], [], []]);
    });
  });
});

describe("NumberStore reads", () => {
  it("write nothing, on an empty object or a full one", async () => {
    await withStorage((state) => {
      const store = new NumberStore(state.storage);
      const readAll = () => [store.state(), store.policy(), store.verification("ve_a"), store.verifications(), store.idempotency("k"), store.idempotencyRecords(), store.outbox(), store.lookup(), store.remains(), store.hasStaged()];
      expect(writesOf(state, readAll)).toBe(0);
      store.saveState(STATE);
      store.saveVerification(record("ve_a"));
      store.saveIdempotency("k", IDEM);
      store.saveOutboxEvent(EVENT);
      store.saveLookup(LOOKUP);
      store.rememberPolicy(POLICY);
      expect(writesOf(state, readAll)).toBe(0);
      expect(writesOf(state, () => new NumberStore(state.storage).remains())).toBe(0);
    });
  });
});

describe("staged send outcomes", () => {
  it("are seen by every read before they are written, and written by writeStaged", async () => {
    await withStorage((state) => {
      const store = new NumberStore(state.storage);
      const reserved = record("ve_a");
      store.saveVerification(reserved);
      const sent = { ...reserved, messageId: "SM1", provider: "twilio" };
      expect(writesOf(state, () => store.stageVerification(sent))).toBe(0);
      expect(store.hasStaged()).toBe(true);
      expect(store.verification("ve_a")).toEqual(sent);
      expect(store.verifications()).toEqual([sent]);
      expect(store.remains().records).toEqual([sent]);
      // Storage still holds the reservation until the stage is written.
      expect(state.storage.kv.get("v:ve_a")).toEqual(reserved);

      expect(writesOf(state, () => store.writeStaged())).toBe(1);
      expect(store.hasStaged()).toBe(false);
      expect(state.storage.kv.get("v:ve_a")).toEqual(sent);
      // Nothing is left to write.
      expect(writesOf(state, () => store.writeStaged())).toBe(0);
    });
  });

  it("a save of the same record supersedes its stage: the later save is what stays", async () => {
    await withStorage((state) => {
      const store = new NumberStore(state.storage);
      store.saveVerification(record("ve_a"));
      store.stageVerification(record("ve_a", { messageId: "SM1" }));
      const checked = record("ve_a", { messageId: "SM1", status: "approved", codeHash: null });
      store.saveVerification(checked);
      expect(store.hasStaged()).toBe(false);
      expect(writesOf(state, () => store.writeStaged())).toBe(0);
      expect(state.storage.kv.get("v:ve_a")).toEqual(checked);
      expect(store.verification("ve_a")).toEqual(checked);
    });
  });

  it("a delete drops the stage too, so writeStaged cannot bring the record back", async () => {
    await withStorage((state) => {
      const store = new NumberStore(state.storage);
      store.saveVerification(record("ve_a"));
      store.stageVerification(record("ve_a", { messageId: "SM1" }));
      store.deleteVerification("ve_a");
      store.writeStaged();
      expect(storedEntries(state)).toEqual([]);
      expect(store.verification("ve_a")).toBeNull();
    });
  });

  it("reset forgets stages and the policy in hand (after deleteAll)", async () => {
    await withStorage(async (state) => {
      const store = new NumberStore(state.storage);
      store.saveVerification(record("ve_a"));
      store.stageVerification(record("ve_a", { messageId: "SM1" }));
      store.rememberPolicy(POLICY);
      await state.storage.deleteAll();
      store.reset();
      expect(store.hasStaged()).toBe(false);
      expect(store.policy()).toBeNull();
      expect(store.verification("ve_a")).toBeNull();
      // The policy is written again: what was in hand is not taken for what is stored.
      expect(writesOf(state, () => store.rememberPolicy(POLICY))).toBe(1);
    });
  });
});

describe("rememberPolicy", () => {
  it("writes only when the policy changed, and deletes the key for null", async () => {
    await withStorage((state) => {
      const store = new NumberStore(state.storage);
      expect(writesOf(state, () => store.rememberPolicy(POLICY))).toBe(1);
      expect(writesOf(state, () => store.rememberPolicy(structuredClone(POLICY)))).toBe(0);
      // A later object life compares with the stored text, not with something in hand.
      expect(writesOf(state, () => new NumberStore(state.storage).rememberPolicy(POLICY))).toBe(0);
      const changed = { ...POLICY, webhook: null };
      expect(writesOf(state, () => store.rememberPolicy(changed))).toBe(1);
      expect(new NumberStore(state.storage).policy()).toEqual(changed);
      expect(writesOf(state, () => store.rememberPolicy(null))).toBe(1);
      expect(state.storage.kv.get("policy")).toBeUndefined();
      expect(store.policy()).toBeNull();
      expect(writesOf(state, () => store.rememberPolicy(null))).toBe(0);
      // Nothing stored and nothing to keep: a fresh store writes nothing either.
      expect(writesOf(state, () => new NumberStore(state.storage).rememberPolicy(null))).toBe(0);
    });
  });
});

describe("remains", () => {
  it("is what the alarm's next-alarm decision needs: records (staged ones as staged), outbox due times, state, idempotency expiries, lookup", async () => {
    await withStorage((state) => {
      const store = new NumberStore(state.storage);
      store.saveState(STATE);
      store.saveVerification(record("ve_a"));
      store.saveVerification(record("ve_b"));
      store.stageVerification(record("ve_b", { messageId: "SM2" }));
      store.saveIdempotency("k1", IDEM);
      store.saveIdempotency("k2", { ...IDEM, expiresAt: NOW + 1 });
      store.saveOutboxEvent(EVENT);
      store.saveOutboxEvent({ ...EVENT, id: "msg_2", nextAttemptAt: NOW + 9 });
      store.saveLookup(LOOKUP);
      const remains = store.remains();
      expect(remains.records).toEqual([record("ve_a"), record("ve_b", { messageId: "SM2" })]);
      expect([...remains.outboxDue].sort((a, b) => a - b)).toEqual([NOW + 9, NOW + 5_000]);
      expect([...remains.idempotencyExpiries].sort((a, b) => a - b)).toEqual([NOW + 1, NOW + 86_400_000]);
      expect(remains.state).toEqual(STATE);
      expect(remains.lookup).toEqual(LOOKUP);
    });
  });

  it("of an empty object is nothing at all", async () => {
    await withStorage((state) => {
      expect(new NumberStore(state.storage).remains()).toEqual({ records: [], outboxDue: [], state: EMPTY_STATE, idempotencyExpiries: [], lookup: null });
    });
  });
});

describe("policyToKeep", () => {
  const policy = { numberLimits: DEFAULT_NUMBER_LIMITS, templates: { en: "{{code}} is your code" }, webhook: POLICY.webhook };
  const fallback: NonNullable<StoredPolicy["fallback"]> = {
    scopes: [{ rule: "budget", name: "budget:0", counter: "", take: { limit: 10, windowMs: 86_400_000, kind: "fixed", enforce: true } }],
    denyListMode: "enforce",
  };

  it("keeps nothing when the alarm needs nothing of the service (no webhook, no fallback)", () => {
    expect(policyToKeep({ ...policy, webhook: null }, null)).toBeNull();
  });

  it("keeps the webhook alone without a fallback (templates are only for a fallback's message)", () => {
    expect(policyToKeep(policy, null)).toEqual({ numberLimits: DEFAULT_NUMBER_LIMITS, templates: null, webhook: POLICY.webhook });
  });

  it("keeps templates and the start's counters when a fallback may follow", () => {
    expect(policyToKeep({ ...policy, webhook: null }, fallback)).toEqual({ numberLimits: DEFAULT_NUMBER_LIMITS, templates: policy.templates, webhook: null, fallback });
  });

  it("leaves the service's own rate limits out of a fallback's counters: they count starts, and the start counted", () => {
    const rateLimit = { rule: "rate_limit", name: "svc:rl:RK1:ab", counter: "BL1:60", take: { limit: 5, windowMs: 60_000, kind: "sliding", enforce: true } } as const;
    expect(policyToKeep(policy, { ...fallback, scopes: [...fallback.scopes, rateLimit] })?.fallback).toEqual(fallback);
  });
});
