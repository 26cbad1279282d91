// Standard Webhooks signatures, both schemes: `v1` (HMAC-SHA256, `whsec_` secret) and `v1a`
// (Ed25519: the private key `whsk_` signs, receivers hold only the public key `whpk_`), over
// `${webhook-id}.${webhook-timestamp}.${body}`. Also which keys sign at a moment (a replaced key
// keeps signing for 24 hours) and the sealing of private keys at rest. No I/O: randomness, the
// clock and the sealing secret are arguments.
import type { RandomSource } from "./codes.ts";
import { fromBase64Url, toBase64Url } from "./ids.ts";

export const WEBHOOK_SIGNINGS = ["v1", "v1a"] as const;
export type WebhookSigning = (typeof WEBHOOK_SIGNINGS)[number];

/** How long a replaced key (rotation, or a change of scheme) keeps signing next to the new one. */
export const REPLACED_KEY_SIGNS_MS = 24 * 3_600_000;
/** Replaced keys signing at once at most; a fourth replacement within 24 hours drops the oldest. */
export const MAX_REPLACED_KEYS = 3;

export const SECRET_PREFIX = "whsec_";
export const PRIVATE_KEY_PREFIX = "whsk_";
export const PUBLIC_KEY_PREFIX = "whpk_";

/** One key a delivery is signed with. A v1a key travels sealed; only signing opens it. */
export type WebhookSigner = { signing: "v1"; secret: string } | { signing: "v1a"; publicKey: string; sealedKey: string };

/** A key that was replaced at some moment and signs until `until` (epoch ms). */
export type ReplacedWebhookKey = WebhookSigner & { until: number };

/** A service's signing keys: the current one of each scheme and the replaced ones still signing. */
export interface WebhookKeys {
  /** `whsec_…`, the current v1 secret. */
  secret: string;
  /** `whpk_…`, the current v1a public key. */
  publicKey: string;
  /** The current v1a private key, sealed (sealPrivateKey). */
  sealedKey: string;
  replaced: ReplacedWebhookKey[];
}

