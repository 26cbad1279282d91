// Types of verify-v1a.mjs, for TypeScript receivers (and this repository's test of it).
export function verifyWebhook(input: {
  /** The raw request body, exactly as received. */
  body: string;
  /** A Headers object or a plain object with lower-case names (Node's `req.headers`). */
  headers: { get(name: string): string | null } | Record<string, string | string[] | undefined>;
  /** `whpk_…` keys this receiver trusts: the service's `webhookPublicKey`. */
  publicKeys: string[];
  nowSeconds?: number;
}): Promise<unknown>;
