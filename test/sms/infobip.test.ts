import { describe, expect, it } from "vitest";
import { createInfobipSender } from "../../src/sms/infobip.ts";
import { CONTRACT_BODY, CONTRACT_TO, runSenderContract } from "./contract.ts";
import { fakeInfobip, INFOBIP, infobipRejection } from "./fakes/infobip.ts";

runSenderContract({
  name: "infobip",
  create: (apiBase, fetchFn, timeoutMs) => createInfobipSender({ ...INFOBIP, apiBase, timeoutMs }, fetchFn),
  createWithWrongCredentials: (apiBase, fetchFn, timeoutMs) => createInfobipSender({ ...INFOBIP, apiKey: "wrong", apiBase, timeoutMs }, fetchFn),
  fake: fakeInfobip,
});

describe("infobip quirks", () => {
  const base = "https://xyz123.api.infobip.test";

  it("posts one message with one destination (digits, no '+') and App auth", async () => {
    const fake = fakeInfobip(base);
    await createInfobipSender({ ...INFOBIP, apiBase: base }, fake.fetch).send({ to: CONTRACT_TO, body: CONTRACT_BODY });
    expect(fake.requests[0]!.headers.get("authorization")).toBe(`App ${INFOBIP.apiKey}`);
    expect(JSON.parse(fake.requests[0]!.text)).toEqual({ messages: [{ from: INFOBIP.from, destinations: [{ to: "447700900123" }], text: CONTRACT_BODY }] });
  });

  it("a REJECTED status in an HTTP 200 is a definite refusal; no credit is unavailable, not the number's fault", async () => {
    const sender = createInfobipSender({ ...INFOBIP, apiBase: base }, async () => infobipRejection("447700900123", 12, "REJECTED_NOT_ENOUGH_CREDITS"));
    await expect(sender.send({ to: CONTRACT_TO, body: "x" })).rejects.toMatchObject({ reason: "unavailable", definite: true, providerCode: "REJECTED_NOT_ENOUGH_CREDITS" });
  });
});
