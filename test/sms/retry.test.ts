// sendWithRetry: retries per provider with exponential backoff inside the send deadline, failover to
// the next sender, and whether a failure is definite. The clock and sleep are injected: no waiting.
// The senders are small local fakes of the SmsSender interface, scripted per attempt.
import { describe, expect, it } from "vitest";
import { refusedByStatus } from "../../src/sms/http.ts";
import { DeliveryFailedError, sendWithRetry, type RetryOptions } from "../../src/sms/retry.ts";
import { SmsSendError, type SmsFailureReason, type SmsMessage, type SmsSender } from "../../src/sms/sender.ts";

/** One scripted answer: a message id, a refusal (definite), an unknown outcome, or a thrown bug. */
type Step = "ok" | SmsFailureReason | "timeout" | "plain_500" | "bug";

/** A clock that only moves when a send takes time or the retry loop sleeps. */
function fakeTime(startMs = 1_700_000_000_000) {
  let nowMs = startMs;
  const slept: number[] = [];
  return {
    slept,
    now: () => nowMs,
    advance: (ms: number) => void (nowMs += ms),
    sleep: async (ms: number) => {
      slept.push(ms);
      nowMs += ms;
    },
    elapsed: () => nowMs - startMs,
  };
}

/** A provider that answers from `script` (then "ok"), takes `takesMs` per call, and records what it was given. */
function scripted(name: string, script: Step[], time: ReturnType<typeof fakeTime>, takesMs = 0) {
  const received: SmsMessage[] = [];
  const sender: SmsSender = {
    name,
    async send(message) {
      received.push(message);
      time.advance(takesMs);
      const step = script.shift() ?? "ok";
      if (step === "ok") return { messageId: `${name}-${received.length}`, provider: name };
      if (step === "timeout") throw new SmsSendError("unavailable", `${name} timed out after 2000 ms`, { definite: false, provider: name });
      if (step === "plain_500") throw refusedByStatus(name, 500);
      if (step === "bug") throw new TypeError("a bug in the sender");
      throw new SmsSendError(step, `${name} refused the message`, { definite: true, providerCode: `${name}-${step}`, provider: name });
    },
  };
  return { sender, received };
}

const MESSAGE: SmsMessage = { to: "+14155550100", body: "482913 is your Acme verification code.", reference: "ve_test", callbackUrls: { twilio: "https://x.test/cb" } };

function options(time: ReturnType<typeof fakeTime>, overrides: Partial<RetryOptions> = {}): RetryOptions {
  return { attemptsPerProvider: 3, retryBackoffMs: 100, sendDeadlineMs: 60_000, now: time.now, sleep: time.sleep, ...overrides };
}

async function failure(promise: Promise<unknown>): Promise<DeliveryFailedError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(DeliveryFailedError);
  return error as DeliveryFailedError;
}

