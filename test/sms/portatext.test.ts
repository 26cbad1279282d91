import { describe, expect, it } from "vitest";
import { createPortaTextSender } from "../../src/sms/portatext.ts";
import { CONTRACT_BODY, CONTRACT_TO, runSenderContract } from "./contract.ts";
import { json } from "./fakes/kit.ts";
import { fakePortaText, PORTATEXT } from "./fakes/portatext.ts";

runSenderContract({
  name: "portatext",
  create: (apiBase, fetchFn, timeoutMs) => createPortaTextSender({ ...PORTATEXT, apiBase, timeoutMs }, fetchFn),
  createWithWrongCredentials: (apiBase, fetchFn, timeoutMs) => createPortaTextSender({ ...PORTATEXT, apiKey: "wrong", apiBase, timeoutMs }, fetchFn),
  fake: fakePortaText,
  acceptsAny2xx: true,
});

describe("portatext quirks", () => {
  const base = "https://rest.portatext.test";

  it("sends digits without '+' and records its own client_ref as the message id", async () => {
    const fake = fakePortaText(base);
    const result = await createPortaTextSender({ ...PORTATEXT, apiBase: base }, fake.fetch).send({ to: CONTRACT_TO, body: CONTRACT_BODY });
    const sent = JSON.parse(fake.requests[0]!.text);
    expect(sent).toEqual({ from: "12223334444", to: "447700900123", text: CONTRACT_BODY, client_ref: result.messageId });
    expect(fake.requests[0]!.headers.get("x-api-key")).toBe(PORTATEXT.apiKey);
  });

  it("payment required (402) is unavailable, definite", async () => {
    const sender = createPortaTextSender({ ...PORTATEXT, apiBase: base }, async () => json(402, { success: false, error_description: ["payment_required"] }));
    await expect(sender.send({ to: CONTRACT_TO, body: "x" })).rejects.toMatchObject({ reason: "unavailable", definite: true });
  });
});
