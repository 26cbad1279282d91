// Durable Object per (service, Twilio verification sid): remembers which verification id the sid
// names, so a sid-only request (fetch, update, check by VerificationSid) finds the number's object.
// One object per sid, not a shared table: no object is ever hot, and each deletes itself by alarm.
import { DurableObject } from "cloudflare:workers";

export class TwilioSidIndex extends DurableObject<Env> {
  /** Records the mapping; `keepUntil` (epoch ms) only ever moves later. */
  async put(input: { verificationId: string; keepUntil: number }): Promise<void> {
    await this.ctx.storage.put("verificationId", input.verificationId);
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm < input.keepUntil) await this.ctx.storage.setAlarm(input.keepUntil);
  }

  /** The verification id, or null; a lookup of an unknown sid writes nothing. */
  async get(): Promise<string | null> {
    return (await this.ctx.storage.get<string>("verificationId")) ?? null;
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
