import { describe, expect, it } from "vitest";
import { createVonageSender } from "../../src/sms/vonage.ts";
import { CONTRACT_BODY, CONTRACT_TO, runSenderContract } from "./contract.ts";
import { json } from "./fakes/kit.ts";
import { fakeVonage, VONAGE } from "./fakes/vonage.ts";

runSenderContract({
  name: "vonage",
  create: (apiBase, fetchFn, timeoutMs) => createVonageSender({ ...VONAGE, apiBase, timeoutMs }, fetchFn),
  createWithWrongCredentials: (apiBase, fetchFn, timeoutMs) => createVonageSender({ ...VONAGE, apiSecret: "wrong", apiBase, timeoutMs }, fetchFn),
  fake: fakeVonage,
});

describe("vonage quirks", () => {
  const base = "https://rest.nexmo.test";
  const answering = (response: () => Response) => createVonageSender({ ...VONAGE, apiBase: base }, async () => response());

  it("posts the documented form fields, with the number's digits and no '+'", async () => {
    const fake = fakeVonage(base);
    await createVonageSender({ ...VONAGE, apiBase: base }, fake.fetch).send({ to: CONTRACT_TO, body: CONTRACT_BODY });
    const form = new URLSearchParams(fake.requests[0]!.text);
    expect(new URL(fake.requests[0]!.url).pathname).toBe("/sms/json");
    expect(Object.fromEntries(form)).toEqual({ api_key: VONAGE.apiKey, api_secret: VONAGE.apiSecret, from: VONAGE.from, to: "447700900123", text: CONTRACT_BODY });
  });

  it("sends non-ASCII text as type=unicode", async () => {
    const fake = fakeVonage(base);
    await createVonageSender({ ...VONAGE, apiBase: base }, fake.fetch).send({ to: CONTRACT_TO, body: "123456 est votre code Société" });
    expect(new URLSearchParams(fake.requests[0]!.text).get("type")).toBe("unicode");
  });

  it("reads refusals from the per-message status of an HTTP 200", async () => {
    const status = (code: string) => () => json(200, { "message-count": "1", messages: [{ status: code, "error-text": "x" }] });
    await expect(answering(status("7")).send({ to: CONTRACT_TO, body: "x" })).rejects.toMatchObject({ reason: "blocked", definite: true, providerCode: "7" });
    await expect(answering(status("9")).send({ to: CONTRACT_TO, body: "x" })).rejects.toMatchObject({ reason: "unavailable", definite: true });
    // Status 5 is Vonage's own internal error: nobody knows whether the part went out.
    await expect(answering(status("5")).send({ to: CONTRACT_TO, body: "x" })).rejects.toMatchObject({ reason: "unavailable", definite: false });
  });

  it("a long text split into parts fails if any part was refused", async () => {
    const sender = answering(() =>
      json(200, { "message-count": "2", messages: [{ status: "0", "message-id": "A1" }, { status: "1", "error-text": "Throttled" }] }),
    );
    await expect(sender.send({ to: CONTRACT_TO, body: "x" })).rejects.toMatchObject({ reason: "rate_limited" });
  });
});
