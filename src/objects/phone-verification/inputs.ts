// What the number's object is called with (its RPC surface's types), resolved by the Worker per
// request: the service's settings, the validated start, check and lookup inputs.
import type { DeliveryReceipt, DeliveryStatus } from "../../core/delivery.ts";
import type { NumberLimits, RuleMode, RuleName } from "../../core/policy.ts";
import type { WebhookEvent } from "../../core/service.ts";
import type { StartParams } from "../../core/verification.ts";
import type { CodeBindings } from "../../core/webotp.ts";
import type { IdempotencyInput } from "./idempotency.ts";
import type { ScopeRequest } from "./scopes.ts";

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
  /** Only this send's code may approve: a later send answers `expired` (core/number/check.ts). */
  sendAttempt?: number;
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
