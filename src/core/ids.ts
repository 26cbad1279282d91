// Verification ids carry their route: the number's Durable Object id (32 bytes) followed by
// 16 random bytes, base64url-encoded behind "ve_". GetVerification reaches the right object in
// one hop with no global index; the random tail gives 128 bits an attacker would have to guess.
import type { RandomSource } from "./codes.ts";

const PREFIX = "ve_";
const OBJECT_ID_BYTES = 32;
const RANDOM_BYTES = 16;

export function newVerificationId(objectIdHex: string, random: RandomSource): string {
  const bytes = new Uint8Array(OBJECT_ID_BYTES + RANDOM_BYTES);
  bytes.set(hexToBytes(objectIdHex), 0);
  const tail = new Uint8Array(RANDOM_BYTES);
  random(tail);
  bytes.set(tail, OBJECT_ID_BYTES);
  return PREFIX + toBase64Url(bytes);
}

/** The Durable Object id (hex) a verification id routes to, or null when it is not one of ours. */
export function objectIdOf(verificationId: string): string | null {
  if (!verificationId.startsWith(PREFIX) || verificationId.length !== PREFIX.length + 64) return null;
  const bytes = fromBase64Url(verificationId.slice(PREFIX.length));
  if (!bytes || bytes.length !== OBJECT_ID_BYTES + RANDOM_BYTES) return null;
  return bytesToHex(bytes.subarray(0, OBJECT_ID_BYTES));
}

function hexToBytes(hex: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error("Durable Object id is not 64 hex digits");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
