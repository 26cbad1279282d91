// TwilioSidIndex: one mapping per object, lookups write nothing, the alarm frees everything.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("TwilioSidIndex", () => {
  it("maps, keeps the later deadline, and deletes itself by alarm", async () => {
    const stub = env.TWILIO_SIDS.get(env.TWILIO_SIDS.idFromName(`default:ve${crypto.randomUUID()}`));
    expect(await stub.get()).toBeNull();
    await runInDurableObject(stub, async (_instance, state) => {
      expect(await state.storage.list()).toEqual(new Map());
    });

    const keepUntil = Date.now() + 60_000;
    await stub.put({ verificationId: "ve_example", keepUntil });
    await stub.put({ verificationId: "ve_example", keepUntil: keepUntil - 1000 });
    expect(await stub.get()).toBe("ve_example");
    await runInDurableObject(stub, async (_instance, state) => {
      expect(await state.storage.getAlarm()).toBe(keepUntil);
    });

    expect(await stub.entry()).toEqual({ verificationId: "ve_example", sendAttempt: null });

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.get()).toBeNull();
    expect(await stub.entry()).toBeNull();
    await runInDurableObject(stub, async (_instance, state) => {
      expect((await state.storage.list()).size).toBe(0);
    });
  });

  it("a CAMARA authenticationId names one send of the verification", async () => {
    const stub = env.TWILIO_SIDS.get(env.TWILIO_SIDS.idFromName(`camara:default:${crypto.randomUUID()}`));
    expect(await stub.entry()).toBeNull();
    await stub.put({ verificationId: "ve_example", keepUntil: Date.now() + 60_000, sendAttempt: 2 });
    expect(await stub.entry()).toEqual({ verificationId: "ve_example", sendAttempt: 2 });
    expect(await stub.get()).toBe("ve_example");
  });
});
