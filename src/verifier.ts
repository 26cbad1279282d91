// The one API every transport calls. Takes requests already validated by core/requests.ts (the
// transports shape their wire input and call its validators), parses the number and applies the
// deployment's and the service's settings and the stateless abuse rules before any Durable Object
// is touched, then makes exactly one RPC to the number's object; the object does everything that
// needs the number's state.
import type { Config } from "./config.ts";
import { VerifyError, invalidArgument, type RateLimitItem } from "./core/errors.ts";
import { parsePhoneNumber } from "./core/phone.ts";
import { lookupView, shouldLookUp, type LookupView, type NormalisedLookup } from "./core/lookup.ts";
import { applyModes, numberRuleHits } from "./core/policy.ts";
import { lookupBudgetScope, scopesForNumber, scopesForStart, type ScopeRequest } from "./core/scopes.ts";
import type { CheckRequest, ListChange, ListPage, LookupRequest, StartRequest, VerificationId } from "./core/requests.ts";
import type { CheckStatus } from "./core/verification.ts";
import type { ClaimOutcome } from "./objects/idempotency-keys.ts";
import type { ListEntry, NumberLists } from "./objects/number-lists.ts";
import type { DoPolicy, DoResult, IdempotencyInput, PhoneVerification, VerificationView } from "./objects/phone-verification/phone-verification.ts";
import { DEFAULT_SERVICE, type Principal } from "./auth.ts";
import { catalogForTemplates, DEFAULT_LOCALE } from "./core/locales.ts";
import { numberLimitsFor } from "./core/service.ts";
import { validateServiceName } from "./core/template.ts";
import { insightsFor } from "./objects/insights.ts";
import { log } from "./log.ts";
import { namespaceOf, verificationObjectId } from "./objects/namespaces.ts";
import { afterReset } from "./objects/reset.ts";
import { rateLimitScopesFor } from "./rate-limits.ts";

export { afterReset };

export type { VerificationView };

export interface StartResult {
  verification: VerificationView;
  /** True when an earlier request with the same idempotency key produced this answer. */
  replayed: boolean;
  /**
   * The number's limits this answer leaves (a start: its sends; a check: the wrong codes left),
   * for the RateLimit fields. Empty on a replay, whose numbers are the original call's, and on a
   * cancel. A refusal by one of them carries them in `VerifyError.details.rateLimits`.
   */
  rateLimits: RateLimitItem[];
}

export interface CheckResult {
  status: CheckStatus;
  verification: VerificationView;
  replayed: boolean;
  rateLimits: RateLimitItem[];
}

export interface CallOptions {
  /** The client's idempotency key (header `Idempotency-Key` or `X-Request-Id`), already validated. */
  idempotencyKey?: string;
}

/** Requests come validated (core/requests.ts `validate…`); numbers are parsed here, as everywhere. */
export interface Verifier {
  start(request: StartRequest, options?: CallOptions): Promise<StartResult>;
  check(request: CheckRequest, options?: CallOptions): Promise<CheckResult>;
  get(verificationId: VerificationId): Promise<VerificationView>;
  cancel(verificationId: VerificationId, options?: CallOptions): Promise<StartResult>;
  /** Adds (`listed`) or removes a number on the service's deny or allow list. */
  setListed(change: ListChange): Promise<ListEntry | null>;
  listEntries(page: ListPage): Promise<{ entries: ListEntry[]; nextPageToken: string }>;
  /** Asks the carrier about a number (or reads the cache a start fills). */
  lookup(request: LookupRequest): Promise<{ phoneNumber: string; lookup: LookupView; cached: boolean; fetchedAt: number }>;
  /** Deletes everything held about a number in this service. */
  erase(phoneNumber: string): Promise<{ phoneNumber: string; verificationsDeleted: number }>;
}

export interface VerifierOptions {
  env: Env;
  config: Config;
  /** The authenticated caller: its service scopes every object, id and counter; its settings apply. */
  principal: Principal;
  /** Keeps background work (insights reports) alive after the response: `ctx.waitUntil`. */
  waitUntil?: (promise: Promise<unknown>) => void;
}

