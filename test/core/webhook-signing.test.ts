// Standard Webhooks signing (src/core/webhook-signing.ts): the v1a known vector of the
// specification's Go reference library, key formats, verification by a receiver holding only the
// public key (WebCrypto here, not our code), which keys sign when, and sealing at rest.
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  MAX_REPLACED_KEYS,
  newWebhookKeyPair,
  newWebhookSecret,
  openPrivateKey,
  publicKeyOf,
  REPLACED_KEY_SIGNS_MS,
  replaceKey,
  sealPrivateKey,
  signedContent,
  signersAt,
  signV1,
  signV1a,
  importPrivateKey,
  type WebhookKeys,
} from "../../src/core/webhook-signing.ts";
import { cryptoRandom } from "../../src/core/codes.ts";

const b64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const enc = new TextEncoder();

/** What a receiver does with `whpk_…` and a `v1a,…` signature: WebCrypto only. */
async function receiverVerifies(publicKey: string, signature: string, content: string): Promise<boolean> {
  const key = await crypto.subtle.importKey("raw", b64(publicKey.replace(/^whpk_/, "")), { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, b64(signature.replace(/^v1a,/, "")), enc.encode(content));
}

describe("v1a (Ed25519)", () => {
  it("matches the known vector of the specification's Go reference library (whsk_ is the base64 32-byte seed)", async () => {
    // standard-webhooks/libraries/go/webhook_asymmetric_test.go, TestAsymmetricWebhookSign.
    const privateKey = "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=";
    const content = signedContent("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
    expect(content).toBe('msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}');
    expect(await signV1a(await importPrivateKey(privateKey), content)).toBe(
      "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==",
    );
  });

  it("a new key pair: whsk_ and whpk_ are base64 of 32 bytes each; the receiver verifies with the public key alone", async () => {
    const { privateKey, publicKey } = await newWebhookKeyPair(cryptoRandom);
    expect(privateKey).toMatch(/^whsk_[A-Za-z0-9+/]{43}=$/);
    expect(publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    expect(await publicKeyOf(privateKey)).toBe(publicKey);
    const content = signedContent("msg_1", 1_800_000_000, '{"type":"verification.approved"}');
    const signature = await signV1a(await importPrivateKey(privateKey), content);
    expect(signature).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(await receiverVerifies(publicKey, signature, content)).toBe(true);
    expect(await receiverVerifies(publicKey, signature, content.replace("approved", "canceled"))).toBe(false);
    const other = await newWebhookKeyPair(cryptoRandom);
    expect(await receiverVerifies(other.publicKey, signature, content)).toBe(false);
  });

  it("the key is drawn from the random source it is given", async () => {
    const fixed = (bytes: Uint8Array) => void bytes.fill(7);
    const a = await newWebhookKeyPair(fixed);
    expect(a).toEqual(await newWebhookKeyPair(fixed));
    expect(a.privateKey).toBe(`whsk_${btoa("\u0007".repeat(32))}`);
  });

  it("refuses what is not a whsk_ key, without echoing it", async () => {
    for (const bad of ["", "whsk_", "whsec_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=", "whsk_c2hvcnQ=", "whsk_not base64!"]) {
      await expect(importPrivateKey(bad)).rejects.toThrow(/^not a whsk_ key/);
    }
    await expect(importPrivateKey("whsk_c2hvcnQ=")).rejects.not.toThrow(/c2hvcnQ/);
  });
});

describe("v1 (HMAC-SHA256)", () => {
  it("verifies with the standardwebhooks library, the receivers' library", async () => {
    const secret = newWebhookSecret(cryptoRandom);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = '{"type":"verification.started"}';
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = await signV1(secret, signedContent("msg_2", timestamp, body));
    const headers = { "webhook-id": "msg_2", "webhook-timestamp": String(timestamp), "webhook-signature": signature };
    expect(new Webhook(secret).verify(body, headers)).toEqual({ type: "verification.started" });
    expect(signature).toBe(new Webhook(secret).sign("msg_2", new Date(timestamp * 1000), body));
  });
});

describe("which keys sign", () => {
  const keys: WebhookKeys = { secret: "whsec_NEW", publicKey: "whpk_NEW", sealedKey: "sealed1.NEW", replaced: [] };
  const t0 = 1_800_000_000_000;

  it("the current key of the service's scheme alone, when nothing was replaced", () => {
    expect(signersAt(keys, "v1", t0)).toEqual([{ signing: "v1", secret: "whsec_NEW" }]);
    expect(signersAt(keys, "v1a", t0)).toEqual([{ signing: "v1a", publicKey: "whpk_NEW", sealedKey: "sealed1.NEW" }]);
  });

  it("a replaced key signs next to the new one for 24 hours, then no more", () => {
    const old: WebhookKeys = { ...keys, publicKey: "whpk_OLD", sealedKey: "sealed1.OLD" };
    const rotated: WebhookKeys = { ...keys, replaced: replaceKey(old, "v1a", t0) };
    expect(rotated.replaced).toEqual([{ signing: "v1a", publicKey: "whpk_OLD", sealedKey: "sealed1.OLD", until: t0 + 24 * 3_600_000 }]);
    const both = [
      { signing: "v1a", publicKey: "whpk_NEW", sealedKey: "sealed1.NEW" },
      { signing: "v1a", publicKey: "whpk_OLD", sealedKey: "sealed1.OLD" },
    ];
    expect(signersAt(rotated, "v1a", t0)).toEqual(both);
    expect(signersAt(rotated, "v1a", t0 + REPLACED_KEY_SIGNS_MS - 1)).toEqual(both);
    expect(signersAt(rotated, "v1a", t0 + REPLACED_KEY_SIGNS_MS)).toEqual([both[0]]);
  });

  it("moving from v1 to v1a keeps the v1 secret signing for 24 hours, so receivers can switch at their pace", () => {
    const switched: WebhookKeys = { ...keys, replaced: replaceKey(keys, "v1", t0) };
    expect(signersAt(switched, "v1a", t0 + 1)).toEqual([
      { signing: "v1a", publicKey: "whpk_NEW", sealedKey: "sealed1.NEW" },
      { signing: "v1", secret: "whsec_NEW" },
    ]);
    // Back to v1 within the day: the current secret signs once, not twice.
    expect(signersAt(switched, "v1", t0 + 2)).toEqual([{ signing: "v1", secret: "whsec_NEW" }]);
    expect(signersAt(switched, "v1a", t0 + REPLACED_KEY_SIGNS_MS)).toEqual([{ signing: "v1a", publicKey: "whpk_NEW", sealedKey: "sealed1.NEW" }]);
  });

  it(`keeps at most ${MAX_REPLACED_KEYS} replaced keys, the newest, and drops the expired ones`, () => {
    let state: WebhookKeys = { ...keys, replaced: [{ signing: "v1", secret: "whsec_EXPIRED", until: t0 - 1 }] };
    for (let i = 0; i < 5; i++) {
      state = { ...state, secret: `whsec_${i}`, replaced: replaceKey(state, "v1", t0 + i) };
    }
    expect(state.replaced.map((k) => (k.signing === "v1" ? k.secret : ""))).toEqual(["whsec_3", "whsec_2", "whsec_1"]);
  });
});

describe("sealing", () => {
  const secret = "a-code-secret-of-at-least-32-characters";

  it("seals a private key that opens only with the same secret and service id", async () => {
    const { privateKey } = await newWebhookKeyPair(cryptoRandom);
    const sealed = await sealPrivateKey(privateKey, { secret, serviceId: "VA1", random: cryptoRandom });
    expect(sealed).toMatch(/^sealed1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(privateKey.slice(5, 20));
    expect(await openPrivateKey(sealed, { secret, serviceId: "VA1" })).toBe(privateKey);
    await expect(openPrivateKey(sealed, { secret, serviceId: "VA2" })).rejects.toThrow();
    await expect(openPrivateKey(sealed, { secret: `${secret}!`, serviceId: "VA1" })).rejects.toThrow();
    // A fresh IV each time: the same key seals differently.
    expect(await sealPrivateKey(privateKey, { secret, serviceId: "VA1", random: cryptoRandom })).not.toBe(sealed);
  });

  it("refuses to seal without a secret", async () => {
    const { privateKey } = await newWebhookKeyPair(cryptoRandom);
    await expect(sealPrivateKey(privateKey, { secret: "", serviceId: "VA1", random: cryptoRandom })).rejects.toThrow(/CODE_SECRET/);
  });
});
