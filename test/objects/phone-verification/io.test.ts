// The number's object's two vendor conversations (io.ts), against the local fake Twilio API that
// global setup serves (test/fakes/fake-twilio.mjs): CarrierLookups (Lookup v2) and Sends (Messages).
// Providers are pointed at the fake through configuration, as the Worker builds them.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../../src/config.ts";
import type { LookupOutcome } from "../../../src/core/insights.ts";
import type { NormalisedLookup } from "../../../src/core/lookup.ts";
import { parseLookupConfig } from "../../../src/lookup/index.ts";
import type { DoDeliveryInput } from "../../../src/objects/phone-verification/inputs.ts";
import { CarrierLookups, Sends } from "../../../src/objects/phone-verification/io.ts";
import { NumberStore } from "../../../src/objects/phone-verification/storage.ts";
import { fakeTwilioBehaviour, messagesTo, uniqueNumber } from "../../helpers.ts";

const fake = (env as unknown as { FAKE_TWILIO_URL: string }).FAKE_TWILIO_URL;
const HOUR_MS = 3_600_000;

/** The Worker's configuration with carrier lookups on, through Twilio Lookup v2 on the fake. */
function lookupConfig(overrides: Record<string, string> = {}): Config {
  return { ...loadConfig(env), lookup: parseLookupConfig({ ...env, LOOKUP_PROVIDER: "twilio", ...overrides }) };
}

const lookupsAtFake = async (number: string) => ((await (await fetch(`${fake}/_lookups?number=${encodeURIComponent(number)}`)).json()) as { count: number }).count;
const answerLookup = (number: string, answer: Record<string, unknown>) => fetch(`${fake}/_lookup`, { method: "POST", body: JSON.stringify({ number, ...answer }) });

/** Runs `fn` with a NumberStore over a fresh number's object storage. */
function withStore<T>(fn: (store: NumberStore) => Promise<T>): Promise<T> {
  const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`io-test:${uniqueNumber()}`));
  return runInDurableObject(stub, (_instance, state) => fn(new NumberStore(state.storage)));
}

function noted() {
  const calls: [string, string, string, LookupOutcome][] = [];
  return { calls, note: (service: string, to: string, source: string, outcome: LookupOutcome) => void calls.push([service, to, source, outcome]) };
}

const cachedAnswer = (to: string, fetchedAt: number): NormalisedLookup => ({ lineType: "landline", carrier: "Cached Carrier", mcc: null, mnc: null, ported: null, source: "twilio", fetchedAt });

