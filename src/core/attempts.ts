// Twilio's Verification Attempts (one per message sent) derived from the verifications the
// insights keep (VerificationSnapshot: masked number, counts, times), filtered and summed as the
// Attempts and Attempts Summary APIs filter them. No I/O. No clock: times are in the snapshots.
import type { VerificationSnapshot } from "./insights.ts";

export interface Attempt {
  verification: VerificationSnapshot;
  /** 1-based: the n-th message of the verification. */
  n: number;
  /**
   * Epoch ms. The first message is dated at the verification's creation; a later one at the
   * verification's last change, since the times of intermediate resends are not kept.
   */
  createdAt: number;
  /** The verification was approved: every one of its attempts counts as converted, as Twilio's do. */
  converted: boolean;
  /** The delivery receipt's status, known for the latest message only; null otherwise or before one. */
  messageStatus: string | null;
}

export interface AttemptFilter {
  /** Epoch ms, inclusive, compared at whole seconds as `date_created` shows them. */
  createdAfter?: number;
  /** Epoch ms, inclusive, at whole seconds. */
  createdBefore?: number;
  /** ISO 3166-1 alpha-2. */
  country?: string;
  channel?: string;
  converted?: boolean;
  /** `+` and at most MASKED_PREFIX_DIGITS digits: the part of a number a masked one shows. */
  destinationPrefix?: string;
}

/** Digits after `+` a masked number (maskPhoneNumber) keeps at its start. */
export const MASKED_PREFIX_DIGITS = 4;

/**
 * The attempts of a verification: one per message sent (`sendAttempts`). A test number's
 * verification sent nothing and has none.
 */
export function attemptsOf(v: VerificationSnapshot): Attempt[] {
  if (v.test) return [];
  return Array.from({ length: v.sendAttempts }, (_, i) => ({
    verification: v,
    n: i + 1,
    createdAt: i === 0 ? v.createdAt : v.updatedAt,
    converted: v.status === "approved",
    messageStatus: i === v.sendAttempts - 1 && v.delivery ? v.delivery : null,
  }));
}

const second = (ms: number) => Math.floor(ms / 1000) * 1000;

export function matchesAttempt(a: Attempt, f: AttemptFilter): boolean {
  if (f.createdAfter !== undefined && second(a.createdAt) < second(f.createdAfter)) return false;
  if (f.createdBefore !== undefined && second(a.createdAt) > second(f.createdBefore)) return false;
  if (f.country !== undefined && a.verification.country !== f.country) return false;
  if (f.channel !== undefined && a.verification.channel !== f.channel) return false;
  if (f.converted !== undefined && a.converted !== f.converted) return false;
  if (f.destinationPrefix !== undefined) {
    // The masked number's visible start (`+1415` of `+1415****671`); a shorter one cannot tell.
    const visible = a.verification.maskedTo.split("*")[0]!;
    if (visible.length < f.destinationPrefix.length || !visible.startsWith(f.destinationPrefix)) return false;
  }
  return true;
}

export interface AttemptsSummary {
  totalAttempts: number;
  totalConverted: number;
  totalUnconverted: number;
  /** Converted over total as a percentage, as Twilio writes it (a decimal string); null with no attempts. */
  conversionRatePercentage: string | null;
}

export function summarizeAttempts(attempts: readonly Attempt[]): AttemptsSummary {
  const converted = attempts.filter((a) => a.converted).length;
  const total = attempts.length;
  return {
    totalAttempts: total,
    totalConverted: converted,
    totalUnconverted: total - converted,
    conversionRatePercentage: total === 0 ? null : String(Math.round((converted / total) * 100 * 1e9) / 1e9),
  };
}

/** Sorts newest first, then by sid: a key that ascends in that order (a page cursor). */
export function attemptSortKey(createdAt: number, sid: string): string {
  return `${String(Number.MAX_SAFE_INTEGER - createdAt).padStart(16, "0")}:${sid}`;
}
