// Sends through an ordered provider list per destination country, failing over when a provider
// is down, and skipping a provider whose circuit is open. The breaker is plain state with the
// clock passed in, kept apart from the sending loop so each can be tested alone.
import { parsePhoneNumber } from "../core/phone.ts";
import { SmsSendError, type SmsFailureReason, type SmsSender } from "./sender.ts";

export interface CircuitBreaker {
  /** True while `provider` is cooling off after too many failures in a row. */
  isOpen(provider: string): boolean;
  /** Epoch ms when the provider may be tried again (0 when closed). */
  openUntil(provider: string): number;
  recordSuccess(provider: string): void;
  recordFailure(provider: string): void;
}

/**
 * One breaker per isolate is enough: it only saves time (a dead provider is skipped instead of
 * waited on), it decides nothing that another isolate could contradict.
 */
export function createCircuitBreaker(options: { failureThreshold: number; coolOffMs: number; now: () => number }): CircuitBreaker {
  const state = new Map<string, { failuresInRow: number; openUntil: number }>();
  const of = (provider: string) => state.get(provider) ?? { failuresInRow: 0, openUntil: 0 };
  return {
    isOpen: (provider) => options.now() < of(provider).openUntil,
    openUntil: (provider) => of(provider).openUntil,
    recordSuccess: (provider) => void state.delete(provider),
    recordFailure(provider) {
      const current = of(provider);
      const failuresInRow = current.failuresInRow + 1;
      // After a cool-off the count is still at the threshold: one more failure (the probe) reopens it.
      const openUntil = failuresInRow >= options.failureThreshold ? options.now() + options.coolOffMs : current.openUntil;
      state.set(provider, { failuresInRow, openUntil });
    },
  };
}

// Refusals about the number itself: every provider would refuse it too, so failing over would only
// spend money (and, for `unsubscribed`, disrespect a STOP). Everything else is about the provider.
const NUMBER_REASONS: ReadonlySet<SmsFailureReason> = new Set(["invalid_number", "unsubscribed", "blocked"]);

/** Whether another provider might succeed where this one failed. */
export function shouldFailOver(error: SmsSendError): boolean {
  return !NUMBER_REASONS.has(error.reason);
}

/** The providers to try for `country`, in order, open circuits last (ordered by soonest to close). */
export function routeFor(routes: Readonly<Record<string, readonly string[]>>, country: string | undefined, breaker: CircuitBreaker): string[] {
  const list = (country && routes[country]) || routes.default || [];
  const closed = list.filter((name) => !breaker.isOpen(name));
  // When every circuit is open, still probe the one closest to closing rather than send nothing.
  if (closed.length === 0 && list.length > 0) return [[...list].sort((a, b) => breaker.openUntil(a) - breaker.openUntil(b))[0]!];
  return closed;
}

export interface RoutedSenderOptions {
  /** {"default": [...], "BR": [...]}: ordered provider names per ISO country. */
  routes: Readonly<Record<string, readonly string[]>>;
  senders: Readonly<Record<string, SmsSender>>;
  breaker: CircuitBreaker;
  /** ISO country of an E.164 number; defaults to libphonenumber's region. */
  countryOf?: (e164: string) => string | undefined;
}

function regionOf(e164: string): string | undefined {
  try {
    return parsePhoneNumber(e164).countryCode;
  } catch {
    return undefined;
  }
}

export function createRoutedSender(options: RoutedSenderOptions): SmsSender {
  for (const name of new Set(Object.values(options.routes).flat())) {
    if (!options.senders[name]) throw new Error(`SMS route names provider "${name}" but no sender was built for it`);
  }
  const countryOf = options.countryOf ?? regionOf;

  return {
    name: "routes",
    async send(message) {
      const order = routeFor(options.routes, countryOf(message.to), options.breaker);
      let last: SmsSendError | undefined;
      // If any attempt timed out, that provider may still deliver: the overall outcome is unknown.
      let allDefinite = true;
      for (const name of order) {
        try {
          const result = await options.senders[name]!.send(message);
          options.breaker.recordSuccess(name);
          return result;
        } catch (error) {
          if (!(error instanceof SmsSendError)) throw error;
          const failure = error.provider ? error : new SmsSendError(error.reason, error.message, { definite: error.definite, providerCode: error.providerCode, provider: name });
          if (!shouldFailOver(failure)) {
            // The provider worked; the number did not. Its health is fine.
            options.breaker.recordSuccess(name);
            throw failure;
          }
          options.breaker.recordFailure(name);
          allDefinite &&= failure.definite;
          last = failure;
        }
      }
      if (!last) throw new SmsSendError("unavailable", "no SMS provider is routed for this destination", { definite: true });
      if (last.definite === allDefinite) throw last;
      throw new SmsSendError(last.reason, last.message, { definite: allDefinite, providerCode: last.providerCode, provider: last.provider });
    },
  };
}
