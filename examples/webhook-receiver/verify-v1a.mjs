// Verifies an edge-verify webhook signed `v1a` (Standard Webhooks, Ed25519) with the service's
// public key alone (`webhookPublicKey`, `whpk_…`): the receiver holds no secret. WebCrypto only,
// so the same code runs in Node 22+, Deno, Bun, browsers and Cloudflare Workers.
const TOLERANCE_SECONDS = 5 * 60;

const bytes = (base64) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/**
 * The event, parsed, when one `v1a` signature in `webhook-signature` is valid for one of
 * `publicKeys` over `${webhook-id}.${webhook-timestamp}.${body}` and the timestamp is within five
 * minutes of now; throws otherwise. `body` is the raw request body, exactly as received.
 */
export async function verifyWebhook({ body, headers, publicKeys, nowSeconds = Math.floor(Date.now() / 1000) }) {
  const header = (name) => String((typeof headers.get === "function" ? headers.get(name) : headers[name]) ?? "");
  const id = header("webhook-id");
  const timestamp = header("webhook-timestamp");
  if (!id || !/^[0-9]+$/.test(timestamp)) throw new Error("not a Standard Webhooks request");
  // Replays: an old (or future) timestamp is refused; deduplicate on webhook-id as well.
  if (Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) throw new Error("webhook timestamp too old or too new");
  const content = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  // Space-separated: during a rotation both the old and the new key sign.
  const signatures = header("webhook-signature").split(" ").filter((s) => s.startsWith("v1a,"));
  for (const publicKey of publicKeys) {
    const key = await crypto.subtle.importKey("raw", bytes(publicKey.replace(/^whpk_/, "")), { name: "Ed25519" }, false, ["verify"]);
    for (const signature of signatures) {
      let raw;
      try {
        raw = bytes(signature.slice("v1a,".length));
      } catch {
        continue; // not base64
      }
      if (await crypto.subtle.verify({ name: "Ed25519" }, key, raw, content)) return JSON.parse(body);
    }
  }
  throw new Error("no valid v1a signature");
}