describe("CarrierLookups", () => {
  it("answers from the stored lookup while it is fresh, without asking the vendor", async () => {
    const to = uniqueNumber();
    await withStore(async (store) => {
      const now = Date.now();
      const stored = cachedAnswer(to, now - HOUR_MS);
      store.saveLookup(stored);
      const { calls, note } = noted();
      const lookups = new CarrierLookups(store, lookupConfig(), note);
      expect(await lookups.answer("svc", to, now)).toEqual({ ok: true, result: stored, cached: true });
      expect(calls).toEqual([["svc", to, "twilio", "cached"]]);
    });
    expect(await lookupsAtFake(to)).toBe(0);
  });

  it("asks the vendor once the stored answer is older than LOOKUP_CACHE_HOURS, and stores the new answer", async () => {
    const to = uniqueNumber();
    await withStore(async (store) => {
      const now = Date.now();
      store.saveLookup(cachedAnswer(to, now - 2 * HOUR_MS));
      const { calls, note } = noted();
      const lookups = new CarrierLookups(store, lookupConfig({ LOOKUP_CACHE_HOURS: "2" }), note);
      const attempt = await lookups.answer("svc", to, now);
      expect(attempt).toMatchObject({ ok: true, cached: false, result: { lineType: "mobile", carrier: "Fake Mobile", mcc: "310", mnc: "260", source: "twilio" } });
      expect(store.lookup()).toEqual(attempt.ok && attempt.result);
      expect(calls).toEqual([["svc", to, "twilio", "fetched"]]);
    });
    expect(await lookupsAtFake(to)).toBe(1);
  });

  it("concurrent callers share one vendor call, counted once", async () => {
    const to = uniqueNumber();
    await withStore(async (store) => {
      const { calls, note } = noted();
      const lookups = new CarrierLookups(store, lookupConfig(), note);
      const now = Date.now();
      const [a, b, c] = await Promise.all([lookups.answer("svc", to, now), lookups.answer("svc", to, now), lookups.answer("svc", to, now)]);
      expect(a).toMatchObject({ ok: true, cached: false });
      expect(b).toEqual(a);
      expect(c).toEqual(a);
      expect(calls).toEqual([["svc", to, "twilio", "fetched"]]);
      // Once the shared call is over, the next caller finds the stored answer.
      expect(await lookups.answer("svc", to, Date.now())).toMatchObject({ ok: true, cached: true });
    });
    expect(await lookupsAtFake(to)).toBe(1);
  });

  it("a failure is never stored: the old answer stays, and the next caller asks the vendor again", async () => {
    const to = uniqueNumber();
    await answerLookup(to, { status: 503, body: { code: 0, message: "Service Unavailable", status: 503 }, times: 1 });
    await withStore(async (store) => {
      const now = Date.now();
      const stale = cachedAnswer(to, now - 200 * HOUR_MS);
      store.saveLookup(stale);
      const { calls, note } = noted();
      const lookups = new CarrierLookups(store, lookupConfig(), note);
      expect(await lookups.answer("svc", to, now)).toEqual({ ok: false, reason: "unavailable" });
      expect(store.lookup()).toEqual(stale);
      expect(calls).toEqual([["svc", to, "twilio", "failed"]]);
      expect(await lookups.answer("svc", to, now)).toMatchObject({ ok: true, cached: false });
      expect(store.lookup()).toMatchObject({ carrier: "Fake Mobile" });
    });
    expect(await lookupsAtFake(to)).toBe(2);
  });

  it("a vendor's own reason comes back (rate limited)", async () => {
    const to = uniqueNumber();
    await answerLookup(to, { status: 429, times: 1 });
    await withStore(async (store) => {
      const lookups = new CarrierLookups(store, lookupConfig(), noted().note);
      expect(await lookups.answer("svc", to, Date.now())).toEqual({ ok: false, reason: "rate_limited" });
      expect(store.lookup()).toBeNull();
    });
  });

  it("with lookups off there is no answer but a fresh cached one, and nothing is noted", async () => {
    const to = uniqueNumber();
    await withStore(async (store) => {
      const { calls, note } = noted();
      const off = { ...loadConfig(env), lookup: parseLookupConfig({ ...env, LOOKUP_PROVIDER: "off" }) };
      expect(await new CarrierLookups(store, off, note).answer("svc", to, Date.now())).toEqual({ ok: false, reason: "unavailable" });
      expect(calls).toEqual([]);
      const stored = cachedAnswer(to, Date.now());
      store.saveLookup(stored);
      expect(await new CarrierLookups(store, off, note).answer("svc", to, Date.now())).toEqual({ ok: true, result: stored, cached: true });
    });
    expect(await lookupsAtFake(to)).toBe(0);
  });
});

const receipt = (verificationId: string, n: number): DoDeliveryInput => ({ verificationId, providers: ["twilio"], messageId: `SM${n}`, status: "delivered", errorCode: "", at: 1_000 + n });

