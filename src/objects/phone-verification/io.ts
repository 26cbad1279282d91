// The number's object's two conversations with vendors, kept apart from its decisions: the carrier
// lookup (cached, one vendor call shared by concurrent starts) and the send (retries, failover, and
// receipts that arrive before the send returned its message id).
import type { Config } from "../../config.ts";
import { isFresh, type NormalisedLookup } from "../../core/lookup.ts";
import type { LookupOutcome } from "../../core/insights.ts";
import type { SendResult } from "../../core/number/send.ts";
import { maskPhoneNumber } from "../../core/phone.ts";
import type { Channel } from "../../core/verification.ts";
import { createLookupProvider, LookupError, type LookupProvider } from "../../lookup/index.ts";
import { log } from "../../log.ts";
import { createChannelSenders, type SenderHooks } from "../../sms/index.ts";
import { callbackUrlsFor } from "../../sms/receipts/index.ts";
import { DeliveryFailedError, sendWithRetry } from "../../sms/retry.ts";
import type { SmsSender } from "../../sms/sender.ts";
import type { DoDeliveryInput } from "./inputs.ts";
import type { Effect } from "../../core/number/types.ts";
import { namespaceOf } from "../namespaces.ts";
import type { NumberStore } from "./storage.ts";

/** A carrier lookup's outcome for one start: an answer (fresh or cached) or why there is none. */
export type LookupAttempt = { ok: true; result: NormalisedLookup; cached: boolean } | { ok: false; reason: string };

/** Counts a lookup (paid, cached or failed) for the service's insights. */
export type NoteLookup = (service: string, to: string, source: string, outcome: LookupOutcome) => void;

export class CarrierLookups {
  #provider: LookupProvider | null | undefined = undefined;
  /** The vendor call under way, shared by concurrent starts so the vendor is asked once. */
  #inflight: Promise<LookupAttempt> | null = null;

  constructor(
    private readonly store: NumberStore,
    private readonly config: Config,
    private readonly note: NoteLookup,
  ) {}

  /** The cached answer while fresh, else one vendor call whose answer is stored; failures are logged, never stored. */
  answer(service: string, e164: string, now: number): Promise<LookupAttempt> {
    const cached = this.store.lookup();
    if (isFresh(cached, now, this.config.lookup.cacheHours)) {
      this.note(service, e164, cached.source, "cached");
      return Promise.resolve({ ok: true, result: cached, cached: true });
    }
    if (this.#provider === undefined) this.#provider = createLookupProvider(this.config.lookup, Date.now);
    const provider = this.#provider;
    if (!provider) return Promise.resolve({ ok: false, reason: "unavailable" });
    // Counted once per vendor call, however many starts share it.
    this.#inflight ??= provider
      .lookup(e164)
      .then(
        (result): LookupAttempt => {
          this.store.saveLookup(result);
          this.note(service, e164, provider.name, "fetched");
          return { ok: true, result, cached: false };
        },
        (error: unknown): LookupAttempt => {
          const reason = error instanceof LookupError ? error.reason : "unavailable";
          log("warn", "lookup.failed", { to: maskPhoneNumber(e164), provider: provider.name, reason, providerCode: error instanceof LookupError ? error.providerCode : "" });
          this.note(service, e164, provider.name, "failed");
          return { ok: false, reason };
        },
      )
      .finally(() => {
        this.#inflight = null;
      });
    return this.#inflight;
  }
}

/** At most this many early receipts are held per message. */
const MAX_EARLY_RECEIPTS = 20;

export class Sends {
  readonly #senders = new Map<Channel, SmsSender[]>();
  // A vendor can report on a message before its send call has returned the message id to us; such
  // receipts wait here (in memory: the window exists only while this object awaits the send).
  readonly #inflight = new Map<string, { sends: number; early: DoDeliveryInput[] }>();

  constructor(
    private readonly config: Config,
    private readonly devOutbox: SenderHooks["devOutbox"],
  ) {}

  /** Sends `body` on `channel` (retries, failover); the receipts that arrived meanwhile come back with the result. */
  async send(message: { id: string; to: string; channel: Channel; body: string }): Promise<{ result: SendResult; early: DoDeliveryInput[]; attempts: number }> {
    const inflight = this.#inflight.get(message.id) ?? { sends: 0, early: [] };
    inflight.sends++;
    this.#inflight.set(message.id, inflight);
    try {
      const callbackUrls = await callbackUrlsFor(this.config, message.id);
      const sent = await sendWithRetry(this.#sendersFor(message.channel), { to: message.to, body: message.body, reference: message.id, callbackUrls }, {
        attemptsPerProvider: this.config.delivery.attemptsPerProvider,
        retryBackoffMs: this.config.delivery.retryBackoffMs,
        sendDeadlineMs: this.config.delivery.sendDeadlineMs,
        now: Date.now,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      });
      return { result: { ok: true, messageId: sent.messageId, provider: sent.provider }, early: inflight.early, attempts: 0 };
    } catch (error) {
      if (!(error instanceof DeliveryFailedError)) throw error;
      return {
        result: { ok: false, reason: error.reason, provider: error.provider, providerCode: error.providerCode, definite: error.definite },
        // An answer lost on the way (unknown outcome): receipts that came meanwhile prove the send.
        early: error.definite ? [] : inflight.early,
        attempts: error.attempts,
      };
    } finally {
      if (--inflight.sends === 0) this.#inflight.delete(message.id);
    }
  }

  /** Holds a receipt for a message whose send is still under way; false when none is (or too many are held). */
  holdEarly(receipt: DoDeliveryInput): boolean {
    const inflight = this.#inflight.get(receipt.verificationId);
    if (!inflight || inflight.early.length >= MAX_EARLY_RECEIPTS) return false;
    inflight.early.push(receipt);
    return true;
  }

  #sendersFor(channel: Channel): SmsSender[] {
    let senders = this.#senders.get(channel);
    if (!senders) {
      senders = createChannelSenders(this.config, channel, fetch, { devOutbox: this.devOutbox });
      this.#senders.set(channel, senders);
    }
    return senders;
  }
}

/** A number deny-listed from delivery reports: its service's list index (lists API, console) hears of it, off the request path. */
export function tellListIndex(env: Env, entry: Extract<Effect, { kind: "deny_listed" }>): Promise<unknown> {
  const lists = namespaceOf(env, "NUMBER_LISTS");
  return lists
    .get(lists.idFromName(entry.service))
    .add({ list: "deny", phoneNumber: entry.to, note: entry.note, createdAt: Date.now(), reason: entry.reason })
    .catch((error: unknown) => log("warn", "deliverability.list_failed", { to: maskPhoneNumber(entry.to), error: error instanceof Error ? error.message : String(error) }));
}
