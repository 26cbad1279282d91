// Delivery with retries and failover: retryable failures (5xx, 429, timeouts) are retried with
// exponential backoff within a deadline, then the next provider is tried. Number-specific refusals
// (invalid, unsubscribed, blocked) stop at once: another attempt or provider would not help.
import { SmsSendError, type SmsMessage, type SmsSender } from "./sender.ts";

export interface RetryOptions {
  attemptsPerProvider: number;
  retryBackoffMs: number;
  sendDeadlineMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export interface DeliveredSms {
  messageId: string;
  provider: string;
  attempts: number;
}

/** Thrown when every attempt failed. `definite` only if no attempt had an unknown outcome. */
export class DeliveryFailedError extends SmsSendError {
  readonly attempts: number;
  constructor(last: SmsSendError, options: { provider: string; attempts: number; definite: boolean }) {
    super(last.reason, last.message, { definite: options.definite, providerCode: last.providerCode, provider: last.provider || options.provider });
    this.name = "DeliveryFailedError";
    this.attempts = options.attempts;
  }
}

const NUMBER_SPECIFIC = new Set(["invalid_number", "unsubscribed", "blocked"]);
const RETRYABLE = new Set(["unavailable", "rate_limited"]);

/**
 * Sends the same body (so the same code) on every attempt: if an attempt whose answer was lost did
 * go out, the user gets the same code twice, never two different valid-looking codes.
 */
export async function sendWithRetry(senders: readonly SmsSender[], message: SmsMessage, options: RetryOptions): Promise<DeliveredSms> {
  const started = options.now();
  let attempts = 0;
  let unknownOutcome = false;
  let last: SmsSendError | null = null;
  let lastProvider = senders[0]?.name ?? "none";
  for (const sender of senders) {
    lastProvider = sender.name;
    for (let attempt = 0; attempt < options.attemptsPerProvider; attempt++) {
      if (attempts > 0 && options.now() - started >= options.sendDeadlineMs) break;
      attempts++;
      try {
        const { messageId, provider } = await sender.send(message);
        return { messageId, provider: provider || sender.name, attempts };
      } catch (error) {
        if (!(error instanceof SmsSendError)) throw error;
        last = error;
        if (!error.definite) unknownOutcome = true;
        if (NUMBER_SPECIFIC.has(error.reason)) {
          throw new DeliveryFailedError(error, { provider: sender.name, attempts, definite: !unknownOutcome });
        }
        if (!RETRYABLE.has(error.reason)) break; // auth_failed: this provider is misconfigured; fail over
        const backoff = options.retryBackoffMs * 2 ** attempt;
        if (attempt + 1 >= options.attemptsPerProvider) break;
        // A retry that cannot wait out its backoff before the deadline is not made at once instead
        // (a provider that is rate-limiting us would only be asked again sooner): this provider is
        // done, and the next one, if any and in time, gets the message.
        if (options.now() - started + backoff >= options.sendDeadlineMs) break;
        await options.sleep(backoff);
      }
    }
  }
  throw new DeliveryFailedError(last ?? new SmsSendError("unavailable", "no SMS provider configured", { definite: true }), {
    provider: lastProvider,
    attempts,
    definite: !unknownOutcome,
  });
}
