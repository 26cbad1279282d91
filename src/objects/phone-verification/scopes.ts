// Limits that span numbers, as the number's object takes them: one ScopeCounter RPC per scope, in
// parallel; a refusal by one gives the units already taken back, so a refused start costs nothing.
import type { Refusal } from "../../core/errors.ts";
import type { Risk } from "../../core/policy.ts";
import { namespaceOf } from "../namespaces.ts";
import type { ScopeCounter, TakeInput } from "../scope-counter.ts";
import type { DoResult } from "./idempotency.ts";

/** A limit that spans numbers, counted in its own ScopeCounter object. */
export interface ScopeRequest {
  rule: "velocity_ip" | "velocity_range" | "velocity_country" | "budget" | "lookup_budget";
  /** ScopeCounter object name, e.g. "default:ip:203.0.113.7". */
  name: string;
  take: TakeInput;
}

export interface TakenUnit {
  name: string;
  bucket: number;
  /** The conversion guard counted this start in the scope too (range and country scopes). */
  guarded?: boolean;
}

const RISK_OF_RULE: Record<ScopeRequest["rule"], Risk> = {
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
};

function counters(env: Env): DurableObjectNamespace<ScopeCounter> {
  return namespaceOf(env, "SCOPE_COUNTER");
}

export async function takeScopes(env: Env, scopes: readonly ScopeRequest[]): Promise<DoResult<{ units: TakenUnit[]; monitored: Risk[] }>> {
  if (scopes.length === 0) return { ok: true, value: { units: [], monitored: [] } };
  const namespace = counters(env);
  const results = await Promise.all(scopes.map((scope) => namespace.get(namespace.idFromName(scope.name)).take(scope.take)));
  const units: TakenUnit[] = [];
  const monitored: Risk[] = [];
  let refused: Refusal | null = null;
  results.forEach((result, i) => {
    const scope = scopes[i]!;
    if (result.allowed && result.bucket >= 0) units.push({ name: scope.name, bucket: result.bucket, ...(scope.take.guard?.count ? { guarded: true } : {}) });
    if (!result.allowed && result.guard?.mode === "enforce" && !refused) {
      // The scope converts too rarely: the message names the scope and its figures.
      refused = { reason: "limit_reached", message: result.guard.message, field: "to", rule: "conversion_guard", retryAfterSeconds: result.guard.retryAfterSeconds };
    } else if (!result.allowed && !refused) {
      refused = {
        reason: "limit_reached",
        message: SCOPE_MESSAGES[scope.rule],
        field: scope.rule === "velocity_ip" ? "clientIp" : scope.rule === "lookup_budget" ? "phoneNumber" : "to",
        rule: scope.rule,
        retryAfterSeconds: result.retryAfterSeconds,
      };
    } else if (result.overLimit && !scope.take.enforce) {
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
  await Promise.all(units.map((unit) => namespace.get(namespace.idFromName(unit.name)).release(unit.bucket, unit.guarded === true)));
}

/** Approvals for the conversion guard, one RPC per scope (by the number's alarm, off the response path). */
export async function reportApprovals(env: Env, names: readonly string[]): Promise<void> {
  const namespace = counters(env);
  await Promise.all(names.map((name) => namespace.get(namespace.idFromName(name)).approve()));
}