describe("Sends", () => {
  const config = loadConfig(env);

  it("sends the body through the configured provider, with this verification's receipt URL", async () => {
    const to = uniqueNumber();
    const sends = new Sends(config, undefined);
    const sent = await sends.send({ id: "ve_io_1", to, channel: "sms", body: "482913 is your code" });
    expect(sent).toEqual({ result: { ok: true, messageId: expect.stringMatching(/^SM/), provider: "twilio" }, early: [], attempts: 0 });
    const [message] = await messagesTo(to);
    expect(message).toMatchObject({ body: "482913 is your code", channel: "sms" });
    expect(new URL((message as unknown as { statusCallback: string }).statusCallback).searchParams.get("v")).toBe("ve_io_1");
  });

  it("holds a receipt only while its message's send is in flight, and hands it back with the result", async () => {
    const to = uniqueNumber();
    const sends = new Sends(config, undefined);
    expect(sends.holdEarly(receipt("ve_io_2", 1))).toBe(false);
    await fakeTwilioBehaviour(to, { delayMs: 300, times: 1 });
    const sending = sends.send({ id: "ve_io_2", to, channel: "sms", body: "1 is your code" });
    expect(sends.holdEarly(receipt("ve_io_2", 1))).toBe(true);
    expect(sends.holdEarly(receipt("ve_io_2", 2))).toBe(true);
    // Another message's receipt is not this send's.
    expect(sends.holdEarly(receipt("ve_io_other", 3))).toBe(false);
    const sent = await sending;
    expect(sent.result.ok).toBe(true);
    expect(sent.early).toEqual([receipt("ve_io_2", 1), receipt("ve_io_2", 2)]);
    // The window closed with the send.
    expect(sends.holdEarly(receipt("ve_io_2", 4))).toBe(false);
  });

  it("holds at most 20 receipts per message", async () => {
    const to = uniqueNumber();
    const sends = new Sends(config, undefined);
    await fakeTwilioBehaviour(to, { delayMs: 300, times: 1 });
    const sending = sends.send({ id: "ve_io_3", to, channel: "sms", body: "1 is your code" });
    const held = Array.from({ length: 25 }, (_v, n) => sends.holdEarly(receipt("ve_io_3", n)));
    expect(held.filter(Boolean)).toHaveLength(20);
    expect(held.slice(20)).toEqual([false, false, false, false, false]);
    expect((await sending).early).toHaveLength(20);
  });

  it("a failed send returns the failure with its attempts, and no early receipts", async () => {
    const to = uniqueNumber();
    const sends = new Sends(config, undefined);
    await fakeTwilioBehaviour(to, { status: 400, body: { code: 21211, message: "Invalid 'To' Phone Number", status: 400 }, delayMs: 100, times: 1 });
    const sending = sends.send({ id: "ve_io_4", to, channel: "sms", body: "1 is your code" });
    expect(sends.holdEarly(receipt("ve_io_4", 1))).toBe(true);
    expect(await sending).toEqual({ result: { ok: false, reason: "invalid_number", provider: "twilio", providerCode: "21211", definite: true }, early: [], attempts: 1 });
    expect(await messagesTo(to)).toEqual([]);
  });

  it("a plain 500 on every attempt is a failure that is not definite (the message may have gone out)", async () => {
    const to = uniqueNumber();
    const sends = new Sends(config, undefined);
    await fakeTwilioBehaviour(to, { status: 500, times: config.delivery.attemptsPerProvider });
    const sent = await sends.send({ id: "ve_io_5", to, channel: "sms", body: "1 is your code" });
    expect(sent).toMatchObject({ result: { ok: false, reason: "unavailable", provider: "twilio", definite: false }, attempts: config.delivery.attemptsPerProvider });
  });

  it("two sends of one message in flight share its window: it closes when the last one returns", async () => {
    const slow = uniqueNumber();
    const quick = uniqueNumber();
    const sends = new Sends(config, undefined);
    await fakeTwilioBehaviour(slow, { delayMs: 400, times: 1 });
    const first = sends.send({ id: "ve_io_6", to: slow, channel: "sms", body: "1 is your code" });
    await sends.send({ id: "ve_io_6", to: quick, channel: "sms", body: "2 is your code" });
    expect(sends.holdEarly(receipt("ve_io_6", 1))).toBe(true);
    expect((await first).early).toEqual([receipt("ve_io_6", 1)]);
    expect(sends.holdEarly(receipt("ve_io_6", 2))).toBe(false);
  });
});
