import { describe, expect, it } from "vitest";
import { createTwilioSender } from "../../src/sms/twilio.ts";
import { CONTRACT_BODY, CONTRACT_TO, runSenderContract } from "./contract.ts";
import { fakeTwilio, TWILIO } from "./fakes/twilio.ts";

runSenderContract({
  name: "twilio",
  create: (apiBase, fetchFn, timeoutMs) => createTwilioSender({ ...TWILIO, apiBase, timeoutMs }, fetchFn),
  createWithWrongCredentials: (apiBase, fetchFn, timeoutMs) => createTwilioSender({ ...TWILIO, authToken: "wrong", apiBase, timeoutMs }, fetchFn),
  fake: fakeTwilio,
});

describe("twilio quirks", () => {
  it("sends through a messaging service when one is configured", async () => {
    const fake = fakeTwilio("https://api.twilio.test");
    await createTwilioSender({ accountSid: TWILIO.accountSid, authToken: TWILIO.authToken, messagingServiceSid: "MG0123", apiBase: "https://api.twilio.test" }, fake.fetch).send({
      to: CONTRACT_TO,
      body: CONTRACT_BODY,
    });
    expect(Object.fromEntries(new URLSearchParams(fake.requests[0]!.text))).toEqual({ To: CONTRACT_TO, Body: CONTRACT_BODY, MessagingServiceSid: "MG0123" });
  });
});
