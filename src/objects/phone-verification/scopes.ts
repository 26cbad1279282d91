// Limits that span numbers, as the number's object takes them: one ScopeCounter RPC per counter
// object, in parallel (a start's range, country and budget counters share one shard object); a
// refusal by one gives the units already taken back, so a refused start costs nothing.
import type { CounterTake, TakeResult } from "../../core/counter.ts";
import type { Refusal } from "../../core/errors.ts";
import type { Risk } from "../../core/policy.ts";
import type { ScopeRequest } from "../../core/scopes.ts";
import { namespaceOf } from "../namespaces.ts";
import type { ScopeCounter } from "../scope-counter.ts";
import type { DoResult } from "../../core/errors.ts";

export type { ScopeRequest };

export interface TakenUnit {
  /** The object, and the counter in it. */
  name: string;
  counter: string;
  bucket: number;
  /** The conversion guard counted this start in the counter too (range and country counters). */
  guarded?: boolean;
}

/** The risk a monitor-mode counter reports; a service's own rate limits always enforce. */
const RISK_OF_RULE: Record<Exclude<ScopeRequest["rule"], "rate_limit">, Risk> = {
  velocity_ip: "velocity_ip",
  velocity_range: "velocity_range",
  velocity_country: "velocity_country",
  budget: "budget_exceeded",
  lookup_budget: "budget_exceeded",
};

const SCOPE_MESSAGES: Record<ScopeRequest["rule"], string> = {
  velocity_ip: "clientIp: too many verifications from this IP address; try again later",
  velocity_range: "to: too many codes sent to this number range; try again later",
  velocity_country: "to: too many codes sent to this country; try again later",
  budget: "to: the daily SMS budget is used up",
  lookup_budget: "phoneNumber: the service's daily lookup budget (LOOKUPS_PER_DAY) is used up",
  rate_limit: "rateLimits: one of the service's rate limits is used up; try again later",
};

const FIELD_OF_RULE: Partial<Record<ScopeRequest["rule"], string>> = { velocity_ip: "clientIp", lookup_budget: "phoneNumber", rate_limit: "rateLimits" };

function counters(env: Env): DurableObjectNamespace<ScopeCounter> {
  return namespaceOf(env, "SCOPE_COUNTER");
}

export async function takeScopes(env: Env, scopes: readonly ScopeRequest[]): Promise<DoResult<{ units: TakenUnit[]; monitored: Risk[] }>> {
  if (scopes.length === 0) return { ok: true, value: { units: [], monitored: [] } };
  const namespace = counters(env);
  // One RPC per object, with every counter it holds for this start.
  const byObject = new Map<string, number[]>();
  scopes.forEach((scope, i) => byObject.set(scope.name, [...(byObject.get(scope.name) ?? []), i]));
  const results: TakeResult[] = new Array(scopes.length);
  await Promise.all(
    [...byObject].map(async ([name, indexes]) => {
      const takes: CounterTake[] = indexes.map((i) => ({ ...scopes[i]!.take, counter: scopes[i]!.counter, ...(scopes[i]!.legacy ? { legacy: scopes[i]!.legacy } : {}) }));
      const answers = await namespace.get(namespace.idFromName(name)).takeAll(takes);
      answers.forEach((answer, j) => (results[indexes[j]!] = answer));
    }),
  );
  const units: TakenUnit[] = [];
  const monitored: Risk[] = [];
  let refused: Refusal | null = null;
  results.forEach((result, i) => {
    const scope = scopes[i]!;
    if (result.allowed && result.bucket >= 0) units.push({ name: scope.name, counter: scope.counter, bucket: result.bucket, ...(scope.take.guard?.count ? { guarded: true } : {}) });
    if (!result.allowed && result.guard?.mode === "enforce" && !refused) {
      // The scope converts too rarely: the message names the scope and its figures.
      refused = { reason: "limit_reached", message: result.guard.message, field: "to", rule: "conversion_guard", retryAfterSeconds: result.guard.retryAfterSeconds };
    } else if (!result.allowed && !refused) {
      refused = {
        reason: "limit_reached",
        message: scope.message ?? SCOPE_MESSAGES[scope.rule],
        field: FIELD_OF_RULE[scope.rule] ?? "to",
        rule: scope.rule,
        retryAfterSeconds: result.retryAfterSeconds,
      };
    } else if (result.overLimit && !scope.take.enforce && scope.rule !== "rate_limit") {
      monitored.push(RISK_OF_RULE[scope.rule]);
    }
    if (result.allowed && result.guard?.mode === "monitor") monitored.push("conversion_guard");
  });
  if (refused) {
    await releaseScopes(env, units);
    return { ok: false, refusal: refused };
  }
  return { ok: true, value: { units, monitored } };
}

export async function releaseScopes(env: Env, units: readonly TakenUnit[]): Promise<void> {
  const namespace = counters(env);
  await Promise.all(units.map((unit) => namespace.get(namespace.idFromName(unit.name)).release(unit.bucket, unit.guarded === true, unit.counter)));
}

/** How a verification remembers the counters an approval is owed to: "<object>#<counter>". */
export function guardRef(unit: TakenUnit): string {
  return unit.counter === "" ? unit.name : `${unit.name}#${unit.counter}`;
}