describe("sendWithRetry", () => {
  it("a first success is one attempt, no sleep, with the provider's message id", async () => {
    const time = fakeTime();
    const twilio = scripted("twilio", [], time);
    expect(await sendWithRetry([twilio.sender], MESSAGE, options(time))).toEqual({ messageId: "twilio-1", provider: "twilio", attempts: 1 });
    expect(time.slept).toEqual([]);
  });

  it("retries a retryable failure on the same provider, backing off retryBackoffMs × 2^attempt", async () => {
    for (const failing of ["unavailable", "rate_limited", "timeout", "plain_500"] as const) {
      const time = fakeTime();
      const twilio = scripted("twilio", [failing, failing], time);
      const vonage = scripted("vonage", [], time);
      expect(await sendWithRetry([twilio.sender, vonage.sender], MESSAGE, options(time)), failing).toEqual({ messageId: "twilio-3", provider: "twilio", attempts: 3 });
      expect(time.slept, failing).toEqual([100, 200]);
      expect(vonage.received).toHaveLength(0);
    }
  });

  it("after attemptsPerProvider failures fails over to the next sender, without sleeping after the last attempt; backoff starts again", async () => {
    const time = fakeTime();
    const twilio = scripted("twilio", ["unavailable", "unavailable"], time);
    const vonage = scripted("vonage", ["rate_limited"], time);
    const sent = await sendWithRetry([twilio.sender, vonage.sender], MESSAGE, options(time, { attemptsPerProvider: 2 }));
    expect(sent).toEqual({ messageId: "vonage-2", provider: "vonage", attempts: 4 });
    expect(twilio.received).toHaveLength(2);
    expect(vonage.received).toHaveLength(2);
    // Twilio: one backoff between its two attempts, none before failing over. Vonage: from 100 again.
    expect(time.slept).toEqual([100, 100]);
  });

  it("bad credentials are not retried on that provider: the next one is tried at once", async () => {
    const time = fakeTime();
    const twilio = scripted("twilio", ["auth_failed"], time);
    const vonage = scripted("vonage", [], time);
    expect(await sendWithRetry([twilio.sender, vonage.sender], MESSAGE, options(time))).toEqual({ messageId: "vonage-1", provider: "vonage", attempts: 2 });
    expect(twilio.received).toHaveLength(1);
    expect(time.slept).toEqual([]);
  });

  it("a refusal of the number itself stops at once: no retry, no failover, definite", async () => {
    for (const reason of ["invalid_number", "unsubscribed", "blocked"] as const) {
      const time = fakeTime();
      const twilio = scripted("twilio", [reason], time);
      const vonage = scripted("vonage", [], time);
      const error = await failure(sendWithRetry([twilio.sender, vonage.sender], MESSAGE, options(time)));
      expect({ reason: error.reason, definite: error.definite, attempts: error.attempts, provider: error.provider, providerCode: error.providerCode }).toEqual({
        reason,
        definite: true,
        attempts: 1,
        provider: "twilio",
        providerCode: `twilio-${reason}`,
      });
      expect(twilio.received).toHaveLength(1);
      expect(vonage.received).toHaveLength(0);
    }
  });

  it("every attempt refused definitely: the failure is definite (nothing went out), with the last provider's reason and every attempt counted", async () => {
    const time = fakeTime();
    const twilio = scripted("twilio", ["unavailable", "unavailable", "unavailable"], time);
    const vonage = scripted("vonage", ["auth_failed"], time);
    const error = await failure(sendWithRetry([twilio.sender, vonage.sender], MESSAGE, options(time)));
    expect({ reason: error.reason, definite: error.definite, attempts: error.attempts, provider: error.provider }).toEqual({
      reason: "auth_failed",
      definite: true,
      attempts: 4,
      provider: "vonage",
    });
    expect(error.name).toBe("DeliveryFailedError");
  });

  it("one unknown outcome (a timeout, a plain 500) anywhere makes the whole failure not definite: the message may have gone out", async () => {
    for (const unknown of ["timeout", "plain_500"] as const) {
      const time = fakeTime();
      const twilio = scripted("twilio", [unknown, "unavailable"], time);
      const vonage = scripted("vonage", ["auth_failed"], time);
      const error = await failure(sendWithRetry([twilio.sender, vonage.sender], MESSAGE, options(time, { attemptsPerProvider: 2 })));
      expect({ reason: error.reason, definite: error.definite, attempts: error.attempts }, unknown).toEqual({ reason: "auth_failed", definite: false, attempts: 3 });
    }
    // Even when the last word is a refusal of the number: an earlier attempt may have delivered.
    const time = fakeTime();
    const twilio = scripted("twilio", ["timeout", "blocked"], time);
    const error = await failure(sendWithRetry([twilio.sender], MESSAGE, options(time)));
    expect({ reason: error.reason, definite: error.definite, attempts: error.attempts }).toEqual({ reason: "blocked", definite: false, attempts: 2 });
  });

  it("sends the very same message on every attempt and to every provider (one code, never two)", async () => {
    const time = fakeTime();
    const twilio = scripted("twilio", ["timeout", "unavailable"], time);
    const vonage = scripted("vonage", ["unavailable"], time);
    await sendWithRetry([twilio.sender, vonage.sender], MESSAGE, options(time, { attemptsPerProvider: 2 }));
    const seen = [...twilio.received, ...vonage.received];
    expect(seen).toHaveLength(4);
    for (const message of seen) expect(message).toEqual(MESSAGE);
  });

  it("the send deadline stops retries and failover; a backoff that does not fit is no retry at once; the first attempt always goes", async () => {
    // Each call takes 400 ms against a 1 s deadline: attempt 1 ends at 400, sleeps 100; attempt 2
    // ends at 900; a 200 ms backoff would cross the deadline, so twilio is not asked again (not
    // slept, and not retried at once either); vonage gets attempt 3 at 900 (< 1000), ends at 1300.
    const time = fakeTime();
    const twilio = scripted("twilio", ["unavailable", "unavailable", "unavailable", "unavailable"], time, 400);
    const vonage = scripted("vonage", ["unavailable", "unavailable"], time, 400);
    const error = await failure(sendWithRetry([twilio.sender, vonage.sender], MESSAGE, options(time, { attemptsPerProvider: 5, sendDeadlineMs: 1_000 })));
    expect(error.attempts).toBe(3);
    expect(time.slept).toEqual([100]);
    expect(twilio.received).toHaveLength(2);
    expect(vonage.received).toHaveLength(1);
    expect(time.elapsed()).toBe(1_300);

    // Past the deadline no next provider is asked.
    const spent = fakeTime();
    const slow = scripted("twilio", ["unavailable"], spent, 1_200);
    const never = scripted("vonage", [], spent);
    expect((await failure(sendWithRetry([slow.sender, never.sender], MESSAGE, options(spent, { attemptsPerProvider: 3, sendDeadlineMs: 1_000 })))).attempts).toBe(1);
    expect(never.received).toHaveLength(0);

    // A deadline already spent still lets the first attempt go.
    const late = fakeTime();
    const only = scripted("twilio", [], late);
    expect(await sendWithRetry([only.sender], MESSAGE, options(late, { sendDeadlineMs: 0 }))).toMatchObject({ attempts: 1 });
  });

  it("keeps the provider a router reports, and falls back to the sender's name when it reports none", async () => {
    const routed: SmsSender = { name: "routes", send: async () => ({ messageId: "m1", provider: "infobip" }) };
    const silent: SmsSender = { name: "webhook", send: async () => ({ messageId: "m2", provider: "" }) };
    const time = fakeTime();
    expect(await sendWithRetry([routed], MESSAGE, options(time))).toEqual({ messageId: "m1", provider: "infobip", attempts: 1 });
    expect(await sendWithRetry([silent], MESSAGE, options(time))).toEqual({ messageId: "m2", provider: "webhook", attempts: 1 });
  });

  it("a failure without a provider is attributed to the sender that gave it", async () => {
    const anonymous: SmsSender = {
      name: "routes",
      send: async () => {
        throw new SmsSendError("unavailable", "no answer", { definite: true });
      },
    };
    const time = fakeTime();
    expect(await failure(sendWithRetry([anonymous], MESSAGE, options(time, { attemptsPerProvider: 1 })))).toMatchObject({ provider: "routes", attempts: 1 });
  });

  it("no sender at all is a definite unavailable with no attempt", async () => {
    const time = fakeTime();
    const error = await failure(sendWithRetry([], MESSAGE, options(time)));
    expect({ reason: error.reason, definite: error.definite, attempts: error.attempts, provider: error.provider }).toEqual({ reason: "unavailable", definite: true, attempts: 0, provider: "none" });
  });

  it("an error that is not an SmsSendError (a bug) is thrown as it is, without retrying", async () => {
    const time = fakeTime();
    const twilio = scripted("twilio", ["bug"], time);
    const vonage = scripted("vonage", [], time);
    await expect(sendWithRetry([twilio.sender, vonage.sender], MESSAGE, options(time))).rejects.toThrow(TypeError);
    expect(twilio.received).toHaveLength(1);
    expect(vonage.received).toHaveLength(0);
  });
});
