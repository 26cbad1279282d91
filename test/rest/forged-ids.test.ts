// Regression (issue 11, defect 1): a well-formed verification id whose Durable Object part this
// deployment never issued answered 500. It must answer exactly like an unknown id, everywhere an
// input is turned into an object id: REST get/check/cancel, Connect, delivery-receipt callbacks.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { toBase64Url } from "../../src/core/ids.ts";
import { VerificationService } from "../../src/gen/verify/v1/verification_pb.ts";
import { call, DEV_KEY, json, uniqueNumber } from "../helpers.ts";

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const idOf = (bytes: Uint8Array) => "ve_" + toBase64Url(bytes);

/** Ids of the right shape that no object of this deployment ever issued. */
function forgedIds(): Array<[string, string]> {
  const zeros = new Uint8Array(48);
  zeros.set(random(16), 32);
  const ones = new Uint8Array(48).fill(0xff);
  return [
    ["48 random bytes", idOf(random(48))],
    ["32 zero bytes + 16 random", idOf(zeros)],
    ["48 0xff bytes", idOf(ones)],
  ];
}

const workerFetch: typeof fetch = (input, init) => exports.default.fetch(new Request(input as RequestInfo, { ...init, redirect: "manual" }));
const rpc = createClient(VerificationService, createConnectTransport({ baseUrl: "http://edge-verify.test", fetch: workerFetch }));

describe("forged verification ids answer like unknown ones", async () => {
  // The reference answer: a real id with its random tail changed, which no verification has.
  const real = (await json(await call("POST", "/v1/verifications", { to: uniqueNumber() }))).id as string;
  const unknownId = real.slice(0, -4) + (real.endsWith("AAAA") ? "BBBB" : "AAAA");
  const unknownGet = await call("GET", `/v1/verifications/${unknownId}`);
  const unknownBody = (await unknownGet.json()) as { code: string; message: string };

  it("the reference unknown id is a 404 not_found", () => {
    expect(unknownGet.status).toBe(404);
    expect(unknownBody).toMatchObject({ code: "not_found" });
  });

  for (const [label, id] of forgedIds()) {
    it(`${label}: GET, check, cancel answer 404 not_found with the unknown id's body`, async () => {
      const got = await call("GET", `/v1/verifications/${id}`);
      expect(got.status).toBe(404);
      expect(await got.json()).toEqual(unknownBody);

      const checked = await call("POST", "/v1/verifications/check", { verificationId: id, code: "123456" });
      expect(checked.status).toBe(404);
      expect(await checked.json()).toEqual(unknownBody);

      const canceled = await call("POST", `/v1/verifications/${id}/cancel`);
      expect(canceled.status).toBe(404);
      expect(await canceled.json()).toEqual(unknownBody);
    });

    it(`${label}: Connect GetVerification, CheckVerification and CancelVerification answer NotFound`, async () => {
      const headers = { authorization: `Bearer ${DEV_KEY}` };
      for (const attempt of [
        () => rpc.getVerification({ verificationId: id }, { headers }),
        () => rpc.checkVerification({ verificationId: id, code: "123456" }, { headers }),
        () => rpc.cancelVerification({ verificationId: id }, { headers }),
      ]) {
        const error = await attempt().then(
          () => null,
          (e: unknown) => ConnectError.from(e),
        );
        expect(error?.code).toBe(Code.NotFound);
        expect(error?.rawMessage).toBe(unknownBody.message);
      }
    });

    it(`${label}: a delivery receipt naming it answers 404, like any unknown id`, async () => {
      // The webhook provider's receipts are signed with SMS_WEBHOOK_SECRET; an unsigned one is
      // refused before ids are looked at, so this goes through the Infobip route, which carries
      // the id in `v` and is checked by its per-verification token (wrong here: 401 or 404, never 5xx).
      const response = await exports.default.fetch(
        new Request(`http://edge-verify.test/v1/callbacks/infobip?v=${id}&t=x`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ results: [{ messageId: "m", status: { groupName: "DELIVERED" } }] }),
        }),
      );
      expect(response.status).toBeLessThan(500);
      expect([401, 404]).toContain(response.status);
    });
  }
});
