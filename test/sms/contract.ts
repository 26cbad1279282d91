// The one contract every SmsSender runs (hono-style `runTest({ newRouter })`): request shape as the
// vendor's fake decodes it, success parsing, the error mapping, timeouts, network errors, base URL.
// Vendor quirks beyond this live in each provider's own test file.
import { describe, expect, it } from "vitest";
import { SmsSendError, type FetchFn, type SmsFailureReason, type SmsSender } from "../../src/sms/sender.ts";
import { LEAK_MARKER, type FakeApi, type VendorFailure } from "./fakes/kit.ts";

export interface SenderContract {
  /** The sender's `name`, also expected as `provider` on results and errors. */
  name: string;
  /** Builds the sender under test with the fake's credentials, pointed at `baseUrl`. */
  create(baseUrl: string, fetchFn: FetchFn, timeoutMs: number): SmsSender;
  /** The same sender with wrong credentials: the fake must notice, as the vendor would. */
  createWithWrongCredentials(baseUrl: string, fetchFn: FetchFn, timeoutMs: number): SmsSender;
  fake(baseUrl: string): FakeApi;
  /**
   * True for vendors whose docs make any 2xx an acceptance (no id to read in the body): a garbled
   * 2xx is then a success, not an unknown outcome.
   */
  acceptsAny2xx?: boolean;
}

export const CONTRACT_TO = "+447700900123";
export const CONTRACT_BODY = "482913 is your Acme verification code. It expires in 10 minutes.";

const FAILURES: Array<[VendorFailure, SmsFailureReason, boolean]> = [
  ["invalid_number", "invalid_number", true],
  ["auth_failed", "auth_failed", true],
  ["rate_limited", "rate_limited", true],
  ["server_error", "unavailable", false],
];

async function failureOf(promise: Promise<unknown>): Promise<SmsSendError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SmsSendError);
  return error as SmsSendError;
}

export function runSenderContract(contract: SenderContract): void {
  describe(`${contract.name}: sender contract`, () => {
    const base = `https://${contract.name}.fake.test`;
    const setup = (baseUrl = base, timeoutMs = 2_000) => {
      const fake = contract.fake(baseUrl);
      return { fake, sender: contract.create(baseUrl, fake.fetch, timeoutMs) };
    };
    const expectClean = (error: SmsSendError, fake: FakeApi) => {
      expect(error.provider).toBe(contract.name);
      expect(error.message).not.toContain(LEAK_MARKER);
      expect(error.message).not.toContain("482913");
      expect(error.message).not.toContain(CONTRACT_TO.slice(1));
      return fake;
    };

    it("sends one POST the vendor's API decodes (path, auth, encoding, field names) and returns its message id", async () => {
      const { fake, sender } = setup();
      expect(sender.name).toBe(contract.name);
      const result = await sender.send({ to: CONTRACT_TO, body: CONTRACT_BODY });
      expect(fake.requests).toHaveLength(1);
      expect(fake.requests[0]!.method).toBe("POST");
      expect(fake.sent).toEqual([{ to: CONTRACT_TO, body: CONTRACT_BODY, messageId: result.messageId }]);
      expect(result).toEqual({ messageId: expect.any(String), provider: contract.name });
      expect(result.messageId.length).toBeGreaterThan(0);
    });

    it("respects the configured base URL, path prefix and trailing slash included", async () => {
      const prefixed = "https://gateway.internal.test/vendor-proxy/";
      const { fake, sender } = setup(prefixed);
      await sender.send({ to: CONTRACT_TO, body: CONTRACT_BODY });
      const url = new URL(fake.requests[0]!.url);
      expect(url.origin).toBe("https://gateway.internal.test");
      expect(url.pathname.startsWith("/vendor-proxy/")).toBe(true);
      expect(url.pathname).not.toContain("//");
      expect(fake.sent).toHaveLength(1);
    });

    it("wrong credentials: the fake rejects them as the vendor would, and that is auth_failed", async () => {
      const fake = contract.fake(base);
      const sender = contract.createWithWrongCredentials(base, fake.fetch, 2_000);
      const error = await failureOf(sender.send({ to: CONTRACT_TO, body: CONTRACT_BODY }));
      expect({ reason: error.reason, definite: error.definite }).toEqual({ reason: "auth_failed", definite: true });
      expect(fake.sent).toHaveLength(0);
      expectClean(error, fake);
    });

    for (const [kind, reason, definite] of FAILURES) {
      it(`maps the vendor's ${kind} answer to ${reason} (definite: ${definite}) without leaking vendor text`, async () => {
        const { fake, sender } = setup();
        fake.failNext(kind);
        const error = await failureOf(sender.send({ to: CONTRACT_TO, body: CONTRACT_BODY }));
        expect({ reason: error.reason, definite: error.definite }).toEqual({ reason, definite });
        expect(fake.sent).toHaveLength(0);
        // The fake's error text carried the marker, so the leak check below could fail.
        expect(fake.errorTexts.at(-1)).toContain(LEAK_MARKER);
        expectClean(error, fake);
      });
    }

    it("a provider that never answers is unavailable, not definite, once the timeout passes", async () => {
      const { fake, sender } = setup(base, 50);
      fake.failNext("hang");
      const started = Date.now();
      const error = await failureOf(sender.send({ to: CONTRACT_TO, body: CONTRACT_BODY }));
      expect({ reason: error.reason, definite: error.definite }).toEqual({ reason: "unavailable", definite: false });
      expect(Date.now() - started).toBeLessThan(1_500);
      expectClean(error, fake);
    });

    it("a provider that sends headers and then stalls the body is unavailable, not definite, within the timeout", async () => {
      const { fake, sender } = setup(base, 50);
      fake.failNext("stall");
      const started = Date.now();
      const error = await failureOf(sender.send({ to: CONTRACT_TO, body: CONTRACT_BODY }));
      expect({ reason: error.reason, definite: error.definite }).toEqual({ reason: "unavailable", definite: false });
      expect(Date.now() - started).toBeLessThan(1_500);
      expectClean(error, fake);
    });

    it("a dropped connection is unavailable, not definite", async () => {
      const { fake, sender } = setup();
      fake.failNext("network");
      const error = await failureOf(sender.send({ to: CONTRACT_TO, body: CONTRACT_BODY }));
      expect({ reason: error.reason, definite: error.definite }).toEqual({ reason: "unavailable", definite: false });
      expectClean(error, fake);
    });

    if (contract.acceptsAny2xx) {
      it("treats any 2xx as accepted (the vendor's docs put no id in the body)", async () => {
        const { fake, sender } = setup();
        fake.failNext("garbled");
        const result = await sender.send({ to: CONTRACT_TO, body: CONTRACT_BODY });
        expect(result.provider).toBe(contract.name);
        expect(result.messageId.length).toBeGreaterThan(0);
      });
    } else {
      it("a 2xx it cannot read is an unknown outcome: unavailable, not definite", async () => {
        const { fake, sender } = setup();
        fake.failNext("garbled");
        const error = await failureOf(sender.send({ to: CONTRACT_TO, body: CONTRACT_BODY }));
        expect({ reason: error.reason, definite: error.definite }).toEqual({ reason: "unavailable", definite: false });
        expectClean(error, fake);
      });
    }
  });
}
