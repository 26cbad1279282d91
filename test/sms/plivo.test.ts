import { describe, expect, it } from "vitest";
import { createPlivoSender } from "../../src/sms/plivo.ts";
import { CONTRACT_BODY, CONTRACT_TO, runSenderContract } from "./contract.ts";
import { json } from "./fakes/kit.ts";
import { fakePlivo, PLIVO } from "./fakes/plivo.ts";

runSenderContract({
  name: "plivo",
  create: (apiBase, fetchFn, timeoutMs) => createPlivoSender({ ...PLIVO, apiBase, timeoutMs }, fetchFn),
  createWithWrongCredentials: (apiBase, fetchFn, timeoutMs) => createPlivoSender({ ...PLIVO, authToken: "wrong", apiBase, timeoutMs }, fetchFn),
  fake: fakePlivo,
});

describe("plivo quirks", () => {
  const base = "https://api.plivo.test";

  it("posts JSON {src, dst, text} to the account's Message resource with digits, no '+'", async () => {
    const fake = fakePlivo(base);
    await createPlivoSender({ ...PLIVO, apiBase: base }, fake.fetch).send({ to: CONTRACT_TO, body: CONTRACT_BODY });
    expect(new URL(fake.requests[0]!.url).pathname).toBe(`/v1/Account/${PLIVO.authId}/Message/`);
    expect(JSON.parse(fake.requests[0]!.text)).toEqual({ src: "14155550100", dst: "447700900123", text: CONTRACT_BODY });
  });

  it("a 400 about something other than the destination is our configuration: unavailable, definite", async () => {
    const sender = createPlivoSender({ ...PLIVO, apiBase: base }, async () => json(400, { api_id: "x", error: "src parameter not a valid sender" }));
    await expect(sender.send({ to: CONTRACT_TO, body: "x" })).rejects.toMatchObject({ reason: "unavailable", definite: true });
  });
});
