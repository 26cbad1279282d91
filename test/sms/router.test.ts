import { describe, expect, it } from "vitest";
import { createCircuitBreaker, createRoutedSender, routeFor } from "../../src/sms/router.ts";
import { SmsSendError, type SmsFailureReason, type SmsSender } from "../../src/sms/sender.ts";

type Script = Array<"ok" | SmsFailureReason | "timeout">;

/** A provider that answers from a script and counts its calls. */
function scripted(name: string, script: Script = []) {
  const calls: string[] = [];
  const sender: SmsSender = {
    name,
    async send(message) {
      calls.push(message.to);
      const next = script.shift() ?? "ok";
      if (next === "ok") return { messageId: `${name}-${calls.length}`, provider: name };
      if (next === "timeout") throw new SmsSendError("unavailable", "provider timed out after 50 ms", { definite: false });
      throw new SmsSendError(next, `${name} refused the message`, { definite: true, provider: name });
    },
  };
  return { sender, calls };
}

const clock = (startMs = 1_000_000) => {
  let nowMs = startMs;
  return { now: () => nowMs, advance: (ms: number) => void (nowMs += ms) };
};

const BR = "+5511987654321";
const US = "+14155550100";
const message = (to: string) => ({ to, body: "123456 is your code" });

function setup(scripts: Record<string, Script>, routes: Record<string, string[]>, breakerOptions = { failureThreshold: 2, coolOffMs: 60_000 }) {
  const time = clock();
  const providers = Object.fromEntries(Object.entries(scripts).map(([name, script]) => [name, scripted(name, script)]));
  const breaker = createCircuitBreaker({ ...breakerOptions, now: time.now });
  const sender = createRoutedSender({ routes, senders: Object.fromEntries(Object.entries(providers).map(([n, p]) => [n, p.sender])), breaker });
  return { sender, providers, breaker, time };
}

describe("routed sender", () => {
  it("picks the route of the destination's country, else the default", async () => {
    const { sender } = setup({ twilio: [], infobip: [] }, { default: ["twilio"], BR: ["infobip", "twilio"] });
    expect(await sender.send(message(BR))).toMatchObject({ provider: "infobip" });
    expect(await sender.send(message(US))).toMatchObject({ provider: "twilio" });
  });

  it("fails over on unavailable, a timeout, a rate limit or bad credentials, and says who sent it", async () => {
    for (const failure of ["unavailable", "timeout", "rate_limited", "auth_failed"] as const) {
      const { sender, providers } = setup({ twilio: [failure], vonage: [] }, { default: ["twilio", "vonage"] });
      expect(await sender.send(message(US))).toEqual({ messageId: "vonage-1", provider: "vonage" });
      expect(providers.twilio!.calls).toHaveLength(1);
    }
  });

  it("does not fail over when the number itself was refused", async () => {
    for (const reason of ["invalid_number", "unsubscribed", "blocked"] as const) {
      const { sender, providers } = setup({ twilio: [reason], vonage: [] }, { default: ["twilio", "vonage"] });
      await expect(sender.send(message(US))).rejects.toMatchObject({ reason, provider: "twilio", definite: true });
      expect(providers.vonage!.calls).toHaveLength(0);
    }
  });

  it("when every provider fails, reports the last failure, not definite if any attempt timed out", async () => {
    const { sender } = setup({ twilio: ["timeout"], vonage: ["unavailable"] }, { default: ["twilio", "vonage"] });
    await expect(sender.send(message(US))).rejects.toMatchObject({ reason: "unavailable", provider: "vonage", definite: false });
    const allRefused = setup({ twilio: ["rate_limited"], vonage: ["unavailable"] }, { default: ["twilio", "vonage"] });
    await expect(allRefused.sender.send(message(US))).rejects.toMatchObject({ reason: "unavailable", provider: "vonage", definite: true });
  });

  it("skips a provider that failed N times in a row until its cool-off ends, then probes it again", async () => {
    const { sender, providers, time } = setup({ twilio: ["timeout", "timeout", "timeout"], vonage: [] }, { default: ["twilio", "vonage"] });
    await sender.send(message(US));
    await sender.send(message(US)); // second failure in a row: circuit opens
    expect(providers.twilio!.calls).toHaveLength(2);
    await sender.send(message(US));
    expect(providers.twilio!.calls).toHaveLength(2); // skipped while open
    time.advance(60_000);
    await sender.send(message(US)); // probe after cool-off; it fails and reopens at once
    expect(providers.twilio!.calls).toHaveLength(3);
    await sender.send(message(US));
    expect(providers.twilio!.calls).toHaveLength(3);
    time.advance(60_000);
    expect(await sender.send(message(US))).toMatchObject({ provider: "twilio" }); // script exhausted: healthy again
    expect(providers.vonage!.calls).toHaveLength(5);
  });

  it("a success or a number-specific refusal resets the failure count", async () => {
    const { sender, breaker } = setup({ twilio: ["timeout", "invalid_number", "timeout"], vonage: [] }, { default: ["twilio", "vonage"] });
    await sender.send(message(US));
    await sender.send(message(US)).catch(() => undefined);
    await sender.send(message(US));
    expect(breaker.isOpen("twilio")).toBe(false);
  });

  it("with every circuit open, still probes the provider closest to closing", () => {
    const time = clock();
    const breaker = createCircuitBreaker({ failureThreshold: 1, coolOffMs: 10_000, now: time.now });
    breaker.recordFailure("twilio");
    time.advance(1_000);
    breaker.recordFailure("vonage");
    expect(routeFor({ default: ["vonage", "twilio"] }, "US", breaker)).toEqual(["twilio"]);
    expect(routeFor({ default: ["vonage", "twilio"], US: ["vonage"] }, "US", breaker)).toEqual(["vonage"]);
  });

  it("refuses routes that name a provider it was not given", () => {
    expect(() => createRoutedSender({ routes: { default: ["ghost"] }, senders: {}, breaker: createCircuitBreaker({ failureThreshold: 1, coolOffMs: 1, now: Date.now }) })).toThrow(/ghost/);
  });
});
