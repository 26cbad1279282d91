// The one contract every LookupProvider runs against an in-process fake of its vendor's API (like
// test/sms/contract.ts for senders): request shape and auth as the fake decodes them, base URL with
// a path prefix, each vendor line type, MCC/MNC and porting, error mapping, deadlines, no vendor text.
import { describe, expect, it } from "vitest";
import type { LookupLineType } from "../../src/core/lookup.ts";
import { LookupError, type FetchFn, type LookupFailureReason, type LookupProvider } from "../../src/lookup/provider.ts";
import { LEAK_MARKER, type FakeLookupApi, type FakeNumber } from "./fakes/kit.ts";

export interface LookupContract {
  name: LookupProvider["name"];
  create(baseUrl: string, fetchFn: FetchFn, options: { timeoutMs: number; now: () => number }): LookupProvider;
  createWithWrongCredentials(baseUrl: string, fetchFn: FetchFn, options: { timeoutMs: number; now: () => number }): LookupProvider;
  fake(baseUrl: string): FakeLookupApi;
  /** Every documented vendor type string and what it normalises to. */
  lineTypes: ReadonlyArray<readonly [vendorType: string, expected: LookupLineType]>;
  /** The vendor's strings for a mobile and a landline. */
  mobile: string;
  landline: string;
  /** Whether the vendor reports porting at all (Twilio Line Type Intelligence does not). */
  reportsPorting: boolean;
  /** Secrets that must never show in an error message. */
  secrets: readonly string[];
}

export const LOOKUP_TO = "+14155550123";
const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);

const FAILURES: Array<[kind: "invalid_number" | "auth_failed" | "rate_limited" | "server_error", reasons: LookupFailureReason[], definite: boolean]> = [
  ["invalid_number", ["invalid_number", "not_found"], true],
  ["auth_failed", ["auth_failed"], true],
  ["rate_limited", ["rate_limited"], true],
  ["server_error", ["unavailable"], false],
];

async function failureOf(promise: Promise<unknown>): Promise<LookupError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LookupError);
  return error as LookupError;
}

