import { describe, expect, it } from "vitest";
import { createSinchSender } from "../../src/sms/sinch.ts";
import { CONTRACT_BODY, CONTRACT_TO, runSenderContract } from "./contract.ts";
import { json } from "./fakes/kit.ts";
import { fakeSinch, SINCH } from "./fakes/sinch.ts";

runSenderContract({
  name: "sinch",
  create: (apiBase, fetchFn, timeoutMs) => createSinchSender({ ...SINCH, apiBase, timeoutMs }, fetchFn),
  createWithWrongCredentials: (apiBase, fetchFn, timeoutMs) => createSinchSender({ ...SINCH, apiToken: "wrong", apiBase, timeoutMs }, fetchFn),
  fake: fakeSinch,
});

describe("sinch quirks", () => {
  it("without an explicit base URL, uses the region's host", async () => {
    const fake = fakeSinch("https://eu.sms.api.sinch.com");
    const result = await createSinchSender({ ...SINCH, region: "eu" }, fake.fetch).send({ to: CONTRACT_TO, body: CONTRACT_BODY });
    expect(fake.requests[0]!.url).toBe(`https://eu.sms.api.sinch.com/xms/v1/${SINCH.servicePlanId}/batches`);
    expect(JSON.parse(fake.requests[0]!.text)).toEqual({ from: SINCH.from, to: [CONTRACT_TO], body: CONTRACT_BODY });
    expect(fake.sent[0]!.messageId).toBe(result.messageId);
  });

  it("other 400 syntax codes are our request's fault, not the number's", async () => {
    const sender = createSinchSender({ ...SINCH, apiBase: "https://x.test" }, async () => json(400, { code: "syntax_constraint_violation", text: "from missing" }));
    await expect(sender.send({ to: CONTRACT_TO, body: "x" })).rejects.toMatchObject({ reason: "unavailable", definite: true });
  });
});
