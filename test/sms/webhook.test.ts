import { describe, expect, it } from "vitest";
import { createWebhookSender, signWebhook } from "../../src/sms/webhook.ts";
import { CONTRACT_BODY, CONTRACT_TO, runSenderContract } from "./contract.ts";
import { json } from "./fakes/kit.ts";
import { fakeWebhookGateway, WEBHOOK } from "./fakes/webhook.ts";

const urlUnder = (base: string) => `${base.replace(/\/+$/, "")}${WEBHOOK.path}`;

runSenderContract({
  name: "webhook",
  create: (base, fetchFn, timeoutMs) => createWebhookSender({ url: urlUnder(base), secret: WEBHOOK.secret, timeoutMs }, fetchFn),
  createWithWrongCredentials: (base, fetchFn, timeoutMs) =>
    createWebhookSender({ url: urlUnder(base), secret: "another-secret-of-at-least-32-characters", timeoutMs }, fetchFn),
  fake: fakeWebhookGateway,
  acceptsAny2xx: true,
});

describe("webhook quirks", () => {
  const base = "https://sms-gateway.internal.test";
  const fixedNowMs = 1_767_225_600_000; // 2026-01-01T00:00:00Z

  it("signs '<timestamp>.<raw body>' with HMAC-SHA256, hex, in the documented headers", async () => {
    const fake = fakeWebhookGateway(base, { nowMs: () => fixedNowMs });
    await createWebhookSender({ url: urlUnder(base), secret: WEBHOOK.secret, now: () => fixedNowMs }, fake.fetch).send({ to: CONTRACT_TO, body: CONTRACT_BODY });
    const request = fake.requests[0]!;
    expect(request.headers.get("x-edge-verify-timestamp")).toBe("1767225600");
    expect(request.headers.get("x-edge-verify-signature")).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(request.headers.get("x-edge-verify-signature")).toBe(await signWebhook(WEBHOOK.secret, "1767225600", request.text));
    expect(JSON.parse(request.text)).toEqual({ to: CONTRACT_TO, body: CONTRACT_BODY, messageId: expect.stringMatching(/^wh_/), timestamp: 1767225600 });
  });

  it("a stale timestamp is refused by a gateway that checks freshness", async () => {
    const fake = fakeWebhookGateway(base, { nowMs: () => fixedNowMs });
    const sender = createWebhookSender({ url: urlUnder(base), secret: WEBHOOK.secret, now: () => fixedNowMs - 3_600_000 }, fake.fetch);
    await expect(sender.send({ to: CONTRACT_TO, body: "x" })).rejects.toMatchObject({ reason: "auth_failed", definite: true });
  });

  it("honours a reason the gateway declares from our set, and ignores any other", async () => {
    const declaring = (reason: string, status: number) => createWebhookSender({ url: urlUnder(base), secret: WEBHOOK.secret }, async () => json(status, { reason }));
    await expect(declaring("unsubscribed", 409).send({ to: CONTRACT_TO, body: "x" })).rejects.toMatchObject({ reason: "unsubscribed", definite: true });
    await expect(declaring("carrier_said_no", 403).send({ to: CONTRACT_TO, body: "x" })).rejects.toMatchObject({ reason: "auth_failed" });
  });

  it("refuses a short secret at construction", () => {
    expect(() => createWebhookSender({ url: urlUnder(base), secret: "short" })).toThrow(/32 characters/);
  });
});