export function runLookupContract(contract: LookupContract): void {
  describe(`${contract.name}: lookup contract`, () => {
    const base = `https://${contract.name}-lookup.fake.test`;
    const setup = (numbers: Record<string, FakeNumber> = {}, baseUrl = base, timeoutMs = 2_000) => {
      const fake = contract.fake(baseUrl);
      for (const [e164, n] of Object.entries(numbers)) fake.numbers.set(e164, n);
      return { fake, provider: contract.create(baseUrl, fake.fetch, { timeoutMs, now: () => NOW }) };
    };
    const expectClean = (error: LookupError) => {
      expect(error.provider).toBe(contract.name);
      expect(error.message).not.toContain(LEAK_MARKER);
      expect(error.message).not.toContain(LOOKUP_TO.slice(1));
      for (const secret of contract.secrets) expect(error.message).not.toContain(secret);
    };
    const mobile: FakeNumber = { type: contract.mobile, carrier: "Example Wireless", mcc: "310", mnc: "260", ported: true };

    it("makes one authenticated GET the vendor's API decodes and normalises its answer", async () => {
      const { fake, provider } = setup({ [LOOKUP_TO]: mobile });
      expect(provider.name).toBe(contract.name);
      const result = await provider.lookup(LOOKUP_TO);
      expect(fake.requests).toHaveLength(1);
      expect(fake.requests[0]!.method).toBe("GET");
      expect(fake.lookedUp).toEqual([LOOKUP_TO]);
      expect(result).toEqual({
        lineType: "mobile",
        carrier: "Example Wireless",
        mcc: "310",
        mnc: "260",
        ported: contract.reportsPorting ? true : null,
        source: contract.name,
        fetchedAt: NOW,
      });
    });

    it("respects the configured base URL, path prefix and trailing slash included", async () => {
      const { fake, provider } = setup({ [LOOKUP_TO]: mobile }, "https://gateway.internal.test/vendor-proxy/");
      await provider.lookup(LOOKUP_TO);
      const url = new URL(fake.requests[0]!.url);
      expect(url.origin).toBe("https://gateway.internal.test");
      expect(url.pathname.startsWith("/vendor-proxy/")).toBe(true);
      expect(url.pathname).not.toContain("//");
      expect(fake.lookedUp).toEqual([LOOKUP_TO]);
    });

    for (const [vendorType, expected] of contract.lineTypes) {
      it(`reads the vendor type "${vendorType}" as ${expected}`, async () => {
        const { provider } = setup({ [LOOKUP_TO]: { type: vendorType, carrier: "Some Carrier" } });
        const result = await provider.lookup(LOOKUP_TO);
        expect(result.lineType).toBe(expected);
        expect(result.carrier).toBe("Some Carrier");
      });
    }

    it("a type string the docs do not list reads as unknown, never as a guess", async () => {
      const { provider } = setup({ [LOOKUP_TO]: { type: "satellite-hologram" } });
      expect((await provider.lookup(LOOKUP_TO)).lineType).toBe("unknown");
    });

    it("keeps MCC/MNC only on a mobile answer with digit-shaped codes", async () => {
      const { provider: landline } = setup({ [LOOKUP_TO]: { type: contract.landline, carrier: "Example Telco", mcc: "310", mnc: "260" } });
      expect(await landline.lookup(LOOKUP_TO)).toMatchObject({ lineType: "landline", mcc: null, mnc: null });
      const { provider: garbage } = setup({ [LOOKUP_TO]: { type: contract.mobile, mcc: "US", mnc: "x1" } });
      expect(await garbage.lookup(LOOKUP_TO)).toMatchObject({ lineType: "mobile", mcc: null, mnc: null });
      // Telnyx documents "US" and an area code in these fields: half a network id is none.
      const { provider: half } = setup({ [LOOKUP_TO]: { type: contract.mobile, mcc: "US", mnc: "866" } });
      expect(await half.lookup(LOOKUP_TO)).toMatchObject({ mcc: null, mnc: null });
      const { provider: bare } = setup({ [LOOKUP_TO]: { type: contract.mobile } });
      expect(await bare.lookup(LOOKUP_TO)).toMatchObject({ carrier: null, mcc: null, mnc: null });
    });

    it("reports porting as the vendor gives it: true, false, or null when it does not say", async () => {
      const { provider: notPorted } = setup({ [LOOKUP_TO]: { ...mobile, ported: false } });
      expect((await notPorted.lookup(LOOKUP_TO)).ported).toBe(contract.reportsPorting ? false : null);
      const { provider: silent } = setup({ [LOOKUP_TO]: { type: contract.mobile } });
      expect((await silent.lookup(LOOKUP_TO)).ported).toBeNull();
    });

    it("a number the vendor does not know is invalid_number, definite, without vendor text", async () => {
      const { fake, provider } = setup();
      const error = await failureOf(provider.lookup(LOOKUP_TO));
      expect({ reason: error.reason, definite: error.definite }).toEqual({ reason: "invalid_number", definite: true });
      expect(fake.lookedUp).toEqual([]);
      expectClean(error);
    });

    it("wrong credentials: the fake rejects them as the vendor would, and that is auth_failed", async () => {
      const fake = contract.fake(base);
      fake.numbers.set(LOOKUP_TO, mobile);
      const provider = contract.createWithWrongCredentials(base, fake.fetch, { timeoutMs: 2_000, now: () => NOW });
      const error = await failureOf(provider.lookup(LOOKUP_TO));
      expect({ reason: error.reason, definite: error.definite }).toEqual({ reason: "auth_failed", definite: true });
      expect(fake.lookedUp).toEqual([]);
      expect(fake.errorTexts.at(-1)).toContain(LEAK_MARKER);
      expectClean(error);
    });

    for (const [kind, reasons, definite] of FAILURES) {
      it(`maps the vendor's ${kind} answer to ${reasons.join(" or ")} (definite: ${definite}) without leaking vendor text`, async () => {
        const { fake, provider } = setup({ [LOOKUP_TO]: mobile });
        fake.failNext(kind);
        const error = await failureOf(provider.lookup(LOOKUP_TO));
        expect(reasons).toContain(error.reason);
        expect(error.definite).toBe(definite);
        // The fake's error text carried the marker, so the leak check below could fail.
        expect(fake.errorTexts.at(-1)).toContain(LEAK_MARKER);
        expect(error.providerCode).not.toBe("");
        expectClean(error);
      });
    }

    for (const kind of ["hang", "stall"] as const) {
      it(`a vendor that ${kind === "hang" ? "never answers" : "stalls mid-body"} is unavailable, not definite, once the timeout passes`, async () => {
        const { fake, provider } = setup({ [LOOKUP_TO]: mobile }, base, 50);
        fake.failNext(kind);
        const started = Date.now();
        const error = await failureOf(provider.lookup(LOOKUP_TO));
        expect({ reason: error.reason, definite: error.definite }).toEqual({ reason: "unavailable", definite: false });
        expect(Date.now() - started).toBeLessThan(1_500);
        expectClean(error);
      });
    }

    it("the caller's signal ends a stalled lookup before the timeout", async () => {
      const { fake, provider } = setup({ [LOOKUP_TO]: mobile }, base, 10_000);
      fake.failNext("stall");
      const started = Date.now();
      const error = await failureOf(provider.lookup(LOOKUP_TO, { signal: AbortSignal.timeout(30) }));
      expect({ reason: error.reason, definite: error.definite }).toEqual({ reason: "unavailable", definite: false });
      expect(Date.now() - started).toBeLessThan(1_500);
    });

    it("an already-aborted signal makes no request", async () => {
      const { fake, provider } = setup({ [LOOKUP_TO]: mobile });
      const controller = new AbortController();
      controller.abort();
      const error = await failureOf(provider.lookup(LOOKUP_TO, { signal: controller.signal }));
      expect(error.reason).toBe("unavailable");
      expect(fake.requests).toHaveLength(0);
    });

    it("a dropped connection or an unreadable 2xx is unavailable, not definite", async () => {
      for (const kind of ["network", "garbled"] as const) {
        const { fake, provider } = setup({ [LOOKUP_TO]: mobile });
        fake.failNext(kind);
        const error = await failureOf(provider.lookup(LOOKUP_TO));
        expect({ kind, reason: error.reason, definite: error.definite }).toEqual({ kind, reason: "unavailable", definite: false });
        expectClean(error);
      }
    });
  });
}
