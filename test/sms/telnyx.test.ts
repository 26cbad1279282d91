import { describe, expect, it } from "vitest";
import { createTelnyxSender } from "../../src/sms/telnyx.ts";
import { CONTRACT_BODY, CONTRACT_TO, runSenderContract } from "./contract.ts";
import { json } from "./fakes/kit.ts";
import { fakeTelnyx, TELNYX } from "./fakes/telnyx.ts";

runSenderContract({
  name: "telnyx",
  create: (apiBase, fetchFn, timeoutMs) => createTelnyxSender({ ...TELNYX, apiBase, timeoutMs }, fetchFn),
  createWithWrongCredentials: (apiBase, fetchFn, timeoutMs) => createTelnyxSender({ ...TELNYX, apiKey: "wrong", apiBase, timeoutMs }, fetchFn),
  fake: fakeTelnyx,
});

describe("telnyx quirks", () => {
  const base = "https://api.telnyx.test";

  it("sends from a messaging profile when no number is configured", async () => {
    const fake = fakeTelnyx(base);
    await createTelnyxSender({ apiKey: TELNYX.apiKey, messagingProfileId: "4001767e-ce0f-4cae-9d5f-0d5e636e7809", apiBase: base }, fake.fetch).send({
      to: CONTRACT_TO,
      body: CONTRACT_BODY,
    });
    expect(JSON.parse(fake.requests[0]!.text)).toEqual({ to: CONTRACT_TO, text: CONTRACT_BODY, messaging_profile_id: "4001767e-ce0f-4cae-9d5f-0d5e636e7809" });
  });

  it("a recipient who texted STOP (40300) is unsubscribed", async () => {
    const sender = createTelnyxSender({ ...TELNYX, apiBase: base }, async () => json(400, { errors: [{ code: "40300", title: "Blocked due to STOP message" }] }));
    await expect(sender.send({ to: CONTRACT_TO, body: "x" })).rejects.toMatchObject({ reason: "unsubscribed", definite: true, providerCode: "40300" });
  });
});