const utf8 = new TextEncoder();

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Standard base64 with padding (what the specification's keys and signatures use), or null. */
export function fromBase64(text: string): Uint8Array | null {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return null;
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** The signed content: `${id}.${timestamp}.${body}`, the same for both schemes. */
export function signedContent(id: string, timestampSeconds: number, body: string): string {
  return `${id}.${timestampSeconds}.${body}`;
}

/** A new `whsec_` secret: 32 random bytes, base64. */
export function newWebhookSecret(random: RandomSource): string {
  const bytes = new Uint8Array(32);
  random(bytes);
  return SECRET_PREFIX + toBase64(bytes);
}

// PKCS #8 wrapping of a raw Ed25519 private key (RFC 8410): WebCrypto imports a private key only
// as PKCS #8 or JWK, while the specification's `whsk_` is the 32-byte seed itself.
const PKCS8_ED25519_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);
const ED25519 = { name: "Ed25519" } as const;

function seedOf(privateKey: string): Uint8Array {
  const seed = privateKey.startsWith(PRIVATE_KEY_PREFIX) ? fromBase64(privateKey.slice(PRIVATE_KEY_PREFIX.length)) : null;
  // The message names the format only: the value is a secret and must not reach a log.
  if (!seed || seed.length !== 32) throw new TypeError("not a whsk_ key (base64 of a 32-byte Ed25519 seed)");
  return seed;
}

/** The private key as WebCrypto's signing key. `extractable` only to derive its public half. */
export async function importPrivateKey(privateKey: string, options: { extractable: boolean } = { extractable: false }): Promise<CryptoKey> {
  const seed = seedOf(privateKey);
  const pkcs8 = new Uint8Array(PKCS8_ED25519_PREFIX.length + seed.length);
  pkcs8.set(PKCS8_ED25519_PREFIX);
  pkcs8.set(seed, PKCS8_ED25519_PREFIX.length);
  return crypto.subtle.importKey("pkcs8", pkcs8, ED25519, options.extractable, ["sign"]);
}

/** The `whpk_` public key of a `whsk_` private key. */
export async function publicKeyOf(privateKey: string): Promise<string> {
  const jwk = (await crypto.subtle.exportKey("jwk", await importPrivateKey(privateKey, { extractable: true }))) as JsonWebKey;
  const x = fromBase64Url(jwk.x ?? "");
  if (!x || x.length !== 32) throw new Error("Ed25519 key export gave no public key");
  return PUBLIC_KEY_PREFIX + toBase64(x);
}

/** A new Ed25519 key pair: `whsk_` + base64(32-byte seed) and `whpk_` + base64(32-byte public key). */
export async function newWebhookKeyPair(random: RandomSource): Promise<{ privateKey: string; publicKey: string }> {
  const seed = new Uint8Array(32);
  random(seed);
  const privateKey = PRIVATE_KEY_PREFIX + toBase64(seed);
  seed.fill(0);
  return { privateKey, publicKey: await publicKeyOf(privateKey) };
}

/** `v1,<base64 HMAC-SHA256>` with the secret's bytes (the base64 after `whsec_`) as the key. */
export async function signV1(secret: string, content: string): Promise<string> {
  const raw = secret.startsWith(SECRET_PREFIX) ? fromBase64(secret.slice(SECRET_PREFIX.length)) : null;
  if (!raw || raw.length === 0) throw new TypeError("not a whsec_ secret");
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return `v1,${toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8.encode(content))))}`;
}

/** `v1a,<base64 Ed25519 signature>` (64 bytes). */
export async function signV1a(privateKey: CryptoKey, content: string): Promise<string> {
  return `v1a,${toBase64(new Uint8Array(await crypto.subtle.sign(ED25519, privateKey, utf8.encode(content))))}`;
}

const sameKey = (a: WebhookSigner, b: WebhookSigner): boolean =>
  a.signing === b.signing && (a.signing === "v1" ? a.secret === (b as typeof a).secret : a.publicKey === (b as typeof a).publicKey);

const current = (keys: WebhookKeys, signing: WebhookSigning): WebhookSigner =>
  signing === "v1" ? { signing: "v1", secret: keys.secret } : { signing: "v1a", publicKey: keys.publicKey, sealedKey: keys.sealedKey };

/**
 * The keys a delivery at `now` is signed with: the current key of the service's scheme first,
 * then each replaced key until its `until` (newest first), each key once.
 */
export function signersAt(keys: WebhookKeys, signing: WebhookSigning, now: number): WebhookSigner[] {
  const signers: WebhookSigner[] = [current(keys, signing)];
  for (const old of [...keys.replaced].sort((a, b) => b.until - a.until)) {
    if (old.until <= now || signers.some((s) => sameKey(s, old))) continue;
    const { until: _until, ...signer } = old;
    signers.push(signer as WebhookSigner);
  }
  return signers;
}

/**
 * The replaced keys once the current key of `signing` stops being current at `now` (a rotation,
 * or the service moving to the other scheme): it signs 24 hours more; expired ones are dropped,
 * and at most MAX_REPLACED_KEYS are kept, the newest.
 */
export function replaceKey(keys: WebhookKeys, signing: WebhookSigning, now: number): ReplacedWebhookKey[] {
  const outgoing: ReplacedWebhookKey = { ...current(keys, signing), until: now + REPLACED_KEY_SIGNS_MS };
  return [outgoing, ...keys.replaced.filter((k) => k.until > now && !sameKey(k, outgoing))].sort((a, b) => b.until - a.until).slice(0, MAX_REPLACED_KEYS);
}

// ---- sealing: private keys at rest --------------------------------------------------------------
// The registry stores a private key encrypted (AES-256-GCM) under a key derived from CODE_SECRET
// (HKDF-SHA256), bound to its service id as associated data: a copy of the registry's storage
// alone does not sign, and a sealed key moved to another service's row does not open.

const SEALED_PREFIX = "sealed1.";
const sealingKeys = new Map<string, Promise<CryptoKey>>();

function sealingKey(secret: string): Promise<CryptoKey> {
  if (!secret) throw new TypeError("no sealing secret (CODE_SECRET) to protect webhook signing keys with");
  let key = sealingKeys.get(secret);
  if (!key) {
    key = crypto.subtle
      .importKey("raw", utf8.encode(secret), "HKDF", false, ["deriveKey"])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: utf8.encode("edge-verify webhook signing keys"), info: utf8.encode("sealed1") },
          base,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        ),
      );
    sealingKeys.set(secret, key);
  }
  return key;
}

/** `sealed1.` + base64url(12-byte IV ‖ AES-GCM ciphertext of the `whsk_` key). */
export async function sealPrivateKey(privateKey: string, options: { secret: string; serviceId: string; random: RandomSource }): Promise<string> {
  seedOf(privateKey); // only a well-formed key is sealed
  const iv = new Uint8Array(12);
  options.random(iv);
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8.encode(options.serviceId) }, await sealingKey(options.secret), utf8.encode(privateKey)),
  );
  const out = new Uint8Array(iv.length + sealed.length);
  out.set(iv);
  out.set(sealed, iv.length);
  return SEALED_PREFIX + toBase64Url(out);
}

/** The `whsk_` key back; throws when the secret or the service id is not the one it was sealed with. */
export async function openPrivateKey(sealedKey: string, options: { secret: string; serviceId: string }): Promise<string> {
  const bytes = sealedKey.startsWith(SEALED_PREFIX) ? fromBase64Url(sealedKey.slice(SEALED_PREFIX.length)) : null;
  if (!bytes || bytes.length < 12 + 16) throw new TypeError("not a sealed webhook signing key");
  const clear = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: bytes.subarray(0, 12), additionalData: utf8.encode(options.serviceId) },
    await sealingKey(options.secret),
    bytes.subarray(12),
  );
  return new TextDecoder().decode(clear);
}
