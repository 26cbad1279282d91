import { describe, expect, it } from "vitest";
import { createMobileTextAlertsSender } from "../../src/sms/mobile-text-alerts.ts";
import { CONTRACT_BODY, CONTRACT_TO, runSenderContract } from "./contract.ts";
import { json } from "./fakes/kit.ts";
import { fakeMobileTextAlerts, MTA } from "./fakes/mobile-text-alerts.ts";

runSenderContract({
  name: "mobile-text-alerts",
  create: (apiBase, fetchFn, timeoutMs) => createMobileTextAlertsSender({ ...MTA, apiBase, timeoutMs }, fetchFn),
  createWithWrongCredentials: (apiBase, fetchFn, timeoutMs) => createMobileTextAlertsSender({ apiKey: "wrong", apiBase, timeoutMs }, fetchFn),
  fake: fakeMobileTextAlerts,
});

describe("mobile-text-alerts quirks", () => {
  const base = "https://api.mobile-text-alerts.test";

  it("posts {subscribers: [E.164], message} to /v3/send", async () => {
    const fake = fakeMobileTextAlerts(base);
    await createMobileTextAlertsSender({ ...MTA, apiBase: base }, fake.fetch).send({ to: CONTRACT_TO, body: CONTRACT_BODY });
    expect(new URL(fake.requests[0]!.url).pathname).toBe("/v3/send");
    expect(JSON.parse(fake.requests[0]!.text)).toEqual({ subscribers: [CONTRACT_TO], message: CONTRACT_BODY });
  });

  it("an explicit success without an id is still accepted, under a local reference", async () => {
    const sender = createMobileTextAlertsSender({ ...MTA, apiBase: base }, async () => json(200, { success: true, message: "Message Sent" }));
    await expect(sender.send({ to: CONTRACT_TO, body: "x" })).resolves.toEqual({ messageId: expect.stringMatching(/^mta-/), provider: "mobile-text-alerts" });
  });

  it("a 2xx that does not say success is an unknown outcome", async () => {
    const sender = createMobileTextAlertsSender({ ...MTA, apiBase: base }, async () => json(200, { success: false }));
    await expect(sender.send({ to: CONTRACT_TO, body: "x" })).rejects.toMatchObject({ reason: "unavailable", definite: false });
  });
});