export function createVerifier({ env, config, principal, waitUntil }: VerifierOptions): Verifier {
  const { service, keyId, settings } = principal;
  const policy: DoPolicy = {
    maxCheckAttempts: settings.maxCheckAttempts ?? config.maxCheckAttempts,
    numberLimits: numberLimitsFor(config.numberLimits, settings),
    templates: settings.templates ?? null,
    webhook: settings.webhookUrl && settings.webhookEvents?.length ? { serviceId: principal.serviceId, events: settings.webhookEvents } : null,
  };
  // A check sends nothing: it carries no templates over the RPC.
  const checkPolicy: DoPolicy = { ...policy, templates: null };
  const ruleModes = { ...config.ruleModes, ...settings.ruleModes };
  const allowedCountries = settings.allowedCountries ? new Set(settings.allowedCountries) : config.allowedCountries;
  const limits = { ...config.limits, ...settings.limits };
  const testNumbers = service === DEFAULT_SERVICE ? config.testNumbers : (settings.testNumbers ?? {});
  // A service's messages carry its friendly name, when that is a valid message name (≤ 30, no URL).
  const defaultServiceName = service === DEFAULT_SERVICE ? config.defaultServiceName : messageNameOr(settings.friendlyName, config.defaultServiceName);
  const namespace = namespaceOf(env, "PHONE_VERIFICATION");
  const lists = namespaceOf(env, "NUMBER_LISTS");
  const keys = namespaceOf(env, "IDEMPOTENCY_KEYS");
  const byNumber = (e164: string) => namespace.get(namespace.idFromName(`${service}:${e164}`));
  const byVerificationId = (verificationId: string) => {
    const id = verificationObjectId(env, verificationId);
    // A malformed or forged id is indistinguishable from an unknown one: same answer, no hint.
    if (!id) throw new VerifyError("not_found", "verificationId: no such verification", { field: "verificationId" });
    return namespace.get(id);
  };
  const listIndex = () => lists.get(lists.idFromName(service));
  /**
   * A keyed request is first bound to its key in the key's own object (found by API key and key,
   * whatever number the request names), so a key reused for another request is refused before any
   * number's object is touched. The number's object then replays or runs it. Requests without a
   * key skip this and stay at one round trip.
   */
  const idempotency = async (op: string, request: unknown, options?: CallOptions): Promise<IdempotencyInput | undefined> => {
    if (!options?.idempotencyKey) return undefined;
    const key = `${keyId}:${options.idempotencyKey}`;
    const hash = await requestHash(op, request);
    const claim = await afterReset<ClaimOutcome>(() => keys.get(keys.idFromName(`${service}:${key}`)).claim({ requestHash: hash, now: Date.now() }));
    if (claim === "reused") {
      throw new VerifyError("idempotency_key_reused", "Idempotency-Key: already used with a different request", { field: "Idempotency-Key" });
    }
    return { key, requestHash: hash };
  };

  /**
   * A number on the account's Safe List is allow-listed in every service: it takes only the budget
   * scopes, as a number on the service's own allow list does (its object applies that list). The
   * list came with the principal, so this costs no round trip.
   */
  const safeListed = (e164: string, scopes: ScopeRequest[]): ScopeRequest[] =>
    principal.safeList?.has(e164) ? scopesForNumber(scopes, { allowed: true, guardCounted: false }) : scopes;

  return {
    async start(request, options) {
      const phone = parsePhoneNumber(request.to);
      const testCode = testNumbers[phone.e164] ?? null;
      // A test number is the operator's own fixture, no subscriber: the number-type, landline, VoIP
      // and country rules say nothing about it. Deny list, cooldowns, attempts, lock-outs and IP and
      // range velocity still apply.
      const verdict = applyModes(testCode === null ? numberRuleHits(phone, allowedCountries) : [], ruleModes);
      if (verdict.refusal) {
        reportBlock(verdict.refusal.rule, phone);
        throw new VerifyError("rule_refused", verdict.refusal.message, { field: "to", rule: verdict.refusal.rule });
      }
      const ttlSeconds = request.timeoutSeconds ?? settings.ttlSeconds ?? config.defaultTimeoutSeconds;
      for (const [i, channel] of request.channels.entries()) {
        if (channel !== "sms" && !config.channels[channel]) {
          throw invalidArgument(request.channels.length > 1 ? `channels[${i}]` : "channel", `${channel} is not configured on this deployment`);
        }
      }
      if (request.webOtpDomain && config.webOtpDomains && !config.webOtpDomains.has(request.webOtpDomain)) {
        throw invalidArgument("webOtpDomain", "is not one of the domains this deployment allows (WEBOTP_DOMAINS)");
      }
      // A request's own message (CAMARA) is this start's only template: the catalog's default entry,
      // the one the start's locale then is. Otherwise the service's templates, or the deployment's.
      const startPolicy: DoPolicy = request.message ? { ...policy, templates: { [DEFAULT_LOCALE]: request.message } } : policy;
      // The service's own rate limits, only when the start names some (no registry read otherwise).
      const rateLimitScopes = request.rateLimits ? await rateLimitScopesFor(env, principal, request.rateLimits) : [];
      const input = {
        service,
        to: phone.e164,
        codeLength: request.codeLength ?? settings.codeLength ?? config.defaultCodeLength,
        ttlSeconds,
        countryCode: phone.countryCode,
        lineType: phone.lineType,
        externalId: request.externalId,
        tags: request.tags,
        // The catalog's locale actually used (pt-BR → pt → default), recorded on the verification.
        locale: request.message ? DEFAULT_LOCALE : (settings.templates ? catalogForTemplates(settings.templates) : config.templates).lookup(request.locale).locale,
        bindings: { webOtpDomain: request.webOtpDomain, appHash: request.appHash },
        channels: request.channels,
        fallbackAfterSeconds: request.fallbackAfterSeconds,
        serviceName: request.serviceName ?? defaultServiceName,
        acceptPreviousCodes: settings.acceptPreviousCodes ?? 0,
        risks: verdict.monitored,
        scopes: safeListed(phone.e164, scopesForStart({
          service,
          clientIp: request.clientIp,
          e164: phone.e164,
          countryCode: phone.countryCode,
          test: testCode !== null,
          modes: ruleModes,
          limits,
          budget: config.limits,
          serviceDailyLimit: settings.limits?.smsDailyLimit,
          guard: config.intelligence.conversionGuard,
        })).concat(rateLimitScopes),
        denyListMode: ruleModes.deny_list,
        policy: startPolicy,
        testCode,
        // The carrier is asked (in the number's object, which caches the answer) when the metadata
        // cannot decide the type, or always, or on request; never for a test number.
        lookupPlan:
          testCode === null && shouldLookUp(phone.lineType, config.lookup.provider === "off" ? "off" : config.lookup.mode, request.lookup)
            ? { modes: ruleModes }
            : null,
        idempotency: await idempotency("start", { ...request, to: phone.e164 }, options),
      };
      const firstTry = Date.now();
      let tries = 0;
      const result = await afterReset<DoResult<VerificationView>>(() => byNumber(phone.e164).start(tries++ === 0 ? input : { ...input, resumeSince: firstTry }));
      if (!result.ok && result.refusal.rule) reportBlock(result.refusal.rule, phone);
      const { value, replayed, rateLimits } = unwrap(result);
      return { verification: value, replayed, rateLimits };
    },

    async check(request, options) {
      const to = request.to ? parsePhoneNumber(request.to).e164 : "";
      const stub = () => (request.verificationId ? byVerificationId(request.verificationId) : byNumber(to));
      const input = {
        service,
        policy: checkPolicy,
        verificationId: request.verificationId,
        to,
        code: request.code,
        sendAttempt: request.sendAttempt,
        idempotency: await idempotency("check", { ...request, to }, options),
      };
      const result = await afterReset<DoResult<{ status: CheckStatus; verification: VerificationView }>>(() => stub().check(input));
      const { value, replayed, rateLimits } = unwrap(result);
      return { ...value, replayed, rateLimits };
    },

    async get(verificationId) {
      return unwrap(await afterReset<DoResult<VerificationView>>(() => byVerificationId(verificationId).get({ service, verificationId }))).value;
    },

    async cancel(verificationId, options) {
      const input = { service, policy, verificationId, idempotency: await idempotency("cancel", { verificationId }, options) };
      const result = await afterReset<DoResult<VerificationView>>(() => byVerificationId(verificationId).cancel(input));
      const { value, replayed } = unwrap(result);
      return { verification: value, replayed, rateLimits: [] };
    },

    async setListed({ list, phoneNumber, listed, note }) {
      const e164 = parsePhoneNumber(phoneNumber, "phoneNumber").e164;
      // The number's object enforces; the index lists. Enforcement is written first.
      await byNumber(e164).setListed({ list, listed });
      if (!listed) {
        await listIndex().remove({ list, phoneNumber: e164 });
        return null;
      }
      return listIndex().add({ list, phoneNumber: e164, note, createdAt: Date.now() });
    },

    async listEntries({ list, pageSize: limit, pageToken }) {
      const entries = await listIndex().list({ list, limit, after: pageToken });
      return { entries, nextPageToken: entries.length === limit ? entries[entries.length - 1]!.phoneNumber : "" };
    },

    async lookup({ phoneNumber }) {
      const phone = parsePhoneNumber(phoneNumber, "phoneNumber");
      if (config.lookup.provider === "off") {
        throw new VerifyError("lookups_off", "phoneNumber: carrier lookups are off on this deployment (set LOOKUP_PROVIDER)", { field: "phoneNumber" });
      }
      const budget = lookupBudgetScope(service, config.lookup.lookupsPerDay);
      const result = await afterReset<DoResult<{ lookup: NormalisedLookup; cached: boolean }>>(() => byNumber(phone.e164).lookupNumber({ service, to: phone.e164, budget }));
      const { value } = unwrap(result);
      return { phoneNumber: phone.e164, lookup: lookupView(phone, value.lookup), cached: value.cached, fetchedAt: value.lookup.fetchedAt };
    },

    async erase(phoneNumber) {
      const e164 = parsePhoneNumber(phoneNumber, "phoneNumber").e164;
      const { verifications } = await byNumber(e164).erase();
      await listIndex().erase(e164);
      return { phoneNumber: e164, verificationsDeleted: verifications };
    },
  };

  /**
   * Counts a start refused by an abuse rule in the service's insights. The one place blocks are
   * reported: rules the Worker applies and those the number's object applies both surface here,
   * where the service and the number are known. Off the response path; a lost report is logged.
   */
  function reportBlock(rule: string, phone: { e164: string; countryCode: string }): void {
    const report = insightsFor(env, service, phone.e164)
      .recordBlocks([{ rule, country: phone.countryCode, at: Date.now() }])
      .catch((error: unknown) => log("warn", "insights.report_failed", { kind: "blocked", error: error instanceof Error ? error.message : String(error) }));
    try {
      waitUntil?.(report);
    } catch {
      // No execution context (a bare app.request in tests): the report runs unattended.
    }
  }
}

function unwrap<T>(result: DoResult<T>): { value: T; replayed: boolean; rateLimits: RateLimitItem[] } {
  // A replay's limits are the original call's, out of date: it carries none.
  if (result.ok) return { value: result.value, replayed: result.replayed === true, rateLimits: result.replayed ? [] : (result.rateLimits ?? []) };
  throw VerifyError.from(result.refusal);
}

/** SHA-256 over the operation and its validated request, with object keys sorted. */
async function requestHash(op: string, request: unknown): Promise<string> {
  const canonical = JSON.stringify([op, request], (_key, value) =>
    value && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : value,
  );
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}


function messageNameOr(name: string, fallback: string): string {
  try {
    return validateServiceName(name);
  } catch {
    return fallback;
  }
}
