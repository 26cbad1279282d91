// Deliverability memory in the number's object: provider answers and final receipts saying the
// number cannot receive are counted; UNDELIVERABLE_AFTER (3) within 30 days deny-lists the number
// with a reason, shown by the lists API; an approval or removing the entry starts the count over.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, fakeTwilioBehaviour, json, latestCode, messagesTo, timeTravel, uniqueNumber } from "../../helpers.ts";
import { PUBLIC_BASE_URL, twilioCallback, type Signed } from "../../sms/receipts/signers.ts";

const TEN_MINUTES = 10 * 60_000;

function deliver(signed: Signed): Promise<Response> {
  const url = signed.url.replace(PUBLIC_BASE_URL, "http://edge-verify.test");
  return exports.default.fetch(new Request(url, { method: signed.method, headers: signed.headers, body: signed.body }));
}

/** A start whose message the carrier then reports undelivered with `errorCode`. */
async function undelivered(to: string, errorCode: string): Promise<void> {
  const started = await call("POST", "/v1/verifications", { to });
  expect(started.status).toBe(201);
  const message = (await messagesTo(to)).at(-1) as unknown as { sid: string; statusCallback: string };
  expect((await deliver(await twilioCallback(message.statusCallback, { MessageSid: message.sid, MessageStatus: "undelivered", ErrorCode: errorCode }))).status).toBe(200);
  // Past the resend cooldown, so the next start is judged on the deny list alone.
  await timeTravel(to, TEN_MINUTES);
}

async function denyEntry(to: string): Promise<any> {
  const entries = (await json(await call("GET", "/v1/lists/deny?pageSize=1000"))).entries as any[];
  return entries.find((e) => e.phoneNumber === to);
}

describe("deliverability memory", () => {
  it("three undelivered receipts (30005: gone) deny-list the number as deactivated", async () => {
    const to = uniqueNumber();
    await undelivered(to, "30005");
    await undelivered(to, "30005");
    expect(await denyEntry(to)).toBeUndefined();
    await undelivered(to, "30003");
    const refused = await call("POST", "/v1/verifications", { to });
    expect(refused.status).toBe(403);
    expect((await json(refused)).message).toBe("to: this number is on the deny list (deactivated, from delivery reports)");
    expect(await messagesTo(to)).toHaveLength(3);
    // The lists API (and the console, which reads it) shows the entry with its reason; the index is told off the request path.
    await expect.poll(() => denyEntry(to)).toMatchObject({ list: "deny", reason: "deactivated" });
    expect((await denyEntry(to)).note).toContain("3 delivery failures within 30 days");
  });

  it("receipts about us, not the number (30007 carrier filtering), do not count", async () => {
    const to = uniqueNumber();
    for (let i = 0; i < 3; i++) await undelivered(to, "30007");
    expect((await call("POST", "/v1/verifications", { to })).status).toBe(201);
  });

  it("a provider's STOP answer (21610) counts as unsubscribed, and removing the entry starts over", async () => {
    const to = uniqueNumber();
    await fakeTwilioBehaviour(to, { status: 400, body: { code: 21610, message: "Attempt to send to unsubscribed recipient", status: 400 }, times: 3 });
    for (let i = 0; i < 3; i++) {
      const answer = await call("POST", "/v1/verifications", { to });
      expect(await json(answer)).toMatchObject({ status: "failed", failureReason: "unsubscribed" });
      await timeTravel(to, TEN_MINUTES);
    }
    const refused = await call("POST", "/v1/verifications", { to });
    expect(refused.status).toBe(403);
    expect((await json(refused)).message).toContain("(unsubscribed, from delivery reports)");
    await expect.poll(() => denyEntry(to)).toMatchObject({ reason: "unsubscribed" });
    // The operator takes it off the list: the number gets codes again and its count is forgotten.
    expect((await call("DELETE", `/v1/lists/deny/${encodeURIComponent(to)}`)).status).toBe(204);
    expect((await call("POST", "/v1/verifications", { to })).status).toBe(201);
    expect(await denyEntry(to)).toBeUndefined();
  });

  it("an approval proves the number receives: the count starts over", async () => {
    const to = uniqueNumber();
    await undelivered(to, "30003");
    await undelivered(to, "30003");
    const started = await json(await call("POST", "/v1/verifications", { to }));
    const checked = await json(await call("POST", "/v1/verifications/check", { verificationId: started.id, code: await latestCode(to) }));
    expect(checked.status).toBe("approved");
    await timeTravel(to, TEN_MINUTES);
    await undelivered(to, "30003");
    await undelivered(to, "30003");
    // Four failures in all, but never three since the approval.
    expect((await call("POST", "/v1/verifications", { to })).status).toBe(201);
    expect(await denyEntry(to)).toBeUndefined();
  });
});
