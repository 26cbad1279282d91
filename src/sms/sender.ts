// The one interface every SMS provider implements, and the typed error they all throw.
// A provider file knows its vendor's quirks (auth, body encoding, error shape) and nothing else.

export interface SmsMessage {
  /** E.164 destination. */
  to: string;
  /** The rendered message; the only place a code exists in clear. */
  body: string;
  /** Our reference for the message (the verification id), for vendors that echo one in receipts. */
  reference?: string;
  /**
   * Where each provider should post delivery receipts, by provider name. Absent (or no entry for
   * this provider): ask for none. Per message, because the router picks the provider after this is built.
   */
  callbackUrls?: Readonly<Partial<Record<string, string>>>;
}

export interface SmsSendResult {
  /** The provider's message id. */
  messageId: string;
  /** Which provider accepted the message (differs from the sender's name behind a router). */
  provider: string;
}

export interface SmsSender {
  /** Stable provider name recorded on the verification, e.g. "twilio". */
  readonly name: string;
  send(message: SmsMessage): Promise<SmsSendResult>;
}

export type SmsFailureReason = "invalid_number" | "unsubscribed" | "blocked" | "rate_limited" | "auth_failed" | "unavailable";

/**
 * A failed send. `definite` is true when the provider answered that it did not accept the message;
 * false when the outcome is unknown (timeout, connection reset): the message may have gone out.
 */
export class SmsSendError extends Error {
  readonly reason: SmsFailureReason;
  readonly definite: boolean;
  /** The vendor's own error code, for the operator; never shown raw to API callers. */
  readonly providerCode: string;
  /** The provider that failed, when known (a router reports the last one it tried). */
  readonly provider: string;
  constructor(reason: SmsFailureReason, message: string, options: { definite: boolean; providerCode?: string; provider?: string }) {
    super(message);
    this.name = "SmsSendError";
    this.reason = reason;
    this.definite = options.definite;
    this.providerCode = options.providerCode ?? "";
    this.provider = options.provider ?? "";
  }
}

export type FetchFn = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;

/**
 * fetch with a deadline. A timeout is an unknown outcome (the provider may have accepted the
 * message), so it is reported as `unavailable` with `definite: false`.
 */
export async function fetchWithTimeout(fetchFn: FetchFn, request: Request, timeoutMs: number): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await fetchFn(request, { signal: controller.signal });
  } catch (error) {
    const timedOut = controller.signal.aborted;
    throw new SmsSendError("unavailable", timedOut ? `provider timed out after ${timeoutMs} ms` : `provider unreachable: ${String(error)}`, {
      definite: false,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** Maps an HTTP status the vendor gave without a more specific error code. */
export function reasonForStatus(status: number): SmsFailureReason {
  if (status === 401 || status === 403) return "auth_failed";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "unavailable";
  return "invalid_number";
}
