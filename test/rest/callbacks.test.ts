// Delivery receipts end to end: the send asks Twilio to call back, vendors' signed callbacks update
// the verification (seen over REST and Connect), and forged, stale-message or unknown ones do not.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { cryptoRandom } from "../../src/core/codes.ts";
import { newVerificationId } from "../../src/core/ids.ts";
import { DeliveryStatus, VerificationService } from "../../src/gen/verify/v1/verification_pb.ts";
import { callbackUrlsFor } from "../../src/sms/receipts/index.ts";
import { call, DEV_KEY, fakeTwilioBehaviour, json, messagesTo, timeTravel, uniqueNumber, settled } from "../helpers.ts";
import { caseTitle, PUBLIC_BASE_URL, twilioCallback, VENDOR_CASES, type Signed } from "../sms/receipts/signers.ts";

/** Posts a callback as the vendor would: to our public URL (reached here under another host), no API key. */
function deliver(signed: Signed): Promise<Response> {
  const url = signed.url.replace(PUBLIC_BASE_URL, "http://edge-verify.test");
  return exports.default.fetch(new Request(url, { method: signed.method, headers: signed.headers, body: signed.method === "GET" ? undefined : signed.body }));
}

const rpc = createClient(
  VerificationService,
  createConnectTransport({ baseUrl: "http://edge-verify.test", fetch: (input, init) => exports.default.fetch(new Request(input as RequestInfo, { ...init, redirect: "manual" })) }),
);
const headers = { authorization: `Bearer ${DEV_KEY}` };

async function started(): Promise<{ to: string; id: string; sid: string; statusCallback: string }> {
  const to = uniqueNumber();
  const v = await json(await call("POST", "/v1/verifications", { to }));
  const message = (await messagesTo(to)).at(-1) as unknown as { sid: string; statusCallback: string };
  return { to, id: v.id, sid: message.sid, statusCallback: message.statusCallback };
}

const deliveryOf = async (id: string) => (await json(await call("GET", `/v1/verifications/${id}`))).delivery;

