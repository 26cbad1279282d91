import { describe, expect, it } from "vitest";
import { createMessageBirdSender } from "../../src/sms/messagebird.ts";
import { CONTRACT_BODY, CONTRACT_TO, runSenderContract } from "./contract.ts";
import { json } from "./fakes/kit.ts";
import { fakeMessageBird, MESSAGEBIRD } from "./fakes/messagebird.ts";

runSenderContract({
  name: "messagebird",
  create: (apiBase, fetchFn, timeoutMs) => createMessageBirdSender({ ...MESSAGEBIRD, apiBase, timeoutMs }, fetchFn),
  createWithWrongCredentials: (apiBase, fetchFn, timeoutMs) => createMessageBirdSender({ ...MESSAGEBIRD, accessKey: "wrong", apiBase, timeoutMs }, fetchFn),
  fake: fakeMessageBird,
});

describe("messagebird quirks", () => {
  const base = "https://rest.messagebird.test";

  it("posts {originator, recipients, body} with the recipient as an MSISDN number", async () => {
    const fake = fakeMessageBird(base);
    await createMessageBirdSender({ ...MESSAGEBIRD, apiBase: base }, fake.fetch).send({ to: CONTRACT_TO, body: CONTRACT_BODY });
    expect(fake.requests[0]!.headers.get("authorization")).toBe(`AccessKey ${MESSAGEBIRD.accessKey}`);
    expect(JSON.parse(fake.requests[0]!.text)).toEqual({ originator: MESSAGEBIRD.from, recipients: [447700900123], body: CONTRACT_BODY, datacoding: "plain" });
  });

  it("sends a body outside GSM 03.38 as datacoding unicode: the default, plain, would mangle it", async () => {
    const fake = fakeMessageBird(base);
    const body = "482913 — ваш код подтверждения Acme";
    await createMessageBirdSender({ ...MESSAGEBIRD, apiBase: base }, fake.fetch).send({ to: CONTRACT_TO, body });
    expect(JSON.parse(fake.requests[0]!.text)).toMatchObject({ body, datacoding: "unicode" });
    expect(fake.sent[0]!.body).toBe(body);
  });

  it("keeps a GSM 03.38 body plain, accents and the extension table included: 160 characters a part, not 70", async () => {
    const fake = fakeMessageBird(base);
    const body = "482913 est votre code Société [Acme] €";
    await createMessageBirdSender({ ...MESSAGEBIRD, apiBase: base }, fake.fetch).send({ to: CONTRACT_TO, body });
    expect(JSON.parse(fake.requests[0]!.text)).toMatchObject({ body, datacoding: "plain" });
    expect(fake.sent[0]!.body).toBe(body);
  });

  it("not enough balance (code 25) is unavailable, definite: another provider may have credit", async () => {
    const sender = createMessageBirdSender({ ...MESSAGEBIRD, apiBase: base }, async () => json(422, { errors: [{ code: 25, description: "Not enough balance", parameter: null }] }));
    await expect(sender.send({ to: CONTRACT_TO, body: "x" })).rejects.toMatchObject({ reason: "unavailable", definite: true, providerCode: "25" });
  });
});
