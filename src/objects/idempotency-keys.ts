// One Durable Object per (API key, Idempotency-Key): binds a key to the first request made with it,
// whatever number that request names. The number's object keeps the stored answer and replays it;
// this object only answers "same request" or "reused for another one", so a key reused with a
// different body or a different `to` is refused (422 idempotency_key_reused) before any number's
// object is touched, also when both requests race (calls to one object are serialised).
import { DurableObject } from "cloudflare:workers";

/** How long a key stays bound: as long as the number's object keeps the answer it replays. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

interface Binding {
  requestHash: string;
  expiresAt: number;
}

export type ClaimOutcome = "claimed" | "same_request" | "reused";

export class IdempotencyKeys extends DurableObject<Env> {
  /**
   * Binds the key to `requestHash` if it is free (or its binding has expired) and answers whether
   * this request is the one the key is bound to. `now` is the caller's clock (epoch ms).
   */
  async claim(input: { requestHash: string; now: number }): Promise<ClaimOutcome> {
    const kv = this.ctx.storage.kv;
    const bound = kv.get<Binding>("binding");
    if (bound && bound.expiresAt > input.now) return bound.requestHash === input.requestHash ? "same_request" : "reused";
    const expiresAt = input.now + IDEMPOTENCY_TTL_MS;
    kv.put("binding", { requestHash: input.requestHash, expiresAt } satisfies Binding);
    // Storage returns to nothing once the binding is over.
    await this.ctx.storage.setAlarm(expiresAt);
    return "claimed";
  }

  override async alarm(): Promise<void> {
    const bound = this.ctx.storage.kv.get<Binding>("binding");
    if (bound && bound.expiresAt > Date.now()) {
      await this.ctx.storage.setAlarm(bound.expiresAt);
      return;
    }
    await this.ctx.storage.deleteAll();
  }
}