describe("POST /v1/callbacks/twilio", () => {
  it("the send asks Twilio to call back at PUBLIC_BASE_URL with the verification id", async () => {
    const { id, sid, statusCallback } = await started();
    expect(statusCallback).toBe(`${PUBLIC_BASE_URL}/v1/callbacks/twilio?v=${id}`);
    expect(sid).toMatch(/^SM/);
  });

  it("signed receipts move the delivery forward, shown over REST and Connect; a late 'sent' does not undo 'delivered'", async () => {
    const { id, sid, statusCallback } = await started();
    expect(await deliveryOf(id)).toBeNull();

    const sent = await deliver(await twilioCallback(statusCallback, { MessageSid: sid, MessageStatus: "sent" }));
    expect(sent.status).toBe(200);
    expect(await deliveryOf(id)).toMatchObject({ status: "sent", errorCode: "" });

    expect((await deliver(await twilioCallback(statusCallback, { MessageSid: sid, MessageStatus: "delivered", ErrorCode: "" }))).status).toBe(200);
    const late = await deliver(await twilioCallback(statusCallback, { MessageSid: sid, MessageStatus: "sent" }));
    expect(await json(late)).toEqual({ results: [{ outcome: "ignored", reason: "already_final" }] });

    const rest = await deliveryOf(id);
    expect(rest).toMatchObject({ status: "delivered", errorCode: "" });
    expect(Date.parse(rest.updateTime)).toBeGreaterThan(Date.now() - 60_000);
    const { verification } = await rpc.getVerification({ verificationId: id }, { headers });
    expect(verification!.delivery).toMatchObject({ status: DeliveryStatus.DELIVERED, errorCode: "" });
  });

  it("records the vendor's error code on a failure", async () => {
    const { id, sid, statusCallback } = await started();
    await deliver(await twilioCallback(statusCallback, { MessageSid: sid, MessageStatus: "undelivered", ErrorCode: "30003" }));
    expect(await deliveryOf(id)).toMatchObject({ status: "undelivered", errorCode: "30003" });
    const { verification } = await rpc.getVerification({ verificationId: id }, { headers });
    expect(verification!.delivery).toMatchObject({ status: DeliveryStatus.UNDELIVERED, errorCode: "30003" });
  });

  it("a forged, unsigned or tampered callback answers 401 and changes nothing", async () => {
    const { id, sid, statusCallback } = await started();
    const forged = await twilioCallback(statusCallback, { MessageSid: sid, MessageStatus: "delivered" }, "someone-elses-token");
    const unsigned = await twilioCallback(statusCallback, { MessageSid: sid, MessageStatus: "delivered" });
    unsigned.headers.delete("x-twilio-signature");
    const tampered = await twilioCallback(statusCallback, { MessageSid: sid, MessageStatus: "failed" });
    tampered.body = tampered.body.replace("failed", "delivered");
    for (const request of [forged, unsigned, tampered]) {
      const response = await deliver(request);
      expect(response.status).toBe(401);
      expect(await json(response)).toMatchObject({ code: "unauthenticated" });
    }
    expect(await deliveryOf(id)).toBeNull();
  });

  it("needs no API key, and an API key does not stand in for a signature", async () => {
    const { id, sid, statusCallback } = await started();
    const withKey = await twilioCallback(statusCallback, { MessageSid: sid, MessageStatus: "sent" });
    withKey.headers.delete("x-twilio-signature");
    withKey.headers.set("authorization", `Bearer ${DEV_KEY}`);
    expect((await deliver(withKey)).status).toBe(401);
    const signed = await twilioCallback(statusCallback, { MessageSid: sid, MessageStatus: "sent" });
    expect(signed.headers.has("authorization")).toBe(false);
    expect((await deliver(signed)).status).toBe(200);
    expect(await deliveryOf(id)).toMatchObject({ status: "sent" });
  });

  it("a receipt for an older message is ignored after a resend; the new message's counts", async () => {
    const { to, id, sid: oldSid, statusCallback } = await started();
    await timeTravel(to, 31_000); // past the first resend cooldown
    await call("POST", "/v1/verifications", { to });
    const newSid = ((await messagesTo(to)).at(-1) as unknown as { sid: string }).sid;
    expect(newSid).not.toBe(oldSid);
    const stale = await deliver(await twilioCallback(statusCallback, { MessageSid: oldSid, MessageStatus: "delivered" }));
    expect(await json(stale)).toEqual({ results: [{ outcome: "ignored", reason: "other_message" }] });
    expect(await deliveryOf(id)).toBeNull();
    await deliver(await twilioCallback(statusCallback, { MessageSid: newSid, MessageStatus: "sent" }));
    expect(await deliveryOf(id)).toMatchObject({ status: "sent" });
  });

  it("a receipt that arrives before the send call returns is kept and applied once the message id is known", async () => {
    const to = uniqueNumber();
    const sid = `SM${crypto.randomUUID().replaceAll("-", "")}`;
    await fakeTwilioBehaviour(to, { delayMs: 800, times: 1, sid });
    const start = call("POST", "/v1/verifications", { to });
    const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`default:${to}`));
    let id = "";
    for (let i = 0; i < 50 && !id; i++) {
      await new Promise((r) => setTimeout(r, 20));
      id = await runInDurableObject(stub, (_instance, state) => [...state.storage.kv.list({ prefix: "v:" })][0]?.[0].slice(2) ?? "");
    }
    expect(id).not.toBe("");
    const early = await deliver(await twilioCallback(`${PUBLIC_BASE_URL}/v1/callbacks/twilio?v=${id}`, { MessageSid: sid, MessageStatus: "failed", ErrorCode: "30007" }));
    expect(await json(early)).toEqual({ results: [{ outcome: "ignored", reason: "send_in_flight" }] });
    expect((await start).status).toBe(201);
    expect(await deliveryOf(id)).toMatchObject({ status: "failed", errorCode: "30007" });
  });

  it("a send whose answers were lost (5xx) but whose receipt came meanwhile counts as sent, under the receipt's id", async () => {
    const to = uniqueNumber();
    const sid = `SM${crypto.randomUUID().replaceAll("-", "")}`;
    // Every try answers 500 after a while: an unknown outcome (the message may have gone out).
    await fakeTwilioBehaviour(to, { status: 500, body: { code: 20500, message: "Internal Server Error" }, delayMs: 400, times: 20 });
    const start = call("POST", "/v1/verifications", { to });
    const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`default:${to}`));
    let id = "";
    for (let i = 0; i < 50 && !id; i++) {
      await new Promise((r) => setTimeout(r, 20));
      id = await runInDurableObject(stub, (_instance, state) => [...state.storage.kv.list({ prefix: "v:" })][0]?.[0].slice(2) ?? "");
    }
    expect(id).not.toBe("");
    // Twilio's own signed receipt says the message went out and arrived.
    const early = await deliver(await twilioCallback(`${PUBLIC_BASE_URL}/v1/callbacks/twilio?v=${id}`, { MessageSid: sid, MessageStatus: "delivered" }));
    expect(await json(early)).toEqual({ results: [{ outcome: "ignored", reason: "send_in_flight" }] });
    const answer = await start;
    expect(answer.status).toBe(201);
    expect(await json(answer)).toMatchObject({ id, status: "pending", messageId: sid, failureReason: "" });
    expect(await deliveryOf(id)).toMatchObject({ status: "delivered" });
  });

  it("a signed receipt for an unknown verification answers 404", async () => {
    const namespace = env.PHONE_VERIFICATION;
    const { id: known } = await started();
    const sameObject = known.slice(0, -4) + (known.endsWith("AAAA") ? "BBBB" : "AAAA");
    const otherObject = newVerificationId(namespace.newUniqueId().toString(), cryptoRandom);
    for (const id of [sameObject, otherObject, "ve_nope"]) {
      const url = `${PUBLIC_BASE_URL}/v1/callbacks/twilio?v=${id}`;
      const response = await deliver(await twilioCallback(url, { MessageSid: "SM0", MessageStatus: "delivered" }));
      expect(response.status).toBe(404);
      expect(await json(response)).toMatchObject({ code: "not_found" });
    }
  });

  it("an unknown provider answers 404; a signed body that is not a receipt answers 400", async () => {
    expect((await deliver({ method: "POST", url: `${PUBLIC_BASE_URL}/v1/callbacks/carrier-pigeon`, headers: new Headers(), body: "" })).status).toBe(404);
    const { statusCallback } = await started();
    expect((await deliver(await twilioCallback(statusCallback, { Foo: "bar" }))).status).toBe(400);
  });

  it("without PUBLIC_BASE_URL no receipts are requested", async () => {
    const config = loadConfig(env);
    expect(Object.keys(await callbackUrlsFor(config, "ve_x")).sort()).toEqual(["infobip", "plivo", "sinch", "telnyx", "twilio", "vonage", "webhook"]);
    expect(await callbackUrlsFor({ ...config, publicBaseUrl: null }, "ve_x")).toEqual({});
  });
});

