// Durable Object per (service, external id): remembers which verification an id that cannot carry
// its route names, so a request by that id alone finds the number's object. Twilio verification
// sids (`<service>:<sid>`) and CAMARA authenticationIds (`camara:<service>:<id>`, which also name
// one send of the verification). One object per id, not a shared table: no object is ever hot, and
// each deletes itself by alarm. The class keeps its first name: Durable Object classes are named
// in the deployment's migrations.
import { DurableObject } from "cloudflare:workers";

export interface SidEntry {
  verificationId: string;
  /** The send the id names (CAMARA); null for a Twilio sid, which names the whole verification. */
  sendAttempt: number | null;
}

export class TwilioSidIndex extends DurableObject<Env> {
  /** Records the mapping; `keepUntil` (epoch ms) only ever moves later. */
  async put(input: { verificationId: string; keepUntil: number; sendAttempt?: number }): Promise<void> {
    await this.ctx.storage.put(input.sendAttempt === undefined ? { verificationId: input.verificationId } : { verificationId: input.verificationId, sendAttempt: input.sendAttempt });
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm < input.keepUntil) await this.ctx.storage.setAlarm(input.keepUntil);
  }

  /** The verification id, or null; a lookup of an unknown sid writes nothing. */
  async get(): Promise<string | null> {
    return (await this.ctx.storage.get<string>("verificationId")) ?? null;
  }

  /** The verification id and the send it names, or null; writes nothing. */
  async entry(): Promise<SidEntry | null> {
    const stored = await this.ctx.storage.get<string | number>(["verificationId", "sendAttempt"]);
    const verificationId = stored.get("verificationId");
    if (typeof verificationId !== "string") return null;
    const sendAttempt = stored.get("sendAttempt");
    return { verificationId, sendAttempt: typeof sendAttempt === "number" ? sendAttempt : null };
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