// The other vendors: a verification is sent through Twilio, then its record is pointed at the
// vendor's message (as a send through that vendor would leave it), and the vendor's receipt arrives.
describe.each(VENDOR_CASES.filter((c) => c.provider !== "twilio").map((c) => ({ ...c, title: caseTitle(c) })))("POST /v1/callbacks/$title", (vendorCase) => {
  async function sentThrough(): Promise<{ id: string; messageId: string; url: string }> {
    const to = uniqueNumber();
    const { id } = await json(await call("POST", "/v1/verifications", { to }));
    const messageId = `${vendorCase.provider}-${crypto.randomUUID()}`;
    const stub = env.PHONE_VERIFICATION.get(env.PHONE_VERIFICATION.idFromName(`default:${to}`));
    // The send's outcome is written right after the start answers (it rides on the insights
    // report); rewrite the record once it is there, or the object's write would replace ours.
    await settled(to);
    await runInDurableObject(stub, (_instance, state) => {
      const record = state.storage.kv.get<object>(`v:${id}`)!;
      state.storage.kv.put(`v:${id}`, { ...record, provider: vendorCase.provider, messageId });
    });
    const url = (await callbackUrlsFor(loadConfig(env), id))[vendorCase.provider]!;
    return { id, messageId, url };
  }
  const finalStatus = Object.entries(vendorCase.statuses).find(([, ours]) => ours === "undelivered")![0];

  it("a signed receipt updates the delivery (REST and Connect)", async () => {
    const { id, messageId, url } = await sentThrough();
    const response = await deliver(await vendorCase.sign(url, messageId, finalStatus, { errorCode: "4242", verificationId: id }));
    expect(response.status).toBe(200);
    expect(await deliveryOf(id)).toMatchObject({ status: "undelivered", errorCode: "4242" });
    const { verification } = await rpc.getVerification({ verificationId: id }, { headers });
    expect(verification!.delivery?.status).toBe(DeliveryStatus.UNDELIVERED);
  });

  it("a forged receipt answers 401 and changes nothing", async () => {
    const { id, messageId, url } = await sentThrough();
    expect((await deliver(await vendorCase.forge(url, messageId, finalStatus))).status).toBe(401);
    expect(await deliveryOf(id)).toBeNull();
  });

  it("a receipt for another message of the verification is ignored", async () => {
    const { id, url } = await sentThrough();
    const response = await deliver(await vendorCase.sign(url, "some-older-message", finalStatus, { verificationId: id }));
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ results: [{ outcome: "ignored", reason: "other_message" }] });
    expect(await deliveryOf(id)).toBeNull();
  });
});

describe("receipts from a provider that did not send the message", () => {
  it("are ignored: one vendor's secret does not vouch for another's messages", async () => {
    const { id, sid } = await started();
    const webhook = VENDOR_CASES.find((c) => c.provider === "webhook")!;
    const url = (await callbackUrlsFor(loadConfig(env), id)).webhook!;
    const response = await deliver(await webhook.sign(url, sid, "delivered"));
    expect(await json(response)).toEqual({ results: [{ outcome: "ignored", reason: "other_provider" }] });
    expect(await deliveryOf(id)).toBeNull();
  });
});
